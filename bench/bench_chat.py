"""Chat notifications benchmark (issue: notify and act in DingTalk, Feishu, WeCom).

Ten DingTalk group robots (signed messages), each with a route "step ready", point
at a stand-in HTTP server on 127.0.0.1 (a thread of this script, checking each
signature as DingTalk does). Works in a throwaway copy ``<db>_chat`` of the database,
with real commits, as production does, dropped at the end:

1. queue: tickets created and started (their one step becomes ready) in
   transactions of 100 tickets, each committed: --size notifications (default
   10,000) land in the outbox; ticket transaction time with and without the chat
   routes, and the requests the stand-in received meanwhile (must be 0);
2. drain: the sending cron's method (``_cron_send``, committing per message) runs
   in its own thread and cursor until the outbox is empty: time to drain and
   messages/s; meanwhile another thread runs single-ticket transactions (create,
   start, commit, on a flow no chat hears of), whose latencies are compared with
   the same transactions run before the drain;
3. hung server: the stand-in holds every answer 5 s while the drain thread sends
   and single-ticket transactions that queue 10 messages each go on; each must end
   before 5 s (the script fails otherwise, or when the drain thread sent nothing
   meanwhile), and once the server answers again every message queued is sent
   (the script fails unless none is pending or failed).

    python bench/bench_chat.py CONF DB [--size=NOTIFICATIONS] [--repeat=N]

(the venv's python). --repeat is unused (each phase runs once, at full size).
"""

import statistics
import threading
import time

import benchargs

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.tools import SQL

NOTIFICATIONS = 10_000
REPEAT = 1
CHANNELS = 10
BATCH = 100
PROBES = 100
HUNG_SECONDS = 5.0


def copy_database(source, target):
    with odoo.sql_db.db_connect("postgres").cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute(SQL("DROP DATABASE IF EXISTS %s WITH (FORCE)", SQL.identifier(target)))
        cr.execute(
            SQL("CREATE DATABASE %s TEMPLATE %s", SQL.identifier(target), SQL.identifier(source))
        )


def drop_database(target):
    odoo.sql_db.close_db(target)
    with odoo.sql_db.db_connect("postgres").cursor() as cr:
        cr._cnx.autocommit = True
        try:
            cr.execute(SQL("DROP DATABASE IF EXISTS %s WITH (FORCE)", SQL.identifier(target)))
        except odoo.sql_db.psycopg2.Error:
            cr.execute(SQL("DROP DATABASE IF EXISTS %s", SQL.identifier(target)))


def setup(env, stand_in, secret):
    env["crossdept.chat.channel"].search([]).active = False
    env["crossdept.escalation.rule"].search([]).active = False
    department = env["hr.department"].create({"name": "Bench chat desk"})
    group = env.ref("crossdept_ticket.group_crossdept_ticket_user")
    user = env["res.users"].create(
        {"name": "Chat agent", "login": "bench_chat_agent", "groups_id": [Command.link(group.id)]}
    )
    env["hr.employee"].create(
        {
            "name": user.name,
            "user_id": user.id,
            "department_id": department.id,
            "crossdept_dingtalk_user_id": "bench-agent",
        }
    )
    ticket_type = env["crossdept.ticket.type"].create({"name": "Bench chat type"})
    flow = env["crossdept.flow"].create(
        {
            "name": "Bench chat flow",
            "code": "BENCHCHAT",
            "type_ids": [Command.set(ticket_type.ids)],
            "step_ids": [
                Command.create(
                    {
                        "name": "Answer",
                        "department_id": department.id,
                        "sla_hours": 8,
                        "assignment": "raci",
                        "raci_ids": [
                            Command.create(
                                {"role": "responsible", "holder_type": "user", "user_id": user.id}
                            )
                        ],
                    }
                )
            ],
        }
    )
    flow.action_activate()
    # the probes' flow: its steps are told to no chat (the drain's figure is the queue's)
    quiet_flow = flow.copy({"name": "Bench chat quiet flow", "code": "BENCHCHATQ"})
    quiet_flow.action_activate()
    answer = flow.step_ids
    channels = env["crossdept.chat.channel"].create(
        [
            {
                "name": f"Bench group {index}",
                "platform": "dingtalk",
                "url": f"{stand_in.base}/dingtalk/robot/send?access_token=bench{index}",
                "secret": secret,
                "lang": "en_US",
                "active": False,
                "route_ids": [Command.create({"event": "step_ready", "flow_step_id": answer.id})],
            }
            for index in range(CHANNELS)
        ]
    )
    vals = {
        "type_id": ticket_type.id,
        "flow_id": flow.id,
        "department_id": department.id,
        "assigned_department_id": department.id,
        "requester_id": user.id,
    }
    return channels, vals, {**vals, "flow_id": quiet_flow.id}


def ticket_transaction(registry, vals, count, title):
    """Create and start ``count`` tickets in one transaction, committed; its time."""
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        tickets = env["crossdept.ticket"].create(
            [{**vals, "title": f"{title} {index}"} for index in range(count)]
        )
        tickets.action_start_flow()
    return time.perf_counter() - start


def outbox(registry):
    with registry.cursor() as cr:
        cr.execute(SQL("SELECT state, count(*) FROM crossdept_chat_message GROUP BY state"))
        return dict(cr.fetchall())


