from odoo import api, fields, models

USER = "crossdept_ticket.group_crossdept_ticket_user"


class CrmLead(models.Model):
    _inherit = "crm.lead"

    crossdept_ticket_ids = fields.One2many(
        "crossdept.ticket", "lead_id", "Tickets", groups=USER, copy=False
    )
    crossdept_ticket_count = fields.Integer(
        "Ticket Count", compute="_compute_crossdept_ticket_count", groups=USER
    )

    @api.depends_context("uid")
    def _compute_crossdept_ticket_count(self):
        counts = dict(
            self.env["crossdept.ticket"]._read_group(
                [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.crossdept_ticket_count = counts.get(lead._origin, 0)

    def _merge_dependences(self, opportunities):
        res = super()._merge_dependences(opportunities)
        # merged leads are deleted: their tickets follow the lead that remains; as sudo
        # because merging is a CRM decision and salesmen need not see every ticket
        tickets = (
            self.env["crossdept.ticket"]
            .sudo()
            .with_context(active_test=False)
            .search([("lead_id", "in", opportunities.ids)])
        )
        if tickets:
            tickets.lead_id = self
        return res

    def action_crossdept_ticket_new(self):
        """Open a new ticket pre-filled from this lead (see the ticket's default_get)."""
        self.ensure_one()
        return self.env["crossdept.ticket"]._crm_action_new({"lead_id": self.id})

    def action_view_crossdept_tickets(self):
        self.ensure_one()
        return self.env["crossdept.ticket"]._crm_action_list(
            self.env._("Tickets of %(lead)s", lead=self.name),
            [("lead_id", "=", self.id)],
            {"lead_id": self.id},
        )
