from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import calendar as work_calendar
from ..tools import dispatch


class CrossdeptDispatcher(models.AbstractModel):
    """Picks the assignee of steps among the people of their department.

    Only people who work now (their working calendar has them at work and they are
    not on leave or on a public holiday) are candidates: assigning a step to someone
    who starts tomorrow would hide it from colleagues who could take it today, and the
    choice would be made before anyone knows who is there tomorrow. When the whole
    team is away or at capacity, the step waits in the department queue (no assignee)
    with an event saying why, unless the department sends it to its manager; the queue
    cron dispatches it again once someone works. When nobody in the department has the
    required skills, the manager gets it with an activity, since waiting cannot help.

    Everything a choice needs (people, skills, loads, calendars) is read once for the
    whole batch, so assigning many steps costs a bounded number of queries."""

    _name = "crossdept.dispatcher"
    _description = "CrossDept Step Dispatcher"

    @api.model
    def _assign(self, steps, reason=None, from_queue=False):
        """Dispatch ``steps`` (those with a department); returns the steps that got an
        assignee. ``reason``: why they are dispatched again (the transfer wizard's),
        recorded on each event. ``from_queue``: the queue cron, which leaves the steps
        that still find nobody as they are, without a new event."""
        # dispatch reads HR data (employees, skills, calendars) that step users may
        # not read themselves; the choice is written back on their steps only
        env = self.sudo().env
        # browse again so that the whole batch is prefetched together
        steps = env["crossdept.ticket.step"].browse(steps.ids).filtered("department_id")
        if not steps:
            return steps
        departments = steps.department_id
        employees = env["hr.employee"].search(
            [("department_id", "in", departments.ids), ("user_id", "!=", False)]
        )
        people = defaultdict(lambda: env["hr.employee"])
        for employee in employees:
            people[employee.department_id] |= employee
        loads = self._loads(employees.user_id)
        for step in steps.filtered(lambda s: s.user_id and s.state in ("ready", "in_progress")):
            # a step dispatched again no longer weighs on its current holder
            loads[step.user_id.id] -= dispatch.step_weight(step.kind, step.priority)
        skills = self._skills(employees)
        presence = self._presence(employees)
        pointer = {dept: dept.crossdept_last_assigned_user_id for dept in departments}
        choices = {}
        ordered = steps.sorted(
            lambda s: (-int(s.ticket_id.priority), s.date_deadline or s.create_date, s.id)
        )
        for step in ordered:
            department = step.department_id
            data = self._choose(
                step, people[department], loads, skills, presence, pointer.get(department)
            )
            user = env["res.users"].browse(data.get("user_id"))
            if user:
                loads[user.id] += dispatch.step_weight(step.kind, step.priority)
                if data["outcome"] == "assigned":
                    pointer[department] = user
            if user or not from_queue:
                choices[step] = (user, data)
        self.sudo()._apply(choices, reason)
        for department, user in pointer.items():
            if user and user != department.crossdept_last_assigned_user_id:
                department._engine().crossdept_last_assigned_user_id = user
        return steps.filtered("user_id")

    @api.model
    def _loads(self, users):
        """{user id: weighted load}: open steps they hold, and open approvals waiting
        for their decision, each weighing dispatch.step_weight(kind, priority)."""
        loads = defaultdict(float)
        if not users:
            return loads
        self.env["crossdept.ticket.step"].flush_model(["state", "kind", "priority", "user_id"])
        self.env["crossdept.ticket.step"].flush_model(["approver_ids"])
        self.env["crossdept.ticket.step.decision"].flush_model(["step_id", "user_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT s.user_id, s.kind, s.priority, COUNT(*)
                  FROM crossdept_ticket_step s
                 WHERE s.state IN ('ready', 'in_progress') AND s.user_id IN %(users)s
              GROUP BY s.user_id, s.kind, s.priority
             UNION ALL
                SELECT r.user_id, s.kind, s.priority, COUNT(*)
                  FROM crossdept_ticket_step_approver_rel r
                  JOIN crossdept_ticket_step s ON s.id = r.step_id
                 WHERE s.state IN ('ready', 'in_progress') AND s.kind = 'approval'
                   AND r.user_id IN %(users)s
                   AND s.user_id IS DISTINCT FROM r.user_id
                   AND NOT EXISTS (
                           SELECT 1 FROM crossdept_ticket_step_decision d
                            WHERE d.step_id = s.id AND d.user_id = r.user_id)
              GROUP BY r.user_id, s.kind, s.priority
                """,
                users=tuple(users.ids),
            )
        )
        for user_id, kind, priority, count in self.env.cr.fetchall():
            loads[user_id] += dispatch.step_weight(kind, priority) * count
        return loads

    @api.model
    def _skills(self, employees):
        """{employee id: {skill id: level progress}}"""
        skills = defaultdict(dict)
        for line in (
            self.env["hr.employee.skill"].sudo().search([("employee_id", "in", employees.ids)])
        ):
            skills[line.employee_id.id][line.skill_id.id] = line.level_progress
        return skills

    @api.model
    def _presence(self, employees, now=None):
        """{employee id: presence code of tools.calendar} now, on each person's own
        working calendar."""
        now = now or fields.Datetime.now()
        by_calendar = defaultdict(lambda: self.env["hr.employee"])
        for employee in employees:
            by_calendar[employee.resource_calendar_id] |= employee
        result = {}
        for calendar, group in by_calendar.items():
            codes = work_calendar.presence(calendar, now, group.resource_id)
            for employee in group:
                result[employee.id] = codes[employee.resource_id.id]
        return result

    @api.model
    def _choose(self, step, employees, loads, skills, presence, last_user):
        """The stored explanation of the choice for ``step`` (see tools.dispatch)."""
        ticket = step.ticket_id
        department = step.department_id
        method = department.crossdept_assign_method or "balanced"
        requirements = [
            (req.skill_id.id, req.min_progress, req.level_id.id)
            for req in step.flow_step_id.skill_requirement_ids
            | ticket.type_id.skill_requirement_ids
        ]
        excluded, candidates, qualified = [], [], 0
        for employee in employees:
            user = employee.user_id
            capacity = employee.crossdept_max_open_steps or department.crossdept_max_open_steps
            fit, missing = dispatch.skill_fit(skills[employee.id], requirements)
            if missing:
                excluded.append({"user_id": user.id, "reason": dispatch.SKILLS, "skills": missing})
                continue
            qualified += 1
            state = presence[employee.id]
            if state != work_calendar.WORKING:
                excluded.append({"user_id": user.id, "reason": state})
            elif capacity and loads[user.id] >= capacity:
                excluded.append(
                    {
                        "user_id": user.id,
                        "reason": dispatch.CAPACITY,
                        "load": loads[user.id],
                        "capacity": capacity,
                    }
                )
            else:
                candidates.append((user.id, fit, loads[user.id], capacity))
        data = {"method": method, "department_id": department.id, "excluded": excluded}
        experts = (department.crossdept_expert_user_ids | ticket.type_id.expert_user_ids).ids
        if ticket.priority in dispatch.EXPERT_PRIORITIES and experts:
            expert_candidates = [c for c in candidates if c[0] in experts]
            if expert_candidates:
                candidates = expert_candidates
                data["route"] = "expert"
        if not candidates:
            why = "unavailable" if qualified else "unqualified"
            manager = department.manager_id.user_id
            if manager and (
                why == "unqualified" or department.crossdept_when_unavailable == "manager"
            ):
                return {
                    **data,
                    "outcome": "manager",
                    "why": why,
                    "user_id": manager.id,
                    "manager_id": manager.id,
                }
            return {**data, "outcome": "queued", "why": why}
        (best_score, best), *others = dispatch.rank(method, candidates, last_user.id)
        return {
            **data,
            "outcome": "assigned",
            "user_id": best,
            "score": best_score,
            "runners_up": [[user_id, value] for value, user_id in others[:3]],
        }

    @api.model
    def _apply(self, choices, reason=None):
        """Write the choices ({step: (user or nobody, explanation data)}): assignee,
        explanation, one event per step, the deadline planned again on the new
        assignee's calendar, and an activity for a manager given a step nobody took."""
        if not choices:
            return
        Step = self.env["crossdept.ticket.step"]
        before = {step: step.user_id for step in choices}
        by_user = defaultdict(lambda: Step)
        for step, (user, _data) in choices.items():
            by_user[user] |= step
        self.env["crossdept.ticket.step"].browse(
            [step.id for step, (user, *_rest) in choices.items() if step.user_id != user]
        )._close_activities()
        for user, steps in by_user.items():
            steps._engine().with_context(crossdept_assignment_logged=True).write(
                {"user_id": user.id}
            )
        for step, (_user, data) in choices.items():
            step._engine().write({"assignment_data": data})
        steps = Step.union(*choices)
        # the events are read by the people working on the ticket: in the actor's language
        texts = dict(
            zip(
                steps,
                dispatch.render_explanations(self.env, [choices[s][1] for s in steps]),
                strict=True,
            )
        )
        events = []
        for step, (user, _data) in choices.items():
            old = before[step]
            events.append(
                {
                    "ticket_id": step.ticket_id.id,
                    "company_id": step.company_id.id,
                    "step_id": step.id,
                    "event_type": "transfer" if old and old != user else "assign",
                    "from_user_id": old.id,
                    "to_user_id": user.id,
                    "to_department_id": step.department_id.id,
                    "reason": f"{reason}\n{texts[step]}" if reason else texts[step],
                }
            )
        self.env["crossdept.ticket"]._log_events(events)
        steps.filtered(lambda s: s.user_id != before[s])._replan_deadline()
        steps.ticket_id._sync_current_step()
        for step, (user, data) in choices.items():
            if data["outcome"] == "manager":
                step.ticket_id.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=user.id,
                    summary=self.env._("Assign step %(step)s", step=step.name),
                    note=texts[step],
                )
