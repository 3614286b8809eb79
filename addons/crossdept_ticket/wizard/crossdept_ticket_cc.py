from odoo import fields, models


class CrossdeptTicketCc(models.TransientModel):
    _name = "crossdept.ticket.cc"
    _description = "Copy People on a Ticket (抄送)"

    ticket_id = fields.Many2one("crossdept.ticket", required=True)
    user_ids = fields.Many2many("res.users", string="People", domain=[("share", "=", False)])
    department_ids = fields.Many2many(
        "hr.department", string="Departments", help="Their members are copied."
    )
    reason = fields.Text(required=True)

    def action_cc(self):
        self.ensure_one()
        self.ticket_id.action_cc(self.user_ids, self.department_ids, self.reason)
        return {"type": "ir.actions.act_window_close"}
