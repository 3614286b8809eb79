#!/usr/bin/env python3
"""Load client: N concurrent clients work CrossDept tickets through a running server
(directly or through nginx) for T seconds, as the users who would do the work, and
record every request.

    python bench/load_client.py --url http://127.0.0.1:8069 --db crossdept_bench \
        [--clients 25] [--duration 120] [--record requests.jsonl]

Set-up (as admin, over JSON-RPC, idempotent): a "Bench" department, worker users
(requesters who also carry out their tickets' task steps) and three approvers, all
employees of it, each with a password and an API key (made through Odoo's own
identity check); a ticket type and an active flow BENCH:

    Intake -> (Review A || Review B) -> Approval (2 of 3 approvers) -> Close

One worker only creates tickets, back to back; the others create tickets through
the JSON API (POST /api/crossdept/v1/tickets with start_flow and an Idempotency-Key;
a create without a complete answer, or answered by something other than the API, is
sent again with the same key) and start and finish their ready task steps over
JSON-RPC; approvers approve the approval steps waiting for them (one in twenty is
rejected, which cancels the ticket). Each request is recorded (operation, latency,
outcome, the ids it acknowledged) in --record as JSON lines; bench/check_consistency.py
--acknowledged reads it to find acknowledged writes that are missing.

Prints requests/s, p50/p95 latency (all and per operation) and failures by kind:
"business" (refused by a business rule: a UserError, ValidationError, AccessError,
or the API's 4xx with its JSON error body), "server" (an unhandled server error: a
JSON-RPC error of another class, HTTP 500, or any other answer that is not Odoo's
answer to the call, such as the 404 Odoo gives while its database is unreachable),
"proxy" (nginx answered 502/503/504: the node died or could not be reached while the
request was in flight), "network" (no answer at all).
"""

import argparse
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from odoo_rpc import Client, RpcError

PASSWORD = "bench-Pass-2026"
APPROVERS = 3
FLOW_CODE = "BENCH"
REJECT_SHARE = 0.05
API = "/api/crossdept/v1"
WRITES = {"create", "start", "finish", "approve", "reject", "partner_create", "partner_write"}
RETRIES = 6  # a create that got no answer or a 5xx is sent again, same Idempotency-Key


def backoff(attempt):
    return min(0.5 * 2**attempt, 4.0)


def http_kind(status, api_error=False):
    """Failure kind of an HTTP answer that is not a success. JSON-RPC answers 200 even
    for errors, so any other status there is not Odoo's answer to the call (Odoo
    answers 404 while it cannot reach its database); on the API, a 4xx with the API's
    JSON error body is a refusal."""
    if status in (502, 503, 504):
        return "proxy"
    if api_error and status < 500:
        return "business"
    return "server"


# ----------------------------------------------------------------------
# Set-up
# ----------------------------------------------------------------------


def _find_or_create(admin, model, domain, vals):
    ids = admin.call(model, "search", domain, limit=1)
    return ids[0] if ids else admin.call(model, "create", vals)


def setup(url, db, workers, admin_login="admin", admin_password="admin"):
    """Users, department, type and flow of the bench; returns the plan the clients use."""
    admin = Client(url, db).login(admin_login, admin_password)
    group = admin.ref("crossdept_ticket.group_crossdept_ticket_user")
    dept = _find_or_create(admin, "hr.department", [("name", "=", "Bench")], {"name": "Bench"})

    def user(login):
        uid = _find_or_create(
            admin,
            "res.users",
            [("login", "=", login)],
            {
                "name": login.replace("_", " ").title(),
                "login": login,
                "password": PASSWORD,
                "groups_id": [(4, group)],
                "tz": "UTC",
            },
        )
        _find_or_create(
            admin,
            "hr.employee",
            [("user_id", "=", uid)],
            {"name": login, "user_id": uid, "department_id": dept, "tz": "UTC"},
        )
        return uid

    worker_logins = [f"bench_worker_{i}" for i in range(workers)]
    approver_logins = [f"bench_approver_{i}" for i in range(APPROVERS)]
    uids = {login: user(login) for login in worker_logins + approver_logins}
    type_id = _find_or_create(
        admin, "crossdept.ticket.type", [("name", "=", "Bench")], {"name": "Bench"}
    )
    flows = admin.call(
        "crossdept.flow", "search", [("code", "=", FLOW_CODE), ("state", "=", "active")], limit=1
    )
    flow_id = flows[0] if flows else _make_flow(admin, type_id, dept, uids, approver_logins)
    return {
        "url": url,
        "db": db,
        "department_id": dept,
        "type_id": type_id,
        "flow_id": flow_id,
        "workers": worker_logins,
        "approvers": approver_logins,
        "uids": uids,
    }


