"""Dispatch benchmarks (issue: smart dispatch and escalation).

1. Side by side in one database: CrossDept ticket creation with flow start and
   automatic assignment, against OCA helpdesk_mgmt creating plain tickets.
2. The SLA status cron and the escalation cron over 100,000 open steps of which 5%
   are breached.

    python3 bench/bench_dispatch.py CONF DB [OPEN_STEPS]

The database needs crossdept_ticket and OCA's helpdesk_mgmt installed (bench/run
installs helpdesk_mgmt 18.0 from PyPI with --no-deps).

Everything is rolled back at the end; figures are printed, nothing is asserted.
"""

import statistics
import sys
import time

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.tools import SQL

TICKETS = 1000
REPEAT = 3
OPEN_STEPS = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
BREACHED_SHARE = 0.05


def queries():
    """Queries run so far by this process (Odoo's own counter)."""
    return odoo.sql_db.sql_counter


def setup_crossdept(env):
    department = env["hr.department"].create({"name": "Bench support"})
    calendar = env["resource.calendar"].create({"name": "Bench 24/7", "tz": "UTC"})
    calendar.attendance_ids = [Command.clear()] + [
        Command.create({"name": f"d{day}", "dayofweek": str(day), "hour_from": 0, "hour_to": 23.99})
        for day in range(7)
    ]
    group = env.ref("crossdept_ticket.group_crossdept_ticket_user")
    users = env["res.users"].create(
        [
            {
                "name": f"Agent {i}",
                "login": f"bench_agent_{i}",
                "groups_id": [Command.link(group.id)],
            }
            for i in range(5)
        ]
    )
    env["hr.employee"].create(
        [
            {
                "name": u.name,
                "user_id": u.id,
                "department_id": department.id,
                "resource_calendar_id": calendar.id,
            }
            for u in users
        ]
    )
    department.crossdept_max_open_steps = 100_000
    ticket_type = env["crossdept.ticket.type"].create({"name": "Bench type"})
    flow = env["crossdept.flow"].create(
        {
            "name": "Bench dispatch flow",
            "code": "BENCHDISPATCH",
            "type_ids": [Command.set(ticket_type.ids)],
            "step_ids": [
                Command.create(
                    {
                        "name": "Handle",
                        "department_id": department.id,
                        "calendar_id": calendar.id,
                        "sla_hours": 8,
                        "assignment": "auto",
                    }
                )
            ],
        }
    )
    flow.action_activate()
    return department, ticket_type, flow


def measure(env, label, run):
    rates, per_ticket = [], []
    for _round in range(REPEAT + 1):  # the first round warms the caches
        env.flush_all()
        env.cr.execute("SAVEPOINT bench")
        env.invalidate_all()
        start_q, start_t = queries(), time.perf_counter()
        run()
        env.flush_all()
        elapsed, used = time.perf_counter() - start_t, queries() - start_q
        env.cr.execute("ROLLBACK TO SAVEPOINT bench")
        env.invalidate_all()
        if _round:
            rates.append(TICKETS / elapsed)
            per_ticket.append(used / TICKETS)
    print(
        f"{label}: {statistics.median(rates):8.1f} tickets/s "
        f"(runs: {', '.join(f'{r:.1f}' for r in rates)}), "
        f"{statistics.median(per_ticket):.2f} queries/ticket"
    )
    return statistics.median(rates), statistics.median(per_ticket)


def bench_creation(env):
    department, ticket_type, _flow = setup_crossdept(env)

    def crossdept():
        tickets = env["crossdept.ticket"].create(
            [
                {"title": f"Bench {i}", "type_id": ticket_type.id, "department_id": department.id}
                for i in range(TICKETS)
            ]
        )
        tickets.action_start_flow()
        env.cr.precommit.run()

    def oca():
        env["helpdesk.ticket"].create(
            [{"name": f"Bench {i}", "description": "<p>Bench</p>"} for i in range(TICKETS)]
        )
        env.cr.precommit.run()

    print(f"== Ticket creation, {TICKETS} tickets in one create(), median of {REPEAT} runs")
    ours = measure(env, "CrossDept (create + flow start + automatic assignment)", crossdept)
    if "helpdesk.ticket" in env:
        theirs = measure(env, "OCA helpdesk_mgmt 18.0 (plain create)", oca)
        print(
            f"ratio: CrossDept rate / OCA rate = {ours[0] / theirs[0]:.2f}; "
            f"queries per ticket {ours[1]:.2f} vs {theirs[1]:.2f}"
        )
    else:
        print("helpdesk_mgmt is not installed in this database: no comparison")
    return department


