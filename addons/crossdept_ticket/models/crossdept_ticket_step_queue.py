from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import calendar as work_calendar
from ..tools import dispatch


class CrossdeptTicketStep(models.Model):
    """The department queue (ready task steps without an assignee, where dispatch puts
    the steps nobody can take now) and the explanation of each dispatch choice."""

    _inherit = "crossdept.ticket.step"

    assignment_data = fields.Json(
        "Dispatch Choice",
        readonly=True,
        copy=False,
        help="How the assignee was chosen, as data: method, score, runners-up, exclusions.",
    )
    # the explanation is rendered from the data in the reader's language
    assignment_explanation = fields.Text(compute="_compute_assignment_explanation")
    can_take = fields.Boolean(compute="_compute_can_take")

    @api.depends_context("lang")
    @api.depends("assignment_data")
    def _compute_assignment_explanation(self):
        texts = dispatch.render_explanations(self.env, self.mapped("assignment_data"))
        for step, text in zip(self, texts, strict=True):
            step.assignment_explanation = text

    @api.depends_context("uid")
    @api.depends("state", "kind", "user_id", "department_id")
    def _compute_can_take(self):
        departments = self._user_departments()
        for step in self:
            step.can_take = step._is_queued() and step.department_id in departments

    def _engine_fields(self):
        return {
            **super()._engine_fields(),
            "assignment_data": self.env._(
                "automatic dispatch, Assign or Transfer, or Take from the department queue"
            ),
        }

    @api.model
    def _queue_domain(self):
        return [
            ("state", "=", "ready"),
            ("kind", "=", "task"),
            ("user_id", "=", False),
            ("department_id", "!=", False),
        ]

    def _is_queued(self):
        self.ensure_one()
        return bool(self.filtered_domain(self._queue_domain()))

    @api.model
    def _user_departments(self):
        # which departments the user belongs to is HR data; only the user's own is read
        return self.env["hr.employee"].sudo().search([("user_id", "=", self.env.uid)]).department_id

    def action_take(self):
        """The current user, a member of the step's department, takes queued steps."""
        if not self:
            return True
        # two members taking the same step at once: the second waits for the first's
        # row lock, then fails to serialize, and Odoo's retry finds the step taken
        self.env.cr.execute(
            SQL(
                "SELECT id FROM crossdept_ticket_step WHERE id IN %s FOR NO KEY UPDATE",
                tuple(self.ids),
            ),
            log_exceptions=False,
        )
        self.invalidate_recordset(["state", "user_id"])
        user = self.env.user
        departments = self._user_departments()
        # a step taken meanwhile has left the queue rule: read it as it is now (sudo) to
        # tell the user who has it; the write below is checked as the user
        for step in self.sudo():
            if step.department_id not in departments:
                raise UserError(
                    self.env._(
                        "Only members of %(department)s can take step %(step)s.",
                        department=step.department_id.display_name or "-",
                        step=step.display_name,
                    )
                )
            if not step._is_queued():
                raise UserError(
                    self.env._(
                        "Step %(step)s is not waiting in the department queue (%(holder)s).",
                        step=step.display_name,
                        holder=step.user_id.name
                        or dict(step._fields["state"]._description_selection(self.env))[step.state],
                    )
                )
        reason = self.env._("Taken from the department queue by %(user)s.", user=user.name)
        self._hold(user, {"outcome": "taken", "user_id": user.id}, reason)
        return True

    def _hold_on_start(self):
        """Whoever starts a step without an assignee (a Responsible, from the queue
        or not) holds it from then on, as if they had taken it: rework comes back to
        them, not to the queue."""
        user = self.env.user
        steps = self.filtered(lambda s: s.kind == "task" and not s.user_id)
        if not steps or user._is_superuser():
            return
        reason = self.env._("%(user)s started the step and holds it.", user=user.name)
        steps._hold(user, {"outcome": "started", "user_id": user.id}, reason)

    def _hold(self, user, data, reason):
        """Give the steps to ``user``, who took or started them: the assignee, the
        dispatch choice ``data`` and an assignment event with ``reason``."""
        self._engine().with_context(crossdept_assignment_logged=True).write(
            {"user_id": user.id, "assignment_data": data}
        )
        self.ticket_id._log_events(
            [
                {
                    "ticket_id": step.ticket_id.id,
                    "step_id": step.id,
                    "event_type": "assign",
                    "to_user_id": user.id,
                    "to_department_id": step.department_id.id,
                    "reason": reason,
                }
                for step in self
            ]
        )
        self._replan_deadline()
        # the queue's to-dos go for everyone: the step is the holder's now
        self._close_activities()
        self._schedule_holder_activities()
        self.ticket_id._sync_current_step()

    def _schedule_holder_activities(self):
        res = super()._schedule_holder_activities()
        self._schedule_queue_activities()
        return res

    def _schedule_queue_activities(self):
        """Each member of a queued step's department, who could take it, gets a to-do
        for it, removed for all when one of them takes it (or dispatch assigns it):
        the queue shows in their activities, not only in the queue's list."""
        queued = self.filtered_domain(self._queue_domain())
        if not queued:
            return
        # who belongs to a department is HR data the person moving the step may not
        # read; it is read for the to-dos only
        employees = (
            self.env["hr.employee"]
            .sudo()
            .search(
                [
                    ("department_id", "in", queued.department_id.ids),
                    ("user_id", "!=", False),
                    ("user_id.share", "=", False),
                ]
            )
        )
        members = defaultdict(lambda: self.env["res.users"])
        for employee in employees:
            members[employee.department_id.id] |= employee.user_id
        self.with_context(crossdept_queue_todo=True)._schedule_activities_batch(
            [
                (
                    step,
                    members[step.department_id.id],
                    self.env._(
                        "Take from the %(department)s queue: %(step)s",
                        department=step.department_id.name,
                        step=step.name,
                    ),
                    False,
                )
                for step in queued
                if members[step.department_id.id]
            ]
        )

    @api.model
    def _cron_dispatch_queue(self, batch_size=500):
        """Dispatch the queued steps of departments where someone works now, the most
        urgent first, a batch per run."""
        domain = self._queue_domain()
        queued = [dept for (dept,) in self._read_group(domain, ["department_id"])]
        if not queued:
            return 0
        Dispatcher = self.env["crossdept.dispatcher"]
        members = self.env["hr.employee"].search(
            [
                ("department_id", "in", [dept.id for dept in queued]),
                ("user_id", "!=", False),
            ]
        )
        presence = Dispatcher._presence(members)
        open_departments = members.filtered(
            lambda e: presence[e.id] == work_calendar.WORKING
        ).department_id
        domain += [("department_id", "in", open_departments.ids)]
        steps = self.search(domain, order="priority desc, date_ready, id", limit=batch_size)
        remaining = self.search_count(domain) - len(steps) if len(steps) == batch_size else 0
        assigned = Dispatcher._assign(steps, from_queue=True)
        # dispatch removed the queue's to-dos: the assignee gets theirs
        assigned._schedule_holder_activities()
        self.env["ir.cron"]._notify_progress(
            done=len(assigned), remaining=remaining if assigned else 0
        )
        return len(assigned)
