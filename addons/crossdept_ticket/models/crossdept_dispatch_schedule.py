from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import safe_eval

PATTERN_KEYS = {"name": "", "target": "", "period": "", "date": ""}


class CrossdeptDispatchSchedule(models.Model):
    """Recurring tickets: every period, one ticket per target, created in one batch."""

    _name = "crossdept.dispatch.schedule"
    _description = "Recurring Dispatch"
    _order = "next_run, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    type_id = fields.Many2one("crossdept.ticket.type", "Ticket Type", required=True)
    flow_id = fields.Many2one(
        "crossdept.flow",
        domain="[('state', '=', 'active')]",
        help="Started on every ticket created; empty leaves the tickets open.",
    )
    title_pattern = fields.Char(
        required=True,
        default="{name}: {target} ({period})",
        help="Keys: {name} (this schedule), {target}, {period}, {date}.",
    )
    priority = fields.Selection(
        [("0", "Low"), ("1", "Normal"), ("2", "High"), ("3", "Urgent")], default="1"
    )
    target_kind = fields.Selection(
        [
            ("department", "Departments"),
            ("user", "People (a team)"),
            ("record", "Records (e.g. equipment)"),
        ],
        required=True,
        default="department",
    )
    department_ids = fields.Many2many("hr.department", string="Departments")
    user_ids = fields.Many2many("res.users", string="People")
    target_model_id = fields.Many2one(
        "ir.model", "Records of", ondelete="cascade", domain=[("transient", "=", False)]
    )
    target_model = fields.Char(related="target_model_id.model")
    target_domain = fields.Char("Which Records", default="[]")
    rule_type = fields.Selection(
        [
            ("daily", "Daily"),
            ("weekly", "Weekly"),
            ("monthly", "Monthly"),
            ("interval", "Every N days"),
        ],
        "Recurrence",
        required=True,
        default="weekly",
    )
    interval = fields.Integer("Every (days)", default=1)
    next_run = fields.Datetime(required=True, default=fields.Datetime.now)
    ticket_ids = fields.One2many("crossdept.ticket", "schedule_id", "Tickets")
    ticket_count = fields.Integer(compute="_compute_ticket_count")

    def _compute_ticket_count(self):
        counts = dict(
            self.env["crossdept.ticket"]._read_group(
                [("schedule_id", "in", self.ids)], ["schedule_id"], ["__count"]
            )
        )
        for schedule in self:
            schedule.ticket_count = counts.get(schedule, 0)

    @api.constrains("title_pattern", "interval", "rule_type", "target_kind", "target_model_id")
    def _check_schedule(self):
        for schedule in self:
            try:
                schedule.title_pattern.format(**PATTERN_KEYS)
            except (KeyError, IndexError, ValueError) as error:
                raise ValidationError(
                    self.env._(
                        "Recurring dispatch %(name)s: the title pattern has an unknown key "
                        "%(key)s; use {name}, {target}, {period} or {date}.",
                        name=schedule.name,
                        key=error,
                    )
                ) from error
            if schedule.rule_type == "interval" and schedule.interval < 1:
                raise ValidationError(
                    self.env._(
                        "Recurring dispatch %(name)s: the interval must be at least one day.",
                        name=schedule.name,
                    )
                )
            if schedule.target_kind == "record" and not schedule.target_model_id:
                raise ValidationError(
                    self.env._(
                        "Recurring dispatch %(name)s: choose the kind of records to dispatch.",
                        name=schedule.name,
                    )
                )

    def _delta(self):
        return {
            "daily": relativedelta(days=1),
            "weekly": relativedelta(weeks=1),
            "monthly": relativedelta(months=1),
            "interval": relativedelta(days=self.interval),
        }[self.rule_type]

    def _targets(self):
        """[(key, label, ticket values)] for this schedule's targets."""
        self.ensure_one()
        if self.target_kind == "department":
            return [
                (
                    f"hr.department,{dept.id}",
                    dept.name,
                    {"department_id": dept.id, "assigned_department_id": dept.id},
                )
                for dept in self.department_ids
            ]
        if self.target_kind == "user":
            return [
                (f"res.users,{user.id}", user.name, {"user_id": user.id}) for user in self.user_ids
            ]
        records = self.env[self.target_model].search(safe_eval(self.target_domain or "[]"))
        return [
            (
                f"{record._name},{record.id}",
                record.display_name,
                {"dispatch_target_ref": f"{record._name},{record.id}"},
            )
            for record in records
        ]

    def action_run_now(self):
        """Create the next period's tickets now (the cron will not create them again)."""
        for schedule in self:
            schedule._run_period(schedule.next_run)
            schedule.next_run = schedule.next_run + schedule._delta()
        return True

    def _run_period(self, period_start):
        """Create the tickets of one period, skipping targets that already have theirs."""
        self.ensure_one()
        period = fields.Date.to_string(period_start.date())
        done = set(
            self.env["crossdept.ticket"]
            .with_context(active_test=False)
            .search([("schedule_id", "=", self.id), ("schedule_period", "=", period)])
            .mapped("schedule_target")
        )
        vals_list = []
        for key, label, target_vals in self._targets():
            if key in done:
                continue
            vals_list.append(
                {
                    "title": self.title_pattern.format(
                        name=self.name, target=label, period=period, date=period
                    ),
                    "type_id": self.type_id.id,
                    "priority": self.priority,
                    "company_id": self.company_id.id,
                    "flow_id": self.flow_id.id,
                    "schedule_id": self.id,
                    "schedule_period": period,
                    "schedule_target": key,
                    "state": "open",
                    **target_vals,
                }
            )
        # the schedule and period of a ticket are the engine's to set
        tickets = self.env["crossdept.ticket"]._engine().create(vals_list).with_env(self.env)
        if self.flow_id:
            tickets.action_start_flow()
        return tickets

    @api.model
    def _cron_run_due(self):
        now = fields.Datetime.now()
        schedules = self.search([("next_run", "<=", now)])
        for schedule in schedules:
            # catch up every missed period, oldest first
            while schedule.next_run <= now:
                schedule._run_period(schedule.next_run)
                schedule.next_run = schedule.next_run + schedule._delta()
        self.env["ir.cron"]._notify_progress(done=len(schedules), remaining=0)
