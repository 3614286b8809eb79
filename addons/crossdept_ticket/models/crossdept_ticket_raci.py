from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

RACI_ROLES = [
    ("responsible", "Responsible"),
    ("accountable", "Accountable"),
    ("consulted", "Consulted"),
    ("informed", "Informed"),
]


class CrossdeptTicketRaci(models.Model):
    _name = "crossdept.ticket.raci"
    _description = "Ticket RACI Line"
    # the holder and company are computed: nobody writes them; a flow start creates
    # the Responsible lines in bulk
    _inherit = ["crossdept.engine.mixin", "crossdept.shared.defaults.mixin"]
    _order = "ticket_id, role, id"

    ticket_id = fields.Many2one("crossdept.ticket", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="ticket_id.company_id", store=True, index=True)
    role = fields.Selection(RACI_ROLES, required=True, default="responsible")
    user_id = fields.Many2one("res.users", index="btree_not_null")
    department_id = fields.Many2one(
        "hr.department",
        index="btree_not_null",
        help="A department holds the role through its manager.",
    )
    holder_user_id = fields.Many2one(
        "res.users",
        "Holder",
        compute="_compute_holder_user_id",
        store=True,
        index=True,
        help="The person who holds the role: the user, or the department's manager.",
    )
    note = fields.Char()

    @api.depends("user_id", "department_id.manager_id.user_id")
    def _compute_holder_user_id(self):
        for line in self:
            line.holder_user_id = line.user_id or line.department_id.manager_id.user_id

    @api.constrains("role", "user_id", "department_id")
    def _check_holder(self):
        for line in self:
            if bool(line.user_id) == bool(line.department_id):
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: the %(role)s line must name either a user "
                        "or a department, not both and not neither.",
                        ticket=line.ticket_id.display_name,
                        role=line._role_label(),
                    )
                )

    @api.constrains("role", "ticket_id")
    def _check_ticket_raci(self):
        self.ticket_id._check_raci()

    def _role_label(self):
        return dict(self._fields["role"]._description_selection(self.env))[self.role]

    def _check_ticket_access(self, tickets):
        """Who holds which role is decided by the ticket's Accountable, a manager or
        an administrator (and the requester before the flow starts)."""
        Ticket = self.env["crossdept.ticket"]
        if not (self.env.su or Ticket._is_engine()):
            tickets._check_edit_access({"raci_ids": True})

    @api.model_create_multi
    def create(self, vals_list):
        self._check_ticket_access(
            self.env["crossdept.ticket"].browse({vals.get("ticket_id") for vals in vals_list})
        )
        lines = super().create(vals_list)
        lines._notify_holders()
        return lines

    def write(self, vals):
        if "ticket_id" in vals and any(line.ticket_id.id != vals["ticket_id"] for line in self):
            raise UserError(self.env._("A RACI line stays on its ticket: add one to the other."))
        self._check_ticket_access(self.ticket_id)
        res = super().write(vals)
        if {"role", "user_id", "department_id"} & set(vals):
            self._notify_holders()
        return res

    def unlink(self):
        self._check_ticket_access(self.ticket_id)
        # check what would remain before deleting anything
        self.ticket_id._check_raci(removed_lines=self)
        return super().unlink()

    def _notify_holders(self):
        """Informed holders follow the ticket; Consulted holders get an activity."""
        followers = defaultdict(set)
        for line in self.filtered(lambda raci: raci.role == "informed"):
            if line.holder_user_id:
                followers[line.ticket_id].add(line.holder_user_id.partner_id.id)
        for ticket, partner_ids in followers.items():
            ticket.message_subscribe(partner_ids=list(partner_ids))
        for line in self.filtered(lambda raci: raci.role == "consulted"):
            if line.holder_user_id:
                line.ticket_id.activity_schedule(
                    "crossdept_ticket.mail_activity_crossdept_consult",
                    user_id=line.holder_user_id.id,
                    note=line.note or False,
                )
