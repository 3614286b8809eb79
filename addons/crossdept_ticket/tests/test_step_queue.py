import uuid
from datetime import datetime

from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import retrying
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from .common import MANAGER, USER, delete_committed_ticket_type
from .common_dispatch import MONDAY_9AM, CrossdeptDispatchCase

SATURDAY = "2026-11-21 10:00:00"
SUNDAY = "2026-11-22 10:00:00"


@tagged("post_install", "-at_install")
class TestStepQueue(CrossdeptDispatchCase):
    def _assign_events(self, step):
        return step.ticket_id.event_ids.filtered(
            lambda e: e.event_type == "assign" and e.step_id == step
        ).sorted("id")

    def _leave(self, user, date_from, date_to):
        return self.env["resource.calendar.leaves"].create(
            {
                "name": f"Leave of {user.name}",
                "calendar_id": self.calendar.id,
                "resource_id": user.employee_ids.resource_id.id,
                "date_from": date_from,
                "date_to": date_to,
            }
        )

    def test_whole_team_away_goes_to_the_queue(self):
        step = self._start(when=SATURDAY)
        self.assertEqual((step.state, step.user_id), ("ready", self.env["res.users"]))
        event = self._assign_events(step)
        self.assertEqual(len(event), 1)
        self.assertFalse(event.to_user_id)
        self.assertEqual(event.to_department_id, self.support)
        self.assertIn(
            "Nobody in Support (test) is available now; the step waits in the department queue.",
            event.reason,
        )
        for agent in self.agents:
            self.assertIn(f"{agent.name}: outside working hours", event.reason)
        # the members hear of it (below); the manager, of another department, does not
        self.assertNotIn(self.support_manager, step.ticket_id.activity_ids.user_id)
        self.assertEqual(step.assignment_data["outcome"], "queued")

    def test_whole_team_on_leave_goes_to_the_queue(self):
        for agent in self.agents:
            self._leave(agent, "2026-11-23 00:00:00", "2026-11-23 23:59:59")
        step = self._start()
        self.assertFalse(step.user_id)
        for agent in self.agents:
            self.assertIn(f"{agent.name}: on leave", step.assignment_explanation)

    def test_cron_dispatches_the_queue_when_someone_works(self):
        step = self._start(when=SATURDAY)
        self.assertEqual(step.date_deadline, datetime(2026, 11, 23, 17, 0))
        Step = self.env["crossdept.ticket.step"]
        with freeze_time(SUNDAY):
            self.assertEqual(Step._cron_dispatch_queue(), 0)
        self.assertFalse(step.user_id)
        self.assertEqual(len(self._assign_events(step)), 1, "no new event while nobody works")
        # on Monday agent 1 is on leave; the others work the morning only
        self._leave(self.agents[0], "2026-11-23 00:00:00", "2026-11-23 23:59:59")
        for agent in self.agents[1:]:
            self._leave(agent, "2026-11-23 13:00:00", "2026-11-23 17:00:00")
        with freeze_time(MONDAY_9AM):
            # the demo data may have queued steps of its own: the cron counts them too
            queued = Step.search(Step._queue_domain())
            count = Step._cron_dispatch_queue()
            dispatched = queued - Step.search(Step._queue_domain())
        self.assertIn(step, dispatched)
        self.assertEqual(count, len(dispatched))
        self.assertIn(step.user_id, self.agents[1:])
        _queued, assigned = self._assign_events(step)
        self.assertEqual(assigned.to_user_id, step.user_id)
        self.assertIn(f"{self.agents[0].name}: on leave", assigned.reason)
        # planned again on the assignee's calendar: Monday 8-12, then Tuesday 8-12
        self.assertEqual(step.date_deadline, datetime(2026, 11, 24, 12, 0))
        with freeze_time("2026-11-23 09:30:00"):
            self.assertEqual(Step._cron_dispatch_queue(), 0)

    def test_a_member_takes_a_queued_step(self):
        step = self._start(when=SATURDAY)
        member = self.agents[2]
        # the queue rule lets members of the step's department see it
        queue = self.env.ref("crossdept_ticket.crossdept_ticket_step_action_queue")
        menu = self.env.ref("crossdept_ticket.crossdept_ticket_step_menu_queue")
        self.assertEqual(menu.action, queue)
        Step = self.env["crossdept.ticket.step"].with_user(member)
        mine = Step.search(
            [*Step._queue_domain(), ("department_id.member_ids.user_id", "=", member.id)]
        )
        self.assertEqual(mine, step)
        self.assertTrue(mine.can_take)
        self.assertEqual(mine.ticket_id.name, step.ticket_id.name, "and its ticket")
        # someone of another department may not take it
        self.assertFalse(step.with_user(self.it_user).can_take)
        with self.assertRaisesRegex(UserError, r"Only members of Support \(test\) can take"):
            step.with_user(self.it_user).action_take()
        with freeze_time("2026-11-21 11:00:00"):
            mine.action_take()
        self.assertEqual(step.user_id, member)
        event = self._assign_events(step)[-1]
        self.assertEqual((event.to_user_id, event.actor_id), (member, member))
        self.assertEqual(event.reason, f"Taken from the department queue by {member.name}.")
        self.assertEqual(
            step.assignment_explanation, f"Taken from the department queue by {member.name}."
        )
        # a colleague who still had the queue open is told it is gone
        with self.assertRaisesRegex(UserError, "is not waiting in the department queue"):
            step.with_user(self.agents[1]).action_take()

    def _todos(self, user):
        """The to-dos ``user`` sees in their activities (their systray counter)."""
        return self.env["mail.activity"].with_user(user).search([("user_id", "=", user.id)])

    def test_each_member_has_a_to_do_for_each_queued_step(self):
        """Four steps wait in the department queue: each agent sees four to-dos (they
        do not follow the tickets for that), and when one agent takes a step its to-do
        goes for everyone, the taker getting theirs as its holder."""
        steps = self._start(count=4, when=SATURDAY)
        self.assertEqual(steps.mapped("state"), ["ready"] * 4)
        self.assertFalse(steps.user_id)
        for agent in self.agents:
            todos = self._todos(agent)
            self.assertEqual(todos.crossdept_step_id, steps, agent.name)
            self.assertEqual(len(todos), 4, agent.name)
            self.assertIn("Take from the Support (test) queue: Handle", todos.mapped("summary"))
            self.assertNotIn(agent.partner_id, steps.ticket_id.message_partner_ids)
        self.assertFalse(self._todos(self.support_manager), "not a member of Support")
        taker, other = self.agents[0], self.agents[1]
        step = steps[0]
        with freeze_time("2026-11-21 11:00:00"):
            step.with_user(taker).action_take()
        self.assertEqual(self._todos(other).crossdept_step_id, steps - step)
        mine = self._todos(taker).filtered(lambda a: a.crossdept_step_id == step)
        self.assertEqual(mine.summary, "Step Handle is yours")

    def test_the_queue_cron_hands_the_to_dos_to_the_assignee(self):
        step = self._start(when=SATURDAY)
        self.assertEqual(len(self._todos(self.agents[3])), 1)
        with freeze_time(MONDAY_9AM):
            self.env["crossdept.ticket.step"]._cron_dispatch_queue()
        self.assertTrue(step.user_id)
        for agent in self.agents - step.user_id:
            self.assertFalse(self._todos(agent).filtered(lambda a: a.crossdept_step_id == step))
        self.assertEqual(
            self._todos(step.user_id).filtered(lambda a: a.crossdept_step_id == step).summary,
            "Step Handle is yours",
        )

    def test_the_choice_is_set_by_the_engine_only(self):
        step = self._start()
        with self.assertRaisesRegex(UserError, "Dispatch Choice of Ticket Step is set by"):
            step.with_user(step.user_id).write({"assignment_data": {"outcome": "taken"}})

    def test_only_queued_steps_can_be_taken(self):
        step = self._start()
        self.assertTrue(step.user_id)
        colleague = (self.agents - step.user_id)[0]
        self.assertFalse(step.with_user(step.user_id).can_take)
        with self.assertRaisesRegex(UserError, "is not waiting in the department queue"):
            step.with_user(step.user_id).action_take()
        self.assertNotEqual(step.user_id, colleague)

    # ------------------------------------------------------------------
    # Starting a queued step holds it
    # ------------------------------------------------------------------

    def _add_review(self):
        """An approval after Handle whose refusal returns the work to Handle."""
        self.env["crossdept.flow.step"].create(
            {
                "flow_id": self.flow.id,
                "name": "Review",
                "sequence": 1,
                "kind": "approval",
                "department_id": self.dept_it.id,
                "calendar_id": self.calendar.id,
                "predecessor_ids": [Command.set(self.steps["Handle"].ids)],
                "raci_ids": [
                    Command.create(
                        {
                            "role": "responsible",
                            "holder_type": "user",
                            "user_id": self.approver_1.id,
                        }
                    )
                ],
                "reject_action": "return",
                "reject_return_step_id": self.steps["Handle"].id,
            }
        )

    def test_a_responsible_who_starts_a_queued_step_holds_it_for_rework(self):
        self._add_review()
        steps = self._start(when=SATURDAY)
        handle = steps.filtered(lambda s: s.name == "Handle")
        ticket = handle.ticket_id
        responsible = self.it_user  # the step's Responsible, not a member of Support
        self.assertEqual(
            (handle.user_id, handle.responsible_ids), (self.env["res.users"], responsible)
        )
        self.assertFalse(handle.with_user(responsible).can_take)
        self.assertEqual(
            [action["what"] for action in ticket.with_user(responsible).next_action], ["start"]
        )
        with freeze_time("2026-11-21 11:00:00"):
            ticket.with_user(responsible).action_next_step(handle.id, "start")
        self.assertEqual((handle.state, handle.user_id), ("in_progress", responsible))
        self.assertFalse(handle._is_queued())
        self.assertEqual(ticket.user_id, responsible)
        event = self._assign_events(handle)[-1]
        self.assertEqual((event.to_user_id, event.actor_id), (responsible, responsible))
        self.assertEqual(event.reason, f"{responsible.name} started the step and holds it.")
        self.assertEqual(handle.assignment_data, {"outcome": "started", "user_id": responsible.id})
        self.assertEqual(
            handle.assignment_explanation, f"{responsible.name} started the step and holds it."
        )
        with freeze_time(MONDAY_9AM):
            handle.with_user(responsible).action_finish()
            review = steps - handle
            review.with_user(self.approver_1).action_reject("The figures are wrong.")
        # the rework goes back to whoever did the step, not to the queue
        self.assertEqual((handle.state, handle.user_id), ("ready", responsible))
        self.assertFalse(handle.with_user(self.agents[0]).can_take)
        self.assertEqual(
            [action["what"] for action in ticket.with_user(responsible).next_action], ["start"]
        )

    def test_a_member_who_is_responsible_is_offered_take_then_start(self):
        agent = self.agents[0]
        self.steps["Handle"].raci_ids = [
            Command.create({"role": "responsible", "holder_type": "user", "user_id": agent.id})
        ]
        step = self._start(when=SATURDAY)
        ticket = step.ticket_id
        self.assertIn(agent, step.responsible_ids)
        self.assertFalse(step.user_id)
        self.assertEqual(
            ticket.with_user(agent).next_action,
            [
                {
                    "step_id": step.id,
                    "what": "take",
                    "label": "Take: Handle",
                    "primary": True,
                    "blocked": False,
                },
                {
                    "step_id": step.id,
                    "what": "start",
                    "label": "Start: Handle",
                    "primary": False,
                    "blocked": False,
                },
            ],
        )
        # starting at once holds it as taking would
        with freeze_time("2026-11-21 11:00:00"):
            ticket.with_user(agent).action_next_step(step.id, "start")
        self.assertEqual((step.state, step.user_id), ("in_progress", agent))
        self.assertEqual(
            [action["what"] for action in ticket.with_user(agent).next_action], ["finish"]
        )
        # nobody else may take it now
        with self.assertRaisesRegex(UserError, "is not waiting in the department queue"):
            step.with_user(self.agents[1]).action_take()

    def test_finishing_an_unassigned_step_at_once_holds_it(self):
        step = self._start(when=SATURDAY)
        with freeze_time("2026-11-21 11:00:00"):
            step.with_user(self.it_user).action_finish()
        self.assertEqual((step.state, step.user_id), ("done", self.it_user))
        self.assertEqual(self._assign_events(step)[-1].to_user_id, self.it_user)

    # ------------------------------------------------------------------
    # The Department Queue menu
    # ------------------------------------------------------------------

    def _queue_of(self, user):
        """The steps the Department Queue action lists for ``user``."""
        # as the web client loads the menu's action for the user
        values = (
            self.env["ir.actions.actions"]
            .with_user(user)
            ._for_xml_id("crossdept_ticket.crossdept_ticket_step_action_queue")
        )
        context = safe_eval(values["context"] or "{}", {"uid": user.id})
        self.assertFalse(
            [key for key in context if key.startswith("search_default_")],
            "the action's domain says what the queue is, not filters the reader removes",
        )
        domain = safe_eval(values["domain"] or "[]", {"uid": user.id})
        return self.env["crossdept.ticket.step"].with_user(user).search(domain)

    def test_the_queue_menu_lists_the_queued_steps_of_my_departments(self):
        self.env["hr.employee"].search(
            [("department_id", "=", self.dept_it.id)]
        ).resource_calendar_id = self.calendar
        support_steps = self._start(count=3, when=SATURDAY)
        taken, started = support_steps[:2]
        with freeze_time("2026-11-21 11:00:00"):
            taken.with_user(self.agents[0]).action_take()
            started.with_user(self.it_user).action_start()
        queued = support_steps[2]
        it_flow, _steps = self._make_flow(
            [{"name": "Fix", "assignment": "auto", "department_id": self.dept_it.id}]
        )
        with freeze_time(SATURDAY):
            it_ticket = self._make_ticket(flow_id=it_flow.id)
            it_ticket.action_start_flow()
        it_step = it_ticket.step_ids
        self.assertEqual((it_step.state, it_step.user_id), ("ready", self.env["res.users"]))
        Step = self.env["crossdept.ticket.step"]
        # a member of Support: the queue of Support, nothing taken, started or elsewhere
        member = self.agents[2]
        self.assertEqual(self._queue_of(member), queued)
        # a CrossDept manager reads every step, but the queue is that of IT, their own
        manager = self.it_manager
        self.assertTrue(manager.has_group(MANAGER))
        self.assertEqual(
            Step.with_user(manager).search([("id", "in", support_steps.ids)]), support_steps
        )
        mine = self._queue_of(manager)
        self.assertIn(it_step, mine)
        self.assertEqual(
            mine, Step.search([*Step._queue_domain(), ("department_id", "=", self.dept_it.id)])
        )
        self.assertFalse(mine - mine.filtered_domain(Step._queue_domain()))

    # ------------------------------------------------------------------
    # Capacity
    # ------------------------------------------------------------------

    def test_a_capacity_cannot_be_negative(self):
        hr_officer = new_test_user(
            self.env,
            "capacity_officer",
            groups="crossdept_ticket.group_crossdept_ticket_admin,hr.group_hr_user",
            name="Capacity Officer",
        )
        support = self.support.with_user(hr_officer)
        with (
            self.assertRaisesRegex(
                ValidationError,
                r"Default Capacity of Support \(test\) cannot be negative \(-1\)",
            ),
            self.env.cr.savepoint(),
        ):
            support.write({"crossdept_max_open_steps": -1})
        self.assertEqual(support.crossdept_max_open_steps, 5)
        agent = self.agent_employees[0].with_user(hr_officer)
        with (
            self.assertRaisesRegex(
                ValidationError, rf"Ticket Capacity of {agent.name} cannot be negative \(-3\)"
            ),
            self.env.cr.savepoint(),
        ):
            agent.write({"crossdept_max_open_steps": -3})
        with (
            self.assertRaisesRegex(
                ValidationError, "Default Capacity of Queue 2 cannot be negative"
            ),
            self.env.cr.savepoint(),
        ):
            self.env["hr.department"].with_user(hr_officer).create(
                {"name": "Queue 2", "crossdept_max_open_steps": -2}
            )
        # zero (the department's default, for a person) and positive values are saved
        agent.write({"crossdept_max_open_steps": 0})
        support.write({"crossdept_max_open_steps": 3})
        self.assertEqual((support.crossdept_max_open_steps, agent.crossdept_max_open_steps), (3, 0))


