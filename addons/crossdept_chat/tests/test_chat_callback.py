import json
import secrets
import time

from odoo.tests import HttpCase, tagged

from ..tools.platforms import callback_signature
from .common import ChatCase


@tagged("post_install", "-at_install")
class TestChatCallback(ChatCase, HttpCase):
    """Card buttons act as the mapped user through the engine's own methods; a
    request unsigned, replayed, from an unmapped user or refused by the engine gets
    a clear error and changes nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dingtalk.callback_secret = "callback-test-secret"

    def _post(self, body, channel=None, secret="callback-test-secret", timestamp=None, nonce=None):
        channel = channel or self.dingtalk
        raw = json.dumps(body).encode()
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(16)
        headers = {
            "Content-Type": "application/json",
            "X-CrossDept-Timestamp": timestamp,
            "X-CrossDept-Nonce": nonce,
            "X-CrossDept-Signature": callback_signature(secret, timestamp, nonce, raw),
        }
        response = self.url_open(
            f"/crossdept/chat/callback/{channel.id}", data=raw, headers=headers
        )
        return response, headers, raw

    def _state(self, step):
        step.invalidate_recordset()
        return step.state, step.approval_state, sorted(step.decision_ids.mapped("decision"))

    def test_approve_as_the_mapped_user(self):
        ticket, step = self._approval_ready()
        response, _headers, _raw = self._post(
            {"user_id": "ding1", "action": "approve", "step_id": step.id, "text": "Fine by me"}
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["message"], f"Approved: {step.display_name}")
        self.assertEqual(step.state, "done")
        self.assertEqual(step.decision_ids.user_id, self.approver_1)
        self.assertEqual(step.decision_ids.reason, "Fine by me", "the decision comment")
        approval = ticket.event_ids.filtered(lambda e: e.event_type == "step_approve")
        self.assertEqual(approval.actor_id, self.approver_1, "logged as the person who pressed")

    def test_refuse_needs_a_reason_and_returns_the_work(self):
        _ticket, step = self._approval_ready()
        before = self._state(step)
        response, _headers, _raw = self._post(
            {"user_id": "ding2", "action": "refuse", "step_id": step.id}
        )
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json()["error"]["message"], "A refusal needs a reason.")
        self.assertEqual(self._state(step), before)
        response, _headers, _raw = self._post(
            {"user_id": "ding2", "action": "refuse", "step_id": step.id, "text": "Too dear"}
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(step.decision_ids.user_id, self.approver_2)
        self.assertEqual(step.decision_ids.reason, "Too dear")

    def test_comment_is_posted_as_the_mapped_user(self):
        ticket, step = self._approval_ready()
        response, _headers, _raw = self._post(
            {"user_id": "ding2", "action": "comment", "step_id": step.id, "text": "On it"}
        )
        self.assertEqual(response.status_code, 200, response.text)
        note = ticket.message_ids.filtered(lambda m: "On it" in (m.body or ""))
        self.assertEqual(note.author_id, self.approver_2.partner_id)

    def test_a_feishu_card_action_is_read(self):
        self.feishu.callback_secret = "callback-test-secret"
        _ticket, step = self._approval_ready()
        body = {
            "schema": "2.0",
            "header": {"event_type": "card.action.trigger"},
            "event": {
                "operator": {"user_id": "ou_feishu2"},
                "action": {"value": {"crossdept_action": "approve", "step_id": step.id}},
            },
        }
        response, _headers, _raw = self._post(body, channel=self.feishu)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["toast"]["type"], "success")
        self.assertEqual(step.decision_ids.user_id, self.approver_2)

    def test_unsigned_or_badly_signed_requests_change_nothing(self):
        _ticket, step = self._approval_ready()
        before = self._state(step)
        raw = json.dumps({"user_id": "ding1", "action": "approve", "step_id": step.id})
        response = self.url_open(
            f"/crossdept/chat/callback/{self.dingtalk.id}",
            data=raw,
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["error"]["code"], "unsigned")
        self.assertIn("X-CrossDept-Signature are required", response.json()["error"]["message"])
        response, _headers, _raw = self._post(
            {"user_id": "ding1", "action": "approve", "step_id": step.id}, secret="guessed"
        )
        self.assertEqual(response.status_code, 401)
        self.assertEqual(
            response.json()["error"]["message"], "The callback's signature does not match."
        )
        self.assertEqual(self._state(step), before)

    def test_a_replayed_callback_is_refused(self):
        _ticket, step = self._approval_ready()
        body = {"user_id": "ding1", "action": "comment", "step_id": step.id, "text": "Once"}
        response, headers, raw = self._post(body)
        self.assertEqual(response.status_code, 200, response.text)
        notes = step.ticket_id.message_ids.filtered(lambda m: "Once" in (m.body or ""))
        self.assertEqual(len(notes), 1)
        # the very same request (same nonce, timestamp and signature) again
        replay = self.url_open(
            f"/crossdept/chat/callback/{self.dingtalk.id}", data=raw, headers=headers
        )
        self.assertEqual(replay.status_code, 409)
        self.assertEqual(replay.json()["error"]["code"], "replayed")
        self.assertIn("it is a replay", replay.json()["error"]["message"])
        step.ticket_id.invalidate_recordset()
        self.assertEqual(
            len(step.ticket_id.message_ids.filtered(lambda m: "Once" in (m.body or ""))), 1
        )

    def test_a_callback_outside_the_time_window_is_refused(self):
        _ticket, step = self._approval_ready()
        before = self._state(step)
        response, _headers, _raw = self._post(
            {"user_id": "ding1", "action": "approve", "step_id": step.id},
            timestamp=int(time.time()) - 600,
        )
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["error"]["code"], "expired")
        self.assertIn("more than 300 seconds away", response.json()["error"]["message"])
        self.assertEqual(self._state(step), before)

    def test_an_unmapped_chat_user_is_refused(self):
        _ticket, step = self._approval_ready()
        before = self._state(step)
        response, _headers, _raw = self._post(
            {"user_id": "ding-stranger", "action": "approve", "step_id": step.id}
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(
            response.json()["error"]["message"],
            f"Chat user ding-stranger is not mapped to an active Odoo user of "
            f"{self.dingtalk.company_id.name}: set the chat user id on their employee.",
        )
        self.assertEqual(self._state(step), before)

    def test_a_user_who_may_not_approve_gets_the_engine_s_refusal(self):
        _ticket, step = self._approval_ready()
        before = self._state(step)
        # it_user (ding3) requested the ticket and is no approver of the step
        response, _headers, _raw = self._post(
            {"user_id": "ding3", "action": "approve", "step_id": step.id}
        )
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json()["error"]["code"], "refused")
        self.assertEqual(
            response.json()["error"]["message"],
            f"Only an approver of {step.display_name} can approve or refuse it.",
        )
        self.assertEqual(self._state(step), before)
        self.assertFalse(step.decision_ids)

    def test_a_decided_step_is_not_decided_again(self):
        _ticket, step = self._approval_ready()
        step.with_user(self.approver_1).action_approve()
        response, _headers, _raw = self._post(
            {"user_id": "ding2", "action": "refuse", "step_id": step.id, "text": "Late"}
        )
        self.assertEqual(response.status_code, 422)
        self.assertIn("is not waiting for a decision", response.json()["error"]["message"])
        self.assertEqual(step.decision_ids.user_id, self.approver_1)
