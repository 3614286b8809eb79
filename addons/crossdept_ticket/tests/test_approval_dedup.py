from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestApprovalDedup(CrossdeptFlowCase):
    """审批人去重: per flow, an approver who already approved an earlier step of the
    ticket has a later approval taken automatically (never / consecutive steps
    only / always), with an event saying so."""

    def _flow(self, mode):
        flow, _steps = self._make_flow(
            [
                {
                    "name": "First",
                    "kind": "approval",
                    "approvers": self.approver_1 | self.approver_2,
                    "approval_policy": "all",
                },
                {
                    "name": "Second",
                    "kind": "approval",
                    "preds": ["First"],
                    "approvers": self.approver_1 | self.approver_3,
                    "approval_policy": "all",
                },
                {"name": "Work", "preds": ["Second"]},
                {
                    "name": "Third",
                    "kind": "approval",
                    "preds": ["Work"],
                    "approvers": self.approver_2,
                },
            ],
            approver_dedup=mode,
        )
        return flow

    def _first_approved(self, mode):
        ticket = self._run(self._flow(mode))
        first = self._step(ticket, "First")
        first.with_user(self.approver_1).action_approve()
        first.with_user(self.approver_2).action_approve()
        self.assertEqual(first.state, "done")
        return ticket

    def _dedup_events(self, ticket):
        return ticket.event_ids.filtered(lambda e: e.event_type == "approval_dedup")

    def _todo_users(self, step):
        return self.env["mail.activity"].search([("crossdept_step_id", "=", step.id)]).user_id

    def test_consecutive_takes_the_approval_of_the_step_right_after(self):
        ticket = self._first_approved("consecutive")
        second = self._step(ticket, "Second")
        self.assertEqual(second.approval_state, "pending")
        decision = second.decision_ids
        self.assertEqual(
            (decision.user_id, decision.decision, decision.reason),
            (
                self.approver_1,
                "approve",
                "Approved automatically: Approver 1 already approved step First of this ticket.",
            ),
        )
        event = self._dedup_events(ticket)
        self.assertEqual(
            (event.actor_id, event.to_user_id, event.step_id, event.reason),
            (self.approver_1, self.approver_1, second, decision.reason),
        )
        approve = ticket.event_ids.filtered(
            lambda e: e.event_type == "step_approve" and e.step_id == second
        )
        self.assertEqual(approve.actor_id, self.approver_1, "the approval is theirs")
        # only the approver still to decide is asked
        self.assertEqual(self._todo_users(second), self.approver_3)
        self.assertFalse(second.with_user(self.approver_1).can_decide)
        second.with_user(self.approver_3).action_approve()
        self._do(ticket, "Work")
        # Third comes after a task, not right after First: approver 2 decides again
        third = self._step(ticket, "Third")
        self.assertEqual(third.approval_state, "pending")
        self.assertFalse(third.decision_ids)
        self.assertEqual(len(self._dedup_events(ticket)), 1)
        self.assertTrue(third.with_user(self.approver_2).can_decide)

    def test_always_takes_any_earlier_approval_and_moves_the_flow_on(self):
        ticket = self._first_approved("always")
        second = self._step(ticket, "Second")
        second.with_user(self.approver_3).action_approve()
        self._do(ticket, "Work")
        third = self._step(ticket, "Third")
        self.assertEqual(third.state, "done", "approver 2 approved First: Third is taken")
        self.assertEqual(ticket.state, "done")
        self.assertEqual(
            self._dedup_events(ticket).mapped(lambda e: (e.step_id.name, e.to_user_id)),
            [("Third", self.approver_2), ("Second", self.approver_1)],
        )

    def test_never_asks_everybody_again(self):
        ticket = self._first_approved("never")
        second = self._step(ticket, "Second")
        self.assertFalse(second.decision_ids)
        self.assertEqual(self._todo_users(second), self.approver_1 | self.approver_3)
        self.assertFalse(self._dedup_events(ticket))

    def test_a_refused_earlier_step_is_no_approval(self):
        flow = self._flow("always")
        flow_first = flow.step_ids.filtered(lambda s: s.name == "First")
        self.assertEqual(flow_first.reject_action, "cancel")
        ticket = self._run(flow)
        first = self._step(ticket, "First")
        first.with_user(self.approver_1).action_approve()
        first.with_user(self.approver_2).action_reject("No budget")
        self.assertEqual(ticket.state, "cancelled")
        self.assertFalse(self._dedup_events(ticket))