def load_open_steps(env, department):
    """Insert OPEN_STEPS tickets with one running step each, 5% past their deadline."""
    flow_step = env["crossdept.flow"].search([("code", "=", "BENCHDISPATCH")]).step_ids
    company = env.company
    user = env["res.users"].search([("login", "=", "bench_agent_0")])
    env.flush_all()
    breached = int(OPEN_STEPS * BREACHED_SHARE)
    env.cr.execute(
        SQL(
            """
            INSERT INTO crossdept_ticket (name, title, state, priority, company_id, active,
                                          requester_id, create_date, write_date)
            SELECT 'BENCH-' || n, 'Bench open ticket ' || n, 'in_progress', '1', %(company)s,
                   true, %(user)s, now() at time zone 'UTC', now() at time zone 'UTC'
              FROM generate_series(1, %(count)s) AS n
            """,
            company=company.id,
            user=user.id,
            count=OPEN_STEPS,
        )
    )
    env.cr.execute(
        SQL(
            """
            INSERT INTO crossdept_ticket_step (ticket_id, flow_step_id, company_id, name, sequence,
                   kind, priority, state, department_id, user_id, sla_hours, date_ready,
                   date_deadline, date_escalation_due, escalation_level, sla_status,
                   create_date, write_date)
            SELECT t.id, %(step)s, %(company)s, 'Handle', 10, 'task', '1', 'in_progress',
                   %(department)s, %(user)s, 8,
                   now() at time zone 'UTC' - interval '10 hours',
                   CASE WHEN row_number() OVER (ORDER BY t.id) <= %(breached)s
                        THEN now() at time zone 'UTC' - interval '2 hours'
                        ELSE now() at time zone 'UTC' + interval '30 days' END,
                   CASE WHEN row_number() OVER (ORDER BY t.id) <= %(breached)s
                        THEN now() at time zone 'UTC' - interval '2 hours'
                        ELSE now() at time zone 'UTC' + interval '20 days' END,
                   '1', 'on_track', now() at time zone 'UTC', now() at time zone 'UTC'
              FROM crossdept_ticket t WHERE t.name LIKE %(pattern)s
            """,
            step=flow_step.id,
            company=company.id,
            department=department.id,
            user=user.id,
            breached=breached,
            pattern="BENCH-%",
        )
    )
    env.cr.execute("ANALYZE crossdept_ticket_step")
    return breached


def bench_sla_status(env):
    """One run of the SLA status cron (its batch is the 5,000 nearest deadlines)."""
    Step = env["crossdept.ticket.step"]
    env.invalidate_all()
    start_q, start_t = queries(), time.perf_counter()
    Step._cron_update_sla_status()
    env.flush_all()
    elapsed, used = time.perf_counter() - start_t, queries() - start_q
    statuses = dict(Step._read_group([], ["sla_status"], ["__count"]))
    print(
        f"SLA status cron: one run in {elapsed:.2f}s, {used} queries; "
        f"statuses after it: {', '.join(f'{k}={v}' for k, v in sorted(statuses.items()))}"
    )


def bench_escalation(env, breached):
    print(f"== Escalation cron over {OPEN_STEPS} open steps, {BREACHED_SHARE:.0%} breached")
    Step = env["crossdept.ticket.step"]
    runs, processed = [], 0
    start_q = queries()
    while True:
        env.invalidate_all()
        start_t = time.perf_counter()
        done = Step._cron_escalate(batch_size=1000)
        env.flush_all()
        if not done:
            break
        runs.append(time.perf_counter() - start_t)
        processed += done
    used = queries() - start_q
    idle_start = time.perf_counter()
    Step._cron_escalate(batch_size=1000)
    idle = time.perf_counter() - idle_start
    print(
        f"escalated {processed} of {breached} breached steps in {len(runs)} runs of 1000: "
        f"{statistics.median(runs):.2f}s per run (max {max(runs):.2f}s), "
        f"{used / processed * 1000:.0f} queries per 1000 steps; "
        f"a run with nothing due: {idle * 1000:.0f} ms"
    )


def main(conf, db):
    odoo.tools.config.parse_config(["-c", conf, "-d", db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": False})
        try:
            department = bench_creation(env)
            print(f"== {OPEN_STEPS} open steps, {BREACHED_SHARE:.0%} breached")
            start = time.perf_counter()
            breached = load_open_steps(env, department)
            elapsed = time.perf_counter() - start
            print(f"loaded {OPEN_STEPS} tickets and steps with SQL in {elapsed:.1f}s")
            bench_sla_status(env)
            bench_escalation(env, breached)
        finally:
            cr.rollback()
    print("(all bench data rolled back)")


if __name__ == "__main__":
    main(*sys.argv[1:3])
