from odoo import fields, models


class CrossdeptTicketStepSigner(models.Model):
    """Somebody an approver added before or after them on a step (加签). Written by
    the engine only; a new round of the step archives the lines of the previous
    one, which stay in the history."""

    _name = "crossdept.ticket.step.signer"
    _description = "Approver Added Before or After an Approver"
    _inherit = ["crossdept.engine.mixin"]
    _order = "step_id, id"

    step_id = fields.Many2one(
        "crossdept.ticket.step", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="step_id.company_id", store=True)
    approver_id = fields.Many2one(
        "res.users", "Added By", required=True, help="The approver whose decision they gate."
    )
    user_id = fields.Many2one("res.users", "Added Approver", required=True)
    position = fields.Selection([("before", "Before"), ("after", "After")], required=True)
    state = fields.Selection(
        [("waiting", "Waiting for the approver"), ("open", "To decide"), ("done", "Decided")],
        required=True,
    )
    reason = fields.Text()
    active = fields.Boolean(default=True)

    def _engine_fields(self):
        actions = self.env._("Add Approvers (加签) on the step")
        return {**super()._engine_fields(), **self._engine_all_fields(actions)}

    def _position_label(self):
        self.ensure_one()
        return dict(self._fields["position"]._description_selection(self.env))[self.position]

    def _state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]
