"""Ticket creation and flow start benchmarks (issues: foundation, flow engine).

1. 1,000 tickets in one create() call: tickets per second and queries per ticket.
2. Starting the flow of 1,000 tickets (5 steps with one parallel pair: A, then B and
   C in parallel, then D, then E), deadlines planned on a working calendar: tickets
   per second, queries per ticket, and the queries needed to read each ticket's state
   with its steps.

    python bench/bench_flow.py CONF DB [--size=TICKETS] [--repeat=N]

(the venv's python). --size is the number of tickets (default 1,000).

Everything is rolled back at the end; figures are printed, nothing is asserted.
"""

import statistics
import time

import benchargs

import odoo
from odoo import SUPERUSER_ID, Command, api

TICKETS = 1000
REPEAT = 3


def queries():
    """Queries run so far by this process (Odoo's own counter)."""
    return odoo.sql_db.sql_counter


def setup(env):
    department = env["hr.department"].create({"name": "Bench flow department"})
    group = env.ref("crossdept_ticket.group_crossdept_ticket_user")
    users = env["res.users"].create(
        [
            {
                "name": f"Flow agent {i}",
                "login": f"bench_flow_{i}",
                "groups_id": [Command.link(group.id)],
            }
            for i in range(3)
        ]
    )
    manager = env["hr.employee"].create(
        [{"name": u.name, "user_id": u.id, "department_id": department.id} for u in users]
    )[0]
    department.manager_id = manager
    ticket_type = env["crossdept.ticket.type"].create({"name": "Bench flow type"})
    flow = env["crossdept.flow"].create(
        {"name": "Bench flow", "code": "BENCHFLOW", "type_ids": [Command.set(ticket_type.ids)]}
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
                    Command.create(
                        {"role": "responsible", "holder_type": "user", "user_id": users[1].id}
                    )
                ],
            }
        )
    flow.action_activate()
    return department, ticket_type, users


def rounds(env, run):
    """Run ``run`` REPEAT times after a warm-up, each in a savepoint rolled back."""
    results = []
    for index in range(REPEAT + 1):
        env.flush_all()
        env.cr.execute("SAVEPOINT bench")
        env.invalidate_all()
        result = run()
        env.cr.execute("ROLLBACK TO SAVEPOINT bench")
        env.invalidate_all()
        if index:
            results.append(result)
    return results


def timed(env, func):
    start_q, start_t = queries(), time.perf_counter()
    value = func()
    env.flush_all()
    return value, time.perf_counter() - start_t, queries() - start_q


def main():
    global TICKETS, REPEAT  # the command line sets the sizes
    args = benchargs.parse(__doc__, TICKETS, REPEAT)
    TICKETS, REPEAT = args.size, args.repeat
    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            department, ticket_type, users = setup(env)
            vals = [
                {
                    "title": f"Bench {i}",
                    "type_id": ticket_type.id,
                    "department_id": department.id,
                    "requester_id": users[2].id,
                    "priority": "1",
                }
                for i in range(TICKETS)
            ]

            def create():
                # the precommit hooks post the notes the automation rules collected
                _tickets, elapsed, used = timed(
                    env,
                    lambda: (env["crossdept.ticket"].create(vals), env.cr.precommit.run()),
                )
                return TICKETS / elapsed, used / TICKETS

            results = rounds(env, create)
            print(f"== {TICKETS} tickets in one create(), median of {REPEAT} runs")
            print(
                f"create: {statistics.median(r[0] for r in results):.1f} tickets/s, "
                f"{statistics.median(r[1] for r in results):.3f} queries/ticket"
            )

            def start():
                tickets = env["crossdept.ticket"].create(vals)
                env.cr.precommit.run()
                env.flush_all()
                env.invalidate_all()
                tickets = env["crossdept.ticket"].browse(tickets.ids)
                _v, elapsed, used = timed(
                    env, lambda: (tickets.action_start_flow(), env.cr.precommit.run())
                )
                env.invalidate_all()
                tickets = env["crossdept.ticket"].browse(tickets.ids)
                _v, read_time, read_q = timed(
                    env,
                    lambda: (
                        tickets.read(["state", "flow_id"]),
                        tickets.step_ids.read(["state", "user_id", "date_deadline", "sla_status"]),
                    ),
                )
                return TICKETS / elapsed, used / TICKETS, read_q, read_time

            results = rounds(env, start)
            print(f"== starting the flow of {TICKETS} tickets (5 steps, one parallel pair)")
            print(
                f"flow start: {statistics.median(r[0] for r in results):.1f} tickets/s, "
                f"{statistics.median(r[1] for r in results):.2f} queries/ticket"
            )
            read_q = statistics.median(r[2] for r in results)
            print(
                f"reading state and steps of {TICKETS} tickets: {read_q:.0f} queries "
                f"({read_q / TICKETS:.4f} per ticket), "
                f"{statistics.median(r[3] for r in results) * 1000:.0f} ms"
            )
        finally:
            cr.rollback()
    print("(all bench data rolled back)")


if __name__ == "__main__":
    main()
