import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from odoo.addons.crossdept_ticket.tests.common_flow import CrossdeptFlowCase

DINGTALK_SECRET = "SECdingtalk-test-secret"
FEISHU_SECRET = "feishu-test-secret"
WEBHOOK_SECRET = "webhook-test-secret"
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


class StandIn:
    """A real HTTP server on 127.0.0.1 (a thread of the test) standing in for the
    chat platforms' robot webhooks. It checks each request as the platform does
    (DingTalk: timestamp and sign in the query; Feishu: timestamp and sign in the
    body; WeCom: the key in the query), records it, and answers in the platform's
    format. ``fail`` makes the next N requests answer 503 (an outage); ``delay``
    holds each answer that many seconds (a slow server)."""

    def __init__(self):
        self.requests = []
        self.fail = 0
        self.delay = 0.0
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            # keep-alive, as the platforms' servers: the sender reuses its connection
            protocol_version = "HTTP/1.1"
            # headers and body leave at once (no Nagle wait for the client's ACK)
            disable_nagle_algorithm = True

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                stand_in._handle(self, raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def _handle(self, handler, raw):
        url = urlsplit(handler.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        record = {
            "path": url.path,
            "query": query,
            "raw_query": url.query,
            "headers": dict(handler.headers),
            "raw": raw,
            "json": json.loads(raw),
        }
        with self.lock:
            self.requests.append(record)
            failing = self.fail > 0
            if failing:
                self.fail -= 1
        # recorded first: a request shows even while its answer is held
        if self.delay:
            threading.Event().wait(self.delay)
        if failing:
            return self._answer(handler, 503, {"error": "unavailable"})
        platform = url.path.strip("/").split("/")[0]
        self._answer(handler, 200, getattr(self, f"_check_{platform}")(record))

    @staticmethod
    def _answer(handler, status, data):
        body = json.dumps(data).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    @staticmethod
    def _check_dingtalk(record):
        # https://open.dingtalk.com/document/robots/customize-robot-security-settings
        timestamp, sign = record["query"].get("timestamp"), record["query"].get("sign")
        expected = base64.b64encode(
            hmac.new(
                DINGTALK_SECRET.encode(),
                f"{timestamp}\n{DINGTALK_SECRET}".encode(),
                hashlib.sha256,
            ).digest()
        ).decode()
        # parse_qs decoded the URL-encoded sign once
        if sign != expected:
            return {"errcode": 310000, "errmsg": "sign not match"}
        return {"errcode": 0, "errmsg": "ok"}

    @staticmethod
    def _check_feishu(record):
        body = record["json"]
        key = f"{body.get('timestamp')}\n{FEISHU_SECRET}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        if body.get("sign") != expected:
            return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
        return {"code": 0, "msg": "success", "data": {}}

    @staticmethod
    def _check_wecom(record):
        if record["query"].get("key") != WECOM_KEY:
            return {"errcode": 93000, "errmsg": "invalid webhook url"}
        return {"errcode": 0, "errmsg": "ok"}

    @staticmethod
    def _check_webhook(record):
        expected = (
            "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), record["raw"], hashlib.sha256).hexdigest()
        )
        return {"ok": record["headers"].get("X-CrossDept-Signature") == expected}


class ChatCase(CrossdeptFlowCase):
    """A stand-in server, one channel per platform pointing at it, and a flow
    Prepare (task) then Approve (approvers 1 and 2, both with chat user ids)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stand_in = StandIn()
        cls.addClassCleanup(cls.stand_in.close)
        cls.env["crossdept.chat.channel"].search([]).active = False
        base = cls.stand_in.base
        Channel = cls.env["crossdept.chat.channel"]
        cls.dingtalk = Channel.create(
            {
                "name": "DingTalk (test)",
                "platform": "dingtalk",
                "url": f"{base}/dingtalk/robot/send?access_token=abc",
                "secret": DINGTALK_SECRET,
                "lang": "en_US",
                "max_attempts": 3,
            }
        )
        cls.feishu = Channel.create(
            {
                "name": "Feishu (test)",
                "platform": "feishu",
                "url": f"{base}/feishu/open-apis/bot/v2/hook/xyz",
                "secret": FEISHU_SECRET,
                "lang": "en_US",
            }
        )
        cls.wecom = Channel.create(
            {
                "name": "WeCom (test)",
                "platform": "wecom",
                "url": f"{base}/wecom/cgi-bin/webhook/send?key={WECOM_KEY}",
                "lang": "en_US",
            }
        )
        cls.webhook = Channel.create(
            {
                "name": "Webhook (test)",
                "platform": "webhook",
                "url": f"{base}/webhook/in",
                "secret": WEBHOOK_SECRET,
                "lang": "en_US",
            }
        )
        for index, user in enumerate((cls.approver_1, cls.approver_2, cls.it_user), start=1):
            user.employee_ids.write(
                {
                    "crossdept_dingtalk_user_id": f"ding{index}",
                    "crossdept_feishu_user_id": f"ou_feishu{index}",
                    "crossdept_wecom_user_id": f"wecom{index}",
                }
            )
        cls.flow, cls.flow_steps = cls._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": cls.approver_1 | cls.approver_2,
                    "approval_policy": "any",
                },
            ]
        )

    @classmethod
    def _route(cls, channel, event, **vals):
        return cls.env["crossdept.chat.route"].create(
            {"channel_id": channel.id, "event": event, **vals}
        )

    def setUp(self):
        super().setUp()
        self.stand_in.requests = []
        self.stand_in.fail = 0
        self.stand_in.delay = 0.0

    def _approval_ready(self):
        """A ticket whose Approve step waits for a decision."""
        ticket = self._run(self.flow)
        self._do(ticket, "Prepare")
        return ticket, self._step(ticket, "Approve")

    def _messages(self, channel):
        return self.env["crossdept.chat.message"].search(
            [("channel_id", "=", channel.id)], order="id"
        )

    def _requests(self, platform):
        return [r for r in self.stand_in.requests if r["path"].startswith(f"/{platform}/")]
