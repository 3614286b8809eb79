#!/usr/bin/env python3
"""Consistency checker of CrossDept tickets, read straight from the database.

    python bench/check_consistency.py DBNAME [--acknowledged requests.jsonl]
        (connection from the usual PGHOST, PGPORT, PGUSER, PGPASSWORD)

Checks every ticket that has steps (each check is one function in CHECKS below):

  predecessors     no step is ready, in progress or done unless every predecessor is
                   done or skipped
  activation       a step was made ready once per activation round: its step_ready
                   events are at most 1 + the returns to an earlier step on its ticket,
                   and exactly 1 on a ticket without returns (a join started once); a
                   step that is or was running has one
  transitions      one event per step transition: on a ticket without returns, a task
                   step in progress or done, or an approval step decided, has one
                   step_start (an approval starts with its first decision), a done
                   step one step_done, a skipped step one step_skip, and none of them
                   twice;
                   on any ticket no step has more step_start/step_done events than
                   step_ready events
  decisions        one step_approve/step_reject event per decision; nobody decides
                   twice on a step; only its approvers decide
  policy           an approval step is decided as its policy says: done only when the
                   approvals reach the policy's threshold, rejected only when the
                   rejections make it unreachable, and still open only when neither
  escalations      a step is escalated to each level at most once (per activation
                   round): no two escalation events with the same step and level
  ticket_done      a ticket is done if and only if every end step (no successor) is
                   done or skipped and no step is open (a finished flow closes its
                   ticket; a done ticket has no open step)

With --acknowledged (the load client's record), also:

  acknowledged     every acknowledged write is in the database: each created ticket
                   exists, once per Idempotency-Key; each acknowledged start, finish,
                   approve and reject has its event by that user on that step

Prints every finding and a summary; exits 1 when there is any finding.
"""

import argparse
import importlib.util
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import psycopg2

OPEN = ("pending", "ready", "in_progress")
RUNNING_OR_DONE = ("ready", "in_progress", "done")
FINISHED = ("done", "skipped")


class Data:
    """Everything the checks read, loaded in a few queries (one snapshot)."""

    def __init__(self, cr):
        cr.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cr.execute("SELECT id, name, state, requester_id FROM crossdept_ticket")
        self.tickets = {
            row[0]: {"name": row[1], "state": row[2], "requester": row[3]} for row in cr.fetchall()
        }
        cr.execute(
            """
            SELECT s.id, s.ticket_id, s.name->>'en_US', s.state, s.kind,
                   f.approval_policy, f.approval_min_count, f.approval_min_percent,
                   COALESCE(f.allow_requester_approval, FALSE)
              FROM crossdept_ticket_step s
              JOIN crossdept_flow_step f ON f.id = s.flow_step_id
             WHERE s.active
            """
        )
        self.steps = {
            row[0]: dict(
                zip(
                    (
                        "id",
                        "ticket",
                        "name",
                        "state",
                        "kind",
                        "policy",
                        "min_count",
                        "min_pct",
                        "requester_may_decide",
                    ),
                    row,
                    strict=True,
                )
            )
            for row in cr.fetchall()
        }
        self.steps_of = defaultdict(list)
        for step in self.steps.values():
            self.steps_of[step["ticket"]].append(step)
        cr.execute("SELECT step_id, predecessor_id FROM crossdept_ticket_step_predecessor_rel")
        self.preds = defaultdict(set)
        self.succs = defaultdict(set)
        for step_id, pred_id in cr.fetchall():
            self.preds[step_id].add(pred_id)
            self.succs[pred_id].add(step_id)
        cr.execute("SELECT step_id, user_id FROM crossdept_ticket_step_approver_rel")
        self.approvers = defaultdict(set)
        for step_id, user_id in cr.fetchall():
            self.approvers[step_id].add(user_id)
        # the current round (a return or a reopening archives the earlier decisions)
        cr.execute(
            "SELECT id, step_id, user_id, decision FROM crossdept_ticket_step_decision WHERE active"
        )
        self.decisions = defaultdict(list)
        for _id, step_id, user_id, decision in cr.fetchall():
            self.decisions[step_id].append((user_id, decision))
        cr.execute(
            "SELECT ticket_id, step_id, event_type, actor_id FROM crossdept_ticket_event "
            "WHERE step_id IS NOT NULL OR event_type = 'step_return'"
        )
        self.events = defaultdict(Counter)  # step -> event type -> count
        self.event_actors = defaultdict(Counter)  # (step, type) -> actor -> count
        self.returns = Counter()  # ticket -> step_return events
        for ticket_id, step_id, event_type, actor_id in cr.fetchall():
            if event_type == "step_return":
                self.returns[ticket_id] += 1
            if step_id:
                self.events[step_id][event_type] += 1
                self.event_actors[step_id, event_type][actor_id] += 1
        cr.execute(
            "SELECT step_id, to_state, count(*) FROM crossdept_ticket_event "
            "WHERE event_type = 'escalation' GROUP BY 1, 2"
        )
        self.escalations = {(step_id, level): count for step_id, level, count in cr.fetchall()}
        self.has_idempotency = _has_column(cr, "crossdept_ticket", "api_idempotency_key")
        self.keys = Counter()
        if self.has_idempotency:
            cr.execute(
                "SELECT create_uid, api_idempotency_key, count(*) FROM crossdept_ticket "
                "WHERE api_idempotency_key IS NOT NULL GROUP BY 1, 2"
            )
            self.keys = Counter({(uid, key): count for uid, key, count in cr.fetchall()})
        cr.execute("SELECT login, id FROM res_users")
        self.uid_of = dict(cr.fetchall())

    def label(self, step):
        ticket = self.tickets[step["ticket"]]["name"]
        return f"{ticket} / {step['name']} (step {step['id']}, {step['state']})"


