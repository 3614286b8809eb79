from odoo import api, fields, models
from odoo.exceptions import UserError


class CrossdeptTicketTransfer(models.TransientModel):
    _name = "crossdept.ticket.transfer"
    _description = "Transfer Tickets"

    ticket_ids = fields.Many2many("crossdept.ticket", string="Tickets", required=True)
    user_id = fields.Many2one("res.users", "New Assignee")
    department_id = fields.Many2one("hr.department", "New Handling Department")
    reason = fields.Text(required=True)

    @api.onchange("user_id")
    def _onchange_user_id(self):
        employee = self.user_id.employee_ids[:1]
        if employee.department_id:
            self.department_id = employee.department_id

    def action_transfer(self):
        self.ensure_one()
        if not self.user_id and not self.department_id:
            raise UserError(self.env._("Choose the person or the department to transfer to."))
        if not (self.reason or "").strip():
            raise UserError(self.env._("A transfer needs a reason."))
        vals = {}
        if self.user_id:
            vals["user_id"] = self.user_id.id
        if self.department_id:
            vals["assigned_department_id"] = self.department_id.id
        self.ticket_ids.with_context(crossdept_reason=self.reason.strip()).write(vals)
        return {"type": "ir.actions.act_window_close"}
