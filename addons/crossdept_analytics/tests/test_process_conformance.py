from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from odoo.addons.crossdept_ticket.tests.common_flow import CrossdeptFlowCase

from ..tools.conformance import (
    APPROVAL_BYPASSED,
    OUT_OF_ORDER,
    REWORK_LOOP,
    SKIPPED_WITHOUT_REASON,
    check_trace,
)

# Prepare, then Check and Approve side by side, then Deliver
GRAPH = {
    "Prepare": (set(), False),
    "Check": ({"Prepare"}, False),
    "Approve": ({"Prepare"}, True),
    "Deliver": ({"Check", "Approve"}, False),
}


def work(step):
    return [
        ("step_ready", step, None, None),
        ("step_start", step, None, None),
        ("step_done", step, None, None),
    ]


def approve(step):
    return [
        ("step_ready", step, None, None),
        ("step_approve", step, None, None),
        ("step_done", step, None, None),
    ]


@tagged("post_install", "-at_install")
class TestConformanceTraces(TransactionCase):
    """Hand-made traces against a graph with two parallel branches."""

    def test_parallel_branches_may_interleave(self):
        trace = [
            *work("Prepare"),
            ("step_ready", "Check", None, None),
            ("step_ready", "Approve", None, None),
            ("step_start", "Check", None, None),
            ("step_approve", "Approve", None, None),
            ("step_done", "Approve", None, None),
            ("step_done", "Check", None, None),
            *work("Deliver"),
        ]
        self.assertEqual(check_trace(GRAPH, trace), [])

    def test_a_step_worked_before_its_predecessors_is_out_of_order(self):
        trace = [*work("Prepare"), *work("Check"), *work("Deliver"), *approve("Approve")]
        self.assertEqual(check_trace(GRAPH, trace), [(OUT_OF_ORDER, "Deliver")])

    def test_a_skip_needs_a_reason(self):
        with_reason = [
            *work("Prepare"),
            ("step_skip", "Check", "Urgent ticket", None),
            *approve("Approve"),
            *work("Deliver"),
        ]
        self.assertEqual(check_trace(GRAPH, with_reason), [])
        without = [
            *work("Prepare"),
            ("step_skip", "Check", " ", None),
            *approve("Approve"),
            *work("Deliver"),
        ]
        self.assertEqual(check_trace(GRAPH, without), [(SKIPPED_WITHOUT_REASON, "Check")])

    def test_a_step_left_undone_on_a_closed_ticket_was_skipped_without_reason(self):
        trace = [*work("Prepare"), *approve("Approve")]
        self.assertEqual(
            check_trace(GRAPH, trace),
            [(SKIPPED_WITHOUT_REASON, "Check"), (SKIPPED_WITHOUT_REASON, "Deliver")],
        )
        self.assertEqual(check_trace(GRAPH, trace, closed=False), [])

    def test_an_approval_done_without_an_approval_is_bypassed(self):
        trace = [*work("Prepare"), *work("Check"), *work("Approve"), *work("Deliver")]
        self.assertEqual(check_trace(GRAPH, trace), [(APPROVAL_BYPASSED, "Approve")])
        never = [*work("Prepare"), *work("Check"), ("step_ready", "Approve", None, None)]
        self.assertEqual(
            check_trace(GRAPH, never + work("Deliver")),
            [(OUT_OF_ORDER, "Deliver"), (APPROVAL_BYPASSED, "Approve")],
        )

    def test_a_refusal_that_returns_is_one_rework_loop(self):
        trace = [
            *work("Prepare"),
            *work("Check"),
            ("step_ready", "Approve", None, None),
            ("step_reject", "Approve", "Figures missing", None),
            ("step_return", "Approve", "Figures missing", "Prepare"),
            *work("Prepare"),
            *work("Check"),
            *approve("Approve"),
            *work("Deliver"),
        ]
        self.assertEqual(check_trace(GRAPH, trace), [(REWORK_LOOP, "Prepare")])

    def test_work_after_a_return_before_the_redo_is_out_of_order(self):
        trace = [
            *work("Prepare"),
            *work("Check"),
            ("step_reject", "Approve", "No", None),
            ("step_return", "Approve", "No", "Prepare"),
            *approve("Approve"),
            *work("Prepare"),
            *work("Check"),
            *work("Deliver"),
        ]
        found = check_trace(GRAPH, trace)
        self.assertIn((OUT_OF_ORDER, "Approve"), found)
        self.assertIn((REWORK_LOOP, "Prepare"), found)

    def test_a_step_done_again_after_a_reopen_is_a_rework_loop(self):
        trace = [
            *work("Prepare"),
            *work("Check"),
            *approve("Approve"),
            *work("Deliver"),
            *work("Deliver"),
        ]
        self.assertEqual(check_trace(GRAPH, trace), [(REWORK_LOOP, "Deliver")])