def _has_column(cr, table, column):
    cr.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
        (table, column),
    )
    return bool(cr.fetchone())


def _approval_policy():
    """The engine's approval policy functions (addons/crossdept_ticket/tools/approval.py,
    plain Python), loaded from the file: the checker judges decisions by the same rule."""
    path = Path(__file__).resolve().parent.parent / "addons/crossdept_ticket/tools/approval.py"
    spec = importlib.util.spec_from_file_location("crossdept_approval_policy", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


POLICY = _approval_policy()


def needed_approvals(step, total):
    return POLICY.needed_approvals(
        step["policy"], total, step["min_count"] or 1, step["min_pct"] or 100.0
    )


# ----------------------------------------------------------------------
# Checks: each yields finding strings
# ----------------------------------------------------------------------


def check_predecessors(data):
    for step in data.steps.values():
        if step["state"] not in RUNNING_OR_DONE:
            continue
        waiting = [
            data.steps[p] for p in data.preds[step["id"]] if data.steps[p]["state"] not in FINISHED
        ]
        if waiting:
            yield (
                f"{data.label(step)} runs before its predecessors finished: "
                + ", ".join(data.label(p) for p in waiting)
            )


def check_activation(data):
    for step in data.steps.values():
        ready = data.events[step["id"]]["step_ready"]
        rounds = 1 + data.returns[step["ticket"]]
        if ready > rounds:
            yield f"{data.label(step)} was made ready {ready} times in {rounds} round(s)"
        if step["state"] in RUNNING_OR_DONE and not ready:
            yield f"{data.label(step)} has no step_ready event"
        if not data.returns[step["ticket"]] and step["state"] == "pending" and ready:
            yield f"{data.label(step)} is pending but was made ready"


def check_transitions(data):
    for step in data.steps.values():
        events = data.events[step["id"]]
        for kind in ("step_start", "step_done"):
            if events[kind] > max(events["step_ready"], 1):
                yield (
                    f"{data.label(step)} has {events[kind]} {kind} events for "
                    f"{events['step_ready']} step_ready"
                )
        if data.returns[step["ticket"]]:
            continue
        # a task starts when its holder starts (or finishes) it, an approval with its
        # first decision; a cancelled step may or may not have started
        started = ("in_progress", "done") + (("rejected",) if step["kind"] == "approval" else ())
        expected = {
            "step_start": int(step["state"] in started),
            "step_done": int(step["state"] == "done"),
            "step_skip": int(step["state"] == "skipped"),
        }
        if step["state"] == "cancelled":
            del expected["step_start"]
        for kind, count in expected.items():
            if events[kind] != count:
                yield f"{data.label(step)} has {events[kind]} {kind} event(s), expected {count}"


def check_decisions(data):
    for step in data.steps.values():
        decisions = data.decisions[step["id"]]
        users = Counter(user for user, _decision in decisions)
        for user, count in users.items():
            if count > 1:
                yield f"{data.label(step)}: user {user} decided {count} times"
            if user not in data.approvers[step["id"]]:
                yield f"{data.label(step)}: user {user} decided without being an approver"
        if data.returns[step["ticket"]]:
            continue  # a return clears the decisions downstream, not their events
        for decision, event in (("approve", "step_approve"), ("reject", "step_reject")):
            made = sum(1 for _user, d in decisions if d == decision)
            if data.events[step["id"]][event] != made:
                yield (
                    f"{data.label(step)}: {made} {decision} decision(s) but "
                    f"{data.events[step['id']][event]} {event} event(s)"
                )


def check_policy(data):
    for step in data.steps.values():
        if step["kind"] != "approval" or step["state"] in ("pending", "skipped"):
            continue
        if data.tickets[step["ticket"]]["state"] == "cancelled" and step["state"] in OPEN:
            continue
        # who may decide: the approvers, without the requester unless the step allows
        deciders = set(data.approvers[step["id"]])
        if not step["requester_may_decide"]:
            deciders.discard(data.tickets[step["ticket"]]["requester"])
        total = len(deciders)
        needed = needed_approvals(step, total)
        decisions = [(u, d) for u, d in data.decisions[step["id"]] if u in deciders]
        approvals = sum(1 for _u, d in decisions if d == "approve")
        rejections = sum(1 for _u, d in decisions if d == "reject")
        if not POLICY.can_be_met(needed, total):
            # nobody (or too few) can decide: the step waits for the Accountable
            continue
        reached = approvals >= needed
        unreachable = total - rejections < needed
        state = step["state"]
        if state == "done" and not reached:
            yield f"{data.label(step)} is approved with {approvals} of {needed} approvals"
        elif state == "rejected" and not unreachable:
            yield f"{data.label(step)} is rejected though {needed} approvals remain reachable"
        elif state in ("ready", "in_progress") and (reached or unreachable):
            yield (
                f"{data.label(step)} is still open with {approvals} approvals and "
                f"{rejections} rejections of {total} (needs {needed})"
            )


def check_ticket_done(data):
    for ticket_id, steps in data.steps_of.items():
        ticket = data.tickets[ticket_id]
        ends = [s for s in steps if not data.succs[s["id"]]]
        flow_done = all(s["state"] in FINISHED for s in ends) and not any(
            s["state"] in OPEN for s in steps
        )
        label = f"{ticket['name']} (ticket {ticket_id}, {ticket['state']})"
        if ticket["state"] == "done" and not flow_done:
            open_steps = [s["name"] for s in steps if s["state"] not in FINISHED]
            yield f"{label} is done but its flow is not: {', '.join(open_steps)}"
        if ticket["state"] == "in_progress" and flow_done:
            yield f"{label} finished its flow but is not done"
        if ticket["state"] == "in_progress" and not any(
            s["state"] in ("ready", "in_progress") for s in steps
        ):
            yield f"{label} is in progress with no ready or running step (wedged)"


def check_escalations(data):
    for (step_id, level), count in sorted(data.escalations.items()):
        step = data.steps.get(step_id)
        rounds = 1 + data.returns[step["ticket"]] if step else 1
        if count > rounds:
            label = data.label(step) if step else f"step {step_id}"
            yield f"{label} was escalated to level {level} {count} times"


CHECKS = {
    "predecessors": check_predecessors,
    "activation": check_activation,
    "transitions": check_transitions,
    "decisions": check_decisions,
    "policy": check_policy,
    "escalations": check_escalations,
    "ticket_done": check_ticket_done,
}

ACK_EVENTS = {
    "start": "step_start",
    "finish": "step_done",
    "approve": "step_approve",
    "reject": "step_reject",
}


def check_acknowledged(data, rows):
    """Acknowledged writes of the load client's record that the database lacks."""
    missing = []
    acked = Counter()
    for row in rows:
        if not row.get("acknowledged"):
            continue
        acked[row["op"]] += 1
        uid = data.uid_of.get(row["client"])
        if row["op"] == "create":
            if row["ticket_id"] not in data.tickets:
                missing.append(
                    f"ticket {row['ticket_id']} (key {row['key']}) acknowledged, missing"
                )
            elif data.has_idempotency and data.keys[uid, row["key"]] != 1:
                missing.append(
                    f"Idempotency-Key {row['key']} gave {data.keys[uid, row['key']]} tickets"
                )
        elif row["op"] in ACK_EVENTS:
            event = ACK_EVENTS[row["op"]]
            step_id = row["step_id"]
            if step_id not in data.steps:
                missing.append(f"step {step_id} acknowledged ({row['op']}), missing")
            elif not data.event_actors[step_id, event][uid]:
                missing.append(
                    f"{data.label(data.steps[step_id])}: acknowledged {row['op']} by "
                    f"{row['client']} has no {event} event"
                )
    return acked, missing


def run_checks(connection, rows=None, limit=20, out=sys.stdout):
    """Run every check (and the acknowledged writes of ``rows``); returns the number
    of findings."""
    with connection.cursor() as cr:
        data = Data(cr)
    connection.rollback()
    total = 0
    print(f"{len(data.steps_of)} tickets with {len(data.steps)} steps checked", file=out)
    for name, check in CHECKS.items():
        findings = list(check(data))
        total += len(findings)
        print(f"{name:14} {len(findings)} finding(s)", file=out)
        for finding in findings[:limit]:
            print(f"    {finding}", file=out)
    if rows is not None:
        acked, missing = check_acknowledged(data, rows)
        total += len(missing)
        print(
            f"acknowledged   {sum(acked.values())} writes {dict(acked)}, "
            f"acknowledged but missing: {len(missing)}",
            file=out,
        )
        for finding in missing[:limit]:
            print(f"    {finding}", file=out)
    print(f"findings: {total}", file=out)
    return total


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("db")
    parser.add_argument("--acknowledged", help="the load client's --record file")
    parser.add_argument("--limit", type=int, default=20, help="findings printed per check")
    args = parser.parse_args()
    rows = None
    if args.acknowledged:
        with open(args.acknowledged) as record:
            rows = [json.loads(line) for line in record if line.strip()]
    connection = psycopg2.connect(dbname=args.db)
    try:
        total = run_checks(connection, rows, args.limit)
    finally:
        connection.close()
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
