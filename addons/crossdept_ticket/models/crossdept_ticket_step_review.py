from odoo import api, fields, models


class CrossdeptTicketStep(models.Model):
    """What an approver judges, on one page: the request with its files, the results
    the earlier steps gave and the decisions taken before, with their comments."""

    _inherit = "crossdept.ticket.step"

    ticket_description = fields.Html(
        related="ticket_id.description", string="Request", readonly=True
    )
    ticket_attachment_ids = fields.Many2many(
        "ir.attachment",
        string="Files of the Request",
        compute="_compute_review",
        help="The files attached to the ticket.",
    )
    ticket_result_ids = fields.Many2many(
        related="ticket_id.result_ids", string="Results of the Earlier Steps"
    )
    earlier_decision_ids = fields.Many2many(
        "crossdept.ticket.step.decision",
        string="Earlier Decisions",
        compute="_compute_review",
        help="The decisions taken on the ticket's other approval steps, with their comments.",
    )

    @api.depends("ticket_id", "ticket_id.step_ids.decision_ids")
    def _compute_review(self):
        tickets = self.ticket_id
        # the reader's own rights: the files of tickets they may read
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "crossdept.ticket"), ("res_id", "in", tickets.ids)],
            order="id",
        )
        decisions = self.env["crossdept.ticket.step.decision"].search(
            [("step_id.ticket_id", "in", tickets.ids)], order="date, id"
        )
        for step in self:
            step.ticket_attachment_ids = attachments.filtered(
                lambda attachment, ticket=step.ticket_id: attachment.res_id == ticket.id
            )
            step.earlier_decision_ids = decisions.filtered(
                lambda decision, step=step: (
                    decision.step_id.ticket_id == step.ticket_id and decision.step_id != step
                )
            )
