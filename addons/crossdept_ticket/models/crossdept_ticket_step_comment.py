from odoo import fields, models
from odoo.exceptions import UserError


class CrossdeptTicketStep(models.Model):
    """Decision comments (审批意见): an approver's comment and files go with their
    decision, required on approvals too where the flow step says so, and are shown
    to whoever reads the ticket afterwards (later approvers among them)."""

    _inherit = "crossdept.ticket.step"

    decision_comment_required = fields.Boolean(
        related="flow_step_id.require_decision_comment", string="Comment Required"
    )

    def action_approve_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Approve with a Comment (审批意见)"),
            "res_model": "crossdept.ticket.step.approve",
            "view_mode": "form",
            "target": "new",
            "context": {"default_step_id": self.id},
        }

    def _decision_attachments(self, attachment_ids):
        attachments = self.env["ir.attachment"].browse(
            getattr(attachment_ids, "ids", attachment_ids) or []
        )
        if attachments and len(self) > 1:
            raise UserError(self.env._("Files go with the decision on one step at a time."))
        return attachments

    def _approval_comment_required(self):
        return self.flow_step_id.require_decision_comment

    def _approval_upload_models(self):
        return ("crossdept.ticket.step.approve", "crossdept.ticket.step.reject")
