from datetime import datetime

from odoo import Command
from odoo.tests import HttpCase, tagged
from odoo.tools import SQL


@tagged("post_install", "-at_install")
class TestCrmTour(HttpCase):
    def test_ticket_from_lead_shows_customer_history(self):
        admin = self.env.ref("base.user_admin")
        customer = self.env["res.partner"].create({"name": "Tour Customer Ltd"})
        earlier = self.env["crossdept.ticket"].create(
            {
                "title": "Tour: earlier complaint",
                "partner_id": customer.id,
                "raci_ids": [Command.create({"role": "responsible", "user_id": admin.id})],
            }
        )
        earlier.action_open()
        earlier.action_start()
        earlier.action_done()
        self.env.cr.execute(
            SQL(
                "UPDATE crossdept_ticket SET create_date = %s WHERE id = %s",
                datetime(2026, 1, 5, 8, 0),
                earlier.id,
            )
        )
        earlier.invalidate_recordset(["create_date"])
        earlier._engine().date_closed = datetime(2026, 1, 5, 14, 30)  # back-dated history
        self.env["rating.rating"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("crossdept.ticket"),
                "res_id": earlier.id,
                "partner_id": customer.id,
                "rating": 5,
                "consumed": True,
                "feedback": "Tour: solved the same day",
            }
        )
        lead = self.env["crm.lead"].create(
            {
                "name": "Tour lead: wobbly chairs",
                "type": "opportunity",
                "partner_id": customer.id,
                "user_id": admin.id,
            }
        )
        self.start_tour(
            "/odoo/action-crm.crm_lead_action_pipeline", "crossdept_crm_tour", login="admin"
        )
        ticket = self.env["crossdept.ticket"].search([("lead_id", "=", lead.id)])
        self.assertEqual(ticket.title, "Tour lead: wobbly chairs")
        self.assertEqual(ticket.partner_id, customer)
        self.assertEqual(ticket.customer_ticket_ids, earlier)
        self.assertEqual(lead.crossdept_ticket_count, 1)
