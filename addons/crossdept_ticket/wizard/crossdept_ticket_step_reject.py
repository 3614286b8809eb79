from odoo import api, fields, models


class CrossdeptTicketStepReject(models.TransientModel):
    _name = "crossdept.ticket.step.reject"
    _description = "Refuse a Step"

    step_id = fields.Many2one("crossdept.ticket.step", required=True)
    reason = fields.Text(required=True)
    attachment_ids = fields.Many2many("ir.attachment", string="Files")
    allowed_return_step_ids = fields.Many2many(
        "crossdept.ticket.step", compute="_compute_allowed_return_step_ids"
    )
    return_step_id = fields.Many2one(
        "crossdept.ticket.step",
        "Return To",
        compute="_compute_return_step_id",
        store=True,
        readonly=False,
        domain="[('id', 'in', allowed_return_step_ids)]",
        help="An earlier step on this step's path to do again; empty follows the flow "
        "(return to its step, or cancel the ticket).",
    )

    @api.depends("step_id")
    def _compute_allowed_return_step_ids(self):
        for wizard in self:
            wizard.allowed_return_step_ids = (
                wizard.step_id._return_targets() if wizard.step_id else False
            )

    @api.depends("step_id")
    def _compute_return_step_id(self):
        for wizard in self:
            flow_step = wizard.step_id.flow_step_id
            configured = wizard.step_id.ticket_id.step_ids.filtered(
                lambda s, flow_step=flow_step: (
                    flow_step.reject_action == "return"
                    and s.flow_step_id == flow_step.reject_return_step_id
                )
            )
            wizard.return_step_id = configured[:1]

    def action_reject(self):
        self.ensure_one()
        self.step_id.action_reject(
            self.reason, return_step=self.return_step_id, attachment_ids=self.attachment_ids
        )
        return {"type": "ir.actions.act_window_close"}