def setup_plain(url, db, clients, admin_login="admin", admin_password="admin"):
    """Users of the plain-Odoo load: internal users who may create contacts."""
    admin = Client(url, db).login(admin_login, admin_password)
    groups = [admin.ref("base.group_user"), admin.ref("base.group_partner_manager")]
    logins = [f"bench_plain_{i}" for i in range(clients)]
    for login in logins:
        _find_or_create(
            admin,
            "res.users",
            [("login", "=", login)],
            {
                "name": login.replace("_", " ").title(),
                "login": login,
                "password": PASSWORD,
                "groups_id": [(4, group) for group in groups],
                "tz": "UTC",
            },
        )
    return {"url": url, "db": db, "plain": logins}


def _make_flow(admin, type_id, dept, uids, approver_logins):
    requester = {"role": "responsible", "holder_type": "requester"}

    def task(name, sequence):
        return {
            "name": name,
            "sequence": sequence,
            "kind": "task",
            "assignment": "raci",
            "department_id": dept,
            "sla_hours": 8,
            "raci_ids": [(0, 0, requester)],
        }

    flow_id = admin.call(
        "crossdept.flow",
        "create",
        {"name": "Bench flow", "code": FLOW_CODE, "type_ids": [(6, 0, [type_id])]},
    )
    steps = {}
    for vals in (
        task("Intake", 1),
        task("Review A", 2),
        task("Review B", 3),
        {
            "name": "Approval",
            "sequence": 4,
            "kind": "approval",
            "department_id": dept,
            "sla_hours": 8,
            "approval_policy": "count",
            "approval_min_count": 2,
            "reject_action": "cancel",
            "raci_ids": [
                (0, 0, {"role": "responsible", "holder_type": "user", "user_id": uids[a]})
                for a in approver_logins
            ],
        },
        task("Close", 5),
    ):
        vals["flow_id"] = flow_id
        steps[vals["name"]] = admin.call("crossdept.flow.step", "create", vals)
    links = {
        "Review A": ["Intake"],
        "Review B": ["Intake"],
        "Approval": ["Review A", "Review B"],
        "Close": ["Approval"],
    }
    for name, preds in links.items():
        admin.call(
            "crossdept.flow.step",
            "write",
            [steps[name]],
            {"predecessor_ids": [(6, 0, [steps[p] for p in preds])]},
        )
    admin.call("crossdept.flow", "action_activate", [flow_id])
    return flow_id


# ----------------------------------------------------------------------
# Recording
# ----------------------------------------------------------------------


class Recorder:
    """Every request of a run; with a ``limit``, sets ``stop`` once that many are in."""

    def __init__(self, path, limit=None, stop=None):
        self.lock = threading.Lock()
        self.rows = []
        self.file = open(path, "w") if path else None
        self.t0 = time.monotonic()
        self.limit = limit
        self.stop = stop

    def add(self, row):
        with self.lock:
            self.rows.append(row)
            if self.file:
                self.file.write(json.dumps(row) + "\n")
                self.file.flush()
            if self.limit and len(self.rows) >= self.limit and self.stop:
                self.stop.set()

    def close(self):
        if self.file:
            self.file.close()


