from odoo import api, models


class PurchaseOrderLine(models.Model):
    _inherit = "purchase.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.order_id._crossdept_check_changes()
        return lines

    def write(self, vals):
        res = super().write(vals)
        if {"product_id", "product_qty", "price_unit", "taxes_id", "discount"} & vals.keys():
            self.order_id._crossdept_check_changes()
        return res

    def unlink(self):
        orders = self.order_id
        res = super().unlink()
        orders.exists()._crossdept_check_changes()
        return res
