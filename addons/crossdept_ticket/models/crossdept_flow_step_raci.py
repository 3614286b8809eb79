from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .crossdept_ticket_raci import RACI_ROLES


class CrossdeptFlowStepRaci(models.Model):
    _name = "crossdept.flow.step.raci"
    _description = "Flow Step RACI Line"
    _order = "step_id, role, id"

    step_id = fields.Many2one("crossdept.flow.step", required=True, ondelete="cascade", index=True)
    role = fields.Selection(RACI_ROLES, required=True, default="responsible")
    holder_type = fields.Selection(
        [
            ("user", "A user"),
            ("department_manager", "A department's manager"),
            ("department", "A department"),
            ("requester", "The requester"),
            ("accountable", "The ticket's Accountable"),
        ],
        required=True,
        default="user",
    )
    user_id = fields.Many2one("res.users")
    department_id = fields.Many2one("hr.department")

    @api.constrains("holder_type", "user_id", "department_id")
    def _check_holder(self):
        for line in self:
            if line.holder_type == "user" and not line.user_id:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: choose the user of the RACI line.", step=line.step_id.name
                    )
                )
            if line.holder_type in ("department", "department_manager") and not line.department_id:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: choose the department of the RACI line.",
                        step=line.step_id.name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD: the flow's lock, and the step's approvals follow its lines
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        steps = self.env["crossdept.flow.step"].browse(
            {vals.get("step_id") for vals in vals_list if vals.get("step_id")}
        )
        steps.flow_id._check_editable()
        lines = super().create(vals_list)
        lines.step_id._check_approver_count()
        return lines

    def write(self, vals):
        steps = self.step_id
        if vals.get("step_id"):
            steps |= self.env["crossdept.flow.step"].browse(vals["step_id"])
        steps.flow_id._check_editable()
        res = super().write(vals)
        steps._check_approver_count()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked_flow(self):
        self.step_id.flow_id._check_editable()

    def unlink(self):
        steps = self.step_id
        res = super().unlink()
        steps.exists()._check_approver_count()
        return res

    def _holds_per_ticket(self):
        """Whether who holds this line depends on the ticket (``_resolve``)."""
        self.ensure_one()
        return self.holder_type not in ("user", "department_manager", "department")

    def _resolve(self, ticket):
        """The users holding this line for a ticket."""
        self.ensure_one()
        if self.holder_type == "user":
            return self.user_id
        if self.holder_type in ("department_manager", "department"):
            return self.department_id.manager_id.user_id
        if self.holder_type == "requester":
            return ticket.requester_id
        return ticket.accountable_user_id
