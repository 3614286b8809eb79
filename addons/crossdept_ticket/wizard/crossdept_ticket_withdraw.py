from odoo import fields, models


class CrossdeptTicketWithdraw(models.TransientModel):
    _name = "crossdept.ticket.withdraw"
    _description = "Withdraw a Request (撤回)"

    ticket_id = fields.Many2one("crossdept.ticket", required=True)
    reason = fields.Text(required=True)

    def action_withdraw(self):
        self.ensure_one()
        self.ticket_id.action_withdraw(self.reason)
        return {"type": "ir.actions.act_window_close"}
