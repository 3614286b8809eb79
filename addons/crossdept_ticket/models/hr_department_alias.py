from ast import literal_eval

from odoo import fields, models


class HrDepartment(models.Model):
    """A mail alias per department: a mail to it is a new ticket the department
    handles. The alias is optional (``mail.alias.mixin.optional``): a department
    gets one when it is given a name, not every HR department at install."""

    _name = "hr.department"
    _inherit = ["hr.department", "mail.alias.mixin.optional"]

    # the light mixin leaves it out; its create and write pass it to the alias
    alias_contact = fields.Selection(related="alias_id.alias_contact", readonly=False)

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("crossdept.ticket")
        if self.id:
            values["alias_defaults"] = defaults = literal_eval(self.alias_defaults or "{}")
            defaults["assigned_department_id"] = self.id
            if self.company_id:
                defaults["company_id"] = self.company_id.id
        return values
