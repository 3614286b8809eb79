from odoo import fields, models


class CrossdeptTicketStepDecision(models.Model):
    _name = "crossdept.ticket.step.decision"
    _description = "Approval Decision"
    _order = "step_id, id"

    step_id = fields.Many2one(
        "crossdept.ticket.step", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="step_id.company_id", store=True)
    user_id = fields.Many2one("res.users", "Approver", required=True)
    decision = fields.Selection([("approve", "Approved"), ("reject", "Rejected")], required=True)
    reason = fields.Text()
    date = fields.Datetime(default=fields.Datetime.now, required=True)

    _sql_constraints = [
        (
            "step_user_uniq",
            "unique(step_id, user_id)",
            "An approver decides once on a step.",
        ),
    ]
