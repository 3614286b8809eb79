from odoo import fields, models


class CrossdeptTicketType(models.Model):
    _name = "crossdept.ticket.type"
    _description = "Ticket Type"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(help="Short code used in integrations and reports.")
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", help="Leave empty to share the type between companies."
    )
    accountable_user_id = fields.Many2one(
        "res.users",
        "Default Accountable",
        domain=[("share", "=", False)],
        help="Accountable for new tickets of this type, unless the ticket names one.",
    )
    expert_user_ids = fields.Many2many(
        "res.users",
        "crossdept_ticket_type_expert_rel",
        "type_id",
        "user_id",
        string="Expert Group",
        help="High and urgent tickets of this type go to these people first.",
    )
    skill_requirement_ids = fields.One2many(
        "crossdept.skill.requirement", "type_id", "Required Skills"
    )
    portal_available = fields.Boolean(
        "Customers Can Request",
        help="Portal customers may choose this type when they open a ticket on the portal.",
    )
    ticket_count = fields.Integer(compute="_compute_ticket_count")

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "A ticket type code must be unique per company.",
        ),
    ]

    def _compute_ticket_count(self):
        counts = dict(
            self.env["crossdept.ticket"]._read_group(
                [("type_id", "in", self.ids)], ["type_id"], ["__count"]
            )
        )
        for ticket_type in self:
            ticket_type.ticket_count = counts.get(ticket_type, 0)
