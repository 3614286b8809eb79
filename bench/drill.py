#!/usr/bin/env python3
"""Failure drills against the harness of scripts/cluster (run `scripts/cluster up`
first). Each drill runs the load client through nginx, breaks one piece in the
middle, repairs it, and then compares the database with every write the clients
were told was saved (bench/check_consistency.py with the load client's record).

    python bench/drill.py [--clients 12] [--duration 60] [node primary replica cron]

  node     kill -9 node 2 (prefork server, workers, websocket process) at 1/3 of the
           run, start it again at 2/3; nginx carries on with node 1; creates that
           failed are retried with the same Idempotency-Key
  primary  kill -9 the PostgreSQL primary at 1/3, start it again 5 s later
  replica  stop the streaming replica at 1/3 (Odoo 18 falls back to the primary for
           read-only requests), start it again after the run
  cron     with escalations due on a few hundred steps and the escalation cron working
           in batches of 25, kill -9 node 1's cron worker in the middle of its run;
           the prefork server starts a new one, which finishes the work: every due
           step escalated exactly once

Each drill prints requests, failures (by kind, and when they happened relative to
the fault), acknowledged writes and acknowledged-but-missing writes (must be 0),
and the consistency checks. Exits 1 when a drill loses an acknowledged write or
finds an inconsistency.
"""

import argparse
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg2

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import check_consistency  # noqa: E402
import load_client  # noqa: E402
from odoo_rpc import Client  # noqa: E402


def cluster(*args, check=True):
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "cluster"), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and result.returncode:
        raise RuntimeError(f"scripts/cluster {' '.join(args)}: {result.stderr}")
    return result.stdout


def cluster_env():
    return dict(line.split("=", 1) for line in cluster("env").splitlines() if "=" in line)


def primary(env):
    return psycopg2.connect(
        host="127.0.0.1", port=env["PRIMARY_PORT"], user="postgres", dbname=env["CLUSTER_DB"]
    )


