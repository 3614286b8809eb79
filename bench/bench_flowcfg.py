"""Flow configuration benchmarks (issue 11: engine integrity, flow side).

1. The lock of a flow: every structural write of a flow, its steps or their lines
   first counts the tickets still running on it (one SQL query). Its latency on a
   flow with 2,000 running tickets (10,000 step instances), and the queries and time
   of a step write on an editable draft (lock + save-time checks).
2. New version of a 5-step flow with RACI lines and escalation rules: queries, time.
3. The recurring dispatch cron over 50 schedules of 3 targets each (150 tickets,
   flow started), 5 of them failing (their flow was archived without a successor),
   each schedule in its own savepoint: seconds per run, queries per ticket created.

    python bench/bench_flowcfg.py CONF DB [--size=TICKETS] [--repeat=N]

(the venv's python). --size is the number of running tickets on the locked flow
(default 2,000; the cron gets one schedule per 40 of them, at least 10); --repeat
the runs of each latency (default 50).

Everything is rolled back at the end; figures are printed, nothing is asserted.
"""

import statistics
import time

import benchargs

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.tools import SQL

TICKETS = 2000
SCHEDULES = 50
BROKEN = 5
REPEAT = 50


def queries():
    """Queries run so far by this process (Odoo's own counter)."""
    return odoo.sql_db.sql_counter


def timed(env, func):
    start_q, start_t = queries(), time.perf_counter()
    value = func()
    env.flush_all()
    return value, time.perf_counter() - start_t, queries() - start_q


def make_flow(env, code, department, ticket_type, user):
    flow = env["crossdept.flow"].create(
        {"name": f"Bench {code}", "code": code, "type_ids": [Command.set(ticket_type.ids)]}
    )
    steps = {}
    for name, preds in (("A", []), ("B", ["A"]), ("C", ["A"]), ("D", ["B", "C"]), ("E", ["D"])):
        steps[name] = env["crossdept.flow.step"].create(
            {
                "flow_id": flow.id,
                "name": name,
                "department_id": department.id,
                "sla_hours": 8,
                "assignment": "raci",
                "predecessor_ids": [Command.set([steps[p].id for p in preds])],
                "raci_ids": [
                    Command.create({"role": "responsible", "user_id": user.id}),
                ],
            }
        )
    env["crossdept.escalation.rule"].create(
        [
            {"name": f"{code} flow rule", "flow_id": flow.id, "warn_percent": 70},
            {
                "name": f"{code} step rule",
                "flow_id": flow.id,
                "flow_step_id": steps["D"].id,
                "warn_percent": 50,
            },
        ]
    )
    flow.action_activate()
    return flow, steps


def setup(env):
    departments = env["hr.department"].create(
        [{"name": f"Bench flowcfg department {i}"} for i in range(3)]
    )
    group = env.ref("crossdept_ticket.group_crossdept_ticket_user")
    user = env["res.users"].create(
        {"name": "Flowcfg agent", "login": "bench_flowcfg", "groups_id": [Command.link(group.id)]}
    )
    ticket_type = env["crossdept.ticket.type"].create({"name": "Bench flowcfg type"})
    return departments, ticket_type, user


