import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests import HttpCase

from odoo.addons.crossdept_ticket.tests.common_flow import CrossdeptFlowCase

API = "/api/crossdept/v1"


class Receiver:
    """A real HTTP server on 127.0.0.1 that records the webhook requests it gets and
    answers each with the next planned status (200 once the plan is used up)."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                answer = json.dumps({"received": status < 300}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format, *args):  # pylint: disable=redefined-builtin
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def dead_url():
    """URL of a port nobody listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


class CrossdeptApiCase(HttpCase, CrossdeptFlowCase):
    """The core's departments, users and flow helper, API keys for the IT user and
    the Finance user, and helpers for JSON calls through real HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.it_key = cls._api_key(cls.it_user)
        cls.finance_key = cls._api_key(cls.finance_user)

    @classmethod
    def _api_key(cls, user):
        # sudo: a key without expiration date needs it
        return cls.env["res.users.apikeys"].with_user(user).sudo()._generate("rpc", "test", None)

    def _call(self, path, key=None, body=None, raw=None, headers=None, method=None):
        """GET (no body) or POST (body as JSON, or raw bytes) ``path`` of the API, or
        ``method`` when given. Given ``headers`` win over the defaults."""
        headers = dict(headers or {})
        if key:
            headers.setdefault("Authorization", f"Bearer {key}")
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        if method:
            # the opener flushes this test's transaction first, as url_open does
            return self.opener.request(
                method, self.base_url() + API + path, data=data, headers=headers, timeout=30
            )
        return self.url_open(API + path, data=data, headers=headers, timeout=30)

    def assertApiError(self, response, status, code, field=None):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.headers["Content-Type"], "application/json; charset=utf-8")
        error = response.json()["error"]
        self.assertEqual(error["code"], code)
        self.assertTrue(error["message"])
        if field:
            self.assertEqual(error["field"], field)
        return error
