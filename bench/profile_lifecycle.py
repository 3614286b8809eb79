"""Where one ticket's life spends its time, as the acting users (by hand, for issue 24).

Builds bench/load_client.py's flow (Intake -> Review A || Review B -> Approval 2 of 3 ->
Close) in DB (rolled back at the end), warms up with a few tickets, then profiles
with cProfile, as a member of the department:

- create: what the JSON API's create does (create, start the flow, read the answer);
- start and finish of the first step (as its holder).

For each it prints the queries run, grouped by the table they touch and by their
first words, and the functions of our addons and of Odoo with the most cumulative
time (their share of the whole).

    python bench/profile_lifecycle.py CONF DB [--repeat=N] [--top=N]
"""

import cProfile
import pstats
import re
import time
from collections import Counter
from contextlib import contextmanager

import benchargs

import odoo
from odoo import SUPERUSER_ID, Command, api

TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE|JOIN)\s+"?([a-z_0-9]+)"?', re.I)


@contextmanager
def recorded_queries():
    """The SQL each cursor of this process runs meanwhile."""
    found = []
    execute = odoo.sql_db.Cursor.execute

    def spy(cursor, query, params=None, log_exceptions=True):
        found.append(str(query.code if hasattr(query, "code") else query))
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
    intake = Step.create(
        {"flow_id": flow.id, "name": "Intake", "department_id": dept.id, "raci_ids": [requester]}
    )
    reviews = Step.create(
        [
            {
                "flow_id": flow.id,
                "name": name,
                "department_id": dept.id,
                "raci_ids": [requester],
                "predecessor_ids": [Command.set(intake.ids)],
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
            "department_id": dept.id,
            "raci_ids": [requester],
            "predecessor_ids": [Command.set(approval.ids)],
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
    env.flush_all()
    return ticket


def report(name, seconds, profile, queries, top):
    print(f"== {name}: {seconds * 1000:.1f} ms, {len(queries)} queries")
    tables = Counter()
    for sql in queries:
        tables.update({TABLE.search(sql).group(1) if TABLE.search(sql) else "?"})
    print("   queries by table: " + ", ".join(f"{t} {n}" for t, n in tables.most_common(12)))
    kinds = Counter(" ".join(sql.split()[:1]).upper() for sql in queries)
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


def main():
    parser = benchargs.parser(__doc__, 1, 5)
    parser.add_argument("--top", type=int, default=25)
    args, _ignored = parser.parse_known_args()
    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        worker, dept, ticket_type, flow = setup(env)
        for serial in range(args.repeat):  # warm-up: caches, prepared plans
            api_create(env, worker, dept, ticket_type, flow, serial)
        env.invalidate_all()
        profile = cProfile.Profile()
        with recorded_queries() as queries:
            started = time.perf_counter()
            profile.enable()
            ticket = api_create(env, worker, dept, ticket_type, flow, "profiled")
            profile.disable()
            seconds = time.perf_counter() - started
        report("API create (create + flow start + answer)", seconds, profile, queries, args.top)
        intake = ticket.step_ids.filtered(lambda s: s.name == "Intake").with_user(worker)
        for action in ("action_start", "action_finish"):
            env.invalidate_all()
            profile = cProfile.Profile()
            with recorded_queries() as queries:
                started = time.perf_counter()
                profile.enable()
                getattr(intake, action)()
                env.flush_all()
                profile.disable()
                seconds = time.perf_counter() - started
            report(f"step {action}", seconds, profile, queries, args.top)
        cr.rollback()


if __name__ == "__main__":
    main()