def bench_lock(env, departments, ticket_type, user):
    flow, _steps = make_flow(env, "BENCHLOCK", departments[0], ticket_type, user)
    tickets = env["crossdept.ticket"].create(
        [
            {"title": f"Lock {i}", "type_id": ticket_type.id, "requester_id": user.id}
            for i in range(TICKETS)
        ]
    )
    tickets.action_start_flow()
    # the only draft that can have running tickets: a stopped pilot's variant
    flow._end_pilot_variant()
    env.flush_all()
    # planner statistics as a live database has them
    env.cr.execute(SQL("ANALYZE crossdept_ticket, crossdept_ticket_step, crossdept_flow_step"))
    times = []
    for _index in range(REPEAT):
        start = time.perf_counter()
        counts = flow._running_ticket_counts()
        times.append(time.perf_counter() - start)
    steps = len(tickets.step_ids)
    print(f"== lock of a flow with {counts[flow.id]} running tickets ({steps} steps)")
    print(
        f"running-ticket count: median {statistics.median(times) * 1000:.2f} ms, "
        f"max {max(times) * 1000:.2f} ms over {REPEAT} runs (1 query)"
    )
    env.invalidate_all()
    _v, elapsed, used = timed(env, lambda: flow.locked)
    print(f"reading `locked` of that flow: {used} queries, {elapsed * 1000:.2f} ms")
    draft, steps = make_flow(env, "BENCHDRAFT", departments[0], ticket_type, user)
    draft._end_pilot_variant()  # a draft again, no ticket on it
    env.invalidate_all()
    results = []
    for index in range(REPEAT):
        _v, elapsed, used = timed(env, lambda i=index: steps["B"].write({"sla_hours": 4 + i % 3}))
        results.append((elapsed, used))
    print(
        f"step write on an editable draft: {statistics.median(r[1] for r in results):.0f} "
        f"queries, {statistics.median(r[0] for r in results) * 1000:.2f} ms (median)"
    )
    return flow


def bench_version(env, flow):
    env.invalidate_all()
    action, elapsed, used = timed(env, lambda: flow.action_new_version())
    new = env["crossdept.flow"].browse(action["res_id"])
    print("== new version of a 5-step flow with RACI lines and 2 escalation rules")
    print(
        f"action_new_version: {used} queries, {elapsed * 1000:.0f} ms; "
        f"{len(new.step_ids)} steps, {len(new.escalation_rule_ids)} rules copied"
    )


def bench_cron(env, departments, ticket_type, user):
    flows = []
    for index in range(SCHEDULES):
        flow, _steps = make_flow(env, f"BENCHCRON{index}", departments[0], ticket_type, user)
        flows.append(flow)
    schedules = env["crossdept.dispatch.schedule"].create(
        [
            {
                "name": f"Bench schedule {index}",
                "type_id": ticket_type.id,
                "flow_id": flow.id,
                "target_kind": "department",
                "department_ids": [Command.set(departments.ids)],
                "rule_type": "weekly",
                "next_run": odoo.fields.Datetime.now(),
            }
            for index, flow in enumerate(flows)
        ]
    )
    env["crossdept.flow"].concat(*flows[:BROKEN]).action_archive_flow()
    env["crossdept.dispatch.schedule"].search([("id", "not in", schedules.ids)]).write(
        {"active": False}
    )
    env.flush_all()
    env.invalidate_all()
    _v, elapsed, used = timed(env, lambda: env["crossdept.dispatch.schedule"]._cron_run_due())
    created = env["crossdept.ticket"].search_count([("schedule_id", "in", schedules.ids)])
    failed = len(schedules.filtered("last_error"))
    print(
        f"== dispatch cron: {SCHEDULES} schedules x {len(departments)} targets, "
        f"{BROKEN} failing, one savepoint each"
    )
    print(
        f"{elapsed:.2f} s, {created} tickets created and started, {failed} schedules "
        f"recorded as failing; {used / max(created, 1):.1f} queries per ticket created"
    )


def main():
    global TICKETS, REPEAT, SCHEDULES  # the command line sets the sizes
    args = benchargs.parse(__doc__, TICKETS, REPEAT)
    TICKETS, REPEAT = args.size, args.repeat
    # 50 schedules at the default size; a smoke test's small size gets a few
    SCHEDULES = max(BROKEN + 5, TICKETS // 40)
    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            departments, ticket_type, user = setup(env)
            flow = bench_lock(env, departments, ticket_type, user)
            bench_version(env, flow)
            bench_cron(env, departments, ticket_type, user)
        finally:
            cr.rollback()
    print("(all bench data rolled back)")


if __name__ == "__main__":
    main()
