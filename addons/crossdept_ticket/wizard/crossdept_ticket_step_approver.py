from odoo import fields, models


class CrossdeptTicketStepApprover(models.TransientModel):
    _name = "crossdept.ticket.step.approver"
    _description = "Add Approvers to a Step"

    step_id = fields.Many2one("crossdept.ticket.step", required=True)
    user_ids = fields.Many2many(
        "res.users", string="Approvers", required=True, domain=[("share", "=", False)]
    )
    reason = fields.Text(required=True)

    def action_add(self):
        self.ensure_one()
        self.step_id.action_add_approvers(self.user_ids, self.reason)
        return {"type": "ir.actions.act_window_close"}
