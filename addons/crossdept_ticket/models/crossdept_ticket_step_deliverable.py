from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG


class CrossdeptTicketStepDeliverable(models.Model):
    """A deliverable of a step, copied from its flow step. Only the step's holder
    ticks it off, while the step is open."""

    _name = "crossdept.ticket.step.deliverable"
    _description = "Step Deliverable"
    _inherit = ["crossdept.engine.mixin"]
    _order = "step_id, sequence, id"

    step_id = fields.Many2one(
        "crossdept.ticket.step", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="step_id.company_id", store=True)
    sequence = fields.Integer()
    name = fields.Char(required=True)
    done = fields.Boolean()

    def _engine_fields(self):
        flow = self.env._("the flow step's deliverables")
        return {**super()._engine_fields(), "step_id": flow, "sequence": flow, "name": flow}

    def write(self, vals):
        if "done" in vals and not (self.env.su or self._is_engine()):
            for step in self.step_id:
                if step.state not in ("ready", "in_progress") or not step._is_worker(self.env.user):
                    raise UserError(
                        self.env._(
                            "Only the holder of step %(step)s ticks off its deliverables, "
                            "while the step is open.",
                            step=step.display_name,
                        )
                    )
        return super().write(vals)

    def unlink(self):
        if not (self._is_engine() or self.env.context.get(MODULE_UNINSTALL_FLAG)):
            raise UserError(
                self.env._("The deliverables of a step come from its flow: they cannot be removed.")
            )
        return super().unlink()
