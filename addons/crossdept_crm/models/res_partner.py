from odoo import api, fields, models

USER = "crossdept_ticket.group_crossdept_ticket_user"


class ResPartner(models.Model):
    _inherit = "res.partner"

    crossdept_ticket_count = fields.Integer(
        "Ticket Count", compute="_compute_crossdept_ticket_count", groups=USER
    )

    @api.depends_context("uid")
    def _compute_crossdept_ticket_count(self):
        """Tickets of each partner and of its contacts, counted in one query (the way
        CRM counts a partner's opportunities); the core's rules decide what counts."""
        self.crossdept_ticket_count = 0
        partners = self.with_context(active_test=False).search_fetch(
            [("id", "child_of", self.ids)], ["parent_id"]
        )
        data = self.env["crossdept.ticket"]._read_group(
            [("partner_id", "in", partners.ids)], ["partner_id"], ["__count"]
        )
        self_ids = set(self._ids)
        for partner, count in data:
            while partner:
                if partner.id in self_ids:
                    partner.crossdept_ticket_count += count
                partner = partner.parent_id

    def action_crossdept_ticket_new(self):
        """Open a new ticket for this customer (see the ticket's default_get)."""
        self.ensure_one()
        return self.env["crossdept.ticket"]._crm_action_new({"partner_id": self.id})

    def action_view_crossdept_tickets(self):
        self.ensure_one()
        return self.env["crossdept.ticket"]._crm_action_list(
            self.env._("Tickets of %(customer)s", customer=self.display_name),
            [("partner_id", "child_of", self.ids)],
            {"partner_id": self.id},
        )
