from odoo import api, fields, models

# what a step's output holds: "check" is ticked off, the others carry a value
VALUE_TYPES = [
    ("check", "Checkbox"),
    ("amount", "Amount"),
    ("text", "Text"),
    ("date", "Date"),
    ("boolean", "Yes/No"),
    ("file", "File"),
]


class CrossdeptFlowStepDeliverable(models.Model):
    _name = "crossdept.flow.step.deliverable"
    _description = "Flow Step Deliverable"
    _order = "step_id, sequence, id"

    step_id = fields.Many2one("crossdept.flow.step", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    value_type = fields.Selection(
        VALUE_TYPES,
        default="check",
        required=True,
        help="What the step's holder gives: a tick, or a value (an amount with its "
        "currency, a text, a date, yes or no, a file) that later steps and approvers see.",
    )
    required = fields.Boolean(
        default=True, help="The step cannot be finished until this output is given."
    )

    @api.model_create_multi
    def create(self, vals_list):
        steps = self.env["crossdept.flow.step"].browse(
            {vals.get("step_id") for vals in vals_list if vals.get("step_id")}
        )
        steps.flow_id._check_editable()
        return super().create(vals_list)

    def write(self, vals):
        steps = self.step_id
        if vals.get("step_id"):
            steps |= self.env["crossdept.flow.step"].browse(vals["step_id"])
        steps.flow_id._check_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked_flow(self):
        self.step_id.flow_id._check_editable()
