from odoo import models


class CrossdeptTicketStep(models.Model):
    """CC (抄送) at a step: the people and departments its flow step copies are
    copied on the ticket when the step is done."""

    _inherit = "crossdept.ticket.step"

    def _on_done(self):
        res = super()._on_done()
        for step in self:
            flow_step = step.sudo().flow_step_id
            if flow_step.cc_user_ids or flow_step.cc_department_ids:
                step.ticket_id._cc(
                    flow_step.cc_user_ids,
                    flow_step.cc_department_ids,
                    self.env._("Copied when step %(step)s was done.", step=step.name),
                    step=step,
                )
        return res