@tagged("post_install", "-at_install")
class TestStepQueueConcurrency(TransactionCase):
    """Two members take the same queued step from two transactions at once: one gets
    it, the other is told. The data is committed so that the other transactions see
    it; the test removes it at the end."""

    def _setup_committed(self):
        suffix = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            department = env["hr.department"].create({"name": f"Queue {suffix}"})
            members = [
                new_test_user(env, f"queue_{i}_{suffix}", groups=USER, name=f"Member {i}")
                for i in (1, 2)
            ]
            employees = env["hr.employee"].create(
                [
                    {"name": user.name, "user_id": user.id, "department_id": department.id}
                    for user in members
                ]
            )
            ticket_type = env["crossdept.ticket.type"].create({"name": f"Queue {suffix}"})
            flow = env["crossdept.flow"].create(
                {
                    "name": "Queue",
                    "code": f"QUEUE{suffix}",
                    "type_ids": [Command.set(ticket_type.ids)],
                    "step_ids": [
                        # no Responsible and no manager: the step waits unassigned
                        Command.create(
                            {"name": "Handle", "department_id": department.id, "assignment": "raci"}
                        )
                    ],
                }
            )
            flow.action_activate()
            admin = env.ref("base.user_admin")
            ticket = env["crossdept.ticket"].create(
                {
                    "title": "Queued",
                    "type_id": ticket_type.id,
                    "raci_ids": [Command.create({"role": "responsible", "user_id": admin.id})],
                }
            )
            ticket.action_start_flow()
            step = ticket.step_ids
            assert step.state == "ready" and not step.user_id
            return {
                "users": [user.id for user in members],
                "employees": employees.ids,
                "department": department.id,
                "step": step.id,
                "ticket": ticket.id,
                "flow": flow.id,
                "type": ticket_type.id,
            }

    def _cleanup(self, ids):
        with self.registry.cursor() as cr:
            cr.execute(SQL("DELETE FROM crossdept_ticket WHERE id = %s", ids["ticket"]))
            cr.execute(SQL("DELETE FROM crossdept_flow WHERE id = %s", ids["flow"]))
            delete_committed_ticket_type(cr, ids["type"])
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["hr.employee"].browse(ids["employees"]).unlink()
            env["hr.department"].browse(ids["department"]).unlink()
            env["res.users"].browse(ids["users"]).write({"active": False})

    def test_two_members_take_at_once(self):
        ids = self._setup_committed()
        self.addCleanup(self._cleanup, ids)
        first, second = ids["users"]
        Step = "crossdept.ticket.step"
        env_1 = api.Environment(self.registry.cursor(), first, {})
        env_2 = api.Environment(self.registry.cursor(), second, {})
        try:
            step_1 = env_1[Step].browse(ids["step"])
            step_2 = env_2[Step].browse(ids["step"])
            self.assertTrue(step_2.can_take)  # 2's snapshot predates 1's commit
            step_1.action_take()
            env_1.cr.commit()
            attempts = []

            def take_2():
                attempts.append(len(attempts) + 1)
                step_2.action_take()

            # as Odoo's RPC and HTTP layers do, retry on a serialization failure
            with self.assertRaisesRegex(UserError, "is not waiting in the department queue"):
                retrying(take_2, env_2)
            self.assertEqual(attempts, [1, 2], "the first attempt conflicted with member 1")
        finally:
            env_1.cr.close()
            env_2.cr.close()
        with self.registry.cursor() as cr:
            step = api.Environment(cr, SUPERUSER_ID, {})[Step].browse(ids["step"])
            self.assertEqual(step.user_id.id, first)
            takes = step.ticket_id.event_ids.filtered(
                lambda e: e.event_type == "assign" and e.step_id == step
            )
            self.assertEqual(takes.to_user_id.ids, [first], "one take, once")