class Drain(threading.Thread):
    """The sending cron's method in its own thread and cursor, committing per
    message, until the outbox has nothing due (or ``stop`` is set)."""

    def __init__(self, registry, batch_size=500, until_stopped=False):
        super().__init__(daemon=True)
        self.registry = registry
        self.batch_size = batch_size
        # keep polling the outbox, as the cron would be woken again, until ``stop``
        self.until_stopped = until_stopped
        self.stop = False
        self.sent = 0
        self.elapsed = 0.0

    def run(self):
        start = time.perf_counter()
        while not self.stop:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                done = env["crossdept.chat.message"]._cron_send(batch_size=self.batch_size)
                self.sent += len(done)
            if not done:
                if not self.until_stopped:
                    break
                time.sleep(0.05)
        self.elapsed = time.perf_counter() - start


def probes(registry, vals, label, count=PROBES):
    return [ticket_transaction(registry, vals, 1, f"{label} {i}") for i in range(count)]


def figures(latencies):
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return (
        f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"max {ordered[-1] * 1000:.1f} ms"
    )


def main():
    global NOTIFICATIONS  # the command line sets the size
    args = benchargs.parse(__doc__, NOTIFICATIONS, REPEAT)
    NOTIFICATIONS = max(args.size, CHANNELS)
    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
    # imported once Odoo's configuration is read (the addons' namespace is set)
    from odoo.addons.crossdept_chat.tests.common import (  # noqa: PLC0415
        DINGTALK_SECRET,
        StandIn,
    )

    target = f"{args.db}_chat"
    copy_database(args.db, target)
    stand_in = StandIn()
    try:
        registry = odoo.modules.registry.Registry(target)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            channels, vals, quiet = setup(env, stand_in, DINGTALK_SECRET)
        tickets = NOTIFICATIONS // CHANNELS
        batches = [min(BATCH, tickets - start) for start in range(0, tickets, BATCH)]
        # 1. queue: the same ticket transactions without, then with, the chat routes
        without = sum(ticket_transaction(registry, vals, n, "Bench quiet") for n in batches)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crossdept.chat.channel"].browse(channels.ids).active = True
        before = len(stand_in.requests)
        queued = sum(ticket_transaction(registry, vals, n, "Bench queue") for n in batches)
        received = len(stand_in.requests) - before
        pending = outbox(registry).get("pending", 0)
        if pending != tickets * CHANNELS or received:
            raise SystemExit(
                f"{tickets} tickets queued {pending} messages (expected {tickets * CHANNELS}); "
                f"the stand-in received {received} requests during the ticket transactions"
            )
        print(
            f"== queue: {tickets:,} tickets created and started in transactions of {BATCH}, "
            f"each step ready told to {CHANNELS} group chats"
        )
        print(
            f"ticket transactions: {without / tickets * 1000:.2f} ms/ticket without chat routes, "
            f"{queued / tickets * 1000:.2f} ms/ticket with them ({pending:,} messages queued); "
            f"requests sent during the ticket transactions: {received}"
        )
        # 2. drain, with single-ticket transactions beside it
        baseline = probes(registry, quiet, "Bench probe before")
        drain = Drain(registry)
        drain.start()
        during = []
        while drain.is_alive() and len(during) < PROBES:
            during.append(ticket_transaction(registry, quiet, 1, f"Bench probe {len(during)}"))
        drain.join()
        state = outbox(registry)
        print(f"== drain: {pending:,} messages signed and POSTed to the stand-in by _cron_send")
        print(
            f"time to drain: {drain.elapsed:.1f} s ({drain.sent / drain.elapsed:.0f} messages/s, "
            f"{drain.sent:,} sent); outbox after: {state}"
        )
        print(f"single-ticket transactions before the drain: {figures(baseline)}")
        print(
            f"single-ticket transactions during the drain ({len(during)}): "
            f"{figures(during) if during else 'none (the drain ended first)'}"
        )
        # 3. a hung chat server: the drain waits on it, ticket transactions do not
        stand_in.delay = HUNG_SECONDS
        first = len(stand_in.requests)
        # one message per batch: the thread sees ``stop`` after each answer
        hung = Drain(registry, batch_size=1, until_stopped=True)
        hung.start()
        # these tickets' steps are told to the ten chats: 200 messages for a hung server
        stuck = probes(registry, vals, "Bench probe hung", count=20)
        in_flight = len(stand_in.requests) - first
        hung.stop = True
        stand_in.delay = 0.0
        hung.join()
        Drain(registry).run()
        state = outbox(registry)
        print(f"== chat server holding every answer {HUNG_SECONDS:.0f} s")
        print(
            f"single-ticket transactions queueing 10 messages each, meanwhile (20): "
            f"{figures(stuck)}; requests the drain thread sent to the hung server "
            f"meanwhile: {in_flight}; outbox after recovery: {state}"
        )
        if not in_flight:
            raise SystemExit("the drain thread sent nothing to the hung server: no figure")
        if max(stuck) >= HUNG_SECONDS:
            raise SystemExit("a ticket transaction waited for the hung chat server")
        if state.get("pending") or state.get("failed"):
            raise SystemExit(f"messages left unsent after the server recovered: {state}")
    finally:
        stand_in.close()
        drop_database(target)


if __name__ == "__main__":
    main()
