from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .crossdept_escalation_rule import LEVELS

STEP_STATES = [
    ("pending", "Pending"),
    ("ready", "Ready"),
    ("in_progress", "In Progress"),
    ("done", "Done"),
    ("skipped", "Skipped"),
    ("rejected", "Rejected"),
]

SLA_STATUSES = [
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("breached", "Breached"),
]


class CrossdeptTicketStep(models.Model):
    _name = "crossdept.ticket.step"
    _description = "Ticket Step"
    _order = "ticket_id, sequence, id"

    ticket_id = fields.Many2one(
        "crossdept.ticket", required=True, ondelete="cascade", index=True, readonly=True
    )
    flow_step_id = fields.Many2one("crossdept.flow.step", required=True, readonly=True, index=True)
    company_id = fields.Many2one(related="ticket_id.company_id", store=True, index=True)
    name = fields.Char(required=True, readonly=True)
    sequence = fields.Integer(readonly=True)
    kind = fields.Selection(related="flow_step_id.kind", store=True)
    priority = fields.Selection(related="ticket_id.priority", store=True)
    state = fields.Selection(
        STEP_STATES, default="pending", required=True, readonly=True, index=True
    )
    department_id = fields.Many2one("hr.department", index=True)
    user_id = fields.Many2one("res.users", "Assignee", index=True)
    responsible_ids = fields.Many2many(
        "res.users",
        "crossdept_ticket_step_responsible_rel",
        "step_id",
        "user_id",
        string="Responsible Holders",
        readonly=True,
    )
    accountable_id = fields.Many2one("res.users", readonly=True)
    approver_ids = fields.Many2many(
        "res.users",
        "crossdept_ticket_step_approver_rel",
        "step_id",
        "user_id",
        string="Approvers",
        readonly=True,
    )
    decision_ids = fields.One2many(
        "crossdept.ticket.step.decision", "step_id", "Decisions", readonly=True
    )
    predecessor_ids = fields.Many2many(
        "crossdept.ticket.step",
        "crossdept_ticket_step_predecessor_rel",
        "step_id",
        "predecessor_id",
        string="Predecessors",
        readonly=True,
    )
    deliverable_ids = fields.One2many(
        "crossdept.ticket.step.deliverable", "step_id", "Deliverables"
    )
    calendar_id = fields.Many2one("resource.calendar", readonly=True)
    sla_hours = fields.Float("SLA (working hours)", readonly=True)
    date_ready = fields.Datetime("Ready on", readonly=True)
    date_started = fields.Datetime("Started on", readonly=True)
    date_done = fields.Datetime("Finished on", readonly=True)
    date_deadline = fields.Datetime("Deadline", readonly=True, index=True)
    date_paused = fields.Datetime("Paused since", readonly=True)
    sla_status = fields.Selection(SLA_STATUSES, readonly=True, index=True)
    skip_reason = fields.Char(readonly=True)
    escalation_level = fields.Selection(
        LEVELS, default="0", required=True, readonly=True, copy=False
    )
    date_escalation_due = fields.Datetime(
        "Next Escalation", readonly=True, copy=False, index="btree_not_null"
    )
    assignment_explanation = fields.Text(
        "Why this assignee", readonly=True, help="How automatic dispatch chose the assignee."
    )
    portal_visible = fields.Boolean(
        "Visible to Customer",
        readonly=True,
        help="The customer of the ticket follows this step on the portal.",
    )
    can_act = fields.Boolean(compute="_compute_can_act")
    can_decide = fields.Boolean(compute="_compute_can_act")

    def init(self):
        # "my steps" and the SLA cron look for open steps by state and deadline
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crossdept_ticket_step_open_deadline_idx "
                "ON crossdept_ticket_step (date_deadline) "
                "WHERE state IN ('ready', 'in_progress')"
            )
        )

    @api.depends_context("uid")
    @api.depends("user_id", "responsible_ids", "approver_ids", "decision_ids", "state")
    def _compute_can_act(self):
        user = self.env.user
        for step in self:
            open_step = step.state in ("ready", "in_progress")
            step.can_act = open_step and step.kind == "task" and step._is_worker(user)
            step.can_decide = (
                open_step
                and step.kind == "approval"
                and user in step.approver_ids
                and user not in step.decision_ids.user_id
            )

    def _is_worker(self, user):
        return user == self.user_id or user in self.responsible_ids

    # ------------------------------------------------------------------
    # Actions (buttons)
    # ------------------------------------------------------------------

    def action_start(self):
        for step in self:
            step._check_can_work("start")
            if step.state != "ready":
                raise UserError(
                    self.env._("Step %(step)s is not ready to start.", step=step.display_name)
                )
        self.write({"state": "in_progress", "date_started": fields.Datetime.now()})
        self._log_step_events("step_start")
        return True

    def action_finish(self):
        for step in self:
            step._check_can_work("finish")
            if step.state != "in_progress":
                raise UserError(
                    self.env._("Step %(step)s has not been started.", step=step.display_name)
                )
            step._check_completion()
        self._set_done()
        return True

    def action_approve(self):
        return self._decide("approve")

    def action_reject_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject"),
            "res_model": "crossdept.ticket.step.reject",
            "view_mode": "form",
            "target": "new",
            "context": {"default_step_id": self.id},
        }

    def action_reject(self, reason):
        return self._decide("reject", reason)

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------

    def _check_ticket_running(self):
        for step in self:
            if step.ticket_id.state != "in_progress":
                raise UserError(
                    self.env._(
                        "Ticket %(ticket)s is not in progress: its steps wait until it is.",
                        ticket=step.ticket_id.display_name,
                    )
                )

    def _check_can_work(self, what):
        self.ensure_one()
        self._check_ticket_running()
        if self.kind != "task":
            raise UserError(
                self.env._(
                    "Step %(step)s is an approval: approve or reject it.", step=self.display_name
                )
            )
        if not self.env.su and not self._is_worker(self.env.user):
            raise UserError(
                self.env._(
                    "Only the assignee or a Responsible of step %(step)s can %(what)s it.",
                    step=self.display_name,
                    what=what,
                )
            )

    def _check_completion(self):
        """Raise a UserError listing the missing inputs and deliverables."""
        self.ensure_one()
        ticket = self.ticket_id
        missing = []
        # field definitions are technical metadata that plain users cannot read
        for field in self.flow_step_id.sudo().required_field_ids:
            if not ticket[field.name]:
                missing.append(self.env._("input: %(field)s", field=field.field_description))
        if self.flow_step_id.require_attachment and not self.env["ir.attachment"].search_count(
            [("res_model", "=", "crossdept.ticket"), ("res_id", "=", ticket.id)], limit=1
        ):
            missing.append(self.env._("input: an attachment on the ticket"))
        for deliverable in self.deliverable_ids.filtered(lambda line: not line.done):
            missing.append(self.env._("deliverable: %(name)s", name=deliverable.name))
        if missing:
            listing = "\n".join(f"- {item}" for item in missing)
            raise UserError(
                self.env._(
                    "Step %(step)s cannot be finished yet. Missing:\n%(missing)s",
                    step=self.display_name,
                    missing=listing,
                )
            )

    # ------------------------------------------------------------------
    # Flow progress
    # ------------------------------------------------------------------

    def _successors(self):
        return self.ticket_id.step_ids.filtered(lambda step: step.predecessor_ids & self)

    def _successors_closure(self):
        seen = frontier = self
        while frontier:
            frontier = frontier._successors() - seen
            seen |= frontier
        return seen

    def _set_done(self):
        now = fields.Datetime.now()
        for step in self:
            step.write(
                {
                    "state": "done",
                    "date_done": now,
                    "date_escalation_due": False,
                    "sla_status": "breached"
                    if step.date_deadline and now > step.date_deadline
                    else "on_track",
                }
            )
        self._log_step_events("step_done")
        self.ticket_id._activate_steps()

    def _make_ready(self, now):
        """Pending steps whose predecessors are finished become ready, with their
        deadline planned on their calendar; the caller checked skip conditions.
        Steps sharing calendar, resource and SLA share one planning and one write."""
        deadlines = {}
        by_deadline = defaultdict(lambda: self.browse())
        for step in self:
            key = (step.calendar_id, step._resource(), step.sla_hours)
            if key not in deadlines:
                deadlines[key] = step._plan_deadline(now)
            by_deadline[deadlines[key]] |= step
        for deadline, steps in by_deadline.items():
            steps.write(
                {
                    "state": "ready",
                    "date_ready": now,
                    "date_deadline": deadline,
                    "sla_status": "on_track",
                }
            )
        self._log_step_events("step_ready")
        self._schedule_escalation()
        self.env["crossdept.dispatcher"]._assign(
            self.filtered(
                lambda s: (
                    s.kind == "task" and s.flow_step_id.assignment == "auto" and s.department_id
                )
            )
        )

    def _log_step_events(self, event_type, reason=None, to_step=None):
        self.ticket_id._log_events(
            [
                {
                    "ticket_id": step.ticket_id.id,
                    "step_id": step.id,
                    "event_type": event_type,
                    "to_state": to_step.state if to_step else step.state,
                    "to_user_id": step.user_id.id,
                    "to_department_id": step.department_id.id,
                    "reason": reason or step.skip_reason or False,
                }
                for step in self
            ]
        )

    def write(self, vals):
        if "user_id" in vals or "department_id" in vals:
            if (
                vals.get("user_id")
                and not self.env.context.get("crossdept_reason")
                and not self.env.context.get("crossdept_assignment_logged")
            ):
                for step in self:
                    if step.user_id and step.user_id.id != vals["user_id"]:
                        raise UserError(
                            self.env._(
                                "Reassigning step %(step)s needs a reason.",
                                step=step.display_name,
                            )
                        )
            before = {step.id: (step.user_id, step.department_id) for step in self}
            res = super().write(vals)
            self._log_reassignments(before)
            return res
        return super().write(vals)

    def _log_reassignments(self, before):
        if self.env.context.get("crossdept_assignment_logged"):
            return
        events = []
        for step in self:
            old_user, old_department = before[step.id]
            if (old_user, old_department) == (step.user_id, step.department_id):
                continue
            moved = bool(old_user) and old_user != step.user_id
            events.append(
                {
                    "ticket_id": step.ticket_id.id,
                    "step_id": step.id,
                    "event_type": "transfer" if moved else "assign",
                    "from_user_id": old_user.id,
                    "to_user_id": step.user_id.id,
                    "from_department_id": old_department.id,
                    "to_department_id": step.department_id.id,
                }
            )
        if events:
            self.ticket_id._log_events(events)

    @api.depends("name", "ticket_id.name")
    def _compute_display_name(self):
        for step in self:
            step.display_name = f"{step.ticket_id.name} / {step.name}"
