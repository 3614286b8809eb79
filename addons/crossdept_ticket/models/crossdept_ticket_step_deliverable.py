from odoo import fields, models


class CrossdeptTicketStepDeliverable(models.Model):
    _name = "crossdept.ticket.step.deliverable"
    _description = "Step Deliverable"
    _order = "step_id, sequence, id"

    step_id = fields.Many2one(
        "crossdept.ticket.step", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="step_id.company_id", store=True)
    sequence = fields.Integer()
    name = fields.Char(required=True)
    done = fields.Boolean()
