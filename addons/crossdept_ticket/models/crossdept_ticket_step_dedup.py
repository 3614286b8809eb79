from odoo import models


class CrossdeptTicketStep(models.Model):
    """Approver de-duplication (审批人去重): per flow, an approver who already
    approved an earlier step of the ticket (the step right before it, or any)
    has their approval of a later step taken automatically, with an event."""

    _inherit = "crossdept.ticket.step"

    def _approval_prior_approvals(self):
        mode = self.flow_step_id.flow_id.approver_dedup
        if mode not in ("consecutive", "always"):
            return {}
        earlier = self.predecessor_ids if mode == "consecutive" else self.ticket_id.step_ids - self
        # the engine reads the approvals of the run (decisions of a returned step
        # are archived and no longer count), whoever moved the flow
        decisions = (
            self.env["crossdept.ticket.step.decision"]
            .sudo()
            .search(
                [
                    ("step_id", "in", earlier.filtered(lambda s: s.kind == "approval").ids),
                    ("decision", "=", "approve"),
                ],
                order="id",
            )
        )
        return {
            decision.user_id: self.env._(
                "Approved automatically: %(user)s already approved step %(step)s of this ticket.",
                user=decision.user_id.name,
                step=decision.step_id.name,
            )
            for decision in decisions
        }

    def _on_approval_deduplicated(self, user, reason):
        self.ticket_id._log_events(
            [
                {
                    "ticket_id": self.ticket_id.id,
                    "step_id": self.id,
                    "event_type": "approval_dedup",
                    "actor_id": user.id,
                    "to_user_id": user.id,
                    "to_department_id": self.department_id.id,
                    "reason": reason,
                }
            ]
        )
