from odoo.tests import new_test_user

from .common_process import CrossdeptProcessCase


class TestProcessMining(CrossdeptProcessCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, cls.steps = cls._make_flow(
            [
                {"name": "A"},
                {
                    "name": "B",
                    "kind": "approval",
                    "preds": ["A"],
                    "approvers": cls.approver_1,
                    "reject_action": "cancel",
                },
                {"name": "C", "preds": ["B"]},
            ]
        )
        ok = [("A", 1, 1, "done", []), ("B", 1, 1, "approve", cls.approver_1)]
        cls._history(
            cls.flow,
            [
                cls._serial([*ok, ("C", 1, 1, "done", [])]),  # 6h
                cls._serial([*ok, ("C", 2, 1, "done", [])]),  # 7h
                cls._serial([*ok, ("C", 3, 3, "done", [])]),  # 10h
                {
                    # B sends the ticket back to A once: 12h in all
                    "start": cls.START,
                    "passes": [
                        ("A", 0, 1, 2, "done", []),
                        ("B", 2, 3, 4, "return", cls.approver_1),
                        ("A", 4, 5, 7, "done", []),
                        ("B", 7, 8, 10, "approve", cls.approver_1),
                        ("C", 10, 11, 12, "done", []),
                    ],
                },
            ],
        )

    def test_variants_with_frequency_and_median_cycle_time(self):
        variants = self.env["crossdept.process.variant"].search([("flow_id", "=", self.flow.id)])
        found = {v.variant: (v.ticket_count, v.step_count) for v in variants}
        self.assertEqual(found, {"A → B → C": (3, 3), "A → A → B → C": (1, 4)})
        main = variants.filtered(lambda v: v.variant == "A → B → C")
        self.assertAlmostEqual(main.frequency, 75.0)
        self.assertAlmostEqual(main.median_hours, 7.0)
        loop = variants - main
        self.assertAlmostEqual(loop.median_hours, 12.0)

    def test_rework_loops(self):
        rows = self.env["crossdept.process.rework"].search([("flow_id", "=", self.flow.id)])
        found = {
            r.flow_step_id.name: (
                r.ticket_count,
                r.rework_ticket_count,
                r.extra_done_count,
                r.return_count,
            )
            for r in rows
        }
        self.assertEqual(found["A"], (4, 1, 1, 0), "A done twice on one ticket")
        self.assertEqual(found["B"], (4, 1, 0, 1), "B returned the ticket once")
        self.assertEqual(found["C"], (4, 0, 0, 0))
        self.assertAlmostEqual(
            rows.filtered(lambda r: r.flow_step_id.name == "A").rework_rate, 25.0
        )

    def test_ping_pong_between_departments_from_real_transfers(self):
        ticket = self._make_ticket(assigned_department_id=self.dept_it.id)
        for department in (self.dept_finance, self.dept_it, self.dept_finance, self.dept_legal):
            ticket.assigned_department_id = department
        other = self._make_ticket(assigned_department_id=self.dept_legal.id)
        other.assigned_department_id = self.dept_it
        other.assigned_department_id = self.dept_legal
        rows = self.env["crossdept.process.pingpong"].search(
            [
                ("ticket_count", ">", 0),
                ("department_a_id", "in", (self.dept_it | self.dept_legal | self.dept_finance).ids),
            ]
        )
        found = {
            frozenset((r.department_a_id.name, r.department_b_id.name)): (
                r.pingpong_count,
                r.ticket_count,
            )
            for r in rows
        }
        # IT -> Finance -> IT -> Finance: two back-and-forths; Legal -> IT -> Legal: one
        self.assertEqual(
            found,
            {
                frozenset(("IT (test)", "Finance (test)")): (2, 1),
                frozenset(("IT (test)", "Legal (test)")): (1, 1),
            },
        )

    def test_variant_opens_the_tickets_that_followed_it(self):
        admin = new_test_user(
            self.env, "variant_admin", groups="crossdept_ticket.group_crossdept_ticket_admin"
        )
        Variant = self.env["crossdept.process.variant"].with_user(admin)
        variants = Variant.search([("flow_id", "=", self.flow.id)])
        loop = variants.filtered(lambda v: v.variant == "A → A → B → C")
        action = loop.action_open_tickets()
        self.assertEqual(action["res_model"], "crossdept.ticket")
        tickets = self.env["crossdept.ticket"].with_user(admin).search(action["domain"])
        returned = (
            self.env["crossdept.ticket.event"]
            .search([("event_type", "=", "step_return"), ("ticket_id.flow_id", "=", self.flow.id)])
            .ticket_id
        )
        self.assertEqual(len(returned), 1)
        self.assertEqual(tickets, returned, "the one ticket B sent back to A")
        main = (variants - loop).action_open_tickets()
        others = self.env["crossdept.ticket"].with_user(admin).search(main["domain"])
        self.assertEqual(len(others), 3)
        self.assertFalse(others & returned)
        # the list is of tickets: a manager of another department still sees none of them
        mine = self.env["crossdept.ticket"].with_user(self.it_manager).search(main["domain"])
        self.assertFalse(mine)

    def test_empty_rework_list_says_why_it_is_empty(self):
        action = (
            self.env["ir.actions.actions"]
            .with_user(self.it_manager)
            ._for_xml_id("crossdept_analytics.crossdept_process_rework_action")
        )
        self.assertIn("No rework loop in this period", action["help"])
        self.assertIn("No step was done again or returned to an earlier step.", action["help"])
