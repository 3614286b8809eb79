from odoo.tests import tagged

from .common import CrossdeptApiCase


@tagged("post_install", "-at_install")
class TestApiAuth(CrossdeptApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket = cls._make_ticket()

    def test_no_key_is_refused(self):
        response = self._call(f"/tickets/{self.ticket.id}")
        self.assertApiError(response, 401, "unauthorized")
        self.assertEqual(response.headers["WWW-Authenticate"], "Bearer")

    def test_wrong_key_is_refused(self):
        response = self._call(f"/tickets/{self.ticket.id}", key="0" * 40)
        self.assertApiError(response, 401, "unauthorized")
        response = self._call(
            f"/tickets/{self.ticket.id}", headers={"Authorization": f"Basic {self.it_key}"}
        )
        self.assertApiError(response, 401, "unauthorized")

    def test_revoked_key_is_refused(self):
        key = self._api_key(self.it_user)
        self.assertEqual(self._call(f"/tickets/{self.ticket.id}", key=key).status_code, 200)
        self.env["res.users.apikeys"].search([("user_id", "=", self.it_user.id)]).sudo()._remove()
        self.assertApiError(self._call(f"/tickets/{self.ticket.id}", key=key), 401, "unauthorized")

    def test_valid_key_acts_as_its_user(self):
        response = self._call(f"/tickets/{self.ticket.id}", key=self.it_key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["number"], self.ticket.name)
        created = self._call("/tickets", key=self.it_key, body={"title": "Mine"})
        self.assertEqual(created.status_code, 201, created.text)
        ticket = self.env["crossdept.ticket"].browse(created.json()["id"])
        self.assertEqual(ticket.requester_id, self.it_user)
        self.assertEqual(ticket.create_uid, self.it_user)

    def test_record_rules_apply(self):
        """The Finance user may not see an IT ticket: it answers as if it did not exist."""
        response = self._call(f"/tickets/{self.ticket.id}", key=self.finance_key)
        self.assertApiError(response, 404, "not_found")
        missing = self._call("/tickets/999999999", key=self.finance_key)
        self.assertApiError(missing, 404, "not_found")
        self.assertEqual(response.json()["error"]["message"].split()[0], "Ticket")

    def test_messages_in_the_users_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.finance_user.lang = "zh_CN"
        response = self._call(f"/tickets/{self.ticket.id}", key=self.finance_key)
        error = self.assertApiError(response, 404, "not_found")
        self.assertEqual(error["message"], f"未找到工单 {self.ticket.id}。")