class Agent:
    """One client: a user's session (JSON-RPC) and API key."""

    def __init__(self, plan, login, recorder, timeout):
        self.plan = plan
        self.login = login
        self.recorder = recorder
        self.client = Client(plan["url"], plan["db"], timeout=timeout)
        self.client.login(login, PASSWORD)
        self.api_key = None
        self.api = requests.Session()
        self.timeout = timeout

    def record(self, op, started, kind, **extra):
        now = time.monotonic()
        self.recorder.add(
            {
                "t": round(started - self.recorder.t0, 4),
                "ms": round((now - started) * 1000, 2),
                "client": self.login,
                "op": op,
                "ok": kind == "ok",
                "kind": kind,
                **extra,
            }
        )

    def rpc(self, op, model, method, *args, ack=None, **kwargs):
        """One JSON-RPC call, recorded; returns (ok, result)."""
        started = time.monotonic()
        try:
            result = self.client.call(model, method, *args, **kwargs)
        except RpcError as error:
            self.record(op, started, error.kind, error=str(error)[:300], **(ack or {}))
            return False, None
        except requests.HTTPError as error:
            status = error.response.status_code
            self.record(op, started, http_kind(status), status=status, **(ack or {}))
            return False, None
        except (requests.RequestException, ValueError) as error:
            # no answer, or one cut short (the node died after nginx sent its headers):
            # the outcome is unknown, so the write is not acknowledged
            self.record(op, started, "network", error=type(error).__name__, **(ack or {}))
            return False, None
        # a write the server answered is acknowledged: the user was told it is saved
        self.record(op, started, "ok", acknowledged=op in WRITES, **(ack or {}))
        return True, result

    def api_create(self, title):
        """POST /tickets with an Idempotency-Key, sent again with the same key when
        no complete answer came back or the answer was not the API's own (a 5xx, or
        the 404 Odoo gives while its database is unreachable): the retry must not
        create a second ticket."""
        key = uuid.uuid4().hex
        body = {
            "title": title,
            "type_id": self.plan["type_id"],
            "flow_id": self.plan["flow_id"],
            "department_id": self.plan["department_id"],
            "assigned_department_id": self.plan["department_id"],
            "start_flow": True,
        }
        headers = {"Authorization": f"Bearer {self.api_key}", "Idempotency-Key": key}
        for attempt in range(RETRIES):
            started = time.monotonic()
            try:
                response = self.api.post(
                    self.plan["url"] + API + "/tickets",
                    json=body,
                    headers=headers,
                    timeout=self.timeout,
                )
                status = response.status_code
                answer = (
                    response.json() if "json" in response.headers.get("Content-Type", "") else None
                )
            except (requests.RequestException, ValueError) as error:
                self.record(
                    "create", started, "network", key=key, attempt=attempt, error=str(error)[:200]
                )
                time.sleep(backoff(attempt))
                continue
            if status in (200, 201) and answer:
                self.record(
                    "create",
                    started,
                    "ok",
                    key=key,
                    attempt=attempt,
                    status=status,
                    ticket_id=answer["id"],
                    acknowledged=True,
                )
                return answer["id"]
            api_error = isinstance(answer, dict) and "error" in answer
            error = answer["error"].get("message", "")[:300] if api_error else response.text[:300]
            kind = http_kind(status, api_error)
            self.record(
                "create", started, kind, key=key, attempt=attempt, status=status, error=error
            )
            if kind == "business":
                return None
            time.sleep(backoff(attempt))
        return None


def plain_loop(agent, deadline, stop):
    """Plain Odoo, to compare with: create a contact and write one field on it, over
    the same JSON-RPC route as the engine's step actions."""
    serial = 0
    while time.monotonic() < deadline and not stop.is_set():
        serial += 1
        ok, partner_id = agent.rpc(
            "partner_create",
            "res.partner",
            "create",
            {"name": f"Bench {agent.login} #{serial}", "email": f"{agent.login}.{serial}@bench"},
        )
        if ok:
            agent.rpc("partner_write", "res.partner", "write", [partner_id], {"phone": str(serial)})


