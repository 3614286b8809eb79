"""Where one ticket's life spends its time, as the acting users (by hand, for issue 24).

Builds bench/load_client.py's flow (Intake -> Review A || Review B -> Approval 2 of 3 ->
Close, task steps held by their RACI Responsible: the requester) in DB (rolled back at
the end), walks a few tickets through every profiled operation first (so that every
operation runs with warm caches, as in a server that has served a few requests), then
measures, as a member of the department:

- create: what the JSON API's create does (create, start the flow, read the answer);
- start and finish of the first step (as its holder);
- the two approvals of the approval step (2 of 3 approvers, as each approver): the
  first records a decision, the second also ends the step and readies the last one.

Each operation ends as a request's transaction does before its commit: pending writes
flushed and the pre-commit hooks run (tracking values, bus notifications). For each it
prints the median time over ``--repeat`` tickets, the queries of the profiled one,
grouped by the table they touch and by their first words, and the functions of our
addons and of Odoo with the most cumulative time (their share of the whole).

    python bench/profile_lifecycle.py CONF DB [--repeat=N] [--top=N] [--sql]

``--sql`` also lists every query of the profiled run with the CrossDept function that
ran it.
"""

import cProfile
import pstats
import re
import statistics
import time
import traceback
from collections import Counter
from contextlib import contextmanager

import benchargs

import odoo
from odoo import SUPERUSER_ID, Command, api

TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE|JOIN)\s+"?([a-z_0-9]+)"?', re.I)


@contextmanager
def recorded_queries(where_from=False):
    """The SQL each cursor of this process runs meanwhile, with the CrossDept function
    that ran each if ``where_from`` (reading the stack costs time: not profiled then)."""
    found = []
    execute = odoo.sql_db.Cursor.execute

    def spy(cursor, query, params=None, log_exceptions=True):
        frames = (
            [f for f in traceback.extract_stack()[:-1] if "/crossdept_" in f.filename]
            if where_from
            else ()
        )
        where = frames[-1] if frames else None
        found.append(
            (
                str(query.code if hasattr(query, "code") else query),
                f"{where.filename.split('/addons/')[-1]}:{where.lineno} {where.name}"
                if where
                else "-",
            )
        )
        return execute(cursor, query, params, log_exceptions)

    odoo.sql_db.Cursor.execute = spy
    try:
        yield found
    finally:
        odoo.sql_db.Cursor.execute = execute


def setup(env):
    dept = env["hr.department"].create({"name": "Profile desk"})
    group = env.ref("crossdept_ticket.group_crossdept_ticket_user")
    users = env["res.users"].create(
        [
            {
                "name": f"Profile {name}",
                "login": f"profile_{name}",
                "groups_id": [Command.link(group.id)],
            }
            for name in ("worker", "approver_1", "approver_2", "approver_3")
        ]
    )
    env["hr.employee"].create(
        [{"name": u.name, "user_id": u.id, "department_id": dept.id} for u in users]
    )
    ticket_type = env["crossdept.ticket.type"].create({"name": "Profile"})
    flow = env["crossdept.flow"].create(
        {"name": "Profile flow", "code": "PROFILE", "type_ids": [Command.set(ticket_type.ids)]}
    )
    requester = Command.create({"role": "responsible", "holder_type": "requester"})
    Step = env["crossdept.flow.step"]
    task = {"department_id": dept.id, "assignment": "raci", "raci_ids": [requester]}
    intake = Step.create({"flow_id": flow.id, "name": "Intake", **task})
    reviews = Step.create(
        [
            {
                "flow_id": flow.id,
                "name": name,
                "predecessor_ids": [Command.set(intake.ids)],
                **task,
            }
            for name in ("Review A", "Review B")
        ]
    )
    approval = Step.create(
        {
            "flow_id": flow.id,
            "name": "Approval",
            "kind": "approval",
            "department_id": dept.id,
            "approval_policy": "count",
            "approval_min_count": 2,
            "reject_action": "cancel",
            "predecessor_ids": [Command.set(reviews.ids)],
            "raci_ids": [
                Command.create({"role": "responsible", "holder_type": "user", "user_id": u.id})
                for u in users[1:]
            ],
        }
    )
    Step.create(
        {
            "flow_id": flow.id,
            "name": "Close",
            "predecessor_ids": [Command.set(approval.ids)],
            **task,
        }
    )
    flow.action_activate()
    return users[0], dept, ticket_type, flow


def api_create(env, worker, dept, ticket_type, flow, serial):
    ticket = (
        env["crossdept.ticket"]
        .with_user(worker)
        .create(
            {
                "title": f"Profile #{serial}",
                "type_id": ticket_type.id,
                "flow_id": flow.id,
                "department_id": dept.id,
                "assigned_department_id": dept.id,
            }
        )
    )
    ticket.action_start_flow()
    if hasattr(ticket, "_api_data"):
        ticket._api_data(with_steps=True)
    return ticket


