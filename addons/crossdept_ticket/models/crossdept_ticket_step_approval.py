from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..tools.approval import needed_approvals
from ..tools.graph import ancestors
from .crossdept_ticket_step import OPEN_STATES

# who may add approvers to a step (besides the engine): see the ticket's roles
APPROVER_EDITORS = {"accountable", "manager", "admin"}


class CrossdeptTicketStep(models.Model):
    """Approval steps: the approval gate (crossdept.approval.mixin) with the step's
    approvers, its flow step's policy, and a rejection that returns the ticket to an
    earlier step or cancels it."""

    _inherit = "crossdept.ticket.step"

    # a step a refusal sent back: by whom, from which step and why (from the log)
    is_returned = fields.Boolean(compute="_compute_returned")
    returned_by_id = fields.Many2one("res.users", compute="_compute_returned")
    returned_from_step_id = fields.Many2one(
        "crossdept.ticket.step", "Returned From", compute="_compute_returned"
    )
    return_reason = fields.Text("Why Returned", compute="_compute_returned")

    @api.depends("state", "date_ready")
    def _compute_returned(self):
        """A step is returned from the last refusal that sent the work back to it
        until it is done again; read from the events of the whole batch at once."""
        # the reader reads these steps; why one came back is part of it (portal
        # customers reading a step have no access to the log itself)
        events = (
            self.env["crossdept.ticket.event"]
            .sudo()
            .search(
                [
                    "|",
                    "&",
                    ("event_type", "=", "step_return"),
                    ("target_step_id", "in", self.ids),
                    "&",
                    ("event_type", "=", "step_done"),
                    ("step_id", "in", self.ids),
                ],
                order="id",
            )
        )
        returns = {}
        for event in events:
            if event.event_type == "step_return":
                returns[event.target_step_id.id] = event
            else:
                returns.pop(event.step_id.id, None)
        for step in self:
            event = returns.get(step._origin.id)
            step.is_returned = bool(event)
            step.returned_by_id = event.actor_id.id if event else False
            step.returned_from_step_id = event.step_id.id if event else False
            step.return_reason = event.reason if event else False

    @api.depends_context("uid")
    @api.depends("approval_state", "state", "approver_ids", "decision_ids", "ticket_id.state")
    def _compute_can_decide(self):
        approvals = self.filtered(lambda s: s.kind == "approval")
        (self - approvals).can_decide = False
        return super(CrossdeptTicketStep, approvals)._compute_can_decide()

    # ------------------------------------------------------------------
    # Actions (buttons)
    # ------------------------------------------------------------------

    def action_approve(self, comment=None, attachment_ids=None):
        """Approve the steps, with a comment (审批意见) and files (ir.attachment ids
        the current user uploaded) where given; a step whose flow step requires a
        comment refuses an approval without one."""
        attachments = self._decision_attachments(attachment_ids)
        # the approver's to-dos (and those of a step the approval ends) close last, as
        # a finished step's do (see _set_done)
        # (and the to-dos the message of a step the approval ends records as done)
        noted = set()
        later = self.with_context(
            crossdept_todos_closed_later=tuple(self.ids), crossdept_todos_noted=noted
        )
        for step in later:
            step._check_approval_step()
            step._approval_decide("approve", comment, attachments=attachments)
        self.ticket_id._sync_current_step()
        ended = self.filtered(lambda s: s.state == "done")
        ended._close_activities(done=True, noted=self.env["mail.activity"].browse(noted))
        (self - ended)._close_activities(users=self.env.user, done=True)
        return True

    def action_reject(self, reason, return_step=None, attachment_ids=None):
        """Refuse the step; ``return_step`` (a step before it) overrides the earlier
        step its flow returns to."""
        self.ensure_one()
        self._check_approval_step()
        target = self.browse(return_step.id if hasattr(return_step, "id") else return_step)
        if target:
            self._check_return_target(target)
        res = self.with_context(crossdept_return_step_id=target.id)._approval_decide(
            "reject", reason, attachments=self._decision_attachments(attachment_ids)
        )
        self.ticket_id._sync_current_step()
        return res

    def action_reject_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Refuse"),
            "res_model": "crossdept.ticket.step.reject",
            "view_mode": "form",
            "target": "new",
            "context": {"default_step_id": self.id},
        }

    def action_add_approvers_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Add Approvers"),
            "res_model": "crossdept.ticket.step.approver",
            "view_mode": "form",
            "target": "new",
            "context": {"default_step_id": self.id},
        }

    def action_hand_over_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Hand Over (转交)"),
            "res_model": "crossdept.ticket.step.hand.over",
            "view_mode": "form",
            "target": "new",
            "context": {"default_step_id": self.id},
        }

    def action_hand_over(self, user, reason):
        """The current user, a pending approver of the step, hands their decision
        to a colleague (转交)."""
        self.ensure_one()
        self._check_approval_step()
        res = self._approval_hand_over(
            self.env["res.users"].browse(getattr(user, "id", user)), reason
        )
        self.ticket_id._sync_current_step()
        return res

    def action_add_approvers(self, users, reason):
        """Let more people decide the step (the Accountable, a manager of the ticket's
        departments or an administrator)."""
        self.ensure_one()
        self._check_approval_step()
        self._check_ticket_running()
        if not (self.env.su or self._is_engine()):
            ticket = self.ticket_id
            roles = ticket._crossdept_roles()
            if self.env.user == self.accountable_id:
                roles.add("accountable")
            if not roles & APPROVER_EDITORS:
                raise UserError(
                    self.env._(
                        "You cannot add approvers to step %(step)s: only %(who)s can.",
                        step=self.display_name,
                        who=ticket._role_labels(APPROVER_EDITORS),
                    )
                )
        self.ticket_id._lock()
        if self.state not in OPEN_STATES:
            raise UserError(
                self.env._(
                    "Step %(step)s is %(state)s: it needs no more approvers.",
                    step=self.display_name,
                    state=self._state_label(),
                )
            )
        return self._approval_add_approvers(users, reason)

    def _check_approval_step(self):
        if self.kind != "approval":
            raise UserError(
                self.env._("Step %(step)s is a task: start and finish it.", step=self.display_name)
            )

    def _approval_check_open(self):
        if self.approval_state == "pending":
            self._check_ticket_running()
        return super()._approval_check_open()

    # ------------------------------------------------------------------
    # The approval gate's hooks
    # ------------------------------------------------------------------

    def _approval_approvers(self):
        return self.approver_ids

    def _approval_needed(self, approvers):
        policy = self.flow_step_id
        return needed_approvals(
            policy.approval_policy,
            approvers,
            policy.approval_min_count,
            policy.approval_min_percent,
        )

    def _approval_requester(self):
        return self.ticket_id.requester_id

    def _approval_requester_may_decide(self):
        return self.flow_step_id.allow_requester_approval

    def _approval_is_open(self):
        return self.state in OPEN_STATES and self.ticket_id.state == "in_progress"

    def _approval_decisions(self):
        return {decision.user_id: decision.decision for decision in self.decision_ids}

    def _approval_lock(self):
        self._lock_tickets()

    def _approval_record(self, user, decision, reason, attachments=None):
        # decisions are written by the engine for the approver: users have no right
        # to create them, so the record of who decided what cannot be forged
        record = (
            self.env["crossdept.ticket.step.decision"]
            .sudo()
            ._engine()
            .create(
                {
                    "step_id": self.id,
                    # the step's company given: not computed again after the insert
                    "company_id": self.company_id.id,
                    "user_id": user.id,
                    "decision": decision,
                    "reason": reason,
                    "attachment_ids": [Command.set(attachments.ids)] if attachments else False,
                }
            )
        )
        if attachments:
            # the files now belong to the decision: whoever reads it reads them
            attachments.sudo().write(
                {"res_model": record._name, "res_id": record.id, "res_field": False}
            )
        # the new decision is in the step's cached decisions (the ORM adds a created
        # record to the cached one2many of its parent): they are not read again
        event = ("step_approve" if decision == "approve" else "step_reject", reason or False)
        if self.state == "ready":
            self._start(then=event)
        else:
            self._log_step_events(*event)
        if self.id not in self.env.context.get("crossdept_todos_closed_later", ()):
            self._close_activities(users=user, done=True)

    def _approval_archive_decisions(self):
        decisions = self.decision_ids
        if decisions:
            decisions.sudo()._engine().write({"active": False})
            self.invalidate_recordset(["decision_ids"])

    def _approval_store_approvers(self, users):
        self._engine().write({"approver_ids": [Command.link(user.id) for user in users]})

    def _on_approval_granted(self, user, reason):
        self._set_done()

    def _on_approval_refused(self, user, reason):
        target = self.browse(self.env.context.get("crossdept_return_step_id"))
        self._apply_rejection(reason, target)

    def _on_approval_blocked(self, message):
        """Nobody, or too few people, can decide: the step goes to the Accountable,
        who adds approvers; it never waits silently."""
        accountable = self.accountable_id or self.ticket_id.accountable_user_id
        self._engine().with_context(crossdept_assignment_logged=True).write(
            {"user_id": accountable.id}
        )
        self._log_step_events("approval_blocked", reason=message)
        self._schedule_activities(
            accountable,
            self.env._("Add approvers to %(step)s", step=self.name),
            note=message,
        )

    def _on_approval_added(self, users, reason):
        self.ticket_id._log_events(
            [
                {
                    "ticket_id": self.ticket_id.id,
                    "step_id": self.id,
                    "event_type": "approver_add",
                    "to_user_id": user.id,
                    "to_department_id": self.department_id.id,
                    "reason": reason,
                }
                for user in users
            ]
        )
        if self.state in OPEN_STATES:
            self._notify_approvers(users)
        self.ticket_id._sync_current_step()

    def _approval_replace_approver(self, old, new):
        self._engine().write({"approver_ids": [Command.unlink(old.id), Command.link(new.id)]})

    def _approval_colleague_refusal(self, user):
        refusal = super()._approval_colleague_refusal(user)
        if not refusal and not user.has_group("crossdept_ticket.group_crossdept_ticket_user"):
            refusal = self.env._("%(user)s has no access to CrossDept.", user=user.name)
        return refusal

    def _on_approval_handed_over(self, old, new, reason):
        self.ticket_id._log_events(
            [
                {
                    "ticket_id": self.ticket_id.id,
                    "step_id": self.id,
                    "event_type": "approver_hand_over",
                    "from_user_id": old.id,
                    "to_user_id": new.id,
                    "to_department_id": self.department_id.id,
                    "reason": reason,
                }
            ]
        )
        self._close_activities(users=old)
        self._notify_approvers(new)
        self.ticket_id.message_post(
            body=self.env._(
                "Approval of step %(step)s handed over from %(old)s to %(new)s: %(reason)s",
                step=self.name,
                old=old.name,
                new=new.name,
                reason=reason,
            ),
            subtype_xmlid="mail.mt_note",
        )

    def _approval_open(self):
        """A ready approval step asks its approvers, resolved now from its flow
        step's RACI (a department's manager may have changed since the ticket
        started), without the requester unless the step allows them."""
        for step in self:
            approvers = self.env["res.users"]
            for line in step.flow_step_id.raci_ids.filtered(lambda r: r.role == "responsible"):
                approvers |= line._resolve(step.ticket_id)
            step._engine().write({"approver_ids": [Command.set(approvers.ids)]})
        res = super()._approval_open()
        self._approval_take_prior_approvals()
        for step in self.filtered(lambda s: s.approval_state == "pending"):
            if not step._approval_blocked_message():
                step._notify_approvers(step._approval_waiting_approvers())
        return res

    # ------------------------------------------------------------------
    # Rejection
    # ------------------------------------------------------------------

    def _return_targets(self):
        """The steps a rejection of this step may return to: those before it on its
        paths (never a parallel step or a later one)."""
        self.ensure_one()
        graph = self._graph()
        return self.browse([s.id for s in ancestors([self], graph) if s != self])

    def _check_return_target(self, target):
        if target not in self._return_targets():
            raise UserError(
                self.env._(
                    "A refusal of step %(step)s can return to a step before it on its path "
                    "only, not to %(other)s.",
                    step=self.name,
                    other=target.name,
                )
            )

    def _apply_rejection(self, reason, target=None):
        self.ensure_one()
        flow_step = self.flow_step_id
        ticket = self.ticket_id
        if not target and flow_step.reject_action == "return":
            target = ticket.step_ids.filtered(
                lambda step: step.flow_step_id == flow_step.reject_return_step_id
            )
        if target:
            self._check_return_target(target)
        self._engine().write(
            {"state": "rejected", "date_done": fields.Datetime.now(), "date_escalation_due": False}
        )
        self._close_activities()
        self._notify_refusal(reason, target)
        if not target:
            ticket._set_state("cancelled", step=self, reason=reason)
            self._notify_requester_refusal(reason)
            return
        downstream = target._successors_closure()
        downstream._close_activities()
        downstream._approval_reset()
        # the steps to do again are ticked off again; the values given stay, to be
        # kept or changed
        downstream.deliverable_ids.filtered(
            lambda line: line.value_type == "check"
        ).sudo()._engine().write({"done": False})
        downstream._engine().write(
            {
                "state": "pending",
                "date_ready": False,
                "date_started": False,
                "date_done": False,
                "date_deadline": False,
                "date_paused": False,
                "sla_status": False,
                "skip_reason": False,
                "escalation_level": "0",
                "date_escalation_due": False,
            }
        )
        self._log_step_events("step_return", reason=reason, target=target)
        ticket._activate_steps(cause=self)
