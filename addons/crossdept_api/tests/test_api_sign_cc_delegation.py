from odoo import Command
from odoo.tests import tagged

from .common import CrossdeptApiCase, dead_url


@tagged("post_install", "-at_install")
class TestApiSignCcDelegation(CrossdeptApiCase):
    """加签, 抄送 and 委托 through the JSON API, as the key's user, and their
    webhook events."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.approver_key = cls._api_key(cls.approver_1)
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": cls.approver_1 | cls.approver_2,
                },
            ]
        )
        cls.env["crossdept.webhook"].search([]).active = False
        EventType = cls.env["crossdept.webhook.event.type"]
        cls.env["crossdept.webhook"].create(
            {
                "name": "OA",
                "url": dead_url(),
                "event_type_ids": [Command.set(EventType.search([]).ids)],
            }
        )

    def _waiting_step(self):
        ticket = self._run(self.flow)  # requested by it_user
        self._do(ticket, "Prepare")
        return ticket, self._step(ticket, "Approve")

    def _codes(self, ticket):
        return (
            self.env["crossdept.webhook.delivery"]
            .search([("ticket_id", "=", ticket.id)])
            .mapped("event_type")
        )

    def test_add_approvers_before_me(self):
        ticket, step = self._waiting_step()
        path = f"/tickets/{ticket.id}/steps/{step.id}/approvers"
        body = {"user_ids": [self.approver_3.id], "position": "before", "reason": "VAT"}
        # the requester is no approver: refused with the reason
        response = self._call(path, key=self.it_key, body=body)
        error = self.assertApiError(response, 422, "unprocessable")
        self.assertIn("Only an approver of", error["message"])
        response = self._call(path, key=self.approver_key, body={**body, "position": "aside"})
        self.assertApiError(response, 400, "invalid_field", field="position")
        response = self._call(path, key=self.approver_key, body={**body, "reason": " "})
        self.assertApiError(response, 400, "invalid_field", field="reason")
        response = self._call(
            f"/tickets/{ticket.id}/steps/{ticket.step_ids[0].id + 100000}/approvers",
            key=self.approver_key,
            body=body,
        )
        self.assertApiError(response, 404, "not_found")
        response = self._call(path, key=self.approver_key, body=body)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["id"], step.id)
        self.assertEqual(step.approver_ids, self.approver_1 | self.approver_2 | self.approver_3)
        self.assertFalse(step.with_user(self.approver_1).can_decide)
        event = ticket.event_ids.filtered(lambda e: e.event_type == "approver_add_before")
        self.assertEqual((event.actor_id, event.reason), (self.approver_1, "VAT"))
        self.assertIn("approval.approver_added_before", self._codes(ticket))

    def test_copy_a_ticket(self):
        ticket, _step = self._waiting_step()
        path = f"/tickets/{ticket.id}/cc"
        response = self._call(
            path, key=self.finance_key, body={"user_ids": [self.approver_3.id], "reason": "FYI"}
        )
        self.assertApiError(response, 404, "not_found")
        response = self._call(path, key=self.it_key, body={"user_ids": "x", "reason": "FYI"})
        self.assertApiError(response, 400, "invalid_field", field="user_ids")
        response = self._call(
            path,
            key=self.it_key,
            body={"user_ids": [self.approver_3.id], "department_ids": [], "reason": "FYI"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(ticket.cc_user_ids, self.approver_3)
        event = ticket.event_ids.filtered(lambda e: e.event_type == "cc")
        self.assertEqual((event.actor_id, event.to_user_id), (self.it_user, self.approver_3))
        self.assertIn("ticket.copied", self._codes(ticket))

    def test_delegate_approvals(self):
        ticket, step = self._waiting_step()
        body = {
            "delegate_id": self.approver_3.id,
            "date_from": "2026-01-01T00:00:00Z",
            "date_to": "2026-01-02T00:00:00Z",
        }
        response = self._call(
            "/delegations", key=self.approver_key, body={**body, "delegate_id": self.approver_1.id}
        )
        error = self.assertApiError(response, 422, "unprocessable")
        self.assertIn("Delegate your approvals to somebody else", error["message"])
        response = self._call(
            "/delegations", key=self.approver_key, body={**body, "date_to": "2025-01-01T00:00:00Z"}
        )
        error = self.assertApiError(response, 422, "unprocessable")
        self.assertIn("ends before it starts", error["message"])
        response = self._call(
            "/delegations",
            key=self.approver_key,
            body={**body, "date_to": "2099-01-01T00:00:00Z", "note": "On leave"},
        )
        self.assertEqual(response.status_code, 201, response.text)
        data = response.json()
        self.assertEqual(
            (data["user"]["id"], data["delegate"]["id"], data["scope"], data["note"]),
            (self.approver_1.id, self.approver_3.id, "all", "On leave"),
        )
        self.assertEqual(step.approver_ids, self.approver_2 | self.approver_3)
        self.assertIn("approval.delegated", self._codes(ticket))