def worker_loop(agent, deadline, stop):
    open_tickets = []
    serial = 0
    while time.monotonic() < deadline and not stop.is_set():
        if len(open_tickets) < 2:
            serial += 1
            ticket_id = agent.api_create(f"Bench {agent.login} #{serial}")
            if ticket_id:
                open_tickets.append(ticket_id)
            continue
        for ticket_id in list(open_tickets):
            if time.monotonic() >= deadline:
                break
            ok, steps = agent.rpc(
                "read_steps",
                "crossdept.ticket.step",
                "search_read",
                [("ticket_id", "=", ticket_id)],
                fields=["state", "kind"],
                ack={"ticket_id": ticket_id},
            )
            if not ok:
                continue
            if all(s["state"] in ("done", "skipped", "rejected", "cancelled") for s in steps):
                open_tickets.remove(ticket_id)
                continue
            for step in steps:
                if step["kind"] != "task" or step["state"] not in ("ready", "in_progress"):
                    continue
                if step["state"] == "ready":
                    ok, _ = agent.rpc(
                        "start",
                        "crossdept.ticket.step",
                        "action_start",
                        [step["id"]],
                        ack={"step_id": step["id"], "ticket_id": ticket_id},
                    )
                    if not ok:
                        continue
                agent.rpc(
                    "finish",
                    "crossdept.ticket.step",
                    "action_finish",
                    [step["id"]],
                    ack={"step_id": step["id"], "ticket_id": ticket_id},
                )
        else:
            # every open ticket waits for its approval: give approvers a moment
            time.sleep(0.2)
        if len(open_tickets) >= 4:
            # too many waiting for approval: start a new one anyway, but not unboundedly
            open_tickets = open_tickets[-3:]


def creator_loop(agent, deadline, stop):
    """Only creates tickets, back to back (their steps wait for nobody): there is
    always a create in flight when a drill breaks something, so the retries with the
    same Idempotency-Key are exercised."""
    serial = 0
    while time.monotonic() < deadline and not stop.is_set():
        serial += 1
        agent.api_create(f"Bench {agent.login} intake #{serial}")


def approver_loop(agent, deadline, stop, rng):
    uid = agent.plan["uids"][agent.login]
    while time.monotonic() < deadline and not stop.is_set():
        ok, steps = agent.rpc(
            "read_approvals",
            "crossdept.ticket.step",
            "search_read",
            [
                ("kind", "=", "approval"),
                ("state", "in", ["ready", "in_progress"]),
                ("approver_ids", "in", [uid]),
            ],
            fields=["can_decide", "ticket_id"],
            limit=20,
            order="id",
        )
        if not ok:
            time.sleep(0.2)
            continue
        todo = [s for s in steps if s["can_decide"]]
        if not todo:
            time.sleep(0.2)
            continue
        for step in todo:
            if time.monotonic() >= deadline:
                break
            ack = {"step_id": step["id"], "ticket_id": step["ticket_id"][0]}
            if rng.random() < REJECT_SHARE:
                agent.rpc(
                    "reject",
                    "crossdept.ticket.step",
                    "action_reject",
                    [step["id"]],
                    "Bench: rejected",
                    ack=ack,
                )
            else:
                agent.rpc(
                    "approve", "crossdept.ticket.step", "action_approve", [step["id"]], ack=ack
                )


# ----------------------------------------------------------------------
# Run and report
# ----------------------------------------------------------------------


