from odoo import fields, models


class CrossdeptTicketStepHandOver(models.TransientModel):
    _name = "crossdept.ticket.step.hand.over"
    _description = "Hand Over an Approval (转交)"

    step_id = fields.Many2one("crossdept.ticket.step", required=True)
    user_id = fields.Many2one(
        "res.users",
        string="Colleague",
        required=True,
        domain=[("share", "=", False)],
        help="Who decides instead of you.",
    )
    reason = fields.Text(required=True)

    def action_hand_over(self):
        self.ensure_one()
        self.step_id.action_hand_over(self.user_id, self.reason)
        return {"type": "ir.actions.act_window_close"}
