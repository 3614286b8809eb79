from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .crossdept_ticket_step import STEP_STATES


class CrossdeptTicketStep(models.Model):
    """Approval steps: decisions under the flow step's policy, rejections."""

    _inherit = "crossdept.ticket.step"

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
