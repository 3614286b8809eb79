from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestFlowApproval(CrossdeptFlowCase):
    def _approval_flow(self, policy, **step_vals):
        approvers = self.approver_1 | self.approver_2 | self.approver_3
        flow, _steps = self._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": approvers,
                    "approval_policy": policy,
                    **step_vals,
                },
                {"name": "Execute", "preds": ["Approve"]},
            ]
        )
        ticket = self._run(flow)
        self._do(ticket, "Prepare")
        return ticket, self._step(ticket, "Approve")

    def _decide(self, step, user, decision, reason=None):
        step = step.with_user(user)
        if decision == "approve":
            step.action_approve()
        else:
            step.action_reject(reason or "Not convinced")

    def test_policy_all(self):
        ticket, step = self._approval_flow("all")
        self._decide(step, self.approver_1, "approve")
        self._decide(step, self.approver_2, "approve")
        self.assertEqual(step.state, "in_progress")
        self._decide(step, self.approver_3, "approve")
        self.assertEqual(step.state, "done")
        self.assertEqual(self._states(ticket)["Execute"], "ready")

    def test_policy_all_fails_on_first_rejection(self):
        ticket, step = self._approval_flow("all")
        self._decide(step, self.approver_1, "approve")
        self._decide(step, self.approver_2, "reject", "Too expensive")
        self.assertEqual(step.state, "rejected")
        self.assertEqual(ticket.state, "cancelled")
        cancel = ticket.event_ids.filtered(
            lambda e: e.event_type == "state" and e.to_state == "cancelled"
        )
        self.assertEqual(cancel.reason, "Too expensive")

    def test_policy_any(self):
        _ticket, step = self._approval_flow("any")
        self._decide(step, self.approver_1, "reject")
        self._decide(step, self.approver_2, "reject")
        self.assertEqual(step.state, "in_progress", "one approval is still possible")
        self._decide(step, self.approver_3, "approve")
        self.assertEqual(step.state, "done")

    def test_policy_at_least_n(self):
        _ticket, step = self._approval_flow("count", approval_min_count=2)
        self._decide(step, self.approver_1, "approve")
        self.assertEqual(step.state, "in_progress")
        self._decide(step, self.approver_2, "approve")
        self.assertEqual(step.state, "done")
        ticket, step = self._approval_flow("count", approval_min_count=2)
        self._decide(step, self.approver_1, "reject")
        self._decide(step, self.approver_2, "reject")
        self.assertEqual(step.state, "rejected", "two approvals can no longer be reached")
        self.assertEqual(ticket.state, "cancelled")

    def test_policy_percentage(self):
        # 60% of 3 approvers is 1.8, so 2 approvals are needed
        _ticket, step = self._approval_flow("percent", approval_min_percent=60)
        self._decide(step, self.approver_1, "approve")
        self.assertEqual(step.state, "in_progress")
        self._decide(step, self.approver_3, "approve")
        self.assertEqual(step.state, "done")

    def test_parallel_approvals_join(self):
        flow, _steps = self._make_flow(
            [
                {"name": "Head", "kind": "approval", "approvers": self.approver_1},
                {
                    "name": "Legal",
                    "kind": "approval",
                    "preds": ["Head"],
                    "approvers": self.approver_2,
                },
                {
                    "name": "Finance",
                    "kind": "approval",
                    "preds": ["Head"],
                    "approvers": self.approver_3,
                },
                {
                    "name": "VP",
                    "kind": "approval",
                    "preds": ["Legal", "Finance"],
                    "approvers": self.it_manager,
                },
            ]
        )
        ticket = self._run(flow)
        self._decide(self._step(ticket, "Head"), self.approver_1, "approve")
        self.assertEqual(self._states(ticket)["Legal"], "ready")
        self.assertEqual(self._states(ticket)["Finance"], "ready")
        self._decide(self._step(ticket, "Finance"), self.approver_3, "approve")
        self.assertEqual(self._states(ticket)["VP"], "pending")
        self._decide(self._step(ticket, "Legal"), self.approver_2, "approve")
        self._decide(self._step(ticket, "VP"), self.it_manager, "approve")
        self.assertEqual(ticket.state, "done")

    def test_only_approvers_decide_once_with_a_reason_to_reject(self):
        _ticket, step = self._approval_flow("all")
        self.assertFalse(step.with_user(self.it_user).can_decide)
        with self.assertRaisesRegex(UserError, "Only an approver"):
            step.with_user(self.it_user).action_approve()
        with self.assertRaisesRegex(UserError, "needs a reason"):
            step.with_user(self.approver_1).action_reject("  ")
        self.assertTrue(step.with_user(self.approver_1).can_decide)
        self._decide(step, self.approver_1, "approve")
        self.assertFalse(step.with_user(self.approver_1).can_decide)
        # a second click changes nothing; changing one's mind does not count
        self._decide(step, self.approver_1, "approve")
        self.assertEqual(len(step.decision_ids), 1)
        with self.assertRaisesRegex(UserError, "already decided"):
            self._decide(step, self.approver_1, "reject")
        with self.assertRaisesRegex(UserError, "is an approval"):
            step.with_user(self.approver_2).action_start()

    def test_rejection_returns_to_an_earlier_step(self):
        flow, steps = self._make_flow(
            [
                {"name": "Feasibility"},
                {"name": "Cost", "preds": ["Feasibility"]},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Cost"],
                    "approvers": self.approver_1,
                    "reject_action": "cancel",
                },
            ],
            activate=False,
        )
        steps["Approve"].write(
            {"reject_action": "return", "reject_return_step_id": steps["Feasibility"].id}
        )
        flow.action_activate()
        ticket = self._run(flow)
        self._do(ticket, "Feasibility")
        self._do(ticket, "Cost")
        wizard = (
            self.env["crossdept.ticket.step.reject"]
            .with_user(self.approver_1)
            .create({"step_id": self._step(ticket, "Approve").id, "reason": "Redo the assessment"})
        )
        wizard.action_reject()
        self.assertEqual(ticket.state, "in_progress")
        self.assertEqual(
            self._states(ticket), {"Feasibility": "ready", "Cost": "pending", "Approve": "pending"}
        )
        returned = ticket.event_ids.filtered(lambda e: e.event_type == "step_return")
        self.assertEqual(returned.reason, "Redo the assessment")
        self._do(ticket, "Feasibility")
        self._do(ticket, "Cost")
        self._decide(self._step(ticket, "Approve"), self.approver_1, "approve")
        self.assertEqual(ticket.state, "done")
