from odoo import fields, models


class CrossdeptFlowStepDeliverable(models.Model):
    _name = "crossdept.flow.step.deliverable"
    _description = "Flow Step Deliverable"
    _order = "step_id, sequence, id"

    step_id = fields.Many2one("crossdept.flow.step", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
