from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import USER
from .common_flow import CrossdeptFlowCase

MONDAY_9AM = "2026-11-23 09:00:00"


@tagged("post_install", "-at_install")
class TestDispatch(CrossdeptFlowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.support = cls.env["hr.department"].create(
            {"name": "Support (test)", "crossdept_max_open_steps": 5}
        )
        # the manager belongs to another department: only the fallback of dispatch
        cls.support_manager = cls._make_user("support_manager", USER, cls.dept_it)
        cls.support.manager_id = cls.support_manager.employee_ids
        cls.agents = cls.env["res.users"]
        for index in range(1, 5):
            cls.agents |= cls._make_user(f"agent_{index}", USER, cls.support)
        cls.support_employees = cls.env["hr.employee"].search(
            [("department_id", "=", cls.support.id)]
        )
        cls.support_employees.resource_calendar_id = cls.calendar
        cls.agent_employees = cls.agents.employee_ids
        cls.flow, cls.steps = cls._make_flow(
            [{"name": "Handle", "assignment": "auto", "department_id": cls.support.id}],
            activate=False,
        )
        cls.python = cls.env["hr.skill.type"].create(
            {
                "name": "Programming (test)",
                "skill_ids": [Command.create({"name": "Python"})],
                "skill_level_ids": [
                    Command.create({"name": "Beginner", "level_progress": 20}),
                    Command.create({"name": "Advanced", "level_progress": 70}),
                    Command.create({"name": "Expert", "level_progress": 100}),
                ],
            }
        )

    def _level(self, name):
        return self.python.skill_level_ids.filtered(lambda level: level.name == name)

    def _give_skill(self, agent, level):
        self.env["hr.employee.skill"].create(
            {
                "employee_id": agent.employee_ids.id,
                "skill_type_id": self.python.id,
                "skill_id": self.python.skill_ids.id,
                "skill_level_id": self._level(level).id,
            }
        )

    def _require_python(self, level):
        self.steps["Handle"].skill_requirement_ids = [
            Command.create(
                {
                    "skill_type_id": self.python.id,
                    "skill_id": self.python.skill_ids.id,
                    "level_id": self._level(level).id,
                }
            )
        ]

    def _start(self, count=1, priority="1"):
        if self.flow.state == "draft":
            self.flow.action_activate()
        with freeze_time(MONDAY_9AM):
            tickets = self.env["crossdept.ticket"].browse()
            for _index in range(count):
                tickets |= self._make_ticket(priority=priority, flow_id=self.flow.id)
            tickets.action_start_flow()
        return tickets.step_ids

    def _loads(self):
        return [
            self.env["crossdept.ticket.step"].search_count(
                [("user_id", "=", agent.id), ("state", "in", ("ready", "in_progress"))]
            )
            for agent in self.agents
        ]

    def test_balanced_load_over_many_assignments(self):
        steps = self._start(count=7)
        self.assertTrue(all(steps.mapped("user_id")))
        self.assertLessEqual(max(self._loads()) - min(self._loads()), 1)
        for _round in range(3):
            self._start(count=3)
            loads = self._loads()
            self.assertLessEqual(max(loads) - min(loads), 1, loads)
        self.assertEqual(sum(self._loads()), 16)

    def test_urgent_steps_weigh_more(self):
        urgent_holder = self._start(count=1, priority="3").user_id
        steps = self._start(count=3)
        # an urgent step weighs 3: its holder gets nothing until the others reach 3
        self.assertNotIn(urgent_holder, steps.user_id)

    def test_required_skill_and_level(self):
        self._require_python("Advanced")
        self._give_skill(self.agents[0], "Beginner")
        self._give_skill(self.agents[1], "Expert")
        step = self._start()
        self.assertEqual(step.user_id, self.agents[1])
        self.assertIn(
            f"{self.agents[0].name}: lacks Python ≥ Advanced", step.assignment_explanation
        )

    def test_capacity(self):
        self.support.crossdept_max_open_steps = 1
        self.agents[0].employee_ids.sudo().crossdept_max_open_steps = 2
        steps = self._start(count=5)
        per_user = {
            user: len(steps.filtered(lambda s, u=user: s.user_id == u)) for user in steps.user_id
        }
        self.assertEqual(per_user[self.agents[0]], 2)
        for agent in self.agents[1:]:
            self.assertEqual(per_user[agent], 1)
        self.assertNotIn(self.support_manager, per_user)
        overflow = self._start()
        self.assertEqual(overflow.user_id, self.support_manager)
        self.assertIn("at capacity", overflow.assignment_explanation)

    def test_people_on_leave_are_skipped(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Sick",
                "calendar_id": self.calendar.id,
                "resource_id": self.agents[0].employee_ids.resource_id.id,
                "date_from": "2026-11-23 00:00:00",
                "date_to": "2026-11-24 23:59:59",
            }
        )
        steps = self._start(count=6)
        self.assertNotIn(self.agents[0], steps.user_id)
        self.assertIn(
            f"{self.agents[0].name}: not working or on leave", steps[0].assignment_explanation
        )

    def test_round_robin(self):
        self.support.crossdept_assign_method = "round_robin"
        chosen = [self._start().user_id for _index in range(6)]
        ordered = self.agents.sorted("id")
        self.assertEqual(chosen[:4], list(ordered))
        self.assertEqual(chosen[4:], list(ordered[:2]))

    def test_skills_and_load_score(self):
        self.support.crossdept_assign_method = "score"
        self._require_python("Beginner")
        for agent, level in zip(
            self.agents, ["Beginner", "Expert", "Advanced", "Beginner"], strict=True
        ):
            self._give_skill(agent, level)
        step = self._start()
        self.assertEqual(step.user_id, self.agents[1])
        self.assertIn("Skills and load score", step.assignment_explanation)

    def test_expert_group_for_high_and_urgent(self):
        expert = self.agents[3]
        self.support.crossdept_expert_user_ids = expert
        urgent = self._start(count=2, priority="3")
        self.assertEqual(len(urgent), 2)
        self.assertEqual(urgent.user_id, expert)
        normal = self._start(count=3)
        self.assertNotIn(expert, normal.user_id)

    def test_fallback_to_manager_with_activity(self):
        self._require_python("Expert")
        step = self._start()
        self.assertEqual(step.user_id, self.support_manager)
        self.assertIn("Nobody in Support (test) qualified", step.assignment_explanation)
        activity = step.ticket_id.activity_ids.filtered(
            lambda a: a.user_id == self.support_manager and a.summary.startswith("Assign step")
        )
        self.assertIn("Nobody in Support (test) qualified", str(activity.note))

    def test_explanation_names_method_choice_and_runners_up(self):
        step = self._start()
        text = step.assignment_explanation
        self.assertIn(f"Balanced load: {step.user_id.name} (load 0)", text)
        self.assertIn("Next:", text)
        event = step.ticket_id.event_ids.filtered(
            lambda e: e.event_type == "assign" and e.step_id == step
        )
        self.assertEqual(event.to_user_id, step.user_id)

    def test_reassignment_needs_a_reason(self):
        step = self._start()
        other = (self.agents - step.user_id)[0]
        with self.assertRaisesRegex(UserError, "needs a reason"):
            step.user_id = other
        step.with_context(crossdept_reason="Knows the customer").user_id = other
        transfer = step.ticket_id.event_ids.filtered(lambda e: e.event_type == "transfer")
        self.assertEqual((transfer.to_user_id, transfer.reason), (other, "Knows the customer"))

    def test_assignment_query_budget_does_not_grow_with_the_batch(self):
        # measures dispatch itself: each enabled automation rule adds Odoo's own
        # per-record cost of running its action
        self.env.ref("crossdept_ticket.automation_step_ready").active = False
        self.support.crossdept_max_open_steps = 100
        small = self._start(count=5)
        large = self._start(count=25)
        Dispatcher = self.env["crossdept.dispatcher"]
        counts = []
        for steps in (small, large):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            Dispatcher._assign(steps)
            self.env.flush_all()
            counts.append(self.cr.sql_log_count - before)
        self.assertEqual(counts[0], counts[1], counts)
        with self.assertQueryCount(__system__=DISPATCH_QUERY_BUDGET):
            self.env.invalidate_all()
            Dispatcher._assign(large)
            self.env.flush_all()


# 21 for dispatch, 6 for the live-update bus notifications the commit sends
DISPATCH_QUERY_BUDGET = 27
