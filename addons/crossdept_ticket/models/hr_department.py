from odoo import fields, models


class HrDepartment(models.Model):
    _inherit = "hr.department"

    crossdept_assign_method = fields.Selection(
        [
            ("balanced", "Balanced load"),
            ("round_robin", "Round robin"),
            ("score", "Skills and load score"),
        ],
        "Ticket Dispatch",
        default="balanced",
        help="How CrossDept picks the assignee of a step among the department's people.",
    )
    crossdept_max_open_steps = fields.Integer(
        "Default Capacity",
        default=10,
        help="Open steps a person of this department may hold at once, unless their "
        "employee record says otherwise.",
    )
    crossdept_expert_user_ids = fields.Many2many(
        "res.users",
        "crossdept_department_expert_rel",
        "department_id",
        "user_id",
        string="Expert Group",
        help="High and urgent tickets go to these people first.",
    )
    crossdept_last_assigned_user_id = fields.Many2one(
        "res.users", "Last Assigned", readonly=True, help="Round-robin position."
    )
