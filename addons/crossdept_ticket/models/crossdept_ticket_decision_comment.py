from odoo import api, fields, models


class CrossdeptTicket(models.Model):
    """The decisions taken on the ticket's steps, with their comments (审批意见) and
    files, for whoever reads the ticket (later approvers among them)."""

    _inherit = "crossdept.ticket"

    approval_decision_ids = fields.One2many(
        "crossdept.ticket.step.decision",
        compute="_compute_approval_decision_ids",
        string="Approval Comments",
    )

    @api.depends("step_ids.decision_ids")
    def _compute_approval_decision_ids(self):
        for ticket in self:
            ticket.approval_decision_ids = ticket.step_ids.decision_ids
