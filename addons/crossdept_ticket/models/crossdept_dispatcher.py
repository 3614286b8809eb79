from collections import defaultdict
from datetime import timedelta

import pytz

from odoo import api, fields, models

# weight of an open step in a person's load, by ticket priority
PRIORITY_WEIGHT = {"0": 1.0, "1": 1.0, "2": 2.0, "3": 3.0}
# a person is available when they have working time within this many hours
AVAILABILITY_HORIZON_HOURS = 24
EXPERT_PRIORITIES = ("2", "3")


class CrossdeptDispatcher(models.AbstractModel):
    """Picks the assignee of ready steps among the people of their department.

    Everything a choice needs (people, skills, loads, calendars) is read once for
    the whole batch, so assigning many steps costs a bounded number of queries."""

    _name = "crossdept.dispatcher"
    _description = "CrossDept Step Dispatcher"

    @api.model
    def _assign(self, steps):
        if not steps:
            return
        # dispatch reads HR data (employees, skills, calendars) that step users may
        # not read themselves; the choice is written back on their steps only
        env = self.sudo().env
        # browse again so that the whole batch is prefetched together
        steps = env["crossdept.ticket.step"].browse(steps.ids)
        departments = steps.department_id
        employees = env["hr.employee"].search(
            [("department_id", "in", departments.ids), ("user_id", "!=", False)]
        )
        people = defaultdict(lambda: env["hr.employee"])
        for employee in employees:
            people[employee.department_id] |= employee
        users = employees.user_id | departments.crossdept_expert_user_ids
        users |= steps.ticket_id.type_id.expert_user_ids
        loads = self._loads(users)
        skills = self._skills(employees)
        available = self._available(employees)
        pointer = {dept: dept.crossdept_last_assigned_user_id for dept in departments}
        choices = {}
        ordered = steps.sorted(
            lambda s: (-int(s.ticket_id.priority), s.date_deadline or s.create_date, s.id)
        )
        for step in ordered:
            department = step.department_id
            user, explanation, fallback = self._choose(
                step, people[department], loads, skills, available, pointer.get(department)
            )
            if user:
                loads[user] += PRIORITY_WEIGHT[step.ticket_id.priority]
                if not fallback:
                    pointer[department] = user
            choices[step] = (user, explanation, fallback)
        self._apply(choices)
        for department, user in pointer.items():
            if user and user != department.crossdept_last_assigned_user_id:
                department.crossdept_last_assigned_user_id = user

    @api.model
    def _loads(self, users):
        loads = defaultdict(float)
        groups = (
            self.env["crossdept.ticket.step"]
            .sudo()
            ._read_group(
                [("state", "in", ("ready", "in_progress")), ("user_id", "in", users.ids)],
                ["user_id", "priority"],
                ["__count"],
            )
        )
        for user, priority, count in groups:
            loads[user] += PRIORITY_WEIGHT.get(priority, 1.0) * count
        return loads

    @api.model
    def _skills(self, employees):
        """{employee: {skill: level progress}}"""
        skills = defaultdict(dict)
        for line in (
            self.env["hr.employee.skill"].sudo().search([("employee_id", "in", employees.ids)])
        ):
            skills[line.employee_id][line.skill_id] = line.level_progress
        return skills

    @api.model
    def _available(self, employees):
        """Employees with working time, leaves excluded, in the coming hours."""
        now = pytz.utc.localize(fields.Datetime.now())
        end = now + timedelta(hours=AVAILABILITY_HORIZON_HOURS)
        available = set()
        by_calendar = defaultdict(lambda: self.env["hr.employee"])
        for employee in employees:
            by_calendar[employee.resource_calendar_id] |= employee
        for calendar, group in by_calendar.items():
            if not calendar:
                available.update(group)
                continue
            intervals = calendar._work_intervals_batch(now, end, resources=group.resource_id)
            for employee in group:
                if list(intervals[employee.resource_id.id]):
                    available.add(employee)
        return available

    @api.model
    def _choose(self, step, employees, loads, skills, available, last_user):
        env = self.env
        ticket = step.ticket_id
        department = step.department_id
        method = department.crossdept_assign_method or "balanced"
        requirements = (
            step.flow_step_id.skill_requirement_ids | ticket.type_id.skill_requirement_ids
        )
        excluded = []
        candidates = []
        for employee in employees:
            user = employee.user_id
            capacity = employee.crossdept_max_open_steps or department.crossdept_max_open_steps
            missing = [
                req
                for req in requirements
                if skills[employee].get(req.skill_id, -1) < req.min_progress
            ]
            if missing:
                lacking = ", ".join(f"{r.skill_id.name} ≥ {r.level_id.name}" for r in missing)
                excluded.append(env._("%(user)s: lacks %(skills)s", user=user.name, skills=lacking))
            elif employee not in available:
                excluded.append(env._("%(user)s: not working or on leave", user=user.name))
            elif capacity and loads[user] >= capacity:
                load = f"{loads[user]:g}"
                excluded.append(
                    env._(
                        "%(user)s: at capacity (%(load)s of %(capacity)s)",
                        user=user.name,
                        load=load,
                        capacity=capacity,
                    )
                )
            else:
                fit = (
                    sum(skills[employee][req.skill_id] for req in requirements)
                    / (100.0 * len(requirements))
                    if requirements
                    else 1.0
                )
                candidates.append((user, fit, capacity))
        experts = department.crossdept_expert_user_ids | ticket.type_id.expert_user_ids
        route = ""
        if ticket.priority in EXPERT_PRIORITIES and experts:
            expert_candidates = [c for c in candidates if c[0] in experts]
            if expert_candidates:
                candidates = expert_candidates
                route = env._("expert group, ")
        if not candidates:
            manager = department.manager_id.user_id
            explanation = env._(
                "Nobody in %(department)s qualified; assigned to the manager %(manager)s. %(why)s",
                department=department.name,
                manager=manager.name or "-",
                why="; ".join(excluded),
            )
            return manager, explanation, True
        scored = [
            (self._score(method, user, fit, loads[user], capacity), user)
            for user, fit, capacity in candidates
        ]
        if method == "round_robin":
            ranked = sorted(scored, key=lambda item: self._rr_key(item[1], last_user))
        else:
            ranked = sorted(scored, key=lambda item: (item[0], self._rr_key(item[1], last_user)))
        (best_score, best), *others = ranked
        labels = dict(
            self.env["hr.department"]._fields["crossdept_assign_method"]._description_selection(env)
        )
        runners_up = ", ".join(
            f"{user.name} ({self._score_label(method, score)})" for score, user in others[:3]
        )
        explanation = env._(
            "%(route)s%(method)s: %(user)s (%(score)s). Next: %(next)s.",
            route=route,
            method=labels[method],
            user=best.name,
            score=self._score_label(method, best_score),
            next=runners_up or "-",
        )
        if excluded:
            explanation += " " + env._("Excluded: %(why)s.", why="; ".join(excluded))
        return best, explanation, False

    @staticmethod
    def _score(method, user, fit, load, capacity):
        """Lower is better."""
        if method == "score":
            return round(-(fit - (load / capacity if capacity else 0.0)), 4)
        return load

    @staticmethod
    def _score_label(method, score):
        return f"score {-score:.2f}" if method == "score" else f"load {score:g}"

    @staticmethod
    def _rr_key(user, last_user):
        """Round-robin order: the users after the last assigned one come first."""
        return (user.id <= (last_user.id or 0), user.id)

    @api.model
    def _apply(self, choices):
        by_user = defaultdict(lambda: self.env["crossdept.ticket.step"])
        for step, (user, _explanation, _fallback) in choices.items():
            by_user[user] |= step
        self.env["crossdept.ticket.step"].browse(
            [step.id for step, (user, *_rest) in choices.items() if step.user_id != user]
        )._close_activities()
        for user, steps in by_user.items():
            steps._engine().with_context(crossdept_assignment_logged=True).write(
                {"user_id": user.id}
            )
        for step, (_user, explanation, _fallback) in choices.items():
            step._engine().assignment_explanation = explanation
        self.env["crossdept.ticket"]._log_events(
            [
                {
                    "ticket_id": step.ticket_id.id,
                    "company_id": step.company_id.id,
                    "step_id": step.id,
                    "event_type": "assign",
                    "to_user_id": user.id,
                    "to_department_id": step.department_id.id,
                    "reason": explanation,
                }
                for step, (user, explanation, _fallback) in choices.items()
            ]
        )
        for step, (user, explanation, fallback) in choices.items():
            if fallback and user:
                step.ticket_id.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=user.id,
                    summary=self.env._("Assign step %(step)s", step=step.name),
                    note=explanation,
                )
