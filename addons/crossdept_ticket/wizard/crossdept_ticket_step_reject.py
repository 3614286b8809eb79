from odoo import fields, models


class CrossdeptTicketStepReject(models.TransientModel):
    _name = "crossdept.ticket.step.reject"
    _description = "Reject a Step"

    step_id = fields.Many2one("crossdept.ticket.step", required=True)
    reason = fields.Text(required=True)

    def action_reject(self):
        self.ensure_one()
        self.step_id.action_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
