import socket

import psycopg2

from odoo import http
from odoo.service.server import WorkerCron
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.crossdept_api import outage


@tagged("post_install", "-at_install")
class TestOutage(TransactionCase):
    """What outage.py takes for "the database is away" (answered 503, the cron worker
    waits) and what it leaves to the usual error handling. The outage itself, with
    PostgreSQL stopped under Odoo in workers mode, is tests/test_live_outage.py."""

    def test_odoo_server_is_wrapped_once(self):
        self.assertTrue(http.Request._crossdept_outage)
        for method in (http.Request._serve_db, http.Request._serve_nodb, WorkerCron.sleep):
            self.assertTrue(hasattr(method, "__wrapped__"), method)
            self.assertFalse(hasattr(method.__wrapped__, "__wrapped__"), method)
        outage.install()
        self.assertFalse(hasattr(http.Request._serve_db.__wrapped__, "__wrapped__"))

    def test_a_refused_connection_is_an_outage(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]  # nothing listens there
        with self.assertRaisesRegex(psycopg2.OperationalError, "refused") as refused:
            psycopg2.connect(host="127.0.0.1", port=port, dbname="postgres", connect_timeout=5)
        self.assertTrue(outage.is_unavailable(refused.exception))
        self.assertTrue(outage.is_unavailable(http.RegistryError("Cannot get registry")))

    def test_a_failed_query_is_not_an_outage(self):
        with (
            self.assertRaisesRegex(psycopg2.OperationalError, "statement timeout") as timeout,
            self.env.cr.savepoint(),
            mute_logger("odoo.sql_db"),  # the failed query's log line
        ):
            self.env.cr.execute(SQL("SET LOCAL statement_timeout = 1"))
            self.env.cr.execute(SQL("SELECT pg_sleep(1)"))
        self.assertFalse(outage.is_unavailable(timeout.exception))
        self.assertFalse(outage.is_unavailable(ValueError("a defect")))

    def test_paths_answered_503(self):
        self.assertEqual(outage.outage_kind("/api/crossdept/v1/tickets/7"), "api")
        self.assertEqual(outage.outage_kind("/api/crossdept/v1/no/such/path"), "api")
        self.assertEqual(outage.outage_kind("/jsonrpc"), "jsonrpc")
        self.assertEqual(outage.outage_kind("/web/dataset/call_kw/res.partner/read"), "jsonrpc")
        self.assertIsNone(outage.outage_kind("/web/dataset/call_kwx"))
        self.assertIsNone(outage.outage_kind("/api/crossdept/v10"))
        self.assertIsNone(outage.outage_kind("/odoo"))
