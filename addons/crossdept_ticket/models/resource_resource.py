from odoo import models


class ResourceResource(models.Model):
    """An employee's user is its resource's (hr.employee.user_id is related to
    resource_id.user_id): a resource written directly changes the user whose
    departments the record rules read."""

    _inherit = "resource.resource"

    def write(self, vals):
        result = super().write(vals)
        # (an employee's active flag is its resource's too)
        if {"user_id", "active"}.intersection(vals):
            self.env["res.users"]._crossdept_rule_departments_changed()
        return result
