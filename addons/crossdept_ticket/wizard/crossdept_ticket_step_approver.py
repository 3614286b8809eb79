from odoo import api, fields, models

from ..models.crossdept_approval_mixin_sign import SIGN_POSITIONS


class CrossdeptTicketStepApprover(models.TransientModel):
    """Add approvers to a step: the Accountable, a manager or an administrator adds
    approvers counted by the policy; an approver who has not decided yet adds them
    before, after or alongside them (加签)."""

    _name = "crossdept.ticket.step.approver"
    _description = "Add Approvers to a Step"

    step_id = fields.Many2one("crossdept.ticket.step", required=True)
    user_ids = fields.Many2many(
        "res.users", string="Approvers", required=True, domain=[("share", "=", False)]
    )
    reason = fields.Text(required=True)
    is_approver = fields.Boolean(compute="_compute_is_approver")
    position = fields.Selection(
        SIGN_POSITIONS,
        default="alongside",
        required=True,
        help="Before me: they decide first, my decision waits for theirs. Alongside me: "
        "they decide as approvers counted by the step's policy. After me: once I approve, "
        "they decide, and my approval counts only with theirs.",
    )

    @api.depends("step_id")
    @api.depends_context("uid")
    def _compute_is_approver(self):
        for wizard in self:
            wizard.is_approver = bool(wizard.step_id.can_decide)

    def action_add(self):
        self.ensure_one()
        if self.is_approver or self.position != "alongside":
            self.step_id.action_add_sign(self.user_ids, self.position, self.reason)
        else:
            self.step_id.action_add_approvers(self.user_ids, self.reason)
        return {"type": "ir.actions.act_window_close"}
