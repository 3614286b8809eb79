from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.sql import column_exists, create_column, table_exists

from .crossdept_ticket_step import OPEN_STATES
from .crossdept_ticket_step_effort import MANAGING_ROLES


class CrossdeptTicketStep(models.Model):
    """Effort on a step: the lines people log by hand or with the timer, and
    their total (the step's touch time)."""

    _inherit = "crossdept.ticket.step"

    effort_ids = fields.One2many(
        "crossdept.ticket.step.effort",
        "step_id",
        groups="crossdept_ticket.group_crossdept_ticket_user",
    )
    effort_hours = fields.Float(
        "Logged Hours",
        compute="_compute_effort_hours",
        store=True,
        help="The effort logged on the step, running timers left out.",
    )
    can_log_effort = fields.Boolean(
        compute="_compute_can_log_effort",
        help="Whether the current user may log effort on the step now.",
    )
    effort_timer_running = fields.Boolean(
        compute="_compute_can_log_effort",
        help="Whether the current user's timer runs on this step.",
    )

    def _auto_init(self):
        # no effort was logged before the column: on an upgrade, create it empty
        # (null reads 0) rather than have the ORM compute it for every step of a
        # large database (a new install creates the table with it)
        if table_exists(self.env.cr, "crossdept_ticket_step") and not column_exists(
            self.env.cr, "crossdept_ticket_step", "effort_hours"
        ):
            create_column(self.env.cr, "crossdept_ticket_step", "effort_hours", "float8")
        return super()._auto_init()

    @api.depends("effort_ids.duration", "effort_ids.timer_start")
    def _compute_effort_hours(self):
        # one read of the lines of every step (stored: computed as superuser)
        for step in self:
            step.effort_hours = sum(
                step.effort_ids.filtered(lambda line: not line.timer_start).mapped("duration")
            )

    @api.depends_context("uid")
    @api.depends("state", "user_id", "responsible_ids", "approver_ids", "department_id")
    def _compute_can_log_effort(self):
        user = self.env.user
        running = (
            self.env["crossdept.ticket.step.effort"]
            .search([("user_id", "=", user.id), ("timer_start", "!=", False)])
            .step_id
        )
        for step in self:
            step.can_log_effort = step.state in (*OPEN_STATES, "done", "rejected") and (
                step._may_log_effort(user)
            )
            step.effort_timer_running = step in running

    def _engine_fields(self):
        # effort lines are people's own, checked by their model
        fields_ = super()._engine_fields()
        fields_.pop("effort_ids", None)
        return fields_

    def _may_log_effort(self, user):
        """Whether ``user`` may work on the step and so log effort on it: its
        assignee and Responsible holders, its approvers, the members of its
        department and the ticket's managers."""
        self.ensure_one()
        if self._is_worker(user) or user in self.approver_ids:
            return True
        # who belongs to the step's department is no secret to its ticket's readers
        if user in self.department_id.sudo().member_ids.user_id:
            return True
        return bool(MANAGING_ROLES & self.ticket_id._crossdept_roles(user))

    def action_start_timer(self):
        """Start the current user's timer on the step (one running timer each)."""
        self.ensure_one()
        Effort = self.env["crossdept.ticket.step.effort"]
        # who may not log effort on the step is told so first
        Effort._check_loggable(self, self.env.user)
        if self.state not in OPEN_STATES:
            raise UserError(
                self.env._(
                    "Step %(step)s is %(state)s: a timer runs on a step that is ready or "
                    "in progress.",
                    step=self.display_name,
                    state=self._state_label(),
                )
            )
        Effort._engine().create({"step_id": self.id, "timer_start": fields.Datetime.now()})
        return True

    def action_stop_timer(self):
        """Stop the current user's timer on the step; its line gets the time."""
        self.ensure_one()
        running = self.env["crossdept.ticket.step.effort"].search(
            [
                ("step_id", "=", self.id),
                ("user_id", "=", self.env.uid),
                ("timer_start", "!=", False),
            ]
        )
        if not running:
            raise UserError(
                self.env._("You have no timer running on step %(step)s.", step=self.display_name)
            )
        running._stop_timer(fields.Datetime.now())
        return True
