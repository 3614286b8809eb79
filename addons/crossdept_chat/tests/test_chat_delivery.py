import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta
from urllib.parse import quote_plus

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import DINGTALK_SECRET, FEISHU_SECRET, WEBHOOK_SECRET, WECOM_KEY, ChatCase


@tagged("post_install", "-at_install")
class TestChatDelivery(ChatCase):
    """Each platform gets its documented message and signature from the outbox,
    sent by the cron after the ticket's transaction; outages are retried with
    backoff, failures show on the channel, nothing is lost."""

    def _send(self):
        return self.env["crossdept.chat.message"]._cron_send()

    def _url(self, ticket):
        base = self.env["ir.config_parameter"].get_param("web.base.url")
        return f"{base}/odoo/crossdept.ticket/{ticket.id}"

    def test_dingtalk_markdown_signed_in_the_query(self):
        self._route(self.dingtalk, "approval")
        ticket, step = self._approval_ready()
        message = self._messages(self.dingtalk)
        self.assertEqual(len(message), 1)
        self.assertEqual(
            (message.event, message.step_id, message.state), ("approval", step, "pending")
        )
        self.assertFalse(self._requests("dingtalk"), "nothing is sent inside the transaction")
        before = int(time.time() * 1000)
        self._send()
        self.assertEqual(message.state, "done", message.last_error)
        [request] = self._requests("dingtalk")
        timestamp = request["query"]["timestamp"]
        self.assertTrue(before <= int(timestamp) <= int(time.time() * 1000))
        self.assertEqual(request["query"]["access_token"], "abc")
        # the documented sign, computed here independently, URL-encoded in the raw query
        digest = hmac.new(
            DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
        ).digest()
        self.assertIn(f"&sign={quote_plus(base64.b64encode(digest))}", request["raw_query"])
        text = (
            f"**Approval needed: Approve**\n\n{ticket.name}: Printer on fire\n\n"
            f"- Department: {self.dept_it.name}\n"
            f"- Approvers: Approver 1, Approver 2\n"
            f"- Deadline: {step.date_deadline:%Y-%m-%d %H:%M} UTC\n\n"
            f"[Open ticket]({self._url(ticket)})\n\n@ding1 @ding2"
        )
        self.assertEqual(
            request["json"],
            {
                "msgtype": "markdown",
                "markdown": {"title": "Approval needed: Approve", "text": text},
                "at": {"atUserIds": ["ding1", "ding2"], "isAtAll": False},
            },
        )
        self.assertEqual(request["headers"]["Content-Type"], "application/json; charset=utf-8")

    def test_dingtalk_refuses_a_wrong_secret_and_the_channel_shows_it(self):
        self.dingtalk.secret = "SECwrong"
        self._route(self.dingtalk, "approval")
        self._approval_ready()
        message = self._messages(self.dingtalk)
        self._send()
        self.assertEqual(message.state, "pending", "retried later")
        self.assertEqual(message.last_error, "310000: sign not match")
        self.assertEqual(self.dingtalk.last_error, "310000: sign not match")

    def test_feishu_card_signed_in_the_body(self):
        self._route(self.feishu, "approval")
        ticket, step = self._approval_ready()
        before = int(time.time())
        self._send()
        message = self._messages(self.feishu)
        self.assertEqual(message.state, "done", message.last_error)
        [request] = self._requests("feishu")
        body = request["json"]
        timestamp = body.pop("timestamp")
        self.assertTrue(before <= int(timestamp) <= int(time.time()))
        key = f"{timestamp}\n{FEISHU_SECRET}".encode()
        self.assertEqual(
            body.pop("sign"), base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        )
        self.assertEqual(body["msg_type"], "interactive")
        card = body["card"]
        self.assertEqual(card["header"]["title"]["content"], "Approval needed: Approve")
        self.assertEqual(
            card["elements"][0]["text"]["content"],
            f"{ticket.name}: Printer on fire\n- Department: {self.dept_it.name}\n"
            "- Approvers: Approver 1, Approver 2\n"
            f"- Deadline: {step.date_deadline:%Y-%m-%d %H:%M} UTC\n"
            "<at id=ou_feishu1></at> <at id=ou_feishu2></at>",
        )
        self.assertEqual(
            card["elements"][1]["actions"],
            [
                {
                    "tag": "button",
                    "text": {"tag": "plain_text", "content": "Open ticket"},
                    "type": "default",
                    "url": self._url(ticket),
                },
                {
                    "tag": "button",
                    "text": {"tag": "plain_text", "content": "Approve"},
                    "type": "primary",
                    "value": {"crossdept_action": "approve", "step_id": step.id},
                },
                {
                    "tag": "button",
                    "text": {"tag": "plain_text", "content": "Refuse"},
                    "type": "danger",
                    "value": {"crossdept_action": "refuse", "step_id": step.id},
                },
            ],
        )

    def test_wecom_markdown_with_the_key_in_the_url(self):
        self._route(self.wecom, "step_ready", mention_holders=True)
        ticket = self._run(self.flow)
        self._send()
        message = self._messages(self.wecom)
        self.assertEqual(message.state, "done", message.last_error)
        [request] = self._requests("wecom")
        self.assertEqual(request["query"], {"key": WECOM_KEY})
        step = self._step(ticket, "Prepare")
        self.assertEqual(
            request["json"],
            {
                "msgtype": "markdown",
                "markdown": {
                    "content": f"**Step ready: Prepare**\n\n{ticket.name}: Printer on fire\n\n"
                    f"- Department: {self.dept_it.name}\n- Holder: {step.user_id.name}\n"
                    f"- Deadline: {step.date_deadline:%Y-%m-%d %H:%M} UTC\n\n"
                    f"[Open ticket]({self._url(ticket)})\n\n<@wecom3>"
                },
            },
        )

    def test_generic_webhook_signed_in_a_header(self):
        self._route(self.webhook, "done", mention_holders=False)
        ticket, step = self._approval_ready()
        step.with_user(self.approver_1).action_approve()
        self._send()
        messages = self._messages(self.webhook)
        self.assertEqual(messages.mapped("state"), ["done"] * len(messages))
        requests = self._requests("webhook")
        self.assertEqual(len(requests), len(messages))
        for request in requests:
            self.assertEqual(
                request["headers"]["X-CrossDept-Signature"],
                "sha256="
                + hmac.new(WEBHOOK_SECRET.encode(), request["raw"], hashlib.sha256).hexdigest(),
            )
        approved = next(r["json"] for r in requests if r["json"]["step_id"] == step.id)
        self.assertEqual(approved["event"], "done")
        self.assertEqual(approved["title"], "Done: Approve")
        self.assertEqual(approved["ticket_id"], ticket.id)
        self.assertEqual(approved["mentions"], [])

    def test_outage_is_retried_with_backoff_and_nothing_is_lost(self):
        self._route(self.dingtalk, "approval")
        self._approval_ready()
        message = self._messages(self.dingtalk)
        self.stand_in.fail = 3
        delays = []
        for attempt in (1, 2):
            self._send()
            self.assertEqual((message.state, message.attempt_count), ("pending", attempt))
            self.assertEqual(message.last_error, "HTTP 503")
            delays.append(message.next_attempt - message.last_attempt)
            # not due yet: the cron leaves it alone
            self.assertFalse(self._send())
            message._engine().next_attempt = fields.Datetime.now() - timedelta(seconds=1)
        self.assertEqual(delays, [timedelta(minutes=1), timedelta(minutes=2)])
        self._send()
        self.assertEqual((message.state, message.attempt_count), ("failed", 3))
        self.assertEqual(self.dingtalk.failed_count, 1)
        self.assertEqual(self.dingtalk.last_error, "HTTP 503")
        self.assertEqual(len(self._requests("dingtalk")), 3)
        # the platform is back: the failed message is still there and goes out
        self.dingtalk.action_retry_failed()
        self.assertEqual((message.state, message.attempt_count), ("done", 4))
        self.assertEqual(self.dingtalk.failed_count, 0)
        self.assertEqual(len(self._requests("dingtalk")), 4)

    def test_unreachable_server_is_a_failure_not_an_error(self):
        self.wecom.url = f"http://127.0.0.1:9/wecom/cgi-bin/webhook/send?key={WECOM_KEY}"
        self._route(self.wecom, "step_ready")
        self._run(self.flow)
        self._send()
        message = self._messages(self.wecom)
        self.assertEqual((message.state, message.attempt_count), ("pending", 1))
        self.assertIn("NewConnectionError", message.last_error)

    def test_a_slow_server_never_holds_the_ticket_transaction(self):
        self._route(self.dingtalk, "approval")
        self._route(self.dingtalk, "done")
        # a server that holds every answer a minute: a request made by the ticket's
        # work would hold it that long, and be recorded at once
        self.dingtalk.timeout = 120
        self.stand_in.delay = 60.0
        start = time.monotonic()
        _ticket, step = self._approval_ready()
        step.with_user(self.approver_1).action_approve()
        elapsed = time.monotonic() - start
        self.assertLess(elapsed, 60.0, "the ticket's work did not wait for the chat server")
        self.assertFalse(self.stand_in.requests, "no request during the ticket's work")
        self.assertIn("approval", self._messages(self.dingtalk).mapped("event"))
        self.assertIn("done", self._messages(self.dingtalk).mapped("event"))
        self.assertEqual(set(self._messages(self.dingtalk).mapped("state")), {"pending"})
        self.stand_in.delay = 0.0

    def test_routes_by_flow_step_and_department(self):
        prepare = self.flow_steps["Prepare"]
        self._route(self.webhook, "step_ready", flow_step_id=prepare.id)
        self._route(self.wecom, "step_ready", department_id=self.dept_finance.id)
        self._route(self.feishu, "done", department_id=self.dept_it.id)
        ticket, _step = self._approval_ready()
        [message] = self._messages(self.webhook)
        self.assertEqual(message.step_id, self._step(ticket, "Prepare"))
        self.assertFalse(self._messages(self.wecom), "no step of Finance became ready")
        self.assertEqual(
            self._messages(self.feishu).step_id, self._step(ticket, "Prepare"), "Prepare is done"
        )
        self.assertFalse(self._messages(self.dingtalk), "a channel without routes hears nothing")

    def test_sla_warning_breach_and_escalation(self):
        self.env["crossdept.escalation.rule"].search([]).active = False
        self.env["crossdept.escalation.rule"].create(
            {"name": "Chat (test)", "warn_percent": 80, "level2_delay_hours": 4}
        )
        for event in ("warning", "breach", "escalation"):
            self._route(self.wecom, event)
        ticket = self._run(self.flow)
        step = self._step(ticket, "Prepare")
        deadline = step.date_deadline
        step._escalate(deadline - timedelta(minutes=30))
        step._escalate(deadline + timedelta(minutes=30))
        step._escalate(deadline + timedelta(hours=5))
        messages = self._messages(self.wecom)
        self.assertEqual(messages.mapped("event"), ["warning", "breach", "escalation"])
        contents = [json.loads(m.payload)["markdown"]["content"] for m in messages]
        self.assertTrue(contents[0].startswith("**Close to its deadline: Prepare**"))
        self.assertTrue(contents[1].startswith("**Deadline missed: Prepare**"))
        self.assertTrue(contents[2].startswith("**Escalated: Prepare**"))

    def test_messages_are_written_in_the_channel_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.wecom.lang = "zh_CN"
        self._route(self.wecom, "step_ready")
        self._run(self.flow)
        content = json.loads(self._messages(self.wecom).payload)["markdown"]["content"]
        self.assertTrue(content.startswith("**步骤就绪\uff1aPrepare**"), content)
        self.assertIn("[打开工单]", content)

    def test_outbox_is_the_engine_s(self):
        self._route(self.dingtalk, "approval")
        self._approval_ready()
        message = self._messages(self.dingtalk)
        admin = self.env.ref("base.user_admin")
        with self.assertRaisesRegex(UserError, "is set by CrossDept's engine.*Retry now"):
            message.with_user(admin).write({"state": "done"})

    def test_channel_checks_its_url(self):
        with self.assertRaisesRegex(ValidationError, "must carry the robot's key"):
            self.wecom.url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
        with self.assertRaisesRegex(ValidationError, "must start with http:// or https://"):
            self.dingtalk.url = "ftp://example.com"

    def test_secrets_are_for_administrators(self):
        channel = self.dingtalk.with_user(self.it_manager)
        self.assertEqual(channel.failed_count, 0, "a manager follows the channel's health")
        for field in ("url", "secret", "callback_secret"):
            with self.assertRaisesRegex(AccessError, f'"{field}" on Chat Channel'):
                channel.read([field])
        with self.assertRaisesRegex(AccessError, "not allowed to modify 'Chat Channel'"):
            channel.name = "Renamed"
