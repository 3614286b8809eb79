from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase

# a Monday, 9:00 UTC: the test calendar works Mon-Fri 8-12 and 13-17
MONDAY = datetime(2026, 12, 14, 9, 0)


@tagged("post_install", "-at_install")
class TestApprovalTimeout(CrossdeptFlowCase):
    """An approval step undecided at its deadline is approved, refused or escalated
    by the escalation cron, as its flow step says, once, with an event."""

    def _overdue_step(self, action):
        flow, _steps = self._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": self.approver_1 | self.approver_2,
                    "approval_policy": "all",
                    "approval_timeout_action": action,
                },
                {"name": "Deliver", "preds": ["Approve"]},
            ]
        )
        with freeze_time(MONDAY):
            ticket = self._run(flow)
            self._do(ticket, "Prepare")
        step = self._step(ticket, "Approve")
        self.assertEqual(step.date_deadline, MONDAY + timedelta(days=1), "8 working hours")
        return ticket, step

    def _timeout_events(self, ticket):
        return ticket.event_ids.filtered(lambda e: e.event_type == "approval_timeout")

    def _cron(self, when):
        with freeze_time(when):
            self.env["crossdept.ticket.step"]._cron_escalate()

    def test_approve_when_overdue_once(self):
        ticket, step = self._overdue_step("approve")
        self._cron(step.date_deadline - timedelta(minutes=1))
        self.assertEqual(step.approval_state, "pending", "not before the deadline")
        self._cron(step.date_deadline + timedelta(minutes=1))
        self.assertEqual((step.approval_state, step.state), ("approved", "done"))
        self.assertEqual(self._step(ticket, "Deliver").state, "ready")
        event = self._timeout_events(ticket)
        self.assertEqual(
            event.reason,
            "Step Approve was not decided by its deadline: approved automatically.",
        )
        self.assertFalse(step.with_user(self.approver_1).can_decide)
        with self.assertRaisesRegex(UserError, "is not waiting for a decision"):
            step.with_user(self.approver_1).action_approve()
        # a rerun takes no second action
        self._cron(step.date_deadline + timedelta(hours=2))
        self.assertEqual(len(self._timeout_events(ticket)), 1)

    def test_reject_when_overdue_cancels_as_a_refusal(self):
        ticket, step = self._overdue_step("reject")
        self._cron(step.date_deadline + timedelta(minutes=1))
        self.assertEqual((step.approval_state, step.state), ("rejected", "rejected"))
        self.assertEqual(ticket.state, "cancelled")
        self.assertEqual(
            self._timeout_events(ticket).reason,
            "Step Approve was not decided by its deadline: refused automatically.",
        )
        todos = self.env["mail.activity"].search([("crossdept_step_id", "=", step.id)])
        self.assertFalse(
            todos.filtered(lambda a: a.user_id in self.approver_1 | self.approver_2),
            "the approvers' to-dos are closed",
        )
        self._cron(step.date_deadline + timedelta(hours=2))
        self.assertEqual(len(self._timeout_events(ticket)), 1)

    def test_escalate_when_overdue_hands_the_undecided_part_to_the_manager(self):
        ticket, step = self._overdue_step("escalate")
        step.with_user(self.approver_2).action_approve()
        self._cron(step.date_deadline + timedelta(minutes=1))
        self.assertEqual(step.approver_ids, self.approver_2 | self.it_manager)
        event = self._timeout_events(ticket)
        self.assertEqual(
            (event.to_user_id, event.reason),
            (
                self.it_manager,
                "Step Approve was not decided by its deadline: escalated to the manager of "
                "IT (test).",
            ),
        )
        todo = self.env["mail.activity"].search([("crossdept_step_id", "=", step.id)])
        self.assertEqual(todo.user_id, self.it_manager)
        self.assertFalse(step.with_user(self.approver_1).can_decide)
        # a rerun takes no second action, though the step is still overdue
        self._cron(step.date_deadline + timedelta(hours=2))
        self.assertEqual(len(self._timeout_events(ticket)), 1)
        step.with_user(self.it_manager).action_approve()
        self.assertEqual(step.state, "done")

    def test_nothing_by_default(self):
        ticket, step = self._overdue_step("none")
        self._cron(step.date_deadline + timedelta(hours=1))
        self.assertEqual(step.approval_state, "pending")
        self.assertFalse(self._timeout_events(ticket))
