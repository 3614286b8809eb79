from collections import defaultdict
from datetime import timedelta

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

# share of the SLA after which a running step is at risk
AT_RISK_RATIO = 0.8


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
    # Approvals
    # ------------------------------------------------------------------

    def _decide(self, decision, reason=None):
        self.ensure_one()
        self._check_ticket_running()
        user = self.env.user
        if self.kind != "approval" or self.state not in ("ready", "in_progress"):
            raise UserError(
                self.env._("Step %(step)s is not waiting for approval.", step=self.display_name)
            )
        if user not in self.approver_ids:
            raise UserError(
                self.env._(
                    "Only an approver of step %(step)s can approve or reject it.",
                    step=self.display_name,
                )
            )
        if decision == "reject" and not (reason or "").strip():
            raise UserError(self.env._("A rejection needs a reason."))
        # Serialize concurrent decisions on the same step by updating its row: a
        # second decision waits for the first, then fails with a serialization
        # error that Odoo retries (RPC and HTTP requests do), and the retry sees the
        # first decision. A plain row lock is not enough under repeatable read: two
        # decisions could commit without either seeing the other.
        self.env.cr.execute(
            SQL(
                "UPDATE crossdept_ticket_step SET write_date = (now() at time zone 'UTC') "
                "WHERE id = %s",
                self.id,
            ),
            log_exceptions=False,
        )
        self.invalidate_recordset(["state", "decision_ids", "write_date"])
        if self.state not in ("ready", "in_progress"):
            raise UserError(
                self.env._(
                    "Step %(step)s was decided meanwhile; it is now %(state)s.",
                    step=self.display_name,
                    state=dict(STEP_STATES)[self.state],
                )
            )
        if user in self.decision_ids.user_id:
            raise UserError(
                self.env._("You already decided on step %(step)s.", step=self.display_name)
            )
        self.env["crossdept.ticket.step.decision"].sudo().create(
            {"step_id": self.id, "user_id": user.id, "decision": decision, "reason": reason}
        )
        if self.state == "ready":
            self.write({"state": "in_progress", "date_started": fields.Datetime.now()})
        self._log_step_events(
            "step_approve" if decision == "approve" else "step_reject", reason=reason
        )
        outcome = self._policy_outcome()
        if outcome == "approved":
            self._set_done()
        elif outcome == "rejected":
            self._apply_rejection(reason)
        return True

    def _policy_outcome(self):
        """'approved', 'rejected' or None (still open) under the step's policy."""
        self.ensure_one()
        policy = self.flow_step_id
        total = len(self.approver_ids)
        approvals = len(self.decision_ids.filtered(lambda d: d.decision == "approve"))
        rejections = len(self.decision_ids.filtered(lambda d: d.decision == "reject"))
        if policy.approval_policy == "all":
            needed = total
        elif policy.approval_policy == "any":
            needed = 1
        elif policy.approval_policy == "count":
            needed = min(policy.approval_min_count, total)
        else:
            needed = -(-total * policy.approval_min_percent // 100)  # ceiling
        needed = max(int(needed), 1)
        if approvals >= needed:
            return "approved"
        if total - rejections < needed:
            return "rejected"
        return None

    def _apply_rejection(self, reason):
        self.ensure_one()
        self.write(
            {"state": "rejected", "date_done": fields.Datetime.now(), "date_escalation_due": False}
        )
        ticket = self.ticket_id
        flow_step = self.flow_step_id
        if flow_step.reject_action == "return" and flow_step.reject_return_step_id:
            target = ticket.step_ids.filtered(
                lambda step: step.flow_step_id == flow_step.reject_return_step_id
            )
            downstream = target._successors_closure()
            downstream.decision_ids.sudo().unlink()
            downstream.filtered(lambda step: step.deliverable_ids).deliverable_ids.write(
                {"done": False}
            )
            downstream.write(
                {
                    "state": "pending",
                    "date_ready": False,
                    "date_started": False,
                    "date_done": False,
                    "date_deadline": False,
                    "sla_status": False,
                    "skip_reason": False,
                    "escalation_level": "0",
                    "date_escalation_due": False,
                }
            )
            self._log_step_events("step_return", reason=reason, to_step=target)
            ticket._activate_steps()
        else:
            ticket.with_context(crossdept_reason=reason).action_cancel()

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

    def _plan_deadline(self, start):
        self.ensure_one()
        if not self.calendar_id:
            return start + timedelta(hours=self.sla_hours)
        return self.calendar_id.plan_hours(
            self.sla_hours, start, compute_leaves=True, resource=self._resource()
        )

    def _resource(self):
        employee = self.user_id.employee_ids[:1]
        return employee.resource_id

    def _pause(self, now):
        self.write({"date_paused": now, "date_escalation_due": False})

    def _resume(self, now):
        """Move each deadline by the working time the step spent paused."""
        for step in self.filtered("date_paused"):
            vals = {"date_paused": False}
            if step.date_deadline and step.calendar_id:
                remaining = (
                    step.calendar_id.get_work_hours_count(
                        max(step.date_paused, step.date_ready or step.date_paused),
                        step.date_deadline,
                        compute_leaves=True,
                    )
                    if step.date_deadline > step.date_paused
                    else 0.0
                )
                vals["date_deadline"] = step.calendar_id.plan_hours(
                    remaining, now, compute_leaves=True, resource=step._resource()
                )
            elif step.date_deadline:
                vals["date_deadline"] = step.date_deadline + (now - step.date_paused)
            step.write(vals)
        self._schedule_escalation()

    def _update_sla_status(self, now=None):
        """Store on track / at risk / breached for running steps."""
        now = now or fields.Datetime.now()
        by_status = {"on_track": self.browse(), "at_risk": self.browse(), "breached": self.browse()}
        for step in self.filtered(
            lambda s: s.state in ("ready", "in_progress") and s.date_deadline and not s.date_paused
        ):
            if now > step.date_deadline:
                status = "breached"
            else:
                total = (step.date_deadline - step.date_ready).total_seconds()
                elapsed = (now - step.date_ready).total_seconds()
                status = "at_risk" if total and elapsed / total >= AT_RISK_RATIO else "on_track"
            if step.sla_status != status:
                by_status[status] |= step
        for status, steps in by_status.items():
            if steps:
                steps.write({"sla_status": status})

    @api.model
    def _cron_update_sla_status(self, batch_size=5000):
        steps = self.search(
            [("state", "in", ("ready", "in_progress")), ("date_paused", "=", False)],
            limit=batch_size,
            order="date_deadline",
        )
        steps._update_sla_status()

    # ------------------------------------------------------------------
    # Automation (server actions usable in automation rules)
    # ------------------------------------------------------------------

    def _action_auto_assign(self):
        self.env["crossdept.dispatcher"]._assign(
            self.filtered(lambda s: s.kind == "task" and s.state in ("ready", "in_progress"))
        )

    def _action_escalate(self):
        self.filtered(lambda s: s.state in ("ready", "in_progress"))._escalate(
            fields.Datetime.now()
        )

    def _notify_assignee(self):
        """Give the assignee of a ready step an activity on the ticket, due at the
        step's deadline. Automation rules run their action once per record, so the
        steps are collected here and their activities created at once before commit."""
        pending = self.env.cr.precommit.data.setdefault("crossdept.notify_assignee", set())
        if not pending:
            self.env.cr.precommit.add(self._create_assignee_activities)
        pending.update(self.ids)

    @api.model
    def _create_assignee_activities(self):
        ids = self.env.cr.precommit.data.pop("crossdept.notify_assignee", set())
        steps = self.sudo().browse(sorted(ids)).exists()
        steps = steps.filtered(lambda s: s.user_id and s.state == "ready")
        if not steps:
            return
        self.env["crossdept.ticket"]._schedule_activities_batch(
            [
                (
                    step.ticket_id,
                    step.user_id,
                    self.env._("Step %(step)s is yours", step=step.name),
                    (step.date_deadline or fields.Datetime.now()).date(),
                )
                for step in steps
            ]
        )

    # ------------------------------------------------------------------
    # Escalation
    # ------------------------------------------------------------------

    def _schedule_escalation(self, rules=None):
        """Store when each open step's next escalation is due under its rule."""
        Rule = self.env["crossdept.escalation.rule"]
        rules = Rule._rules_by_scope() if rules is None else rules
        by_due = defaultdict(lambda: self.browse())
        for step in self:
            rule = Rule._rule_for(step, rules)
            due = False
            if (
                rule
                and step.state in ("ready", "in_progress")
                and step.date_deadline
                and step.date_ready
                and not step.date_paused
            ):
                due = rule._next_due(step, step.escalation_level)
            if due != step.date_escalation_due:
                by_due[due] |= step
        for due, steps in by_due.items():
            steps.write({"date_escalation_due": due})

    @api.model
    def _cron_escalate(self, batch_size=500):
        """Apply the escalations that are due, a batch per run (Odoo runs the cron
        again while some remain). Each action raises the step's stored level and
        moves its next due date in the same transaction, so a second run, or a run
        resumed after a crash, never repeats an escalation."""
        now = fields.Datetime.now()
        domain = [
            ("date_escalation_due", "<=", now),
            ("state", "in", ("ready", "in_progress")),
            ("date_paused", "=", False),
        ]
        steps = self.sudo().search(domain, order="date_escalation_due, id", limit=batch_size)
        remaining = self.sudo().search_count(domain) - len(steps)
        steps._escalate(now)
        self.env["ir.cron"]._notify_progress(done=len(steps), remaining=remaining)
        return len(steps)

    def _escalate(self, now):
        Rule = self.env["crossdept.escalation.rule"]
        rules = Rule._rules_by_scope()
        events, notices = [], []
        for step in self:
            rule = Rule._rule_for(step, rules)
            if not rule:
                continue
            level = step.escalation_level
            if level == "0" and now < step.date_deadline:
                users, summary, label = step._escalation_warn()
                new_level = "1"
            elif level in ("0", "1"):
                users, summary, label = step._escalation_level1(rule)
                new_level = "2"
            elif level == "2":
                users, summary, label = step._escalation_level2()
                new_level = "3"
            else:
                continue
            step.escalation_level = new_level
            events.append(step._escalation_event(label, users))
            notices.append((step, users, summary))
        self._schedule_escalation(rules)
        self.env["crossdept.ticket"]._log_events(events)
        self._post_escalation_notices(notices)

    def _escalation_event(self, level_label, users):
        return {
            "ticket_id": self.ticket_id.id,
            "company_id": self.company_id.id,
            "step_id": self.id,
            "event_type": "escalation",
            "to_state": self.escalation_level,
            "to_user_id": self.user_id.id,
            "to_department_id": self.department_id.id,
            "reason": self.env._(
                "%(level)s: %(step)s, due %(deadline)s; notified %(users)s.",
                level=level_label,
                step=self.name,
                deadline=self.date_deadline,
                users=", ".join(users.mapped("name")) or "-",
            ),
        }

    @api.model
    def _post_escalation_notices(self, notices):
        """One activity per person told and a note in each ticket's chatter, created
        for the whole batch at once (the activity shows in the person's to-do list)."""
        if not notices:
            return
        today = fields.Date.context_today(self)
        self.env["crossdept.ticket"]._schedule_activities_batch(
            [
                (step.ticket_id, user, summary, today)
                for step, users, summary in notices
                for user in users
            ]
        )
        tickets = self.env["crossdept.ticket"].browse(
            [step.ticket_id.id for step, _users, _summary in notices]
        )
        tickets._message_log_batch(
            bodies={step.ticket_id.id: summary for step, _users, summary in notices}
        )

    def _escalation_warn(self):
        users = self.user_id | self.responsible_ids | self.accountable_id
        summary = self.env._(
            "Step %(step)s is close to its deadline (%(deadline)s).",
            step=self.name,
            deadline=self.date_deadline,
        )
        return users, summary, self.env._("Warning")

    def _escalation_level1(self, rule):
        manager = self.department_id.manager_id.user_id
        users = self.accountable_id | manager
        summary = self.env._(
            "Step %(step)s missed its deadline (%(deadline)s).",
            step=self.name,
            deadline=self.date_deadline,
        )
        target = self.env["res.users"]
        if rule.level1_reassign == "manager":
            target = manager
        elif rule.level1_reassign == "expert":
            target = (
                self.department_id.crossdept_expert_user_ids
                | self.ticket_id.type_id.expert_user_ids
            )[:1]
        if target and target != self.user_id:
            self.with_context(crossdept_reason=summary).user_id = target
        if rule.level1_raise_priority and self.ticket_id.priority != "3":
            self.ticket_id.priority = str(int(self.ticket_id.priority) + 1)
        return users, summary, self.env._("Escalation level 1")

    def _escalation_level2(self):
        manager_employee = self.department_id.manager_id
        users = (
            manager_employee.parent_id.user_id or self.department_id.parent_id.manager_id.user_id
        )
        summary = self.env._(
            "Step %(step)s is still overdue since %(deadline)s.",
            step=self.name,
            deadline=self.date_deadline,
        )
        return users, summary, self.env._("Escalation level 2")

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