def percentile(values, share):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(rows, elapsed, out=sys.stdout):
    latencies = [r["ms"] for r in rows]
    by_op = defaultdict(list)
    for r in rows:
        by_op[r["op"]].append(r["ms"])
    kinds = Counter(r["kind"] for r in rows if not r["ok"])
    print(
        f"requests: {len(rows)} in {elapsed:.1f} s = {len(rows) / elapsed:.1f} requests/s", file=out
    )
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    print(f"latency: p50 {p50:.0f} ms, p95 {p95:.0f} ms", file=out)
    for op, values in sorted(by_op.items()):
        print(
            f"  {op:15} {len(values):6} requests, p50 {percentile(values, 0.5):6.0f} ms, "
            f"p95 {percentile(values, 0.95):6.0f} ms",
            file=out,
        )
    acknowledged = Counter(r["op"] for r in rows if r.get("acknowledged"))
    writes = sum(acknowledged.values())
    print(
        f"acknowledged writes: {writes} = {writes / elapsed:.1f}/s {dict(acknowledged)}",
        file=out,
    )
    print(
        "failures: "
        + (", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())) or "none"),
        file=out,
    )
    for kind in ("server", "network"):
        samples = [r for r in rows if r["kind"] == kind][:3]
        for r in samples:
            print(f"  e.g. {kind}: {r['op']} {r.get('status', '')} {r.get('error', '')}", file=out)
    return {
        "requests": len(rows),
        "rps": len(rows) / elapsed if elapsed else 0.0,
        "writes_per_s": writes / elapsed if elapsed else 0.0,
        "p50_ms": percentile(latencies, 0.5),
        "p95_ms": percentile(latencies, 0.95),
        "failures": dict(kinds),
    }


def run(
    url,
    db,
    clients=25,
    duration=120,
    record=None,
    timeout=60,
    seed=1,
    stop=None,
    admin_login="admin",
    admin_password="admin",
    plan=None,
    workload="engine",
    limit=None,
    recorder=None,
):
    """One load of ``duration`` seconds (or ``limit`` requests): ``workload`` "engine"
    (tickets through their flow, see the module's help) or "plain" (each client
    creates a contact and writes one field on it). A ``recorder`` given by the caller
    shows the requests while the load runs (its ``t0`` is set when the clients
    start)."""
    stop = stop or threading.Event()
    if workload == "plain":
        plan = plan or setup_plain(url, db, clients, admin_login, admin_password)
        recorder = recorder or Recorder(record, limit, stop)
        agents = [Agent(plan, login, recorder, timeout) for login in plan["plain"][:clients]]
        recorder.t0 = time.monotonic()
        deadline = recorder.t0 + duration
        threads = [
            threading.Thread(target=plain_loop, args=(agent, deadline, stop), daemon=True)
            for agent in agents
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=duration + timeout + 30)
        elapsed = time.monotonic() - recorder.t0
        recorder.close()
        return recorder.rows, elapsed, plan
    workers = max(clients - APPROVERS, 1)
    plan = plan or setup(url, db, workers, admin_login, admin_password)
    recorder = recorder or Recorder(record, limit, stop)
    agents = []
    for login in plan["workers"][:workers]:
        agent = Agent(plan, login, recorder, timeout)
        agent.api_key = agent.client.make_api_key(PASSWORD, name="load client")
        agents.append((agent, "worker"))
    for login in plan["approvers"]:
        agents.append((Agent(plan, login, recorder, timeout), "approver"))
    recorder.t0 = time.monotonic()
    deadline = recorder.t0 + duration
    threads = []
    for index, (agent, role) in enumerate(agents):
        if role == "worker" and index == 0 and workers > 1:
            target, args = creator_loop, (agent, deadline, stop)
        elif role == "worker":
            target, args = worker_loop, (agent, deadline, stop)
        else:
            target, args = approver_loop, (agent, deadline, stop, random.Random(seed + index))
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(timeout=duration + timeout + 30)
    elapsed = time.monotonic() - recorder.t0
    recorder.close()
    return recorder.rows, elapsed, plan


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--clients", type=int, default=25)
    parser.add_argument("--duration", type=float, default=120)
    parser.add_argument("--record", help="JSON lines file of every request")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--admin-login", default="admin")
    parser.add_argument("--admin-password", default="admin")
    args = parser.parse_args()
    rows, elapsed, _plan = run(
        args.url,
        args.db,
        args.clients,
        args.duration,
        args.record,
        args.timeout,
        admin_login=args.admin_login,
        admin_password=args.admin_password,
    )
    report(rows, elapsed)


if __name__ == "__main__":
    main()
