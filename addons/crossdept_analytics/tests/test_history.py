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
        with self.assertRaises(AccessError):
            self.History.with_user(self.it_manager).action_generate_demo_history()
