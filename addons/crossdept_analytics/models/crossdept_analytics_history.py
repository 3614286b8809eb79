import random
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

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
RACI_COLUMNS = [
    "ticket_id", "company_id", "role", "user_id", "holder_user_id", "create_date",
    "write_date", "create_uid", "write_uid",
]  # fmt: skip
EFFORT_COLUMNS = [
    "step_id", "ticket_id", "company_id", "user_id", "date", "duration", "description",
    "create_date", "write_date", "create_uid", "write_uid",
]  # fmt: skip
# the most hours one generated effort line holds (a day's work)
EFFORT_LINE_HOURS = 8.0
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
        running=True,
    ):
        """Create `tickets` tickets spread over the last `months` months; returns
        {"tickets": n, "steps": n, "events": n}. Deterministic for a seed (given
        the same flows, departments and users). With `running` False, every ticket
        is finished by `end` (the demo's history: it fills the analytics, not the
        lists of work waiting on the demo's people)."""
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
            plans = [
                self._plan_ticket(rng, context, start, end, running) for _index in range(count)
            ]
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
        self._generate_demo()
        return {"type": "ir.actions.client", "tag": "reload"}

    @api.model
    def _generate_demo(self):
        """The demo's six months of history, all finished."""
        return self.generate(running=False)

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
                            # linked as the engine links a ticket's steps
                            "predecessor_ids": step.predecessor_ids.ids,
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
            # the Accountable of a ticket, as the engine names one by default: the
            # requesting department's manager, else the requester
            "managers": {
                department.id: department.manager_id.user_id.id
                for department in departments
                if department.manager_id.user_id
            },
            # the handling department of the first flow's first step sees its
            # transfer rate rise month after month
            "rising_department_id": flows[0].step_ids.sorted("sequence")[:1].department_id.id
            or departments[0].id,
            "uid": self.env.uid,
        }

    def _plan_ticket(self, rng, context, start, end, running=True):
        """One ticket's plan; unless `running`, drawn again until it is finished
        by `end` (a few draws at most: the flows take hours, the history months)."""
        plan = self._plan_one_ticket(rng, context, start, end)
        for _attempt in range(100):
            if running or plan["state"] == "done":
                break
            plan = self._plan_one_ticket(rng, context, start, end)
        return plan

    def _plan_one_ticket(self, rng, context, start, end):
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
