from odoo import fields, models
from odoo.exceptions import UserError


class CrossdeptTicketStepTransfer(models.TransientModel):
    _name = "crossdept.ticket.step.transfer"
    _description = "Assign or Transfer Steps"

    step_ids = fields.Many2many("crossdept.ticket.step", string="Steps", required=True)
    mode = fields.Selection(
        [("user", "To a person"), ("auto", "Automatic dispatch")], default="user", required=True
    )
    user_id = fields.Many2one("res.users", "New Assignee")
    reason = fields.Text(required=True)

    def action_apply(self):
        self.ensure_one()
        reason = (self.reason or "").strip()
        if not reason:
            raise UserError(self.env._("Assigning or transferring steps needs a reason."))
        closed = self.step_ids.filtered(
            lambda s: s.state not in ("pending", "ready", "in_progress")
        )
        if closed:
            raise UserError(
                self.env._(
                    "These steps are finished and keep their assignee: %(steps)s",
                    steps=", ".join(closed.mapped("display_name")),
                )
            )
        steps = self.step_ids
        if self.mode == "auto":
            homeless = steps.filtered(lambda s: not s.department_id)
            if homeless:
                raise UserError(
                    self.env._(
                        "Automatic dispatch picks among the people of a step's department; "
                        "these steps have none: %(steps)s",
                        steps=", ".join(homeless.mapped("display_name")),
                    )
                )
            for step in steps:
                step._check_can_reassign()
            # the reason heads each event, followed by the dispatch explanation
            self.env["crossdept.dispatcher"]._assign(steps, reason=reason)
            steps._schedule_holder_activities()
        else:
            if not self.user_id:
                raise UserError(self.env._("Choose the person to assign the steps to."))
            steps.action_reassign(self.user_id, reason)
        return {"type": "ir.actions.act_window_close"}
