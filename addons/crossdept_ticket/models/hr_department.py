from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

# how a department dispatches steps: CrossDept configuration, which its form shows
# to CrossDept administrators only
DISPATCH_SETTINGS = (
    "crossdept_assign_method",
    "crossdept_max_open_steps",
    "crossdept_when_unavailable",
    "crossdept_expert_user_ids",
    # the department's mail alias (hr_department_alias.py) makes tickets
    "alias_name",
    "alias_domain_id",
    "alias_contact",
    "alias_defaults",
)
# what the record rules' managed departments of a user are made of (res.users'
# crossdept_managed_department_ids)
RULE_FIELDS = {"manager_id", "parent_id"}


class HrDepartment(models.Model):
    """Every employee may write departments (Odoo's hr grants it): CrossDept's own
    fields are guarded here. The round-robin position is the engine's; the dispatch
    settings are for CrossDept administrators."""

    _name = "hr.department"
    _inherit = ["hr.department", "crossdept.engine.mixin"]

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

    def _engine_fields(self):
        # only CrossDept's own field: the rest of the department is HR's
        return {
            "crossdept_last_assigned_user_id": self.env._(
                "the dispatch of steps, which moves it on with each step it assigns"
            )
        }

    @api.model_create_multi
    def create(self, vals_list):
        defaults = self.default_get(list(DISPATCH_SETTINGS))
        self._check_crossdept_settings(
            {
                name
                for vals in vals_list
                for name in DISPATCH_SETTINGS
                if name in vals and vals[name] and vals[name] != defaults.get(name)
            }
        )
        departments = super().create(vals_list)
        if any(RULE_FIELDS.intersection(vals) for vals in vals_list):
            self.env["res.users"]._crossdept_rule_departments_changed()
        return departments

    def write(self, vals):
        self._check_crossdept_settings(
            {
                name
                for name in DISPATCH_SETTINGS
                if name in vals and self._engine_field_changes(name, vals[name])
            }
        )
        result = super().write(vals)
        # who manages the department: what the record rules let them see
        if RULE_FIELDS.intersection(vals):
            self.env["res.users"]._crossdept_rule_departments_changed()
        return result

    def unlink(self):
        result = super().unlink()
        self.env["res.users"]._crossdept_rule_departments_changed()
        return result

    def _check_crossdept_settings(self, names):
        """Refuse a change of the dispatch or mail alias settings ``names`` by
        anybody but a CrossDept administrator."""
        if (
            not names
            or self.env.su
            or self.env.user.has_group("crossdept_ticket.group_crossdept_ticket_admin")
        ):
            return
        raise AccessError(
            self.env._(
                "Only CrossDept administrators change how departments dispatch steps "
                "and receive tickets by email (%(fields)s).",
                fields=", ".join(
                    self._fields[name]._description_string(self.env) for name in sorted(names)
                ),
            )
        )
