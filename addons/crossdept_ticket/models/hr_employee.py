from odoo import api, fields, models
from odoo.exceptions import ValidationError


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
