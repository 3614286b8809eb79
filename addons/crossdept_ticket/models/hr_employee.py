from odoo import fields, models


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    crossdept_max_open_steps = fields.Integer(
        "Ticket Capacity",
        groups="hr.group_hr_user",
        help="Load of open CrossDept steps this person may hold at once (a normal priority "
        "task weighs 1); 0 uses the department's default capacity.",
    )
