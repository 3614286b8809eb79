from odoo import api, fields, models
from odoo.exceptions import ValidationError


class HrDepartment(models.Model):
    _inherit = "hr.department"

    # the weights below are tools.dispatch.KIND_WEIGHT and PRIORITY_WEIGHT; a test
    # checks that this text states them
    crossdept_assign_method = fields.Selection(
        [
            ("balanced", "Balanced load"),
            ("round_robin", "Round robin"),
            ("score", "Skills and load score"),
        ],
        "Ticket Dispatch",
        default="balanced",
        help="How CrossDept picks the assignee of a step among the department's people who "
        "work now (working hours, not on leave or on a public holiday) and have the required "
        "skills. Balanced load: the lowest load; round robin: each in turn; skills and load "
        "score: the best skill level minus the share of capacity in use. A person's load is "
        "the sum of their open steps, each weighing 1 for a task and 0.5 for an approval "
        "awaiting their decision, multiplied by 1 for a low or normal priority ticket, 2 for "
        "high and 3 for urgent.",
    )
    crossdept_max_open_steps = fields.Integer(
        "Default Capacity",
        default=10,
        help="Load a person of this department may hold at once (a normal priority task "
        "weighs 1, see Ticket Dispatch), unless their employee record says otherwise.",
    )
    crossdept_when_unavailable = fields.Selection(
        [
            ("queue", "Wait in the department queue"),
            ("manager", "Go to the department manager"),
        ],
        "When Nobody Is Available",
        default="queue",
        required=True,
        help="Where a step goes when everyone who could take it is away (outside working "
        "hours, on leave, on a public holiday) or at capacity. Queued steps are dispatched "
        "as soon as someone works, and any member of the department can take one.",
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

    @api.constrains("crossdept_max_open_steps")
    def _check_crossdept_max_open_steps(self):
        # a negative capacity makes everyone count as full: every step would queue
        field = self._fields["crossdept_max_open_steps"]
        for department in self.filtered(lambda d: d.crossdept_max_open_steps < 0):
            raise ValidationError(
                self.env._(
                    "%(field)s of %(department)s cannot be negative (%(value)s): it is the "
                    "load each person of the department may hold.",
                    field=field._description_string(self.env),
                    department=department.display_name,
                    value=department.crossdept_max_open_steps,
                )
            )
