from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..tools import dispatch
from .common_dispatch import MONDAY_9AM, CrossdeptDispatchCase


@tagged("post_install", "-at_install")
class TestDispatch(CrossdeptDispatchCase):
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
        # everyone is at capacity: the step waits in the queue rather than going to the
        # manager, with an event saying why
        self.assertFalse(overflow.user_id)
        self.assertIn("waits in the department queue", overflow.assignment_explanation)
        self.assertIn("at capacity (2 of 2)", overflow.assignment_explanation)
        event = overflow.ticket_id.event_ids.filtered(lambda e: e.event_type == "assign")
        self.assertFalse(event.to_user_id)
        self.assertIn(f"{self.agents[1].name}: at capacity (1 of 1)", event.reason)
        # nothing for the manager; each agent has a to-do to take it from the queue
        todos = overflow.ticket_id.activity_ids
        self.assertNotIn(self.support_manager, todos.user_id)
        self.assertEqual(todos.user_id, self.agents)

    def test_unavailable_to_the_manager_when_the_department_says_so(self):
        self.support.crossdept_max_open_steps = 1
        self.support.crossdept_when_unavailable = "manager"
        self._start(count=4)
        overflow = self._start()
        self.assertEqual(overflow.user_id, self.support_manager)
        self.assertIn(
            "Nobody in Support (test) is available now; assigned to the manager",
            overflow.assignment_explanation,
        )

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
        self.assertIn(f"{self.agents[0].name}: on leave", steps[0].assignment_explanation)
        self.assertIn(
            {"user_id": self.agents[0].id, "reason": "leave"}, steps[0].assignment_data["excluded"]
        )

    def test_colleagues_off_hours_or_on_a_holiday_are_skipped(self):
        # agent 1 works nights (20-24 UTC), agent 2's own calendar has a public holiday
        # today; both have the lowest load but a colleague works now
        nights = self.env["resource.calendar"].create(
            {
                "name": "Nights (test)",
                "tz": "UTC",
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": f"night {day}",
                            "dayofweek": str(day),
                            "hour_from": 20,
                            "hour_to": 24,
                        }
                    )
                    for day in range(5)
                ],
            }
        )
        local = self.calendar.copy({"name": "Local holidays (test)"})
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Local holiday",
                "calendar_id": local.id,
                "date_from": "2026-11-23 00:00:00",
                "date_to": "2026-11-23 23:59:59",
            }
        )
        self.agents[0].employee_ids.resource_calendar_id = nights
        self.agents[1].employee_ids.resource_calendar_id = local
        self._start(count=2)  # agents 3 and 4 now hold one step each
        step = self._start()
        self.assertIn(step.user_id, self.agents[2:])
        text = step.assignment_explanation
        self.assertIn(f"{self.agents[0].name}: outside working hours", text)
        self.assertIn(f"{self.agents[1].name}: public holiday", text)
        # at night the night worker is the one who works
        night_step = self._start(when="2026-11-23 21:00:00")
        self.assertEqual(night_step.user_id, self.agents[0])

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

    def test_load_weighs_step_kind_and_priority(self):
        """As the department's help text says: a task weighs 1, an approval awaiting
        the person's decision 0.5, times 1 for normal, 2 for high, 3 for urgent."""
        approvals, _steps = self._make_flow(
            [{"name": "Vote", "kind": "approval", "approvers": self.agents[3]}]
        )
        self._start(count=3)  # agents 1-3 hold one normal task each (load 1)
        self._run(approvals)  # agent 4 has an approval to decide (load 0.5)
        step = self._start()
        self.assertEqual(step.user_id, self.agents[3], "0.5 < 1")
        self.assertIn(f"{self.agents[3].name} (load 0.5)", step.assignment_explanation)
        # agent 4 now holds 1.5; an urgent approval adds 0.5 x 3
        self._run(approvals, priority="3")
        step = self._start()
        self.assertIn(step.user_id, self.agents[:3], "agents 1-3 hold 1, agent 4 holds 3")
        # a decided approval no longer weighs
        for ticket in self.env["crossdept.ticket"].search([("flow_id", "=", approvals.id)]):
            ticket.step_ids.with_user(self.agents[3]).action_approve()
        self.assertEqual(
            self.env["crossdept.dispatcher"]._loads(self.agents)[self.agents[3].id], 1.0
        )

    def test_help_text_states_the_weights(self):
        help_text = self.env["hr.department"]._fields["crossdept_assign_method"].help
        kind, priority = dispatch.KIND_WEIGHT, dispatch.PRIORITY_WEIGHT
        self.assertIn(
            f"each weighing {kind['task']:g} for a task and {kind['approval']:g} for an "
            "approval awaiting their decision",
            help_text,
        )
        self.assertEqual(priority["0"], priority["1"])
        self.assertIn(
            f"multiplied by {priority['1']:g} for a low or normal priority ticket, "
            f"{priority['2']:g} for high and {priority['3']:g} for urgent",
            help_text,
        )

    def test_explanation_names_method_choice_and_runners_up(self):
        step = self._start()
        text = step.assignment_explanation
        self.assertIn(f"Balanced load: {step.user_id.name} (load 0)", text)
        self.assertIn("Next:", text)
        data = step.assignment_data
        self.assertEqual(
            (data["outcome"], data["method"], data["user_id"], data["score"]),
            ("assigned", "balanced", step.user_id.id, 0.0),
        )
        self.assertEqual(
            [user_id for user_id, _score in data["runners_up"]],
            (self.agents - step.user_id).sorted("id").ids,
        )
        event = step.ticket_id.event_ids.filtered(
            lambda e: e.event_type == "assign" and e.step_id == step
        )
        self.assertEqual(event.to_user_id, step.user_id)

    def test_explanation_in_the_readers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["crossdept_ticket"], ["zh_CN"], overwrite=True
        )
        self._require_python("Advanced")
        self._give_skill(self.agents[1], "Expert")
        self._give_skill(self.agents[2], "Expert")
        step = self._start()
        reader = step.user_id  # the assignee reads the step in Chinese
        reader.lang = "zh_CN"
        text = step.with_user(reader).with_context(lang="zh_CN").assignment_explanation
        for part in ("均衡负载", self.agents[1].name, "负载 0", "其次", "缺少 Python ≥ Advanced"):
            self.assertIn(part, text)
        self.assertNotIn("Balanced load", text)
        # the same stored choice reads in English for an English reader
        self.assertIn(
            f"Balanced load: {self.agents[1].name} (load 0). Next:",
            step.with_context(lang="en_US").assignment_explanation,
        )

    def test_mass_transfer_records_the_reason_on_every_event(self):
        steps = self._start(count=3)
        Wizard = self.env["crossdept.ticket.step.transfer"]
        Event = self.env["crossdept.ticket.event"]
        with self.assertRaisesRegex(UserError, "needs a reason"):
            Wizard.create({"step_ids": steps.ids, "mode": "auto", "reason": " "}).action_apply()
        # agent 1 falls ill: their steps are dispatched again among the others
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Ill",
                "calendar_id": self.calendar.id,
                "resource_id": self.agents[0].employee_ids.resource_id.id,
                "date_from": "2026-11-23 09:30:00",
                "date_to": "2026-11-23 17:00:00",
            }
        )
        last = Event.search([], order="id desc", limit=1).id
        with freeze_time("2026-11-23 10:00:00"):
            Wizard.create(
                {"step_ids": steps.ids, "mode": "auto", "reason": "Agent 1 is ill"}
            ).action_apply()
        events = Event.search([("id", ">", last), ("step_id", "in", steps.ids)])
        self.assertEqual(len(events), 3)
        for event in events:
            self.assertTrue(event.reason.startswith("Agent 1 is ill\n"), event.reason)
            self.assertIn(f"{self.agents[0].name}: on leave", event.reason)
        self.assertNotIn(self.agents[0], steps.user_id)
        # and to a person
        moving = steps.filtered(lambda s: s.user_id != self.agents[3])
        last = events[:1].id
        with freeze_time("2026-11-23 11:00:00"):
            Wizard.create(
                {
                    "step_ids": steps.ids,
                    "user_id": self.agents[3].id,
                    "reason": "The team lead takes over",
                }
            ).action_apply()
        events = Event.search([("id", ">", last), ("step_id", "in", steps.ids)])
        self.assertEqual(events.step_id, moving)
        self.assertEqual(set(events.mapped("reason")), {"The team lead takes over"})
        self.assertEqual(steps.user_id, self.agents[3])
        self.assertIn(
            "Assigned to Agent 4 by OdooBot: The team lead takes over",
            moving[0].assignment_explanation,
        )

    def test_reassignment_needs_a_reason(self):
        step = self._start()
        other = (self.agents - step.user_id)[0]
        with self.assertRaisesRegex(UserError, "Assignee of Ticket Step is set by CrossDept"):
            step.with_context(crossdept_reason="Knows the customer").user_id = other
        with self.assertRaisesRegex(UserError, "needs a reason"):
            step.action_reassign(other, " ")
        step.action_reassign(other, "Knows the customer")
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
        with freeze_time(MONDAY_9AM):
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


# 21 before dispatch planned each step's deadline again on its new assignee's calendar:
# the assignees' resources (1 query), the calendar's attendances and leaves for them (2);
# closed the to-dos of the holders a step is taken from (1 search); and sent the
# live-update bus notifications at commit (6); 31 before the tickets followed their
# current step: their steps (1 read) and the tickets' assignee, department and
# deadline (1 update); 33 before the step holders were kept for the record rules
# (step_holder_ids): one insert per assignee written (4 here); 37 before the tickets'
# participants were kept for the record rules: the tickets' steps and RACI lines,
# the steps' approvers and the old participants read, the changes written (5)
DISPATCH_QUERY_BUDGET = 42