def end_of_request(env):
    """What the commit of a request does before committing: flush, pre-commit hooks."""
    env.flush_all()
    env.cr.flush()
    env.flush_all()


def step_of(ticket, name, user):
    """The ticket's step ``name`` as ``user``, as a client calls it: by id, nothing read."""
    step = ticket.sudo().step_ids.filtered(lambda s: s.name == name)
    return step.browse(step.ids).with_user(user)


def intake_of(ticket, worker):
    return step_of(ticket, "Intake", worker)


def to_approval(env, ticket, worker):
    """Walk the ticket to its approval step, as its holder (not measured)."""
    for name in ("Intake", "Review A", "Review B"):
        step_of(ticket, name, worker).action_finish()
    end_of_request(env)


def report(name, times, profile, queries, top, sql):
    median = statistics.median(times) * 1000
    print(
        f"== {name}: median {median:.1f} ms over {len(times)} tickets "
        f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}), "
        f"{len(queries)} queries"
    )
    tables = Counter()
    for text, _where in queries:
        tables.update({TABLE.search(text).group(1) if TABLE.search(text) else "?"})
    print("   queries by table: " + ", ".join(f"{t} {n}" for t, n in tables.most_common(12)))
    kinds = Counter(" ".join(text.split()[:1]).upper() for text, _where in queries)
    print("   by statement: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    stats = pstats.Stats(profile)
    total = stats.total_tt
    rows = []
    for (path, line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        if "crossdept" in path or "/odoo/models.py" in path or "/odoo/fields.py" in path:
            rows.append((ct, f"{path.split('/addons/')[-1].split('/odoo/')[-1]}:{line} {func}"))
    rows.sort(reverse=True)
    print("   most cumulative time (share of the whole):")
    for ct, where in rows[:top]:
        print(f"     {100 * ct / total:5.1f} %  {where}")
    if sql:
        print("   queries (the CrossDept function that ran each):")
        for number, (text, where) in enumerate(queries, 1):
            print(f"     {number:3d} {' '.join(text.split())[:110]}\n           {where}")


def measure(env, operation, count, where_from):
    """Run ``operation(serial)`` for ``count`` tickets (timed), then once more under the
    profiler with its queries recorded, then once more with the function that ran each
    query if ``where_from``; each ends as a request does before commit."""
    times = []
    for serial in range(count):
        env.invalidate_all()
        started = time.perf_counter()
        operation(serial)
        end_of_request(env)
        times.append(time.perf_counter() - started)
    env.invalidate_all()
    profile = cProfile.Profile()
    with recorded_queries() as queries:
        profile.enable()
        operation(count)
        end_of_request(env)
        profile.disable()
    if where_from:
        env.invalidate_all()
        with recorded_queries(where_from=True) as queries:
            operation(count + 1)
            end_of_request(env)
    return times, profile, queries


def main():
    parser = benchargs.parser(__doc__, 1, 5)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sql", action="store_true", help="list every query")
    args, _ignored = parser.parse_known_args()
    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        worker, dept, ticket_type, flow = setup(env)
        end_of_request(env)
        # warm-up: every operation once per ticket (caches, prepared plans)
        for serial in range(3):
            ticket = api_create(env, worker, dept, ticket_type, flow, f"warm-up {serial}")
            end_of_request(env)
            intake_of(ticket, worker).action_start()
            end_of_request(env)
            intake_of(ticket, worker).action_finish()
            end_of_request(env)
            to_approval(env, ticket, worker)
            for approver in ticket.sudo().step_ids.approver_ids[:2]:
                step_of(ticket, "Approval", approver).action_approve()
                end_of_request(env)
        tickets = []

        def create(serial):
            tickets.append(api_create(env, worker, dept, ticket_type, flow, serial))

        results = [
            (
                "API create (create + flow start + answer)",
                measure(env, create, args.repeat, args.sql),
            )
        ]
        intakes = [intake_of(ticket, worker).id for ticket in tickets]
        Step = env["crossdept.ticket.step"].with_user(worker)
        for action in ("action_start", "action_finish"):

            def step_action(serial, action=action):
                getattr(Step.browse(intakes[serial]), action)()

            results.append((f"step {action}", measure(env, step_action, args.repeat, args.sql)))
        for ticket in tickets:
            to_approval(env, ticket, worker)
        approvers = env["res.users"].search(
            [("login", "in", ("profile_approver_1", "profile_approver_2"))], order="login"
        )
        approval_ids = [step_of(ticket, "Approval", worker).id for ticket in tickets]
        for approver, name in zip(approvers, ("first", "second"), strict=True):

            def approve(serial, approver=approver):
                Step.with_user(approver).browse(approval_ids[serial]).action_approve()

            results.append((f"approve ({name} of 2)", measure(env, approve, args.repeat, args.sql)))
        for name, (times, profile, queries) in results:
            report(name, times, profile, queries, args.top, args.sql)
        cr.rollback()


if __name__ == "__main__":
    main()
