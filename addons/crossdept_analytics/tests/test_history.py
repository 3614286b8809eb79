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
