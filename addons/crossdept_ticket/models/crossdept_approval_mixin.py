from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.approval import can_be_met, outcome
from ..tools.local_time import format_for_reader

# hours between two urges (催办) of the same approval, unless its flow says otherwise
URGE_INTERVAL_PARAM = "crossdept_ticket.urge_interval_hours"
URGE_INTERVAL_DEFAULT = 4.0

APPROVAL_STATES = [
    ("none", "Not Submitted"),
    ("pending", "Waiting for Approval"),
    ("approved", "Approved"),
    ("rejected", "Refused"),
]


class CrossdeptApprovalMixin(models.AbstractModel):
    """The approval gate of a record, in the spirit of OCA's base_tier_validation.

    A record inheriting it waits for approval (``_approval_open``), is approved or
    refused through ``_approval_decide`` under its policy, and loses its approval
    when it changes afterwards (``_approval_reset``). ``approval_state`` is an engine
    field: nobody writes it directly. Ticket steps decide with their approvers;
    purchase orders delegate the decision to the flow of an approval ticket and only
    use the gate (state, reset, checks).

    A model tells the gate who decides and how by overriding the ``_approval_*``
    hooks below. Further ways of deciding plug in there: more approvers (加签) and
    hand-overs (转交) through ``_approval_add_approvers`` and
    ``_approval_store_approvers``, delegates (委托) through
    ``_approval_effective_approvers``, a chat callback by calling
    ``_approval_decide(decision, reason, user=the verified user)``."""

    _name = "crossdept.approval.mixin"
    _inherit = ["crossdept.engine.mixin"]
    _description = "CrossDept Approval Gate"

    approval_state = fields.Selection(
        APPROVAL_STATES, "Approval", default="none", required=True, readonly=True, copy=False
    )
    can_decide = fields.Boolean(
        compute="_compute_can_decide", help="Whether the current user may decide now."
    )

    @api.depends_context("uid")
    @api.depends("approval_state")
    def _compute_can_decide(self):
        user = self.env.user
        for record in self:
            record.can_decide = (
                record.approval_state == "pending"
                and record._approval_is_open()
                and user in record._approval_effective_approvers()
                and not record._approval_decision_of(user)
            )

    def _engine_fields(self):
        return {
            **super()._engine_fields(),
            "approval_state": self.env._("Approve or Refuse"),
        }

    # ------------------------------------------------------------------
    # Hooks: what a model tells the gate
    # ------------------------------------------------------------------

    def _approval_approvers(self):
        """The people who may decide (before the requester and delegates rules)."""
        return self.env["res.users"]

    def _approval_needed(self, approvers):
        """Approvals needed out of ``approvers`` distinct people."""
        return 1

    def _approval_requester(self):
        """Who asked for the approval: they never approve their own request unless
        ``_approval_requester_may_decide`` says so."""
        return self.env["res.users"]

    def _approval_requester_may_decide(self):
        return False

    def _approval_is_open(self):
        """Whether decisions are taken now (besides ``approval_state``)."""
        return True

    def _approval_decisions(self):
        """{user: 'approve' or 'reject'} of the current round."""
        return {}

    def _approval_record(self, user, decision, reason, attachments=None):
        """Store a decision of the current round, with its comment (``reason``) and
        ``attachments`` (ir.attachment)."""
        raise NotImplementedError

    def _approval_comment_required(self):
        """Whether every decision needs a comment (审批意见); a refusal always does."""
        return False

    def _approval_archive_decisions(self):
        """Close the current round: its decisions stay in the history."""

    def _approval_store_approvers(self, users):
        """Add ``users`` to the people who may decide."""
        raise NotImplementedError

    def _approval_lock(self):
        """Serialise decisions on these records (see the ticket's ``_lock``)."""

    def _on_approval_granted(self, user, reason):
        """The policy is met."""

    def _on_approval_refused(self, user, reason):
        """The policy can no longer be met."""

    def _on_approval_blocked(self, message):
        """Nobody (or too few) can decide: the policy cannot be met as it stands."""

    def _on_approval_added(self, users, reason):
        """``users`` may now decide too."""

    def _approval_replace_approver(self, old, new):
        """``new`` decides instead of ``old`` (a hand-over)."""
        raise NotImplementedError

    def _approval_colleague_refusal(self, user):
        """Why ``user`` cannot take over an approval of these records, or False."""
        if not user.active or user.share:
            return self.env._("%(user)s is not an active internal user.", user=user.name)
        return False

    def _on_approval_handed_over(self, old, new, reason):
        """``new`` decides instead of ``old``."""

    # ------------------------------------------------------------------
    # The gate
    # ------------------------------------------------------------------

    def _approval_effective_approvers(self):
        """Who may decide now: the approvers, without the requester unless allowed."""
        self.ensure_one()
        approvers = self._approval_approvers()
        if not self._approval_requester_may_decide():
            approvers -= self._approval_requester()
        return approvers

    def _approval_decision_of(self, user):
        return self._approval_decisions().get(user)

    def _approval_deciders(self):
        """Who takes part in the decisions: the approvers the policy counts, and
        whoever an extension lets decide with them (加签 before or after one)."""
        return self._approval_effective_approvers()

    def _approval_check_turn(self, user):
        """Raise if ``user``, a decider, must wait for somebody else first."""

    def _approval_counted_decisions(self, approvers):
        """{approver: 'approve' or 'reject'}: what the policy counts of ``approvers``."""
        return {
            person: choice
            for person, choice in self._approval_decisions().items()
            if person in approvers
        }

    def _approval_blocked_message(self):
        """Why the policy cannot be met by the people who may decide, or False."""
        self.ensure_one()
        approvers = self._approval_effective_approvers()
        needed = self._approval_needed(len(approvers))
        if can_be_met(needed, len(approvers)):
            return False
        return self.env._(
            "%(record)s needs %(needed)s approvals but only %(count)s people can decide (%(who)s).",
            record=self.display_name,
            needed=needed,
            count=len(approvers),
            who=", ".join(approvers.mapped("name")) or "-",
        )

    def _approval_open(self):
        """Wait for the decisions of a new round."""
        self._engine().write({"approval_state": "pending"})
        for record in self:
            message = record._approval_blocked_message()
            if message:
                record._on_approval_blocked(message)

    def _approval_reset(self):
        """Forget the approval: the decisions so far stay in the history only."""
        self._approval_archive_decisions()
        self._engine().write({"approval_state": "none"})

    def _approval_set(self, state):
        """Set the outcome as the engine (for gates decided elsewhere, such as a
        purchase order approved by the flow of its approval ticket)."""
        self._engine().write({"approval_state": state})

    def _approval_decide(self, decision, reason=None, user=None, attachments=None):
        """Record ``user``'s decision ('approve' or 'reject') and apply the outcome.

        ``reason`` is the decision's comment (审批意见), kept with ``attachments``
        (ir.attachment the user uploaded for it) on the decision. ``user`` is the
        current user unless a trusted channel that authenticated somebody else (a
        chat callback) passes them. A second identical decision changes nothing (a
        double click, a retried request)."""
        self.ensure_one()
        user = user or self.env.user
        reason = (reason or "").strip()
        attachments = attachments or self.env["ir.attachment"]
        if decision == "reject" and not reason:
            raise UserError(self.env._("A refusal needs a reason."))
        if not reason and self._approval_comment_required():
            raise UserError(
                self.env._(
                    "A decision on %(record)s needs a comment: say why you approve it.",
                    record=self.display_name,
                )
            )
        self._approval_check_attachments(attachments, user)
        self._approval_lock()
        previous = self._approval_decision_of(user)
        if previous == decision:
            return True
        if previous:
            raise UserError(
                self.env._("You already decided on %(record)s.", record=self.display_name)
            )
        self._approval_check_open()
        if user not in self._approval_deciders():
            if user in self._approval_requester() and user in self._approval_approvers():
                raise UserError(
                    self.env._(
                        "You requested %(record)s: you cannot approve or refuse your own request.",
                        record=self.display_name,
                    )
                )
            raise UserError(
                self.env._(
                    "Only an approver of %(record)s can approve or refuse it.",
                    record=self.display_name,
                )
            )
        self._approval_check_turn(user)
        self._approval_record(user, decision, reason, attachments)
        self._approval_apply_outcome(user, reason)
        return True

    def _approval_check_attachments(self, attachments, user):
        """Only files ``user`` uploaded and that belong to no record yet go with a
        decision (an id sent over RPC must not take another record's file)."""
        # sudo: who uploaded a file and where it belongs is read whatever the rules
        for attachment in attachments.sudo():
            if attachment.create_uid != user or (
                attachment.res_id and attachment.res_model not in self._approval_upload_models()
            ):
                raise UserError(
                    self.env._(
                        "File %(file)s cannot go with a decision: only files you uploaded "
                        "for it can.",
                        file=attachment.name,
                    )
                )

    def _approval_upload_models(self):
        """Models whose (transient) records hold files uploaded for a decision."""
        return ()

    def _approval_check_open(self):
        """Raise unless the record waits for decisions now."""
        if self.approval_state != "pending" or not self._approval_is_open():
            raise UserError(
                self.env._(
                    "%(record)s is not waiting for a decision (approval: %(state)s).",
                    record=self.display_name,
                    state=dict(self._fields["approval_state"]._description_selection(self.env))[
                        self.approval_state
                    ],
                )
            )

    def _approval_apply_outcome(self, user=None, reason=None):
        self.ensure_one()
        approvers = self._approval_effective_approvers()
        decisions = self._approval_counted_decisions(approvers)
        result = outcome(
            self._approval_needed(len(approvers)),
            len(approvers),
            sum(1 for choice in decisions.values() if choice == "approve"),
            sum(1 for choice in decisions.values() if choice == "reject"),
        )
        if result == "approved":
            self._approval_set("approved")
            self._on_approval_granted(user, reason)
        elif result == "rejected":
            self._approval_set("rejected")
            self._on_approval_refused(user, reason)

    def _approval_add_approvers(self, users, reason):
        """Let ``users`` decide too (recorded by ``_on_approval_added``)."""
        self.ensure_one()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Adding approvers needs a reason."))
        new = users - self._approval_approvers()
        if not self._approval_requester_may_decide() and new & self._approval_requester():
            raise UserError(
                self.env._(
                    "%(user)s requested %(record)s and cannot approve it.",
                    user=(new & self._approval_requester()).name,
                    record=self.display_name,
                )
            )
        if not new:
            return False
        self._approval_store_approvers(new)
        self._on_approval_added(new, reason)
        if self.approval_state == "pending":
            self._approval_apply_outcome()
        return True

    def _approval_check_new_approver(self, user):
        """Raise unless ``user`` may become an approver of this record (handed an
        approval over, or added to it): not one already, not its requester where the
        requester may not decide, and no refusal of the record's own."""
        if user in self._approval_approvers():
            raise UserError(
                self.env._(
                    "%(user)s is already an approver of %(record)s.",
                    user=user.name,
                    record=self.display_name,
                )
            )
        if not self._approval_requester_may_decide() and user in self._approval_requester():
            raise UserError(
                self.env._(
                    "%(user)s requested %(record)s and cannot approve it.",
                    user=user.name,
                    record=self.display_name,
                )
            )
        refusal = self._approval_colleague_refusal(user)
        if refusal:
            raise UserError(refusal)

    def _approval_hand_over(self, user, reason):
        """The current user, an approver who has not decided yet, hands their
        decision to the colleague ``user`` (转交): ``user`` replaces them, so the
        number of approvers, and the policy's count, stay the same."""
        self.ensure_one()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Handing over an approval needs a reason."))
        me = self.env.user
        self._approval_lock()
        self._approval_check_open()
        if me not in self._approval_effective_approvers() or self._approval_decision_of(me):
            raise UserError(
                self.env._(
                    "Only an approver of %(record)s who has not decided yet can hand it over.",
                    record=self.display_name,
                )
            )
        if user == me:
            raise UserError(self.env._("Hand the approval over to somebody else than yourself."))
        if self._approval_decision_of(user):
            raise UserError(
                self.env._(
                    "%(user)s already decided on %(record)s.",
                    user=user.name,
                    record=self.display_name,
                )
            )
        self._approval_check_new_approver(user)
        self._approval_replace_approver(me, user)
        self._on_approval_handed_over(me, user, reason)
        return True

    def _approval_check_granted(self, action):
        """Raise unless approved, naming what cannot be done yet."""
        for record in self:
            if record.approval_state != "approved":
                raise UserError(
                    self.env._(
                        "%(record)s cannot be %(action)s: its approval is %(state)s.",
                        record=record.display_name,
                        action=action,
                        state=dict(
                            record._fields["approval_state"]._description_selection(self.env)
                        )[record.approval_state],
                    )
                )

    # ------------------------------------------------------------------
    # 催办 Urge
    # ------------------------------------------------------------------

    def _approval_urge_interval(self):
        """Hours between two urges of this approval (0: no limit), by default the
        system parameter ``crossdept_ticket.urge_interval_hours``."""
        value = self.env["ir.config_parameter"].sudo().get_param(URGE_INTERVAL_PARAM)
        try:
            return float(value) if value not in (None, False, "") else URGE_INTERVAL_DEFAULT
        except ValueError:
            return URGE_INTERVAL_DEFAULT

    def _approval_last_urge(self):
        """When the approvers of this record were last urged, or False."""
        return False

    def _on_approval_urged(self, users, note):
        """``users``, the approvers who have not decided yet, are urged to decide."""
        raise NotImplementedError

    def _approval_waiting_approvers(self):
        """The people who may decide now and have not decided yet."""
        self.ensure_one()
        decisions = self._approval_decisions()
        return self._approval_effective_approvers().filtered(lambda user: user not in decisions)

    def _approval_urge(self, note=None):
        """The requester urges the approvers who have not decided yet (催办), at most
        once per ``_approval_urge_interval`` hours."""
        self.ensure_one()
        note = (note or "").strip()
        me = self.env.user
        if me not in self._approval_requester():
            raise UserError(
                self.env._(
                    "Only the requester of %(record)s can urge its approvers.",
                    record=self.display_name,
                )
            )
        self._approval_lock()
        self._approval_check_open()
        waiting = self._approval_waiting_approvers()
        if not waiting:
            raise UserError(
                self.env._(
                    "Nobody is left to decide on %(record)s: there is nobody to urge.",
                    record=self.display_name,
                )
            )
        interval = self._approval_urge_interval()
        last = self._approval_last_urge()
        if interval > 0 and last:
            next_urge = last + timedelta(hours=interval)
            if fields.Datetime.now() < next_urge:
                raise UserError(
                    self.env._(
                        "The approvers of %(record)s were urged on %(last)s: you can urge "
                        "them again from %(next)s.",
                        record=self.display_name,
                        last=format_for_reader(self.env, last, me.partner_id),
                        next=format_for_reader(self.env, next_urge, me.partner_id),
                    )
                )
        self._on_approval_urged(waiting, note)
        return True

    # ------------------------------------------------------------------
    # 审批人去重 Approver de-duplication
    # ------------------------------------------------------------------

    def _approval_prior_approvals(self):
        """{user: why their approval here is taken already} for the people whose
        earlier approval counts for this record (审批人去重); none by default."""
        return {}

    def _on_approval_deduplicated(self, user, reason):
        """``user``'s approval was taken automatically, for ``reason``."""

    def _approval_take_prior_approvals(self):
        """Record, as theirs, the approval of each approver who already approved
        earlier (see ``_approval_prior_approvals``), then apply the outcome."""
        for record in self:
            if record.approval_state != "pending" or not record._approval_is_open():
                continue
            prior = record._approval_prior_approvals()
            users = record._approval_waiting_approvers().filtered(
                lambda user, prior=prior: user in prior
            )
            for user in users:
                # recorded as the approver's own decision, as if they had approved
                record.with_user(user)._approval_record(user, "approve", prior[user])
                record._on_approval_deduplicated(user, prior[user])
            if users:
                record._approval_apply_outcome(users[-1], prior[users[-1]])

    # ------------------------------------------------------------------
    # Timeouts
    # ------------------------------------------------------------------

    def _approval_mark_timed_out(self):
        """Remember that the timeout of the current round was handled."""

    def _on_approval_timed_out(self, action, reason):
        """The timeout ``action`` is applied (record it)."""

    def _approval_escalate(self, reason):
        """The timeout escalates the approval (to whom is the model's business)."""

    def _approval_time_out(self, action, reason):
        """Nobody decided in time: approve, refuse or escalate, once per round."""
        self.ensure_one()
        self._approval_mark_timed_out()
        self._on_approval_timed_out(action, reason)
        if action == "approve":
            self._approval_set("approved")
            self._on_approval_granted(None, reason)
        elif action == "reject":
            self._approval_set("rejected")
            self._on_approval_refused(None, reason)
        elif action == "escalate":
            self._approval_escalate(reason)
