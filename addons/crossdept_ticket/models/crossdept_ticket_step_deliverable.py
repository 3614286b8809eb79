from odoo import api, fields, models
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
    # the ticket lists the deliverables of its current steps, where their holders
    # tick them off and finish (a One2many needs the ticket on the line)
    ticket_id = fields.Many2one(related="step_id.ticket_id", store=True, index=True)
    company_id = fields.Many2one(related="step_id.company_id", store=True)
    sequence = fields.Integer()
    name = fields.Char(required=True)
    done = fields.Boolean()
    step_name = fields.Char(related="step_id.name", string="Step Name")
    can_tick = fields.Boolean(
        compute="_compute_can_tick", help="Whether the current user may tick it off now."
    )

    @api.depends_context("uid")
    @api.depends("step_id.state", "step_id.user_id", "step_id.responsible_ids")
    def _compute_can_tick(self):
        user = self.env.user
        for deliverable in self:
            step = deliverable.step_id
            deliverable.can_tick = step.state in ("ready", "in_progress") and step._is_worker(user)

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
