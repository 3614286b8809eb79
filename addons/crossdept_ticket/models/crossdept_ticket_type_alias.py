from ast import literal_eval

from odoo import models


class CrossdeptTicketType(models.Model):
    """A mail alias per ticket type: a mail to it is a new ticket of the type, the
    way a sales team's alias makes leads (``crm.team``)."""

    _name = "crossdept.ticket.type"
    _inherit = ["mail.alias.mixin", "crossdept.ticket.type"]

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("crossdept.ticket")
        if self.id:
            values["alias_defaults"] = defaults = literal_eval(self.alias_defaults or "{}")
            defaults["type_id"] = self.id
            if self.company_id:
                defaults["company_id"] = self.company_id.id
        return values

    def write(self, vals):
        res = super().write(vals)
        if "company_id" in vals:
            # the alias's defaults name the type's company
            for ticket_type in self:
                ticket_type.alias_id.sudo().write(ticket_type._alias_get_creation_values())
        return res
