from odoo import fields, models


class CrossdeptTicketStepApprove(models.TransientModel):
    _name = "crossdept.ticket.step.approve"
    _description = "Approve a Step with a Comment (审批意见)"

    step_id = fields.Many2one("crossdept.ticket.step", required=True)
    comment_required = fields.Boolean(related="step_id.decision_comment_required")
    comment = fields.Text()
    attachment_ids = fields.Many2many("ir.attachment", string="Files")

    def action_approve(self):
        self.ensure_one()
        self.step_id.action_approve(self.comment, self.attachment_ids)
        return {"type": "ir.actions.act_window_close"}
