from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crossdept_purchase_approval = fields.Boolean(
        related="company_id.crossdept_purchase_approval", readonly=False
    )
    crossdept_purchase_threshold = fields.Monetary(
        related="company_id.crossdept_purchase_threshold",
        currency_field="company_currency_id",
        readonly=False,
    )
    crossdept_purchase_tolerance = fields.Float(
        related="company_id.crossdept_purchase_tolerance", readonly=False
    )
    crossdept_purchase_categ_ids = fields.Many2many(
        related="company_id.crossdept_purchase_categ_ids", readonly=False
    )
    crossdept_purchase_type_id = fields.Many2one(
        related="company_id.crossdept_purchase_type_id", readonly=False
    )
    crossdept_purchase_flow_id = fields.Many2one(
        related="company_id.crossdept_purchase_flow_id", readonly=False
    )
