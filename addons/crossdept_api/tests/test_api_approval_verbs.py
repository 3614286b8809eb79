from odoo.tests import tagged

from .common import CrossdeptApiCase


@tagged("post_install", "-at_install")
class TestApiApprovalVerbs(CrossdeptApiCase):
    """The OA verbs over the JSON API, as the key's user with the engine's checks:
    hand over (转交), withdraw (撤回), urge (催办), approve with a comment (审批意见)
    and refuse; and their webhook events."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": cls.approver_1 | cls.approver_2,
                    "approval_policy": "all",
                    "require_decision_comment": True,
                },
            ]
        )
        cls.approver_1_key = cls._api_key(cls.approver_1)
        cls.approver_2_key = cls._api_key(cls.approver_2)
        cls.env["crossdept.webhook"].search([]).active = False
        cls.webhook = cls.env["crossdept.webhook"].create(
            {
                "name": "Verbs (test)",
                "url": "http://127.0.0.1:9/hook",
                "event_type_ids": cls.env["crossdept.webhook.event.type"].search(
                    [
                        (
                            "code",
                            "in",
                            [
                                "approval.handed_over",
                                "ticket.withdrawn",
                                "approval.urged",
                                "approval.decided",
                            ],
                        )
                    ]
                ),
            }
        )

    def _waiting(self):
        ticket = self._run(self.flow)  # requested by it_user
        self._do(ticket, "Prepare")
        return ticket, self._step(ticket, "Approve")

    def _step_path(self, step, verb):
        return f"/tickets/{step.ticket_id.id}/steps/{step.id}/{verb}"

    def _codes(self, ticket):
        return (
            self.env["crossdept.webhook.delivery"]
            .search([("webhook_id", "=", self.webhook.id), ("ticket_id", "=", ticket.id)])
            .mapped("event_type")
        )

    def test_approve_with_a_comment_and_refuse(self):
        ticket, step = self._waiting()
        refused = self._call(self._step_path(step, "approve"), key=self.approver_1_key, body={})
        self.assertIn(
            "needs a comment", self.assertApiError(refused, 422, "unprocessable")["message"]
        )
        response = self._call(
            self._step_path(step, "approve"),
            key=self.approver_1_key,
            body={"comment": "Checked"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["id"], ticket.id)
        self.assertEqual(step.decision_ids.mapped("reason"), ["Checked"])
        # the requester is no approver
        refused = self._call(
            self._step_path(step, "refuse"), key=self.it_key, body={"reason": "No"}
        )
        self.assertRegex(
            self.assertApiError(refused, 422, "unprocessable")["message"],
            "Only an approver of .* can approve or refuse it",
        )
        self.assertApiError(
            self._call(self._step_path(step, "refuse"), key=self.approver_2_key, body={}),
            400,
            "invalid_field",
            field="reason",
        )
        response = self._call(
            self._step_path(step, "refuse"), key=self.approver_2_key, body={"reason": "Budget"}
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["state"], "cancelled")
        self.assertIn("approval.decided", self._codes(ticket))

    def test_hand_over(self):
        ticket, step = self._waiting()
        path = self._step_path(step, "hand_over")
        refused = self._call(
            path, key=self.approver_1_key, body={"user_id": self.approver_2.id, "reason": "x"}
        )
        self.assertIn(
            "Approver 2 is already an approver of",
            self.assertApiError(refused, 422, "unprocessable")["message"],
        )
        response = self._call(
            path,
            key=self.approver_1_key,
            body={"user_id": self.approver_3.id, "reason": "On leave"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(step.approver_ids, self.approver_2 | self.approver_3)
        event = ticket.event_ids.filtered(lambda e: e.event_type == "approver_hand_over")
        self.assertEqual((event.actor_id, event.to_user_id), (self.approver_1, self.approver_3))
        self.assertIn("approval.handed_over", self._codes(ticket))
        # a step of another ticket is not found under this one
        other, other_step = self._waiting()
        self.assertApiError(
            self._call(
                f"/tickets/{ticket.id}/steps/{other_step.id}/approve",
                key=self.approver_2_key,
                body={"comment": "ok"},
            ),
            404,
            "not_found",
        )
        self.assertFalse(other.step_ids.decision_ids)

    def test_urge_and_withdraw_as_the_requester(self):
        ticket, _step = self._waiting()
        refused = self._call(f"/tickets/{ticket.id}/urge", key=self.approver_1_key, body={})
        self.assertIn(
            "can urge its approvers", self.assertApiError(refused, 422, "unprocessable")["message"]
        )
        response = self._call(f"/tickets/{ticket.id}/urge", key=self.it_key, body={"note": "Soon"})
        self.assertEqual(response.status_code, 200, response.text)
        again = self._call(f"/tickets/{ticket.id}/urge", key=self.it_key, body={})
        self.assertIn(
            "you can urge them again from",
            self.assertApiError(again, 422, "unprocessable")["message"],
        )
        self.assertApiError(
            self._call(f"/tickets/{ticket.id}/withdraw", key=self.it_key, body={"why": "x"}),
            400,
            "invalid_field",
            field="why",
        )
        response = self._call(
            f"/tickets/{ticket.id}/withdraw", key=self.it_key, body={"reason": "Not needed"}
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["state"], "cancelled")
        self.assertEqual(sorted(set(self._codes(ticket))), ["approval.urged", "ticket.withdrawn"])
