import random
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CrossdeptAnalyticsCase


@tagged("post_install", "-at_install")
class TestHistory(CrossdeptAnalyticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [{"name": "Check"}, {"name": "Approve", "preds": ["Check"], "sla": 4}]
        )
        cls.History = cls.env["crossdept.analytics.history"]

    def _generate(self, seed=7):
        before = self.env["crossdept.ticket"].search([]).ids
        totals = self.History.generate(tickets=40, months=6, seed=seed, batch_size=15)
        tickets = self.env["crossdept.ticket"].search([("id", "not in", before)], order="id")
        return totals, tickets

    def test_history_is_consistent(self):
        totals, tickets = self._generate()
        self.assertEqual(totals["tickets"], 40)
        self.assertEqual(len(tickets), 40)
        steps = tickets.step_ids
        self.assertEqual(totals["steps"], len(steps))
        self.assertEqual(totals["events"], len(tickets.event_ids))
        for step in steps.filtered(lambda step: step.state == "done"):
            self.assertLessEqual(step.date_ready, step.date_started)
            self.assertLessEqual(step.date_started, step.date_done)
        for ticket in tickets.filtered(lambda ticket: ticket.state == "done"):
            self.assertTrue(ticket.date_closed)
            self.assertTrue(all(step.state in ("done", "skipped") for step in ticket.step_ids))
            self.assertIn("create", ticket.event_ids.mapped("event_type"))
        # the assignee of each finished task logged effort (a share of the time it
        # was worked), and the steps and tickets hold its totals
        effort = self.env["crossdept.ticket.step.effort"].search([("ticket_id", "in", tickets.ids)])
        self.assertEqual(totals["effort"], len(effort))
        done_tasks = steps.filtered(lambda step: step.state == "done" and step.kind == "task")
        # (but those worked less than a minute)
        self.assertGreater(len(effort.step_id), len(done_tasks) * 0.9)
        self.assertLessEqual(effort.step_id, done_tasks)
        for step in effort.step_id:
            lines = effort.filtered(lambda line, step=step: line.step_id == step)
            self.assertEqual(lines.user_id, step.user_id)
            self.assertAlmostEqual(step.effort_hours, sum(lines.mapped("duration")))
            worked = (step.date_done - step.date_started).total_seconds() / 3600
            self.assertLessEqual(step.effort_hours, worked)
        for ticket in tickets:
            self.assertAlmostEqual(ticket.effort_hours, sum(ticket.step_ids.mapped("effort_hours")))
        # the facts were refreshed: every generated ticket has its row
        facts = self.env["crossdept.analytics.ticket"].search([("ticket_id", "in", tickets.ids)])
        self.assertEqual(len(facts), 40)
        self.assertEqual(
            self.env["crossdept.analytics.step"].search_count([("ticket_id", "in", tickets.ids)]),
            len(steps),
        )

    def test_running_history_tickets_wait_on_someone_who_can_act(self):
        self._make_flow([{"name": "Sign", "kind": "approval", "approvers": self.approver_1}])
        before = self.env["crossdept.ticket"].search([]).ids
        # a short history: many of its tickets still run
        self.History.generate(tickets=300, months=1, seed=3, refresh=False)
        tickets = self.env["crossdept.ticket"].search([("id", "not in", before)])
        self.assertIn("approval", tickets.step_ids.mapped("kind"))
        running = tickets.filtered(lambda ticket: ticket.state == "in_progress")
        self.assertTrue(running)
        checked = set()
        for ticket in running:
            current = ticket.current_step_ids
            self.assertTrue(current, ticket.name)
            first = current[0]
            self.assertEqual(
                (ticket.user_id, ticket.assigned_department_id, ticket.date_deadline),
                (first._current_holders()[:1], first.department_id, first.date_deadline),
                "the ticket follows its current step",
            )
            for step in current:
                holder = step._current_holders()[:1]
                self.assertTrue(holder, step.display_name)
                if step.kind == "approval":
                    self.assertTrue(step.with_user(holder).can_decide, step.display_name)
                    self.assertNotEqual(holder, ticket.requester_id)
                else:
                    self.assertTrue(step.with_user(holder).can_act, step.display_name)
                checked.add(step.kind)
        self.assertEqual(checked, {"task", "approval"})

    def _linked_flow(self):
        flow, steps = self._make_flow(
            [
                {"name": "Draft offer"},
                {
                    "name": "Sign offer",
                    "kind": "approval",
                    "preds": ["Draft offer"],
                    "approvers": self.approver_1,
                    "reject_action": "return",
                },
                {"name": "Send offer", "preds": ["Sign offer"]},
            ],
            activate=False,
        )
        steps["Sign offer"].reject_return_step_id = steps["Draft offer"]
        flow.action_activate()
        return flow

    def _running(self, flow, current):
        """Generated tickets of ``flow`` still running on ``current``: the generator's
        own plans, of this flow only, started in the last two days."""
        context = self.History._history_context()
        context["flows"] = [spec for spec in context["flows"] if spec["id"] == flow.id]
        rng = random.Random(5)
        end = fields.Datetime.now()
        plans = [
            self.History._plan_ticket(rng, context, end - timedelta(days=2), end)
            for _index in range(40)
        ]
        before = self.env["crossdept.ticket"].search([]).ids
        self.History._write_plans(plans, context, True, rng)
        self.env.invalidate_all()
        tickets = self.env["crossdept.ticket"].search([("id", "not in", before)])
        return tickets.filtered(
            lambda t: t.state == "in_progress" and t.current_step_ids.mapped("name") == [current]
        )

    def test_history_steps_are_linked_as_the_engine_links_them(self):
        self._linked_flow()
        before = self.env["crossdept.ticket"].search([]).ids
        self.History.generate(tickets=300, months=1, seed=3, refresh=False)
        tickets = self.env["crossdept.ticket"].search([("id", "not in", before)])
        self.assertTrue(tickets.filtered(lambda t: t.state == "in_progress"), "some still run")
        self.assertTrue(tickets.step_ids.predecessor_ids)
        for step in tickets.step_ids:
            self.assertEqual(
                step.predecessor_ids.flow_step_id,
                step.flow_step_id.predecessor_ids,
                step.display_name,
            )
            self.assertLessEqual(step.predecessor_ids.ticket_id, step.ticket_id, "same ticket")
        for ticket in tickets:
            roles = ticket.raci_ids.mapped("role")
            self.assertEqual(roles.count("accountable"), 1, ticket.name)
            self.assertIn("responsible", roles, ticket.name)

    def test_finishing_a_history_task_readies_only_its_successor(self):
        flow = self._linked_flow()
        ticket = self._running(flow, "Draft offer")[:1]
        self.assertTrue(ticket, "a generated ticket waits on its first task")
        draft = ticket.current_step_ids
        draft.with_user(draft._current_holders()[:1]).action_finish()
        self.assertEqual(
            {step.name: step.state for step in ticket.step_ids},
            {"Draft offer": "done", "Sign offer": "ready", "Send offer": "pending"},
        )

    def test_the_approver_refuses_a_history_approval_back_to_its_default_target(self):
        flow = self._linked_flow()
        ticket = self._running(flow, "Sign offer")[:1]
        self.assertTrue(ticket, "a generated ticket waits on its approval")
        sign = ticket.current_step_ids
        approver = sign._current_holders()[:1]
        self.assertTrue(sign.with_user(approver).can_decide)
        sign.with_user(approver).action_reject("Prices are a year old")
        self.assertEqual(
            {step.name: step.state for step in ticket.step_ids},
            {"Draft offer": "ready", "Sign offer": "pending", "Send offer": "pending"},
        )
        returned = ticket.event_ids.filtered(lambda e: e.event_type == "step_return")
        self.assertEqual(returned.target_step_id.name, "Draft offer")

    def test_the_demo_history_is_all_finished(self):
        before = self.env["crossdept.ticket"].search([]).ids
        self.History.generate(tickets=60, months=1, seed=3, refresh=False, running=False)
        tickets = self.env["crossdept.ticket"].search([("id", "not in", before)])
        self.assertEqual(len(tickets), 60)
        self.assertEqual(set(tickets.mapped("state")), {"done"})
        self.assertFalse(tickets.step_ids.filtered(lambda s: s.state in ("ready", "in_progress")))

    def test_history_is_deterministic(self):
        def shape(tickets):
            return [
                (t.flow_id.id, t.priority, t.state, t.department_id.id, len(t.step_ids))
                for t in tickets
            ]

        _totals, first = self._generate(seed=11)
        _totals, second = self._generate(seed=11)
        self.assertEqual(shape(first), shape(second))
        _totals, third = self._generate(seed=12)
        self.assertNotEqual(shape(first), shape(third))

    def test_generate_button_is_for_administrators(self):
        with self.assertRaisesRegex(AccessError, "Only CrossDept administrators can generate"):
            self.History.with_user(self.it_manager).action_generate_demo_history()
