"""Tickets from email benchmark (issue: tickets from email).

Incoming mails to a ticket type's alias go through Odoo's mail gateway
(``mail.thread.message_process``, as the mail fetcher runs it): each is a new
ticket numbered by the sequence, its sender a new contact, submitted on a one-step
flow whose step is assigned automatically. Prints incoming mails per minute and
queries per mail, and checks that every mail made a ticket with its flow and a
holder.

    python bench/bench_mail.py CONF DB [--size=MAILS] [--repeat=N]

(the venv's python). --size is the number of mails per run (default 300), each from
its own sender (one sender would be throttled by the gateway's loop detection).

Everything is rolled back at the end; figures are printed, nothing is asserted but
that the mails made their tickets.
"""

import statistics
import time

import benchargs

import odoo
from odoo import SUPERUSER_ID, Command, api

MAILS = 300
REPEAT = 3
DOMAIN = "bench-mail.example.com"


def queries():
    """Queries run so far by this process (Odoo's own counter)."""
    return odoo.sql_db.sql_counter


def setup(env):
    department = env["hr.department"].create({"name": "Bench mail desk"})
    calendar = env["resource.calendar"].create({"name": "Bench mail 24/7", "tz": "UTC"})
    calendar.attendance_ids = [Command.clear()] + [
        Command.create({"name": f"d{day}", "dayofweek": str(day), "hour_from": 0, "hour_to": 23.99})
        for day in range(7)
    ]
    group = env.ref("crossdept_ticket.group_crossdept_ticket_user")
    users = env["res.users"].create(
        [
            {
                "name": f"Mail agent {i}",
                "login": f"bench_mail_agent_{i}",
                "groups_id": [Command.link(group.id)],
            }
            for i in range(5)
        ]
    )
    env["hr.employee"].create(
        [
            {
                "name": user.name,
                "user_id": user.id,
                "department_id": department.id,
                "resource_calendar_id": calendar.id,
            }
            for user in users
        ]
    )
    department.crossdept_max_open_steps = 100_000
    alias_domain = env["mail.alias.domain"].search([("name", "=", DOMAIN)]) or env[
        "mail.alias.domain"
    ].create({"name": DOMAIN, "company_ids": [Command.link(env.company.id)]})
    ticket_type = env["crossdept.ticket.type"].create(
        {
            "name": "Bench mail type",
            "alias_name": "bench-support",
            "alias_domain_id": alias_domain.id,
        }
    )
    flow = env["crossdept.flow"].create(
        {
            "name": "Bench mail flow",
            "code": "BENCHMAIL",
            "type_ids": [Command.set(ticket_type.ids)],
            "step_ids": [
                Command.create(
                    {
                        "name": "Answer",
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
    return ticket_type, f"bench-support@{DOMAIN}"


def mail(to, run, index):
    body = "The printer on floor 3 jams on every second page.\r\n" * 20
    return (
        f"From: Customer {index} <customer{run}.{index}@clients.example.com>\r\n"
        f"To: {to}\r\n"
        f"Subject: Bench mail {run}.{index}\r\n"
        "Date: Sun, 06 Dec 2026 10:00:00 +0000\r\n"
        f"Message-ID: <bench.{run}.{index}@clients.example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{body}"
    ).encode()


def main():
    global MAILS, REPEAT  # the command line sets the sizes
    args = benchargs.parse(__doc__, MAILS, REPEAT)
    MAILS, REPEAT = args.size, args.repeat
    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            ticket_type, to = setup(env)
            gateway = env["mail.thread"].sudo()
            results = []
            for run in range(REPEAT + 1):  # the first run warms the caches
                env.flush_all()
                env.cr.execute("SAVEPOINT bench")
                env.invalidate_all()
                raws = [mail(to, run, index) for index in range(MAILS)]
                start_q, start_t = queries(), time.perf_counter()
                for raw in raws:
                    gateway.message_process(None, raw)
                env.cr.precommit.run()  # the notifications the gateway queued
                env.flush_all()
                elapsed, used = time.perf_counter() - start_t, queries() - start_q
                tickets = env["crossdept.ticket"].search(
                    [("type_id", "=", ticket_type.id), ("title", "=like", f"Bench mail {run}.%")]
                )
                held = tickets.filtered(lambda t: t.flow_id and t.step_ids.filtered("user_id"))
                if len(held) != MAILS:
                    raise SystemExit(
                        f"{MAILS} mails made {len(tickets)} tickets, {len(held)} with a holder"
                    )
                env.cr.execute("ROLLBACK TO SAVEPOINT bench")
                env.invalidate_all()
                if run:
                    results.append((MAILS / elapsed * 60, used / MAILS))
            print(
                f"== {MAILS} incoming mails through the gateway, each a ticket on a flow "
                f"with its step assigned, median of {REPEAT} runs"
            )
            print(
                f"incoming mail: {statistics.median(r[0] for r in results):.0f} mails/min "
                f"(runs: {', '.join(f'{r[0]:.0f}' for r in results)}), "
                f"{statistics.median(r[1] for r in results):.1f} queries/mail"
            )
        finally:
            cr.rollback()
    print("(all bench data rolled back)")


if __name__ == "__main__":
    main()
