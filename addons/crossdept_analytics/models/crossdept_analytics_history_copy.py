import itertools
import json
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .crossdept_analytics_history import (
    APPROVAL_STATES,
    EFFORT_COLUMNS,
    EFFORT_LINE_HOURS,
    ESCALATION_RATE,
    EVENT_COLUMNS,
    NULL,
    RACI_COLUMNS,
    STEP_COLUMNS,
    TICKET_COLUMNS,
)


def _ts(value):
    return value.isoformat(" ", "seconds") if value else NULL


def _text(value):
    return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def _id(value):
    return str(value) if value else NULL


class _Stream:
    """File-like reader over a list of COPY lines, for cursor.copy_expert."""

    def __init__(self, lines):
        self._lines = iter(lines)
        self._buffer = ""

    def read(self, size=-1):  # pylint: disable=method-required-super
        while size < 0 or len(self._buffer) < size:
            chunk = "".join(itertools.islice(self._lines, 1000))
            if not chunk:
                break
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    readline = read


class CrossdeptAnalyticsHistory(models.AbstractModel):
    """How the generator writes its plans: ids reserved from the sequences, rows
    streamed to PostgreSQL with COPY."""

    _inherit = "crossdept.analytics.history"

    def _reserve_ids(self, table, count):
        """Take `count` consecutive ids from the table's sequence."""
        if not count:
            return 0
        sequence = f"{table}_id_seq"
        self.env.cr.execute(
            SQL("SELECT setval(%s, nextval(%s) + %s)", sequence, sequence, count - 1)
        )
        return self.env.cr.fetchone()[0] - count + 1

    def _write_plans(self, plans, context, full_events, rng):
        company = context["company_id"]
        uid = context["uid"]
        ticket_id = self._reserve_ids("crossdept_ticket", len(plans))
        step_id = self._reserve_ids("crossdept_ticket_step", sum(len(p["steps"]) for p in plans))
        first_step_id = step_id
        first_ticket_id = ticket_id
        tickets, steps, events, approvers, efforts = [], [], [], [], []
        predecessors, raci, holders = [], [], []
        stamp = _ts(fields.Datetime.now())

        def event(ticket, step, event_type, when, **vals):
            events.append(
                [
                    str(ticket),
                    str(company),
                    _id(step),
                    event_type,
                    _ts(when),
                    str(uid),
                    vals.get("from_state", NULL),
                    vals.get("to_state", NULL),
                    _id(vals.get("from_user")),
                    _id(vals.get("to_user")),
                    _id(vals.get("from_department")),
                    _id(vals.get("to_department")),
                ]
            )

        for plan in plans:
            created = plan["created"]
            closed = plan["closed"]
            if plan["reopen"]:
                event(ticket_id, None, "state", closed, from_state="in_progress", to_state="done")
                event(
                    ticket_id,
                    None,
                    "state",
                    closed + timedelta(hours=1),
                    from_state="done",
                    to_state="in_progress",
                )
                closed += timedelta(hours=3)
            last_user = None
            event(ticket_id, None, "create", created, to_state="draft")
            event(ticket_id, None, "state", created, from_state="draft", to_state="in_progress")
            started_steps = []
            current = None  # the open step due first: the running ticket follows it
            instance_of = {}  # flow step id -> the ticket's step
            ticket_holders = set()
            for step in plan["steps"]:
                spec = step["spec"]
                instance_of[spec["id"]] = step_id
                ticket_holders.add(step["user_id"])
                # a step follows its flow step's predecessors (listed before it)
                predecessors += [
                    f"{step_id}\t{instance_of[pred]}\n"
                    for pred in spec["predecessor_ids"]
                    if pred in instance_of
                ]
                late = step["done"] and step["deadline"] and step["done"] > step["deadline"]
                steps.append(
                    "\t".join(
                        [
                            str(step_id),
                            str(ticket_id),
                            str(spec["id"]),
                            str(company),
                            # the English name; every language follows below
                            _text(json.dumps({"en_US": spec["name"]})),
                            str(spec["sequence"]),
                            spec["kind"],
                            plan["priority"],
                            step["state"],
                            _id(step["department_id"]),
                            _id(step["user_id"]),
                            str(spec["sla_hours"]),
                            _ts(step["ready"]),
                            _ts(step["started"]),
                            _ts(step["done"]),
                            _ts(step["deadline"]),
                            "breached" if late else ("on_track" if step["ready"] else NULL),
                            "0",
                            _ts(created),
                            _ts(step["done"] or created),
                            str(uid),
                            str(uid),
                            "t",
                            APPROVAL_STATES.get(step["state"], "none")
                            if spec["kind"] == "approval"
                            else "none",
                        ]
                    )
                    + "\n"
                )
                if step["state"] == "skipped":
                    event(ticket_id, step_id, "step_skip", step["done"], to_state="skipped")
                else:
                    if full_events and step["ready"]:
                        event(ticket_id, step_id, "step_ready", step["ready"], to_state="ready")
                    if full_events and step["started"]:
                        event(
                            ticket_id,
                            step_id,
                            "step_start",
                            step["started"],
                            to_state="in_progress",
                            to_user=step["user_id"],
                        )
                    if step["done"]:
                        event(
                            ticket_id,
                            step_id,
                            "step_done",
                            step["done"],
                            to_state="done",
                            to_user=step["user_id"],
                        )
                    if late and rng.random() < ESCALATION_RATE:
                        event(
                            ticket_id,
                            step_id,
                            "escalation",
                            step["deadline"],
                            to_state="1",
                            to_user=step["user_id"],
                            to_department=step["department_id"],
                        )
                    if full_events and step["done"] and spec["kind"] == "task":
                        efforts += self._history_effort(ticket_id, step_id, step, company, uid)
                    if step["started"]:
                        started_steps.append((step_id, step))
                        last_user = step["user_id"]
                if step["state"] in ("ready", "in_progress"):
                    holder = step["user_id"]
                    if spec["kind"] == "approval":
                        # an open approval waits for an approver who is not its requester
                        holder = self._history_approver(step, plan, context)
                        approvers.append(f"{step_id}\t{holder}\n")
                        ticket_holders.add(holder)
                    if current is None or step["deadline"] < current[1]["deadline"]:
                        current = (holder, step)
                step_id += 1
            if plan["transfer"] and started_steps:
                moved_id, moved = rng.choice(started_steps)
                others = context["departments"]
                to_department = rng.choice(others)
                event(
                    ticket_id,
                    moved_id,
                    "transfer",
                    moved["started"],
                    from_user=moved["user_id"],
                    to_user=moved["user_id"],
                    from_department=moved["department_id"],
                    to_department=to_department,
                )
            if plan["state"] == "done":
                event(ticket_id, None, "state", closed, from_state="in_progress", to_state="done")
            # the RACI the engine gives a running ticket: its default Accountable, and
            # its first step's assignee as Responsible
            accountable = context["managers"].get(plan["department_id"]) or plan["requester_id"]
            responsible = plan["steps"][0]["user_id"]
            for role, user in (("accountable", accountable), ("responsible", responsible)):
                line = [str(ticket_id), str(company), role, str(user), str(user)]
                raci.append("\t".join([*line, stamp, stamp, str(uid), str(uid)]) + "\n")
            holders += [f"{ticket_id}\t{user}\n" for user in sorted(ticket_holders - {None})]
            tickets.append(
                "\t".join(
                    [
                        str(ticket_id),
                        f"HIS{ticket_id:08d}",
                        f"History ticket {ticket_id}",
                        _id(plan["type_id"]),
                        plan["priority"],
                        plan["state"],
                        str(company),
                        str(plan["department_id"]),
                        _id(
                            current[1]["department_id"]
                            if current
                            else plan["assigned_department_id"]
                        ),
                        _id(plan["requester_id"]),
                        _id(current[0] if current else last_user),
                        str(plan["flow"]["id"]),
                        _ts(current[1]["deadline"] if current else plan["deadline"]),
                        _ts(closed if plan["state"] == "done" else None),
                        "t",
                        _ts(created),
                        _ts(closed or created),
                        str(uid),
                        str(uid),
                    ]
                )
                + "\n"
            )
            ticket_id += 1
        event_id = self._reserve_ids("crossdept_ticket_event", len(events))
        event_lines = [
            f"{event_id + index}\t" + "\t".join(values) + "\n"
            for index, values in enumerate(events)
        ]
        self._copy("crossdept_ticket", TICKET_COLUMNS, tickets)
        self._copy("crossdept_ticket_step", STEP_COLUMNS, steps)
        if steps:
            # the flow steps' names in every language, as the engine's steps have them
            self.env["crossdept.ticket.step"]._copy_flow_names(
                SQL("s.id BETWEEN %s AND %s", first_step_id, step_id - 1)
            )
        self._copy("crossdept_ticket_event", EVENT_COLUMNS, event_lines)
        self._copy("crossdept_ticket_step_approver_rel", ["step_id", "user_id"], approvers)
        self._copy(
            "crossdept_ticket_step_predecessor_rel", ["step_id", "predecessor_id"], predecessors
        )
        self._copy("crossdept_ticket_step_holder_rel", ["ticket_id", "user_id"], holders)
        self._copy("crossdept_ticket_raci", RACI_COLUMNS, raci)
        if efforts:
            self._copy("crossdept_ticket_step_effort", EFFORT_COLUMNS, efforts)
            self._store_history_effort(first_ticket_id, ticket_id - 1)
        if tickets:
            # who takes part in each ticket, as the engine keeps it (the record rules
            # read it)
            self.env.cr.execute(
                self.env["crossdept.ticket"]._participants_query(
                    SQL("t.id BETWEEN %s AND %s", first_ticket_id, ticket_id - 1)
                )
            )
        return {
            "tickets": len(tickets),
            "steps": len(steps),
            "events": len(event_lines),
            "effort": len(efforts),
        }

    @api.model
    def _history_effort(self, ticket_id, step_id, step, company, uid):
        """The effort the assignee of a finished task logged: a share of the time
        it was worked (30% to 80%, from its minutes worked: no draw, so the seed's
        other draws stay as they were), in hundredths of an hour, a line a day of at
        most 8 hours from its start; none for a step worked less than a minute."""
        worked = (step["done"] - step["started"]).total_seconds() / 3600.0
        share = 0.3 + 0.1 * (int(worked * 60) % 6)
        hours = round(worked * share, 2)
        lines, day = [], step["started"]
        while hours > 0:
            chunk = round(min(hours, EFFORT_LINE_HOURS), 2)
            lines.append(
                "\t".join(
                    [
                        str(step_id),
                        str(ticket_id),
                        str(company),
                        _id(step["user_id"]),
                        day.date().isoformat(),
                        str(chunk),
                        "Worked on the step",
                        _ts(day),
                        _ts(day),
                        str(uid),
                        str(uid),
                    ]
                )
                + "\n"
            )
            hours = round(hours - chunk, 2)
            day += timedelta(days=1)
        return lines

    def _store_history_effort(self, first_ticket_id, last_ticket_id):
        """The logged hours of the steps just written, as their stored totals say
        (one update over the batch)."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE crossdept_ticket_step s SET effort_hours = e.hours
                  FROM (SELECT step_id, SUM(duration) AS hours
                          FROM crossdept_ticket_step_effort
                         WHERE ticket_id BETWEEN %(first)s AND %(last)s
                      GROUP BY step_id) e
                 WHERE s.id = e.step_id
                """,
                first=first_ticket_id,
                last=last_ticket_id,
            )
        )

    @api.model
    def _history_approver(self, step, plan, context):
        """Who decides an open approval step of the history: its department's person,
        unless they requested the ticket (nobody approves their own request), then a
        colleague of the department, else the administrator."""
        if step["user_id"] != plan["requester_id"]:
            return step["user_id"]
        colleagues = [
            user
            for user in context["users"].get(step["department_id"], [])
            if user != plan["requester_id"]
        ]
        return colleagues[0] if colleagues else self.env.ref("base.user_admin").id

    def _copy(self, table, columns, lines):
        if not lines:
            return
        # the cursor's COPY: hundreds of thousands of rows per second, where the
        # ORM writes a few thousand (and would stamp every date with "now")
        self.env.cr.copy_expert(
            SQL(
                "COPY %s (%s) FROM STDIN",
                SQL.identifier(table),
                SQL(", ").join(SQL.identifier(column) for column in columns),
            ).code,
            _Stream(lines),
        )
