from collections import defaultdict

from odoo import Command, api, fields, models

from ..tools.local_time import format_for_reader


class CrossdeptTicketStep(models.Model):
    """委托 on approval steps: an approver on delegation is replaced by their
    delegate when the step opens (or when the delegation begins), the delegate
    decides "on behalf of" them, and the approver is copied on the ticket."""

    _inherit = "crossdept.ticket.step"

    on_behalf_summary = fields.Char(
        "On Behalf Of",
        compute="_compute_on_behalf_summary",
        help="Approvers deciding on behalf of a colleague on delegation (委托).",
    )

    @api.depends("approver_ids")
    def _compute_on_behalf_summary(self):
        # one search for every step of a list (My Approvals reads it per row)
        delegators = self._approval_delegators_by_step()
        for step in self:
            step.on_behalf_summary = (
                ", ".join(
                    self.env._(
                        "%(delegate)s on behalf of %(user)s",
                        delegate=delegate.name,
                        user=delegator.name,
                    )
                    for delegate, delegator in delegators.get(step.id, {}).items()
                )
                or False
            )

    def _approval_delegation_flow(self):
        return self.sudo().flow_step_id.flow_id

    def _approval_open(self):
        res = super()._approval_open()
        self._approval_apply_delegations()
        return res

    def _approval_delegators(self):
        self.ensure_one()
        return self._approval_delegators_by_step().get(self.id, {})

    def _approval_delegators_by_step(self):
        """{step id: {delegate: delegator}} of these approval steps, in one search."""
        steps = self.filtered(lambda step: step.kind == "approval" and step.id)
        if not steps:
            return {}
        # who decides on behalf of whom is part of the step the user reads
        events = (
            self.env["crossdept.ticket.event"]
            .sudo()
            .search(
                [("step_id", "in", steps.ids), ("event_type", "=", "approval_delegate")],
                order="id",
            )
        )
        approvers = {step.id: step.approver_ids for step in steps}
        result = defaultdict(dict)
        for event in events:
            step_id = event.step_id.id
            if event.to_user_id in approvers[step_id]:
                result[step_id][event.to_user_id] = event.from_user_id
        return result

    def _approval_record(self, user, decision, reason, attachments=None):
        delegator = self._approval_delegators().get(user)
        if delegator:
            behalf = self.env._("On behalf of %(user)s", user=delegator.name)
            reason = f"{behalf}: {reason}" if reason else behalf
        return super()._approval_record(user, decision, reason, attachments)

    def _on_approval_delegated(self, delegator, delegate, delegation):
        ticket = self.ticket_id
        reason = self.env._(
            "%(delegate)s decides on behalf of %(user)s (delegation until %(end)s)",
            delegate=delegate.name,
            user=delegator.name,
            end=format_for_reader(self.env, delegation.date_to, delegator.partner_id),
        )
        if delegation.note:
            reason = f"{reason}: {delegation.note}"
        ticket._log_events(
            [
                {
                    "ticket_id": ticket.id,
                    "step_id": self.id,
                    "event_type": "approval_delegate",
                    "from_user_id": delegator.id,
                    "to_user_id": delegate.id,
                    "to_department_id": self.department_id.id,
                    "reason": reason,
                }
            ]
        )
        # the delegator keeps reading what was theirs to decide
        ticket.sudo()._engine().write({"cc_user_ids": [Command.link(delegator.id)]})
        self._close_activities(users=delegator)
        self._notify_approvers(delegate)
        ticket.message_post(
            body=self.env._("Approval of step %(step)s: %(reason)s", step=self.name, reason=reason),
            subtype_xmlid="mail.mt_note",
        )
