from odoo.tests import tagged

from .common import CrossdeptApiCase


@tagged("post_install", "-at_install")
class TestApiComments(CrossdeptApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket = cls._make_ticket(partner_id=cls.customer_a.id)

    def test_post_comment(self):
        response = self._call(
            f"/tickets/{self.ticket.id}/comments",
            key=self.it_key,
            body={"body": "Toner ordered <soon>"},
        )
        self.assertEqual(response.status_code, 201, response.text)
        data = response.json()
        message = self.env["mail.message"].browse(data["id"])
        self.assertEqual(message.model, "crossdept.ticket")
        self.assertEqual(message.res_id, self.ticket.id)
        self.assertEqual(message.author_id, self.it_user.partner_id)
        self.assertEqual(message.message_type, "comment")
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertIn("Toner ordered &lt;soon&gt;", message.body)
        self.assertFalse(data["internal"])

    def test_post_internal_note(self):
        response = self._call(
            f"/tickets/{self.ticket.id}/comments",
            key=self.it_key,
            body={"body": "Between us", "internal": True},
        )
        self.assertEqual(response.status_code, 201, response.text)
        message = self.env["mail.message"].browse(response.json()["id"])
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_note"))

    def test_bad_comment(self):
        comments = self.ticket.message_ids.filtered(lambda m: m.message_type == "comment")
        for body, field in [({}, "body"), ({"body": " "}, "body"), ({"body": "x", "to": 1}, "to")]:
            with self.subTest(body=body):
                response = self._call(
                    f"/tickets/{self.ticket.id}/comments", key=self.it_key, body=body
                )
                self.assertApiError(response, 400, "invalid_field", field=field)
        self.ticket.invalidate_recordset(["message_ids"])
        self.assertEqual(
            self.ticket.message_ids.filtered(lambda m: m.message_type == "comment"), comments
        )

    def test_comment_on_invisible_ticket(self):
        response = self._call(
            f"/tickets/{self.ticket.id}/comments", key=self.finance_key, body={"body": "Hi"}
        )
        self.assertApiError(response, 404, "not_found")

    def test_customer_replies_but_posts_no_internal_note(self):
        """The customer's portal user replies on their own ticket, as on the portal,
        but may not post an internal note."""
        portal_key = self._api_key(self.portal_a)
        response = self._call(
            f"/tickets/{self.ticket.id}/comments",
            key=portal_key,
            body={"body": "Any news?", "internal": True},
        )
        self.assertApiError(response, 403, "forbidden")
        response = self._call(
            f"/tickets/{self.ticket.id}/comments", key=portal_key, body={"body": "Any news?"}
        )
        self.assertEqual(response.status_code, 201, response.text)
        message = self.env["mail.message"].browse(response.json()["id"])
        self.assertEqual(message.author_id, self.portal_a.partner_id)
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"))
