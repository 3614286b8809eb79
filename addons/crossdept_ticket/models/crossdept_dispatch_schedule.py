import logging

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.safe_eval import safe_eval

from ..tools.dates import check_business_date

_logger = logging.getLogger(__name__)

PATTERN_KEYS = {"name": "", "target": "", "period": "", "date": ""}


class CrossdeptDispatchSchedule(models.Model):
    """Recurring tickets: every period, one ticket per target, created in one batch."""

    _name = "crossdept.dispatch.schedule"
    _description = "Recurring Dispatch"
    _inherit = ["crossdept.engine.mixin", "mail.thread"]
    _order = "next_run, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    type_id = fields.Many2one(
        "crossdept.ticket.type", "Ticket Type", required=True, check_company=True
    )
    flow_id = fields.Many2one(
        "crossdept.flow",
        domain="[('state', '=', 'active')]",
        check_company=True,
        tracking=True,
        help="Started on every ticket created; empty leaves the tickets open. When this "
        "version is archived, the schedule follows the active version of the same flow.",
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
    department_ids = fields.Many2many("hr.department", string="Departments", check_company=True)
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
    last_error = fields.Text(
        readonly=True,
        copy=False,
        help="Why the last run of this schedule created no tickets; cleared by the next "
        "successful run.",
    )

    def _engine_fields(self):
        return {**super()._engine_fields(), "last_error": self.env._("the schedule's next run")}

    def _compute_ticket_count(self):
        counts = dict(
            self.env["crossdept.ticket"]._read_group(
                [("schedule_id", "in", self.ids)], ["schedule_id"], ["__count"]
            )
        )
        for schedule in self:
            schedule.ticket_count = counts.get(schedule, 0)

    @api.constrains("next_run")
    def _check_next_run(self):
        for schedule in self:
            check_business_date(self.env, schedule, "next_run")

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
            schedule._engine().last_error = False
        return True

    def _current_flow(self):
        """The flow version new tickets start on: the schedule's own, or once that
        version is no longer active, the active version of the same flow (code and
        company), which the schedule follows from then on."""
        self.ensure_one()
        flow = self.flow_id
        if not flow or flow.state == "active":
            return flow
        current = (
            self.env["crossdept.flow"]
            ._active_for(self.type_id, self.company_id)
            .filtered(lambda other: other.code == flow.code and other.company_id == flow.company_id)
        )[:1]
        if not current:
            raise UserError(
                self.env._(
                    "Recurring dispatch %(name)s: its flow %(flow)s is %(state)s and no "
                    "version of it is active; choose the flow to start.",
                    name=self.name,
                    flow=flow.display_name,
                    state=flow._state_label(),
                )
            )
        self.flow_id = current
        self.message_post(
            body=self.env._(
                "Flow %(old)s is %(state)s: the schedule now starts %(new)s.",
                old=flow.display_name,
                state=flow._state_label(),
                new=current.display_name,
            )
        )
        return current

    def _run_period(self, period_start):
        """Create the tickets of one period, skipping targets that already have theirs."""
        self.ensure_one()
        flow = self._current_flow()
        period = fields.Date.to_string(period_start.date())
        Ticket = self.env["crossdept.ticket"].with_company(self.company_id)
        done = set(
            Ticket.with_context(active_test=False)
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
                    "flow_id": flow.id,
                    "schedule_id": self.id,
                    "schedule_period": period,
                    "schedule_target": key,
                    **target_vals,
                }
            )
        # the schedule and period of a ticket are the engine's to set
        tickets = Ticket._engine().create(vals_list).with_env(self.env)
        if flow:
            tickets.action_start_flow()
        else:
            tickets.action_open()
        return tickets

    def _run_due(self, now):
        """Create every period due by ``now``, oldest first; the tickets and the next
        run are written in the same transaction, so a rerun after a crash does not
        create them again (and the tickets' unique key would refuse it)."""
        self.ensure_one()
        while self.next_run <= now:
            self._run_period(self.next_run)
            self.next_run = self.next_run + self._delta()
        if self.last_error:
            self._engine().last_error = False

    def _record_error(self, error):
        self.ensure_one()
        message = str(error) or repr(error)
        _logger.info("Recurring dispatch %s (id %s) skipped: %s", self.name, self.id, message)
        if message != self.last_error:
            self._engine().last_error = message
            self.message_post(body=self.env._("No tickets were created: %(error)s", error=message))

    @api.model
    def _cron_run_due(self):
        now = fields.Datetime.now()
        schedules = self.search([("next_run", "<=", now)])
        for schedule in schedules:
            try:
                # a schedule that fails undoes only its own work and is skipped
                with self.env.cr.savepoint():
                    schedule._run_due(now)
            except psycopg2.OperationalError:
                # a concurrent transaction: Odoo runs the whole cron again
                raise
            except Exception as error:  # any error of one schedule is its own
                schedule._record_error(error)
        self.env["ir.cron"]._notify_progress(done=len(schedules), remaining=0)
