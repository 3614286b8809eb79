from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG


class CrossdeptTicketStepDecision(models.Model):
    """An approver's decision on a step. Written by the engine only; a step that is
    returned to or reopened starts a new round and archives the decisions of the
    previous one, which stay in the history."""

    _name = "crossdept.ticket.step.decision"
    _description = "Approval Decision"
    _inherit = ["crossdept.engine.mixin"]
    _order = "step_id, id"

    step_id = fields.Many2one(
        "crossdept.ticket.step", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="step_id.company_id", store=True)
    user_id = fields.Many2one("res.users", "Approver", required=True)
    decision = fields.Selection([("approve", "Approved"), ("reject", "Refused")], required=True)
    reason = fields.Text("Comment", help="The approver's comment (审批意见); a refusal's reason.")
    attachment_ids = fields.Many2many(
        "ir.attachment", string="Files", help="Files the approver gave with the decision."
    )
    date = fields.Datetime(default=fields.Datetime.now, required=True)
    active = fields.Boolean(default=True)

    def init(self):
        # one decision per approver and step in the current round
        self.env.cr.execute(
            SQL(
                "ALTER TABLE crossdept_ticket_step_decision "
                "DROP CONSTRAINT IF EXISTS crossdept_ticket_step_decision_step_user_uniq"
            )
        )
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS crossdept_ticket_step_decision_round_uniq "
                "ON crossdept_ticket_step_decision (step_id, user_id) WHERE active"
            )
        )

    def _engine_fields(self):
        decide = self.env._("Approve or Refuse on the step")
        return {
            **super()._engine_fields(),
            **{
                name: decide
                for name, field in self._fields.items()
                if field.store and name not in models.MAGIC_COLUMNS
            },
        }

    def unlink(self):
        if not self.env.context.get(MODULE_UNINSTALL_FLAG):
            raise UserError(
                self.env._("Approval decisions are part of the history: they cannot be deleted.")
            )
        return super().unlink()
