from odoo.tests import Form, TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """The demo database, when there is one: the sales clerk works their leads."""

    def setUp(self):
        super().setUp()
        self.clerk = self.env.ref("crossdept_ticket.user_sales_rep", raise_if_not_found=False)
        self.ticket = self.env.ref("crossdept_ticket.ticket_overdue", raise_if_not_found=False)
        if not self.clerk or not self.ticket or not self.ticket.lead_id:
            self.skipTest("no demo data")

    def test_sales_clerk_opens_the_leads_of_tickets(self):
        self.assertTrue(self.clerk.has_group("sales_team.group_sale_salesman"))
        lead = self.ticket.lead_id.with_user(self.clerk)
        # the lead's form as the clerk opens it from the ticket
        with Form(lead) as form:
            self.assertEqual(form.name, self.ticket.lead_id.name)
        self.assertTrue(self.env["crm.lead"].with_user(self.clerk).search_count([]))
