from odoo import api, fields, models


class CrossdeptTicket(models.Model):
    _inherit = "crossdept.ticket"

    result_ids = fields.Many2many(
        "crossdept.ticket.step.deliverable",
        string="Results so far",
        compute="_compute_result_ids",
        help="The outputs the steps of the ticket have given: who gave them and when.",
    )

    @api.depends(
        "step_ids.deliverable_ids.done",
        "step_ids.deliverable_ids.value_text",
        "step_ids.deliverable_ids.value_date",
        "step_ids.deliverable_ids.value_yes_no",
        "step_ids.deliverable_ids.date_filled",
    )
    def _compute_result_ids(self):
        for ticket in self:
            ticket.result_ids = ticket.step_ids.deliverable_ids.filtered(
                lambda line: line.date_filled and line._is_filled()
            ).sorted(lambda line: (line.step_id.sequence, line.step_id.id, line.sequence, line.id))
