from odoo import api, models
from odoo.exceptions import UserError

SIGN_POSITIONS = [
    ("before", "Before me"),
    ("alongside", "Alongside me"),
    ("after", "After me"),
]


class CrossdeptApprovalMixin(models.AbstractModel):
    """加签: an approver who has not decided yet adds people to their decision.

    - alongside me: they become approvers too, counted by the policy (as the
      Accountable's Add Approvers does);
    - before me: they decide first; my decision waits until theirs is in;
    - after me: once I approve, they decide; my approval counts only with theirs.

    People added before or after an approver are not counted by the policy: they
    gate that approver's vote, and a refusal by one of them counts as that
    approver's refusal. A model stores them through the ``_approval_sign_*`` hooks
    (records with ``approver_id``, ``user_id``, ``position`` and ``state``:
    waiting, open or done)."""

    _inherit = "crossdept.approval.mixin"

    @api.depends_context("uid")
    @api.depends("approval_state")
    def _compute_can_decide(self):
        res = super()._compute_can_decide()
        user = self.env.user
        for record in self:
            if record.approval_state == "pending" and record._approval_sign_lines():
                record.can_decide = record._approval_is_open() and record._approval_may_decide(user)
        return res

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------

    def _approval_sign_lines(self):
        """The people added before or after an approver in the current round."""
        return []

    def _approval_store_signs(self, approver, users, position, reason):
        """Record ``users`` added before or after ``approver``."""
        raise NotImplementedError

    def _approval_write_signs(self, lines, state):
        """Set the state of these lines ('open' or 'done')."""
        raise NotImplementedError

    def _on_approval_signed(self, approver, users, position, reason):
        """``approver`` added ``users`` before or after them (an event, a to-do)."""

    def _on_approval_sign_open(self, users):
        """``users``, added after an approver who approved, decide now."""

    # ------------------------------------------------------------------
    # The gate
    # ------------------------------------------------------------------

    def _approval_signers(self):
        return self.env["res.users"].browse(
            list(dict.fromkeys(line.user_id.id for line in self._approval_sign_lines()))
        )

    def _approval_effective_approvers(self):
        # people added before or after an approver gate that approver's vote only
        return super()._approval_effective_approvers() - self._approval_signers()

    def _approval_deciders(self):
        return super()._approval_deciders() | self._approval_signers()

    def _approval_may_decide(self, user):
        """Whether ``user`` may decide now (see ``_approval_check_turn``)."""
        if self._approval_decision_of(user) or user not in self._approval_deciders():
            return False
        try:
            self._approval_check_turn(user)
        except UserError:
            return False
        return True

    def _approval_check_turn(self, user):
        res = super()._approval_check_turn(user)
        lines = self._approval_sign_lines()
        decisions = self._approval_decisions()
        for line in lines:
            if line.user_id == user and line.state == "waiting":
                raise UserError(
                    self.env._(
                        "%(user)s added you after them on %(record)s: you decide once they "
                        "have approved.",
                        user=line.approver_id.name,
                        record=self.display_name,
                    )
                )
        waiting_for = [
            line.user_id
            for line in lines
            if line.approver_id == user and line.position == "before" and line.state == "open"
        ]
        if waiting_for:
            raise UserError(
                self.env._(
                    "Your decision on %(record)s waits for %(who)s, whom you added before you.",
                    record=self.display_name,
                    who=", ".join(person.name for person in waiting_for),
                )
            )
        refused = [
            line.user_id
            for line in lines
            if line.approver_id == user and decisions.get(line.user_id) == "reject"
        ]
        if refused:
            raise UserError(
                self.env._(
                    "%(who)s refused %(record)s for you: your decision is taken.",
                    who=", ".join(person.name for person in refused),
                    record=self.display_name,
                )
            )
        return res

    def _approval_counted_decisions(self, approvers):
        """An approver's approval counts once the people added after them approved;
        a refusal by somebody they added counts as theirs."""
        counted = super()._approval_counted_decisions(approvers)
        lines = self._approval_sign_lines()
        if not lines:
            return counted
        decisions = self._approval_decisions()
        for line in lines:
            if line.approver_id not in approvers:
                continue
            if decisions.get(line.user_id) == "reject":
                counted[line.approver_id] = "reject"
            elif (
                line.position == "after"
                and line.state != "done"
                and counted.get(line.approver_id) == "approve"
            ):
                del counted[line.approver_id]
        return counted

    def _approval_apply_outcome(self, user=None, reason=None):
        self._approval_sync_signs()
        return super()._approval_apply_outcome(user, reason)

    def _approval_sync_signs(self):
        """Move the lines on with the decisions: a line is done once its person
        approved; people added after an approver decide once the approver approved."""
        lines = self._approval_sign_lines()
        if not lines:
            return
        decisions = self._approval_decisions()
        done = [line for line in lines if line.state != "done" and decisions.get(line.user_id)]
        opened = [
            line
            for line in lines
            if line.state == "waiting"
            and line not in done
            and decisions.get(line.approver_id) == "approve"
        ]
        for state, group in (("done", done), ("open", opened)):
            if group:
                self._approval_write_signs(group, state)
        if opened:
            self._on_approval_sign_open(
                self.env["res.users"].browse(list({line.user_id.id for line in opened}))
            )

    def _approval_add_sign(self, users, position, reason):
        """The current user, an approver who has not decided yet, adds ``users``
        before, after or alongside them (加签)."""
        self.ensure_one()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Adding approvers needs a reason."))
        if position not in dict(SIGN_POSITIONS):
            raise UserError(
                self.env._(
                    "Add approvers before, after or alongside you, not %(position)s.",
                    position=position,
                )
            )
        me = self.env.user
        self._approval_lock()
        self._approval_check_open()
        if me not in self._approval_effective_approvers() or self._approval_decision_of(me):
            raise UserError(
                self.env._(
                    "Only an approver of %(record)s who has not decided yet can add approvers "
                    "to their decision.",
                    record=self.display_name,
                )
            )
        if not users:
            raise UserError(self.env._("Choose whom to add."))
        if me in users:
            raise UserError(self.env._("Add somebody else than yourself."))
        for user in users:
            self._approval_check_new_approver(user)
        if position == "alongside":
            self._approval_store_approvers(users)
        else:
            self._approval_store_signs(me, users, position, reason)
        self._on_approval_signed(me, users, position, reason)
        if position == "alongside":
            # more people counted may change what the policy needs
            self._approval_apply_outcome()
        return True
