from odoo import Command, api, fields, models

from .crossdept_ticket_step import OPEN_STATES

# event of the log for each way of adding an approver (加签)
SIGN_EVENTS = {
    "before": "approver_add_before",
    "alongside": "approver_add",
    "after": "approver_add_after",
}


class CrossdeptTicketStep(models.Model):
    """加签 on approval steps: the approval gate's people added before or after an
    approver are stored as ``crossdept.ticket.step.signer`` lines, and they are
    approvers of the step too (so they read the ticket and find the step in My
    Approvals), not counted by its policy."""

    _inherit = "crossdept.ticket.step"

    # engine records; the step shows them through ``sign_summary``
    signer_ids = fields.One2many(
        "crossdept.ticket.step.signer",
        "step_id",
        "Added Before or After",
        readonly=True,
        groups="crossdept_ticket.group_crossdept_ticket_admin",
    )
    sign_summary = fields.Text(
        "Added Before or After (加签)",
        compute="_compute_sign_summary",
        help="The people approvers added before or after them in this round, and where "
        "their decision stands.",
    )

    @api.depends("approval_state", "approver_ids", "decision_ids")
    def _compute_sign_summary(self):
        for step in self:
            lines = step._approval_sign_lines()
            step.sign_summary = (
                "\n".join(
                    self.env._(
                        "%(user)s (%(position)s %(approver)s): %(state)s",
                        user=line.user_id.name,
                        position=line._position_label(),
                        approver=line.approver_id.name,
                        state=line._state_label(),
                    )
                    for line in lines
                )
                or False
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_add_sign(self, users, position, reason):
        """The current user, a pending approver of the step, adds ``users`` before,
        after or alongside them (加签)."""
        self.ensure_one()
        self._check_approval_step()
        res = self._approval_add_sign(
            self.env["res.users"].browse(getattr(users, "ids", users)), position, reason
        )
        self.ticket_id._sync_current_step()
        return res

    # ------------------------------------------------------------------
    # The approval gate's hooks
    # ------------------------------------------------------------------

    def _approval_sign_lines(self):
        if self.kind != "approval":
            return self.env["crossdept.ticket.step.signer"]
        # the lines are the engine's record of the step's round, read with the step
        # the user reads (as its decisions are)
        return self.sudo().signer_ids

    def _approval_store_signs(self, approver, users, position, reason):
        self.env["crossdept.ticket.step.signer"].sudo()._engine().create(
            [
                {
                    "step_id": self.id,
                    "approver_id": approver.id,
                    "user_id": user.id,
                    "position": position,
                    "state": "open" if position == "before" else "waiting",
                    "reason": reason,
                }
                for user in users
            ]
        )
        self._engine().write({"approver_ids": [Command.link(user.id) for user in users]})
        self.invalidate_recordset(["signer_ids"])

    def _approval_write_signs(self, lines, state):
        self.env["crossdept.ticket.step.signer"].sudo().browse(
            [line.id for line in lines]
        )._engine().write({"state": state})
        self.invalidate_recordset(["signer_ids"])

    def _on_approval_signed(self, approver, users, position, reason):
        self.ticket_id._log_events(
            [
                {
                    "ticket_id": self.ticket_id.id,
                    "step_id": self.id,
                    "event_type": SIGN_EVENTS[position],
                    "from_user_id": approver.id,
                    "to_user_id": user.id,
                    "to_department_id": self.department_id.id,
                    "reason": reason,
                }
                for user in users
            ]
        )
        if position != "after":
            self._notify_approvers(users)
        messages = {
            "before": self.env._(
                "%(approver)s added %(users)s before them on step %(step)s: %(reason)s",
                approver=approver.name,
                users=", ".join(users.mapped("name")),
                step=self.name,
                reason=reason,
            ),
            "alongside": self.env._(
                "%(approver)s added %(users)s alongside them on step %(step)s: %(reason)s",
                approver=approver.name,
                users=", ".join(users.mapped("name")),
                step=self.name,
                reason=reason,
            ),
            "after": self.env._(
                "%(approver)s added %(users)s after them on step %(step)s: %(reason)s",
                approver=approver.name,
                users=", ".join(users.mapped("name")),
                step=self.name,
                reason=reason,
            ),
        }
        self.ticket_id.message_post(body=messages[position], subtype_xmlid="mail.mt_note")

    def _on_approval_sign_open(self, users):
        self._notify_approvers(users)

    def _approval_archive_decisions(self):
        res = super()._approval_archive_decisions()
        lines = self.sudo().signer_ids
        if lines:
            lines._engine().write({"active": False})
            self.invalidate_recordset(["signer_ids"])
        return res

    def _approval_replace_approver(self, old, new):
        res = super()._approval_replace_approver(old, new)
        # who takes over an approval takes over the people added to it
        lines = self.sudo().signer_ids.filtered(lambda line: line.approver_id == old)
        if lines:
            lines._engine().write({"approver_id": new.id})
            self.invalidate_recordset(["signer_ids"])
        return res

    @api.model
    def _can_decide_domain(self):
        """Not the approvers whose decision waits for people added before them, nor
        the people added after an approver who has not approved yet."""
        uid = self.env.uid
        # the lines are engine records of the steps the domain then filters by rule;
        # a sub-query of the search, not a query of its own
        Signer = self.env["crossdept.ticket.step.signer"].sudo()
        held = Signer._search(
            [
                ("step_id", "!=", False),
                "|",
                "&",
                ("user_id", "=", uid),
                ("state", "=", "waiting"),
                "&",
                "&",
                ("approver_id", "=", uid),
                ("position", "=", "before"),
                ("state", "=", "open"),
            ]
        )
        steps = held.subselect(Signer._field_to_sql(Signer._table, "step_id", held))
        return [*super()._can_decide_domain(), ("id", "not in", steps)]

    def _current_holders(self):
        holders = super()._current_holders()
        if (
            self.kind == "approval"
            and self.state in OPEN_STATES
            and self.approval_state == "pending"
            and self._approval_sign_lines()
        ):
            waiting = self._approval_deciders().filtered(self._approval_may_decide)
            return waiting or self.user_id
        return holders
