"""One slow request does not take the service down: with Odoo in workers mode (two HTTP
workers) and the statement timeout of user requests at 2 s, a request stuck in the
database is stopped after 2 s and answered with a clear error, other users' requests
are answered quickly meanwhile, and no worker is killed or restarted."""

import re
import threading
import time

import psutil
import psycopg2
import pytest
from live import Server, copy_database, drop_database, needs_live_db, psql
from odoo_rpc import Client, RpcError

pytestmark = [pytest.mark.live, needs_live_db]

TIMEOUT_MS = 2000
MESSAGE = (
    "This request took longer than 2 seconds and was stopped; narrow the filter or try again later."
)
# Odoo's request log line: the request, its status and its queries
REQUEST_LINE = re.compile(
    r'"POST /web/dataset/call_kw/res\.partner/search_read HTTP/[\d.]+" 200 - (\d+) '
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = copy_database("timeout")
    psql(
        "INSERT INTO ir_config_parameter (key, value) "
        f"VALUES ('crossdept_ticket.statement_timeout_ms', '{TIMEOUT_MS}')",
        db=db,
    )
    server = Server(db, tmp_path_factory.mktemp("timeout"), workers=2)
    try:
        yield server
    finally:
        server.stop()
        drop_database(db)


def odoo_processes(server):
    """PID of every process of the server (Odoo's main process, its workers)."""
    return {
        process.pid
        for process in psutil.Process(server.process.pid).children(recursive=True)
        if "odoo" in " ".join(process.cmdline())
    }


def test_slow_request_is_stopped_and_others_are_served(server):
    admin = Client(server.url, server.db).login("admin", "admin")
    type_id = admin.call("crossdept.ticket.type", "create", {"name": "Live timeout (test)"})
    ticket_id = admin.call(
        "crossdept.ticket", "create", {"title": "Held by a long transaction", "type_id": type_id}
    )
    others = [Client(server.url, server.db).login("admin", "admin") for _index in range(2)]
    for client in others:
        client.call("crossdept.ticket", "search_read", [], fields=["title"], limit=20)
    pids = odoo_processes(server)
    assert len(pids) >= 3, pids  # the main process and its two HTTP workers at least

    # another session (a long batch job, a migration) holds the ticket's row: saving
    # the ticket waits for it, as a query over a large table would run on
    holder = psycopg2.connect(dbname=server.db)
    outcome = {}

    def save_ticket():
        started = time.monotonic()
        try:
            admin.call("crossdept.ticket", "write", [ticket_id], {"title": "Renamed"})
            outcome["result"] = "saved"
        except RpcError as error:
            outcome["error"] = error
        outcome["seconds"] = time.monotonic() - started

    try:
        with holder.cursor() as cr:
            cr.execute("SELECT id FROM crossdept_ticket WHERE id = %s FOR UPDATE", [ticket_id])
        slow = threading.Thread(target=save_ticket)
        slow.start()
        time.sleep(0.3)  # the slow request is in a worker, waiting in the database
        answered = []
        while slow.is_alive():
            for client in others:
                started = time.monotonic()
                rows = client.call(
                    "crossdept.ticket", "search_read", [("id", "=", ticket_id)], fields=["title"]
                )
                answered.append((time.monotonic() - started, slow.is_alive()))
                assert rows[0]["title"] == "Held by a long transaction"
        slow.join()
    finally:
        holder.rollback()
        holder.close()

    # the slow request: stopped at the limit with the clear message, nothing saved
    assert "result" not in outcome, outcome
    assert outcome["error"].name == "odoo.exceptions.UserError"
    assert outcome["error"].message == MESSAGE
    assert TIMEOUT_MS / 1000 <= outcome["seconds"] < TIMEOUT_MS / 1000 + 5, outcome
    # meanwhile the other users were answered, each quickly
    during = [seconds for seconds, slow_running in answered if slow_running]
    assert len(during) >= 4, answered
    assert max(during) < 1.5, answered
    # the same save once the row is free, and the same processes serve it
    admin.call("crossdept.ticket", "write", [ticket_id], {"title": "Renamed"})
    rows = admin.call("crossdept.ticket", "read", [ticket_id], ["title"])
    assert rows[0]["title"] == "Renamed"
    assert odoo_processes(server) == pids
    log = server.log_text()
    assert "stopped by the statement timeout (2000 ms)" in log
    # Odoo's prefork server logs each worker it (re)starts and each one it kills
    assert set(map(int, re.findall(r"Worker WorkerHTTP \((\d+)\) alive", log))) <= pids
    for kill in ("timeout after", "time limit"):
        assert kill not in log, kill


def fewest_queries(server, client, runs=4):
    """The fewest queries the server logs for ``runs`` reads of a partner (each
    worker's caches warm once)."""
    offset = len(server.log_text())
    for _run in range(runs):
        client.call("res.partner", "search_read", [("id", "=", 1)], fields=["name"])
    time.sleep(0.5)  # the request's log line follows its answer
    counts = [int(count) for count in REQUEST_LINE.findall(server.log_text()[offset:])]
    assert len(counts) == runs, counts
    return min(counts)


def test_the_limit_costs_a_request_one_query(server):
    # SET LOCAL ends with the request's own transaction: no query takes it back
    admin = Client(server.url, server.db).login("admin", "admin")
    limited = fewest_queries(server, admin)
    key = "crossdept_ticket.statement_timeout_ms"
    admin.call("ir.config_parameter", "set_param", key, "0")
    try:
        unlimited = fewest_queries(server, admin)
    finally:
        admin.call("ir.config_parameter", "set_param", key, str(TIMEOUT_MS))
    assert limited == unlimited + 1, (limited, unlimited)
