import itertools
import random
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

TICKET_COLUMNS = [
    "id", "name", "title", "type_id", "priority", "state", "company_id", "department_id",
    "assigned_department_id", "requester_id", "user_id", "flow_id", "date_deadline",
    "date_closed", "active", "create_date", "write_date", "create_uid", "write_uid",
]  # fmt: skip
STEP_COLUMNS = [
    "id", "ticket_id", "flow_step_id", "company_id", "name", "sequence", "kind", "priority",
    "state", "department_id", "user_id", "sla_hours", "date_ready", "date_started", "date_done",
    "date_deadline", "sla_status", "escalation_level", "create_date", "write_date", "create_uid",
    "write_uid", "active", "approval_state",
]  # fmt: skip
EVENT_COLUMNS = [
    "id", "ticket_id", "company_id", "step_id", "event_type", "event_date", "actor_id",
    "from_state", "to_state", "from_user_id", "to_user_id", "from_department_id",
    "to_department_id",
]  # fmt: skip
NULL = "\\N"
CROSSDEPT_USER = "crossdept_ticket.group_crossdept_ticket_user"
# approval gate of an approval step in each step state
APPROVAL_STATES = {
    "done": "approved",
    "rejected": "rejected",
    "ready": "pending",
    "in_progress": "pending",
}
PRIORITY_WEIGHTS = [2, 6, 3, 1]  # low, normal, high, urgent
TRANSFER_RATE = 0.08
REOPEN_RATE = 0.03
ESCALATION_RATE = 0.6  # of the steps done after their deadline


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
    """Writes months of realistic, reproducible ticket history (tickets, step
    instances, events) through PostgreSQL COPY, with the same columns the core's
    models write; demo data and the analytics benchmark use it. One department's
    transfer rate rises month after month, as in the origin article."""

    _name = "crossdept.analytics.history"
    _description = "CrossDept History Generator"

    @api.model
    def generate(
        self,
        tickets=1500,
        months=6,
        seed=42,
        full_events=True,
        batch_size=20000,
        refresh=True,
        end=None,
        progress=None,
    ):
        """Create `tickets` tickets spread over the last `months` months; returns
        {"tickets": n, "steps": n, "events": n}. Deterministic for a seed (given
        the same flows, departments and users)."""
        if tickets <= 0 or months <= 0:
            raise UserError(
                self.env._("The history needs a positive number of tickets and months.")
            )
        context = self._history_context()
        rng = random.Random(seed)
        end = end or fields.Datetime.now()
        start = end - timedelta(days=30 * months)
        self.env.flush_all()
        totals = defaultdict(int)
        for offset in range(0, tickets, batch_size):
            count = min(batch_size, tickets - offset)
            plans = [self._plan_ticket(rng, context, start, end) for _index in range(count)]
            written = self._write_plans(plans, context, full_events, rng)
            for key, value in written.items():
                totals[key] += value
            if progress:
                progress(offset + count, tickets)
        self.env.registry.clear_cache()
        self.env.invalidate_all()
        if refresh:
            self.env["crossdept.analytics.ticket"]._cron_refresh()
        return dict(totals)

    @api.model
    def action_generate_demo_history(self):
        # writes in SQL, around the ORM's access rules: administrators only
        if not self.env.user.has_group("crossdept_ticket.group_crossdept_ticket_admin"):
            raise AccessError(self.env._("Only CrossDept administrators can generate history."))
        self.generate()
        return {"type": "ir.actions.client", "tag": "reload"}

    def _history_context(self):
        company = self.env.company
        flows = (
            self.env["crossdept.flow"]
            .search([("state", "=", "active"), ("company_id", "in", [company.id, False])])
            .filtered("step_ids")
        )
        if not flows:
            raise UserError(
                self.env._("No active flow with steps: activate a flow before generating history.")
            )
        departments = self.env["hr.department"].search(
            [("company_id", "in", [company.id, False])], order="name, id"
        )
        if not departments:
            raise UserError(self.env._("No department: create departments first."))
        # the people who work on tickets: employees whose user has CrossDept
        employees = self.env["hr.employee"].search(
            [
                ("user_id.groups_id", "in", self.env.ref(CROSSDEPT_USER).id),
                ("department_id", "in", departments.ids),
            ]
        )
        users_by_department = defaultdict(list)
        for employee in employees:
            users_by_department[employee.department_id.id].append(employee.user_id.id)
        fallback = self.env.ref("base.user_admin").id
        all_types = self.env["crossdept.ticket.type"].search([]).ids
        rng = random.Random(len(flows))
        flow_specs = []
        for flow in flows:
            steps = flow.step_ids.sorted(lambda step: (step.sequence, step.id))
            bottleneck = rng.randrange(len(steps))
            flow_specs.append(
                {
                    "id": flow.id,
                    "types": flow.type_ids.ids or all_types,
                    "steps": [
                        {
                            "id": step.id,
                            "name": step.name,
                            "sequence": step.sequence,
                            "kind": step.kind,
                            "department_id": step.department_id.id,
                            "sla_hours": step.sla_hours or 8.0,
                            "skip_when_urgent": step.skip_when_urgent,
                            # mean waiting and working hours; one bottleneck per flow
                            "wait": rng.uniform(1.0, 6.0) * (4 if index == bottleneck else 1),
                            "work": rng.uniform(0.5, 4.0),
                        }
                        for index, step in enumerate(steps)
                    ],
                }
            )
        return {
            "company_id": company.id,
            "flows": flow_specs,
            "departments": departments.ids,
            "users": {
                dept: users_by_department.get(dept) or [fallback] for dept in departments.ids
            },
            # the handling department of the first flow's first step sees its
            # transfer rate rise month after month
            "rising_department_id": flows[0].step_ids.sorted("sequence")[:1].department_id.id
            or departments[0].id,
            "uid": self.env.uid,
        }

    def _plan_ticket(self, rng, context, start, end):
        span = (end - start).total_seconds()
        created = start + timedelta(seconds=int(rng.random() * span))
        flow = rng.choice(context["flows"])
        department = rng.choice(context["departments"])
        priority = rng.choices("0123", PRIORITY_WEIGHTS)[0]
        steps = []
        moment = created + timedelta(minutes=rng.randint(5, 60))
        expected = 0.0
        for spec in flow["steps"]:
            expected += spec["wait"] + spec["work"]
            step_department = spec["department_id"] or department
            step = {
                "spec": spec,
                "department_id": step_department,
                "user_id": rng.choice(context["users"].get(step_department) or [context["uid"]]),
            }
            if spec["skip_when_urgent"] and priority == "3":
                step.update(state="skipped", ready=None, started=None, done=moment, deadline=None)
                steps.append(step)
                continue
            ready = moment
            started = ready + timedelta(hours=rng.expovariate(1 / spec["wait"]))
            done = started + timedelta(hours=rng.expovariate(1 / spec["work"]))
            deadline = ready + timedelta(hours=spec["sla_hours"] * 2)
            if ready > end:
                step.update(state="pending", ready=None, started=None, done=None, deadline=None)
            elif started > end:
                step.update(state="ready", ready=ready, started=None, done=None, deadline=deadline)
            elif done > end:
                step.update(
                    state="in_progress", ready=ready, started=started, done=None, deadline=deadline
                )
            else:
                step.update(
                    state="done", ready=ready, started=started, done=done, deadline=deadline
                )
            steps.append(step)
            moment = done
        closed = all(step["state"] in ("done", "skipped") for step in steps)
        month = int((created - start).days // 30)
        transfer_rate = (
            0.02 + 0.07 * month
            if steps[0]["department_id"] == context["rising_department_id"]
            else TRANSFER_RATE
        )
        return {
            "created": created,
            "flow": flow,
            "type_id": rng.choice(flow["types"]) if flow["types"] else None,
            "department_id": department,
            "assigned_department_id": steps[0]["department_id"],
            "requester_id": rng.choice(context["users"][department]),
            "priority": priority,
            "steps": steps,
            "state": "done" if closed else "in_progress",
            "closed": max(step["done"] for step in steps) if closed else None,
            "deadline": created + timedelta(hours=expected * 1.6),
            "transfer": rng.random() < transfer_rate,
            "reopen": closed and rng.random() < REOPEN_RATE,
        }

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
        tickets, steps, events, approvers = [], [], [], []

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
            for step in plan["steps"]:
                spec = step["spec"]
                late = step["done"] and step["deadline"] and step["done"] > step["deadline"]
                steps.append(
                    "\t".join(
                        [
                            str(step_id),
                            str(ticket_id),
                            str(spec["id"]),
                            str(company),
                            _text(spec["name"]),
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
                    if step["started"]:
                        started_steps.append((step_id, step))
                        last_user = step["user_id"]
                if step["state"] in ("ready", "in_progress"):
                    holder = step["user_id"]
                    if spec["kind"] == "approval":
                        # an open approval waits for an approver who is not its requester
                        holder = self._history_approver(step, plan, context)
                        approvers.append(f"{step_id}\t{holder}\n")
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
        self._copy("crossdept_ticket_event", EVENT_COLUMNS, event_lines)
        self._copy("crossdept_ticket_step_approver_rel", ["step_id", "user_id"], approvers)
        return {"tickets": len(tickets), "steps": len(steps), "events": len(event_lines)}

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
