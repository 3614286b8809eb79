from odoo import api, fields, models
from odoo.exceptions import ValidationError

# what the record rules' departments of a user are made of (res.users'
# crossdept_department_ids and crossdept_managed_department_ids)
RULE_FIELDS = {"user_id", "department_id", "resource_id", "active"}


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    crossdept_max_open_steps = fields.Integer(
        "Ticket Capacity",
        groups="hr.group_hr_user",
        help="Load of open CrossDept steps this person may hold at once (a normal priority "
        "task weighs 1); 0 uses the department's default capacity.",
    )

    @api.constrains("crossdept_max_open_steps")
    def _check_crossdept_max_open_steps(self):
        # a negative capacity makes the person count as full: no step would reach them
        field = self._fields["crossdept_max_open_steps"]
        for employee in self.filtered(lambda e: e.crossdept_max_open_steps < 0):
            raise ValidationError(
                self.env._(
                    "%(field)s of %(employee)s cannot be negative (%(value)s): it is the "
                    "load they may hold, or 0 for their department's default.",
                    field=field._description_string(self.env),
                    employee=employee.name,
                    value=employee.crossdept_max_open_steps,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        employees = super().create(vals_list)
        if any(employee.user_id and employee.department_id for employee in employees):
            self.env["res.users"]._crossdept_rule_departments_changed()
        return employees

    def write(self, vals):
        result = super().write(vals)
        # the user's departments: what the record rules let them see
        if RULE_FIELDS.intersection(vals):
            self.env["res.users"]._crossdept_rule_departments_changed()
        return result

    def unlink(self):
        # the departments of its user, and those it manages
        changed = bool(self.user_id)
        result = super().unlink()
        if changed:
            self.env["res.users"]._crossdept_rule_departments_changed()
        return result