@tagged("post_install", "-at_install")
class TestConformanceOfEngineTickets(CrossdeptFlowCase):
    """Closed tickets walked through a flow by the engine, checked as a department
    manager: a straight run conforms, a refusal that returned is a rework loop, a
    cancelled ticket is not checked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        flow, steps = cls._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": cls.approver_1,
                },
            ],
            activate=False,
        )
        steps["Approve"].write(
            {"reject_action": "return", "reject_return_step_id": steps["Prepare"].id}
        )
        flow.action_activate()
        cls.flow = flow
        cls.straight = cls._run(flow)
        cls._walk(cls.straight, refuse=False)
        cls.returned = cls._run(flow)
        cls._walk(cls.returned, refuse=True)
        cls.cancelled = cls._run(flow)
        cls.cancelled.with_user(cls.it_user).action_cancel()

    @classmethod
    def _walk(cls, ticket, refuse):
        prepare = cls._step(ticket, "Prepare").with_user(cls.it_user)
        approve = cls._step(ticket, "Approve").with_user(cls.approver_1)
        prepare.action_start()
        prepare.action_finish()
        if refuse:
            approve.action_reject("Figures missing")
            prepare.action_start()
            prepare.action_finish()
        approve.action_approve()

    def test_closed_tickets_conform_or_show_their_deviation(self):
        self.assertEqual(self.straight.state, "done")
        self.assertEqual(self.returned.state, "done")
        Conformance = self.env["crossdept.process.conformance"].with_user(self.it_manager)
        result = Conformance._check([("flow_id", "=", self.flow.id)])
        self.assertEqual((result["checked"], result["conforming"]), (2, 1))
        self.assertEqual(result["rate"], 0.5)
        self.assertEqual(result["deviations"][REWORK_LOOP], self.returned)
        prepare = self._step(self.returned, "Prepare").flow_step_id
        self.assertEqual(result["steps"][self.returned.id], [(REWORK_LOOP, prepare)])
        for kind in (OUT_OF_ORDER, SKIPPED_WITHOUT_REASON, APPROVAL_BYPASSED):
            self.assertFalse(result["deviations"][kind])
        self.assertEqual(Conformance._conformance_rate([("flow_id", "=", self.flow.id)]), 0.5)

    def test_only_the_tickets_the_user_sees_are_checked(self):
        Conformance = self.env["crossdept.process.conformance"].with_user(self.finance_user)
        result = Conformance._check([("flow_id", "=", self.flow.id)])
        self.assertEqual(result["checked"], 0)
        self.assertIsNone(result["rate"])

    def test_the_wizard_lists_deviations_and_the_rate(self):
        Wizard = self.env["crossdept.process.conformance.wizard"].with_user(self.it_manager)
        wizard = Wizard.create({"flow_id": self.flow.id, "version_id": self.flow.id})
        wizard.action_check()
        self.assertEqual((wizard.checked_count, wizard.conforming_count), (2, 1))
        self.assertEqual(wizard.conformance_rate, 50.0)
        self.assertEqual(
            [(line.kind, line.ticket_id, line.steps) for line in wizard.line_ids],
            [("rework_loop", self.returned, "Prepare")],
        )
        wizard.date_from = self.returned.date_closed.date() + timedelta(days=1)
        wizard.action_check()
        self.assertEqual((wizard.checked_count, len(wizard.line_ids)), (0, 0))
        with self.assertRaisesRegex(ValidationError, "The checked period ends before it starts"):
            wizard.date_to = self.returned.date_closed.date()