def wait_healthy(env, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            Client(env["CLUSTER_URL"], env["CLUSTER_DB"], timeout=5).login("admin", "admin")
            return
        except Exception:  # any failure means: not yet
            time.sleep(1)
    raise TimeoutError("the cluster did not recover")


def run_load(env, args, name, plan, faults):
    """The load client for args.duration with ``faults`` [(at_seconds, label, fn)]
    applied on the side; returns its rows, elapsed time and the fault times."""
    record = ROOT / ".local" / "drills" / f"{name}.jsonl"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.unlink(missing_ok=True)
    result = {}

    def load():
        result["rows"], result["elapsed"], _plan = load_client.run(
            env["CLUSTER_URL"],
            env["CLUSTER_DB"],
            clients=args.clients,
            duration=args.duration,
            record=str(record),
            timeout=30,
            plan=plan,
        )

    thread = threading.Thread(target=load)
    thread.start()
    # the clients log in and make their API keys first: time faults from their start
    while not record.exists() or not record.stat().st_size:
        if not thread.is_alive():
            break
        time.sleep(0.2)
    t0 = time.monotonic()
    marks = []
    for at, label, fault in faults:
        time.sleep(max(0.0, t0 + at - time.monotonic()))
        marks.append((round(time.monotonic() - t0, 1), label))
        print(f"  t={marks[-1][0]:5.1f} s  {label}", flush=True)
        fault()
    thread.join()
    return result["rows"], result["elapsed"], marks, record


def summarize(env, name, rows, elapsed, marks):
    failures = [r for r in rows if not r["ok"]]
    kinds = Counter(r["kind"] for r in failures)
    if not rows:
        return _check(env)
    print(f"[{name}] requests {len(rows)} in {elapsed:.0f} s ({len(rows) / elapsed:.1f}/s)")
    print(
        f"[{name}] failures {len(failures)}: "
        + (", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "none")
    )
    business = Counter(
        str(r.get("error") or r.get("status", ""))[:70] for r in failures if r["kind"] == "business"
    )
    for message, count in business.most_common(3):
        print(f"    business refusal x{count}: {message}")
    if marks and failures:
        times = [r["t"] for r in failures if r["kind"] != "business"]
        if times:
            print(
                f"[{name}] unhandled/network failures between t={min(times):.1f} s and "
                f"t={max(times):.1f} s (faults at {', '.join(f'{t} s' for t, _l in marks)})"
            )
        for r in [r for r in failures if r["kind"] != "business"][:4]:
            print(
                f"    e.g. t={r['t']:.1f} {r['op']} {r['kind']} {r.get('status', '')} "
                f"{str(r.get('error', ''))[:100]}"
            )
    retried = [r for r in rows if r["op"] == "create" and r.get("attempt", 0) > 0 and r["ok"]]
    if retried:
        print(f"[{name}] creates acknowledged on a retry (same Idempotency-Key): {len(retried)}")
    return _check(env, rows)


def _check(env, rows=None):
    wait_healthy(env)
    connection = primary(env)
    try:
        return check_consistency.run_checks(connection, rows, limit=10)
    finally:
        connection.close()


# ----------------------------------------------------------------------
# Drills
# ----------------------------------------------------------------------


def drill_node(env, args, plan):
    third = args.duration / 3
    faults = [
        (third, "kill -9 node 2", lambda: cluster("kill-node", "2")),
        (2 * third, "start node 2", lambda: cluster("start-node", "2")),
    ]
    rows, elapsed, marks, _record = run_load(env, args, "node", plan, faults)
    return summarize(env, "node", rows, elapsed, marks)


def drill_primary(env, args, plan):
    third = args.duration / 3
    faults = [
        (third, "kill -9 the primary", lambda: cluster("kill-primary")),
        (third + 5, "start the primary", lambda: cluster("start-primary")),
    ]
    rows, elapsed, marks, _record = run_load(env, args, "primary", plan, faults)
    return summarize(env, "primary", rows, elapsed, marks)


def drill_replica(env, args, plan):
    logs = [Path(env["CLUSTER_STATE"]) / f"node{n}.log" for n in (1, 2)]
    offsets = [log.stat().st_size if log.exists() else 0 for log in logs]
    faults = [(args.duration / 3, "stop the replica", lambda: cluster("stop-replica"))]
    try:
        rows, elapsed, marks, _record = run_load(env, args, "replica", plan, faults)
    finally:
        cluster("start-replica")
    findings = summarize(env, "replica", rows, elapsed, marks)
    # the replica must catch up (from the primary, else from its WAL archive), or
    # read-only requests would read stale data
    streaming = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not streaming:
        connection = primary(env)
        with connection.cursor() as cr:
            cr.execute(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM "
                "pg_stat_replication WHERE state = 'streaming'"
            )
            row = cr.fetchone()
        connection.close()
        streaming = row is not None and row[0] is not None and row[0] < 16 * 1024 * 1024
        if not streaming:
            time.sleep(1)
    print(f"[replica] streaming again and caught up after the restart: {streaming}")
    findings += int(not streaming)
    reads = [r for r in rows if r["op"].startswith("read") and r["t"] > marks[0][0]]
    failed = [r for r in reads if not r["ok"]]
    print(f"[replica] reads after the replica stopped: {len(reads)}, failed: {len(failed)}")
    text = ""
    for log, offset in zip(logs, offsets, strict=True):
        with open(log, errors="replace") as stream:
            stream.seek(offset)
            text += stream.read()
    fallbacks = text.count("Failed to open a readonly cursor, falling back to read-write")
    print(f"[replica] Odoo's fallback to the primary logged {fallbacks} time(s) (once per process)")
    return findings


def drill_cron(env, args, plan):
    """Escalations due on many steps, the cron killed in the middle of its run."""
    admin = Client(env["CLUSTER_URL"], env["CLUSTER_DB"]).login("admin", "admin")
    tickets = admin.call(
        "crossdept.ticket",
        "create",
        [
            {
                "title": f"Escalation drill {index}",
                "type_id": plan["type_id"],
                "flow_id": plan["flow_id"],
                "department_id": plan["department_id"],
                "assigned_department_id": plan["department_id"],
            }
            for index in range(args.cron_tickets)
        ],
    )
    admin.call("crossdept.ticket", "action_start_flow", tickets)
    connection = primary(env)
    connection.autocommit = True
    with connection.cursor() as cr:
        cr.execute(
            "SELECT res_id FROM ir_model_data WHERE module = 'crossdept_ticket' "
            "AND name = 'ir_cron_crossdept_escalation'"
        )
        cron_id = cr.fetchone()[0]
        cr.execute(
            "SELECT code FROM ir_act_server a JOIN ir_cron c ON c.ir_actions_server_id = a.id "
            "WHERE c.id = %s",
            (cron_id,),
        )
        code = cr.fetchone()[0]
        cr.execute(
            "UPDATE ir_act_server SET code = 'model._cron_escalate(batch_size=25)' "
            "FROM ir_cron c WHERE c.ir_actions_server_id = ir_act_server.id AND c.id = %s",
            (cron_id,),
        )
        cr.execute(
            "UPDATE crossdept_ticket_step SET date_escalation_due = "
            "(now() at time zone 'utc') - interval '1 minute' "
            "WHERE state IN ('ready', 'in_progress') AND date_paused IS NULL "
            "AND escalation_level IN ('0', '1', '2') "
            "RETURNING id"
        )
        due = {row[0] for row in cr.fetchall()}
        cr.execute(
            "SELECT count(*) FROM crossdept_ticket_event "
            "WHERE event_type = 'escalation' AND step_id = ANY(%s)",
            (list(due),),
        )
        events_before = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM crossdept_ticket_event WHERE event_type = 'escalation'")
        before = cr.fetchone()[0]
        print(f"[cron] {len(due)} steps due for escalation, batches of 25")
        cr.execute("SELECT now() at time zone 'utc'")
        started = cr.fetchone()[0]
        cron_pid = cluster("cron-pid").strip()
        cr.execute(
            "UPDATE ir_cron SET nextcall = now() at time zone 'utc' WHERE id = %s", (cron_id,)
        )
        cr.execute("NOTIFY cron_trigger, %s", (env["CLUSTER_DB"],))
        # wait until the cron worker's first batches are committed, then kill it
        deadline = time.monotonic() + 120
        done = 0
        while time.monotonic() < deadline:
            cr.execute(
                "SELECT count(*) FROM crossdept_ticket_event WHERE event_type = 'escalation'"
            )
            done = cr.fetchone()[0] - before
            if done >= 25:
                break
            time.sleep(0.05)
        os.kill(int(cron_pid), 9)
        print(f"[cron] kill -9 cron worker {cron_pid} after {done} escalations committed")
        # the prefork server starts a new cron worker; nudge it until all are done
        deadline = time.monotonic() + 300
        remaining = len(due)
        while time.monotonic() < deadline:
            cr.execute(
                "SELECT count(*) FROM crossdept_ticket_step WHERE id = ANY(%s) "
                "AND date_escalation_due <= now() at time zone 'utc' "
                "AND state IN ('ready', 'in_progress')",
                (list(due),),
            )
            remaining = cr.fetchone()[0]
            if not remaining:
                break
            cr.execute(
                "UPDATE ir_cron SET nextcall = now() at time zone 'utc' WHERE id = %s "
                "AND nextcall > now() at time zone 'utc'",
                (cron_id,),
            )
            cr.execute("NOTIFY cron_trigger, %s", (env["CLUSTER_DB"],))
            time.sleep(2)
        new_pid = cluster("cron-pid", check=False).strip()
        cr.execute(
            "SELECT count(DISTINCT step_id), count(*) FROM crossdept_ticket_event "
            "WHERE event_type = 'escalation' AND step_id = ANY(%s)",
            (list(due),),
        )
        _steps, events = cr.fetchone()
        cr.execute(
            "SELECT count(DISTINCT step_id) FROM crossdept_ticket_event "
            "WHERE event_type = 'escalation' AND step_id = ANY(%s) AND event_date >= %s",
            (list(due), started),
        )
        steps_escalated = cr.fetchone()[0]
        cr.execute(
            "UPDATE ir_act_server SET code = %s FROM ir_cron c "
            "WHERE c.ir_actions_server_id = ir_act_server.id AND c.id = %s",
            (code, cron_id),
        )
    connection.close()
    print(f"[cron] new cron worker {new_pid or '?'}; due steps left: {remaining}")
    print(
        f"[cron] {steps_escalated} of {len(due)} due steps escalated; "
        f"{events - events_before} escalation events in this drill (one per step expected)"
    )
    findings = summarize(env, "cron", [], 1.0, [])
    lost = (
        int(bool(remaining)) + (len(due) - steps_escalated) + abs(events - events_before - len(due))
    )
    return findings + lost


DRILLS = {
    "node": drill_node,
    "primary": drill_primary,
    "replica": drill_replica,
    "cron": drill_cron,
}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("drills", nargs="*", help=f"any of {', '.join(DRILLS)} (default: all)")
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--cron-tickets", type=int, default=150)
    args = parser.parse_args()
    args.drills = args.drills or list(DRILLS)
    unknown = set(args.drills) - set(DRILLS)
    if unknown:
        parser.error(f"unknown drill(s): {', '.join(sorted(unknown))}")
    env = cluster_env()
    wait_healthy(env)
    plan = load_client.setup(env["CLUSTER_URL"], env["CLUSTER_DB"], args.clients - 3)
    total = 0
    for name in args.drills:
        print(f"== drill: {name} ==", flush=True)
        findings = DRILLS[name](env, args, plan)
        print(f"[{name}] findings (acknowledged-but-missing and inconsistencies): {findings}")
        total += findings
    print(f"drills: {len(args.drills)}, findings: {total}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
