"""scripts/cluster: a PostgreSQL primary with a streaming replica, two Odoo nodes in
workers mode and nginx, all real servers on 127.0.0.1 (the database restored from a
backup of scripts/test's database). Read-only entry points run on the replica and
not on the primary; a session survives requests landing on the other node; with the
replica stopped, read-only entry points fall back to the primary."""

import os
import subprocess
import time

import pytest
from live import ROOT, free_port, needs_live_db
from odoo_rpc import Client

pytestmark = [pytest.mark.live, needs_live_db]

# distinctive statements: a "My Steps" style read with a probe name, and the
# dashboard's bottleneck tile
STEP_PROBE = "zz-replica-probe%"
STEP_SQL = "%crossdept_ticket_step%LIKE%"
TILE_SQL = "%sum(_.handling_time)%crossdept_analytics_step_day%"


def cluster(*args, env):
    result = subprocess.run(
        ["bash", "scripts/cluster", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def harness(backup_of_copy):
    _source, dump = backup_of_copy
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(
        CROSSDEPT_CLUSTER_NAME="cluster-test",
        CROSSDEPT_CLUSTER_PORT=str(free_port()),
        CROSSDEPT_CLUSTER_DB="crossdept_cluster_test",
        CROSSDEPT_CLUSTER_WORKERS="1",
        CROSSDEPT_CLUSTER_FROM=str(dump),
    )
    try:
        cluster("up", env=env)
        values = dict(
            line.split("=", 1) for line in cluster("env", env=env).splitlines() if "=" in line
        )
        yield values, env
    finally:
        subprocess.run(
            ["bash", "scripts/cluster", "down", "--purge"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=300,
            check=False,
        )


def sql(port, query, db):
    return subprocess.run(
        ["psql", "-X", "-tAq", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", db],
        input=query,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def calls(port, db, pattern):
    return int(
        sql(
            port,
            f"SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE '{pattern}'",
            db,
        )
    )


def reset_statements(values):
    for port in (values["PRIMARY_PORT"], values["REPLICA_PORT"]):
        sql(port, "SELECT pg_stat_statements_reset()", values["CLUSTER_DB"])


def read_my_steps(client):
    return client.call(
        "crossdept.ticket.step",
        "web_search_read",
        [("name", "=like", STEP_PROBE), ("user_id", "=", client.uid)],
        specification={"name": {}, "state": {}},
    )


def test_read_only_entry_points_run_on_the_replica(harness):
    values, _env = harness
    db = values["CLUSTER_DB"]
    client = Client(values["CLUSTER_URL"], db).login("admin", "admin")
    reset_statements(values)
    for _index in range(6):
        read_my_steps(client)
        client.call("crossdept.analytics.kpi", "get_bottlenecks")
    # a write goes to the primary, through the same nodes
    client.call("crossdept.ticket.type", "create", {"name": "Cluster (test)"})
    replica, primary = values["REPLICA_PORT"], values["PRIMARY_PORT"]
    assert calls(replica, db, STEP_SQL) >= 6
    assert calls(replica, db, TILE_SQL) >= 6
    assert calls(primary, db, STEP_SQL) == 0
    assert calls(primary, db, TILE_SQL) == 0
    assert calls(primary, db, 'INSERT INTO "crossdept_ticket_type"%') >= 1


def test_a_session_survives_the_other_node(harness):
    values, _env = harness
    db = values["CLUSTER_DB"]
    node1 = Client(values["NODE1_URL"], db).login("admin", "admin")
    node2 = Client(values["NODE2_URL"], db)
    node2.http.cookies.set("session_id", node1.session_id)
    info = node2.post_json("/web/session/get_session_info", {})
    assert info["uid"] == node1.uid
    assert node2.call("res.users", "read", [node1.uid], ["login"])[0]["login"] == "admin"
    # through nginx, requests of one session alternate between the nodes
    through = Client(values["CLUSTER_URL"], db).login("admin", "admin")
    for _index in range(8):
        assert through.post_json("/web/session/get_session_info", {})["uid"] == through.uid
    log = (ROOT / ".local" / "nginx-cluster-test" / "access.log").read_text()
    upstreams = {
        line.split("upstream=")[1].split()[0]
        for line in log.splitlines()
        if "/web/session/get_session_info" in line
    }
    assert {values["NODE1_URL"][7:], values["NODE2_URL"][7:]} <= upstreams


def test_without_the_replica_reads_fall_back_to_the_primary(harness):
    values, env = harness
    db = values["CLUSTER_DB"]
    client = Client(values["CLUSTER_URL"], db).login("admin", "admin")
    read_my_steps(client)
    cluster("stop-replica", env=env)
    try:
        reset_statements(
            {
                "PRIMARY_PORT": values["PRIMARY_PORT"],
                "REPLICA_PORT": values["PRIMARY_PORT"],
                "CLUSTER_DB": db,
            }
        )
        for _index in range(6):
            assert read_my_steps(client) == {"length": 0, "records": []}
        assert calls(values["PRIMARY_PORT"], db, STEP_SQL) >= 6
        logs = "".join(
            (ROOT / ".local" / "cluster-test" / f"node{n}.log").read_text() for n in (1, 2)
        )
        assert "Failed to open a readonly cursor, falling back to read-write cursor" in logs
    finally:
        cluster("start-replica", env=env)
        time.sleep(1)
