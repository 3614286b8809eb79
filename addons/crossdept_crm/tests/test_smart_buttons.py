from odoo.tests import tagged

from .common import CrossdeptCrmCase


@tagged("post_install", "-at_install")
class TestSmartButtons(CrossdeptCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_ticket = cls._make_ticket(partner_id=cls.customer_a.id)
        cls.contact_tickets = cls._make_ticket(
            partner_id=cls.contact_a.id, lead_id=cls.lead.id
        ) | cls._make_ticket(partner_id=cls.contact_a.id)
        cls.other_ticket = cls._make_ticket(partner_id=cls.customer_b.id)

    def test_customer_counts_company_and_contacts(self):
        self.assertEqual(self.customer_a.crossdept_ticket_count, 3)
        self.assertEqual(self.contact_a.crossdept_ticket_count, 2)
        self.assertEqual(self.customer_b.crossdept_ticket_count, 1)
        partners = self.customer_a | self.contact_a | self.customer_b
        partners.invalidate_recordset(["crossdept_ticket_count"])
        self.assertEqual(partners.mapped("crossdept_ticket_count"), [3, 2, 1])

    def test_customer_button_opens_the_counted_tickets(self):
        action = self.customer_a.action_view_crossdept_tickets()
        self.assertEqual(action["res_model"], "crossdept.ticket")
        tickets = self.env["crossdept.ticket"].search(action["domain"])
        self.assertEqual(tickets, self.company_ticket | self.contact_tickets)
        self.assertEqual(action["context"], {"default_partner_id": self.customer_a.id})

    def test_lead_counts_its_tickets(self):
        self.assertEqual(self.lead.crossdept_ticket_count, 1)
        self._make_ticket(partner_id=self.contact_a.id, lead_id=self.lead.id)
        self.lead.invalidate_recordset(["crossdept_ticket_count"])
        self.assertEqual(self.lead.crossdept_ticket_count, 2)
        other_lead = self.env["crm.lead"].create({"name": "No ticket"})
        self.assertEqual(other_lead.crossdept_ticket_count, 0)

    def test_lead_button_opens_its_tickets(self):
        action = self.lead.action_view_crossdept_tickets()
        tickets = self.env["crossdept.ticket"].search(action["domain"])
        self.assertEqual(tickets, self.contact_tickets.filtered("lead_id"))
        self.assertEqual(action["context"], {"default_lead_id": self.lead.id})

    def test_archived_tickets_are_not_counted(self):
        self.company_ticket.active = False
        self.assertEqual(self.customer_a.crossdept_ticket_count, 2)

    def test_merged_leads_keep_their_tickets(self):
        duplicate = self.env["crm.lead"].create(
            {"name": "Chairs again", "type": "opportunity", "partner_id": self.contact_a.id}
        )
        ticket = self._make_ticket(partner_id=self.contact_a.id, lead_id=duplicate.id)
        master = (self.lead | duplicate).merge_opportunity()
        self.assertFalse(((self.lead | duplicate) - master).exists())
        self.assertEqual(ticket.lead_id, master)
        self.assertEqual(
            master.crossdept_ticket_ids, ticket | self.contact_tickets.filtered("lead_id")
        )
