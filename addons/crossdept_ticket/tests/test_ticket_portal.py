import re

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestTicketPortal(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.customer_a = Partner.create({"name": "Portal Customer A"})
        cls.customer_b = Partner.create({"name": "Portal Customer B"})
        new_test_user(
            cls.env, "cd_portal_a", groups="base.group_portal", partner_id=cls.customer_a.id
        )
        new_test_user(
            cls.env, "cd_portal_b", groups="base.group_portal", partner_id=cls.customer_b.id
        )
        Ticket = cls.env["crossdept.ticket"]
        cls.ticket_a = Ticket.create({"title": "Invoice is wrong", "partner_id": cls.customer_a.id})
        cls.ticket_b = Ticket.create(
            {"title": "Parcel never came", "partner_id": cls.customer_b.id}
        )

    def test_list_shows_only_own_tickets(self):
        self.authenticate("cd_portal_a", "cd_portal_a")
        page = self.url_open("/my/tickets")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.ticket_a.name, page.text)
        self.assertNotIn(self.ticket_b.name, page.text)

    def test_other_customers_ticket_is_refused(self):
        self.authenticate("cd_portal_a", "cd_portal_a")
        own = self.url_open(f"/my/tickets/{self.ticket_a.id}")
        self.assertIn("Invoice is wrong", own.text)
        other = self.url_open(f"/my/tickets/{self.ticket_b.id}")
        self.assertNotIn("Parcel never came", other.text)
        self.assertTrue(other.url.endswith("/my"), other.url)

    def test_create_from_portal_belongs_to_the_customer(self):
        self.authenticate("cd_portal_b", "cd_portal_b")
        form = self.url_open("/my/tickets/new")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        response = self.url_open(
            "/my/tickets/new",
            data={
                "csrf_token": token,
                "title": "Please call me back",
                "description": "About <b>order</b> 42",
                "partner_id": self.customer_a.id,
            },
        )
        self.assertEqual(response.status_code, 200)
        ticket = self.env["crossdept.ticket"].search([("title", "=", "Please call me back")])
        self.assertEqual(ticket.partner_id, self.customer_b, "the customer cannot be forged")
        self.assertEqual(ticket.state, "open")
        self.assertIn("&lt;b&gt;order&lt;/b&gt;", ticket.description)
        self.assertIn(ticket.name, response.text)
        self.assertEqual(len(ticket.raci_ids.filtered(lambda raci: raci.role == "accountable")), 1)
        self.assertFalse(ticket.accountable_user_id.share)

    def test_empty_title_is_refused(self):
        self.authenticate("cd_portal_b", "cd_portal_b")
        form = self.url_open("/my/tickets/new")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        count = self.env["crossdept.ticket"].search_count([])
        response = self.url_open("/my/tickets/new", data={"csrf_token": token, "title": "  "})
        self.assertIn("Please give your request a title.", response.text)
        self.assertEqual(self.env["crossdept.ticket"].search_count([]), count)
