import json

from odoo import http
from odoo.http import request
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from .common import USER

TIMEOUT_KEY = "crossdept_ticket.statement_timeout_ms"
REPORT_TIMEOUT_KEY = "crossdept_ticket.report_statement_timeout_ms"


@tagged("post_install", "-at_install")
class TestStatementTimeout(HttpCase):
    """User requests run under a statement timeout below Odoo's limit_time_real: a
    request past it is stopped and answered with a clear error, nothing of it saved."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "timeout_user", groups=USER)
        cls.env["ir.config_parameter"].set_param(TIMEOUT_KEY, "300")

    def setUp(self):
        super().setUp()
        test = self

        # test-only routes, the way Odoo's own HTTP tests add theirs: a slow request
        # that also writes something, and one that says its statement timeout
        class SlowController(http.Controller):
            @http.route("/crossdept_test/slow", type="json", auth="user")
            def slow(self, seconds):
                request.env.user.partner_id.ref = "written by the slow request"
                request.env.flush_all()
                request.env.cr.execute(SQL("SELECT pg_sleep(%s)", seconds))
                return "done"

            @http.route(
                ["/crossdept_test/timeout", "/report/crossdept_test_timeout"],
                type="http",
                auth="user",
            )
            def timeout(self):
                request.env.cr.execute(SQL("SELECT current_setting('statement_timeout')"))
                return request.env.cr.fetchone()[0]

        test.env.registry.clear_cache("routing")
        self.addCleanup(test.env.registry.clear_cache, "routing")
        self.addCleanup(http.Controller.children_classes["crossdept_ticket"].remove, SlowController)
        self.authenticate("timeout_user", "timeout_user")

    def _rpc(self, route, params):
        response = self.url_open(
            route,
            data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "call", "params": params}),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    @mute_logger("odoo.sql_db", "odoo.http", "odoo.addons.crossdept_ticket.models.ir_http")
    def test_slow_request_is_stopped_with_a_clear_error(self):
        answer = self._rpc("/crossdept_test/slow", {"seconds": 5})
        error = answer["error"]["data"]
        # a plain UserError: the web client shows it in its usual dialog, no traceback
        self.assertEqual(error["name"], "odoo.exceptions.UserError")
        self.assertEqual(
            error["message"],
            "This request took longer than 0.3 seconds and was stopped; "
            "narrow the filter or try again later.",
        )
        # nothing of the stopped request is saved
        self.env.invalidate_all()
        self.assertFalse(self.user.partner_id.ref)

    def test_request_within_the_limit_is_answered(self):
        answer = self._rpc("/crossdept_test/slow", {"seconds": 0.01})
        self.assertEqual(answer["result"], "done")
        self.env.invalidate_all()
        self.assertEqual(self.user.partner_id.ref, "written by the slow request")

    def test_limit_applies_to_the_request_only(self):
        self.assertEqual(self.url_open("/crossdept_test/timeout").text, "300ms")
        # the transaction the request shared with this test is back to the default
        self.env.cr.execute(SQL("SELECT current_setting('statement_timeout')"))
        self.assertEqual(self.env.cr.fetchone()[0], "0")

    def test_limit_is_configurable_and_reports_have_their_own(self):
        self.env["ir.config_parameter"].set_param(TIMEOUT_KEY, "2500")
        self.assertEqual(self.url_open("/crossdept_test/timeout").text, "2500ms")
        # the quarterly review PDF and other reports: 15 minutes unless configured
        self.assertEqual(self.url_open("/report/crossdept_test_timeout").text, "15min")
        self.env["ir.config_parameter"].set_param(REPORT_TIMEOUT_KEY, "1200000")
        self.assertEqual(self.url_open("/report/crossdept_test_timeout").text, "20min")
        # 0 turns the limit off
        self.env["ir.config_parameter"].set_param(TIMEOUT_KEY, "0")
        self.assertEqual(self.url_open("/crossdept_test/timeout").text, "0")

    def test_default_is_a_minute(self):
        self.env["ir.config_parameter"].search([("key", "=", TIMEOUT_KEY)]).unlink()
        self.assertEqual(self.url_open("/crossdept_test/timeout").text, "1min")
