from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common import CrossdeptApiCase


@tagged("post_install", "-at_install")
class TestApiTimeout(CrossdeptApiCase):
    """An API request past the statement timeout of user requests answers a JSON 503
    "timeout" with the message the web client shows, and saves nothing."""

    @mute_logger("odoo.sql_db", "odoo.addons.crossdept_ticket.models.ir_http")
    def test_request_past_the_statement_timeout_answers_503(self):
        self.env["ir.config_parameter"].set_param("crossdept_ticket.statement_timeout_ms", "500")
        # another session holds the ticket table (as a long migration or a VACUUM FULL
        # would): the API's count of tickets waits on it until the timeout stops it
        with db_connect(self.env.cr.dbname).cursor() as other:
            other.execute(SQL("SET LOCAL lock_timeout = '5s'"))
            other.execute(SQL("LOCK TABLE crossdept_ticket IN ACCESS EXCLUSIVE MODE"))
            response = self._call("/tickets", key=self.it_key)
            other.rollback()
        error = self.assertApiError(response, 503, "timeout")
        self.assertEqual(
            error["message"],
            "This request took longer than 0.5 seconds and was stopped; "
            "narrow the filter or try again later.",
        )
        self.assertNotIn("Retry-After", response.headers)
        # the same request once the table is free again
        response = self._call("/tickets", key=self.it_key)
        self.assertEqual(response.status_code, 200, response.text)
