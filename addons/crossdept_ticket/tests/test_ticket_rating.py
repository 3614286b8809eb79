import re

from odoo.tests import HttpCase, tagged

from .common import CrossdeptTicketCase


@tagged("post_install", "-at_install")
class TestTicketRating(CrossdeptTicketCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_a.email = "customer.a@example.com"
        cls.ticket = cls._make_ticket(
            title="Projector broken", partner_id=cls.customer_a.id, user_id=cls.it_user.id
        )

    def _done(self, ticket):
        ticket.action_open()
        ticket.action_start()
        ticket.action_done()

    def _rating_mails(self, ticket):
        return self.env["mail.mail"].search(
            [
                ("model", "=", "crossdept.ticket"),
                ("res_id", "=", ticket.id),
                ("recipient_ids", "in", ticket.partner_id.ids),
            ]
        )

    def test_rating_request_sent_when_done(self):
        self.ticket.action_open()
        self.ticket.action_start()
        self.assertFalse(self.ticket.rating_ids)
        self.ticket.action_done()
        rating = self.ticket.rating_ids
        self.assertEqual(len(rating), 1)
        self.assertEqual(rating.partner_id, self.customer_a)
        self.assertEqual(rating.rated_partner_id, self.it_user.partner_id)
        self.assertFalse(rating.consumed)
        mail = self._rating_mails(self.ticket)
        self.assertEqual(len(mail), 1)
        self.assertIn(f"/rate/{rating.access_token}/5", mail.body_html)
        self.assertIn(f"/rate/{rating.access_token}/1", mail.body_html)
        self.assertIn(self.ticket.name, mail.subject)

    def test_no_request_without_customer_email(self):
        walk_in = self.env["res.partner"].create({"name": "Walk-in customer"})
        no_email = self._make_ticket(title="No e-mail", partner_id=walk_in.id)
        no_customer = self._make_ticket(title="No customer")
        self._done(no_email)
        self._done(no_customer)
        self.assertFalse((no_email | no_customer).rating_ids)

    def test_rating_through_the_rating_controller_shows_on_ticket(self):
        self._done(self.ticket)
        token = self.ticket.rating_ids.access_token
        page = self.url_open(f"/rate/{token}/5")
        self.assertEqual(page.status_code, 200)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = self.url_open(
            f"/rate/{token}/submit_feedback",
            data={"csrf_token": csrf, "rate": 5, "feedback": "Fixed within the hour"},
        )
        self.assertEqual(response.status_code, 200)
        self.ticket.invalidate_recordset()
        self.assertTrue(self.ticket.rating_ids.consumed)
        self.assertEqual(self.ticket.rating_last_value, 5)
        self.assertEqual(self.ticket.rating_count, 1)
        self.assertEqual(self.ticket.rating_avg, 5)
        self.assertEqual(self.ticket.rating_avg_text, "top")
        self.assertEqual(self.ticket.rating_last_feedback, "Fixed within the hour")
        stored = self.env["crossdept.ticket"].search(
            [("id", "=", self.ticket.id), ("rating_last_value", "=", 5)]
        )
        self.assertEqual(stored, self.ticket, "the last rating is stored for analytics")
        action = self.ticket.action_open_ratings()
        self.assertEqual(self.env["rating.rating"].search(action["domain"]), self.ticket.rating_ids)
