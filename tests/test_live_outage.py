"""The API while the database is away (issue 25): Odoo in workers mode (scripts/run
--workers, nginx in front) on a PostgreSQL of the test's own, which the test stops
(``pg_ctl -m immediate``, as a crash) and starts again. Meanwhile every API path
answers the documented 503 JSON error with Retry-After, JSON-RPC a JSON-RPC error of
code 503 and HTTP status 503 (not Odoo's 404 or 500 HTML pages), the cron worker
waits with one warning instead of being respawned with a traceback every second, and
nothing is saved; afterwards the API works again and a create retried with the same
Idempotency-Key is saved once."""

import json
import os
import re
import shutil
import subprocess
import time
import uuid

import pytest
import requests
from live import ROOT, TEMPLATE, Server, filestore, needs_live_db
from odoo_rpc import Client

pytestmark = [pytest.mark.live, needs_live_db]

API = "/api/crossdept/v1"
MESSAGE_ZH = "数据库暂时无法访问，未保存任何内容。请稍后重试。"  # noqa: RUF001


def private_pg(name, script):
    """Run ``script`` with scripts/common.sh's functions for the private PostgreSQL
    cluster NAME (the PG* variables, which name the test cluster, removed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    result = subprocess.run(
        ["bash", "-c", f'source scripts/common.sh; NAME="{name}"; {script}'],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


PG_CTL = '"$(pg_bindir)/pg_ctl" -D "$(pg_cluster_dir "$NAME")/data"'
STOP = f"run_as_pg {PG_CTL} -m immediate -w -s stop"
# on the port it had, which the running Odoo knows
START = (
    'dir="$(pg_cluster_dir "$NAME")"; run_as_pg '
    + PG_CTL
    + ' -l "$dir/server.log" -w -s -o "-p $(cat "$dir/port") -k $dir/data '
    + '$(pg_settings "$NAME" | tr "\\n" " ")" start'
)


@pytest.fixture(scope="module")
def database():
    """A private PostgreSQL cluster holding a copy of the test database: (name, db,
    the PG* variables that name it)."""
    suffix = uuid.uuid4().hex[:6]
    name = f"outage-{suffix}"
    db = f"{TEMPLATE}_outage_{suffix}"
    try:
        port = private_pg(name, 'ensure_postgres "$NAME" && echo "$DB_PORT"').splitlines()[-1]
        pg_env = {
            "PGHOST": "127.0.0.1",
            "PGPORT": port,
            "PGUSER": "crossdept",
            "PGPASSWORD": "crossdept",
        }
        bindir = private_pg(name, "pg_bindir")
        subprocess.run(
            [f"{bindir}/createdb", db], env=dict(os.environ, **pg_env), check=True, timeout=60
        )
        # the template database, dumped from the test cluster into the private one
        dump = subprocess.Popen(
            [f"{bindir}/pg_dump", "-Fc", "--no-owner", "-d", TEMPLATE], stdout=subprocess.PIPE
        )
        restore = subprocess.run(
            [f"{bindir}/pg_restore", "--no-owner", "-d", db],
            stdin=dump.stdout,
            env=dict(os.environ, **pg_env),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        dump.stdout.close()
        assert dump.wait(timeout=60) == 0
        assert restore.returncode == 0, restore.stderr
        if filestore(TEMPLATE).exists():
            shutil.copytree(filestore(TEMPLATE), filestore(db))
        yield name, db, pg_env
    finally:
        private_pg(name, 'stop_postgres "$NAME" drop')
        shutil.rmtree(filestore(db), ignore_errors=True)


@pytest.fixture(scope="module")
def server(database, tmp_path_factory):
    _name, db, pg_env = database
    server = Server(db, tmp_path_factory.mktemp("outage"), workers=2, env=pg_env)
    try:
        yield server
    finally:
        server.stop()


def api(server, key, method, path, body=None, **headers):
    return requests.request(
        method,
        server.url + API + path,
        data=None if body is None else json.dumps(body),
        headers={
            "Authorization": f"Bearer {key}",
            **({"Content-Type": "application/json"} if body is not None else {}),
            **headers,
        },
        timeout=30,
    )


def jsonrpc(server, path, params, session=None):
    return (session or requests).post(
        server.url + path,
        data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 77, "params": params}),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )


def assert_api_unavailable(response):
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Retry-After"] == "5"
    error = response.json()["error"]
    assert error["code"] == "unavailable", error
    assert "Set-Cookie" not in response.headers
    return error["message"]


def assert_jsonrpc_unavailable(response):
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers["Retry-After"] == "5"
    body = response.json()
    assert body["id"] == 77
    assert body["error"]["code"] == 503
    assert body["error"]["message"] == "Database unavailable"
    assert body["error"]["data"]["message"].startswith("The database is unavailable")


def test_api_and_rpc_answer_503_while_the_database_is_away(database, server):
    name, db, _pg_env = database
    admin = Client(server.url, db).login("admin", "admin")
    key = admin.make_api_key("admin", name="outage test")
    listed = api(server, key, "GET", "/tickets?limit=1")
    assert listed.status_code == 200, listed.text
    ticket_id = listed.json()["tickets"][0]["id"]
    count = admin.call("crossdept.ticket", "search_count", [])
    new_ticket = {"title": "Filed during the outage"}
    idempotency = {"Idempotency-Key": f"outage-{uuid.uuid4().hex}"}
    object_call = {
        "service": "object",
        "method": "execute_kw",
        "args": [db, admin.uid, key, "crossdept.ticket", "search_count", [[]]],
    }
    log_start = len(server.log_text())

    private_pg(name, STOP)
    try:
        # several rounds, so that both HTTP workers answer
        for _round in range(3):
            assert_api_unavailable(api(server, key, "GET", "/tickets"))
            assert_api_unavailable(api(server, key, "GET", f"/tickets/{ticket_id}"))
            assert_api_unavailable(api(server, key, "POST", "/tickets", new_ticket, **idempotency))
            assert_api_unavailable(api(server, key, "GET", "/no/such/path"))
            # a web client session (its database known from the cookie) and a client
            # naming its database in the call, without session
            assert_jsonrpc_unavailable(
                admin.http.post(
                    server.url + "/web/dataset/call_kw/crossdept.ticket/search_count",
                    data=json.dumps(
                        {
                            "jsonrpc": "2.0",
                            "id": 77,
                            "params": {
                                "model": "crossdept.ticket",
                                "method": "search_count",
                                "args": [[]],
                                "kwargs": {},
                            },
                        }
                    ),
                    headers={"Content-Type": "application/json"},
                    timeout=30,
                )
            )
            assert_jsonrpc_unavailable(jsonrpc(server, "/jsonrpc", object_call))
        message = assert_api_unavailable(
            api(server, key, "GET", "/tickets", **{"Accept-Language": "zh-CN,zh;q=0.9"})
        )
        assert message == MESSAGE_ZH
        # Odoo's "common" service needs no database: still answered
        common = {"service": "common", "method": "version", "args": []}
        version = jsonrpc(server, "/jsonrpc", common)
        assert version.status_code == 200
        assert version.json()["result"]["server_serie"] == "18.0"
        # long enough for a cron worker that dies on the lost connection to be
        # respawned several times
        time.sleep(6)
        outage_log = server.log_text()[log_start:]
    finally:
        private_pg(name, START)

    assert "Traceback" not in outage_log, outage_log[-5000:]
    assert not re.search(r"Worker WorkerCron \(\d+\) alive", outage_log), outage_log[-5000:]
    assert len(re.findall(r"WorkerCron \(\d+\): the database cannot be reached", outage_log)) == 1
    assert re.search(r"GET /api/crossdept/v1/tickets: the database is unavailable", outage_log)

    # back: the API answers again, and the create refused meanwhile is saved once
    deadline = time.monotonic() + 60
    while api(server, key, "GET", "/tickets?limit=1").status_code != 200:
        assert time.monotonic() < deadline, "the API did not come back within 60 s"
        time.sleep(1)
    created = api(server, key, "POST", "/tickets", new_ticket, **idempotency)
    assert created.status_code == 201, created.text
    repeated = api(server, key, "POST", "/tickets", new_ticket, **idempotency)
    assert repeated.status_code == 200, repeated.text
    assert repeated.json()["id"] == created.json()["id"]
    assert api(server, key, "GET", f"/tickets/{ticket_id}").status_code == 200
    rpc = jsonrpc(server, "/jsonrpc", object_call)
    assert rpc.status_code == 200, rpc.text
    assert rpc.json()["result"] == count + 1
    assert admin.call("crossdept.ticket", "search_count", []) == count + 1

    # the cron worker listens again (its next attempt: at most 30 s later)
    deadline = time.monotonic() + 45
    while not re.search(r"WorkerCron \(\d+\): the database is back", server.log_text()):
        assert time.monotonic() < deadline, server.log_text()[-3000:]
        time.sleep(1)
    log = server.log_text()[log_start:]
    assert "Traceback" not in log, log[-5000:]
    assert not re.search(r"Worker WorkerCron \(\d+\) alive", log), log[-5000:]
