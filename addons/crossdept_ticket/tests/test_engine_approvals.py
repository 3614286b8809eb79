from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestEngineApprovals(CrossdeptFlowCase):
    """Approvals that mean something: one person counts once, nobody approves their
    own request, a policy nobody can meet goes to the Accountable, approvers hear of
    their step at once, and escalations or transfers only add people who may
    decide."""

    def _approval(self, approvers, policy="all", activate=True, **vals):
        flow, steps = self._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": approvers,
                    "approval_policy": policy,
                    **vals,
                },
            ],
            activate=activate,
        )
        return flow, steps

    def test_the_requester_never_approves_their_own_request(self):
        flow, _steps = self._approval(self.approver_1 | self.it_user)
        ticket = self._run(flow)  # requested by it_user
        self._do(ticket, "Prepare")
        step = self._step(ticket, "Approve")
        self.assertFalse(step.with_user(self.it_user).can_decide)
        with self.assertRaisesRegex(
            UserError, "You requested .*: you cannot approve or refuse your own request"
        ):
            step.with_user(self.it_user).action_approve()
        # the policy "all" counts the people who may decide: approver 1 alone
        step.with_user(self.approver_1).action_approve()
        self.assertEqual(step.state, "done")

    def test_a_step_may_let_the_requester_approve(self):
        flow, _steps = self._approval(self.approver_1 | self.it_user, allow_requester_approval=True)
        ticket = self._run(flow)
        self._do(ticket, "Prepare")
        step = self._step(ticket, "Approve")
        step.with_user(self.it_user).action_approve()
        self.assertEqual(step.state, "in_progress", "all: approver 1 still has to decide")

    def test_one_person_counts_once_and_an_unmeetable_policy_goes_to_the_accountable(self):
        flow, steps = self._approval(self.approver_1, activate=False)
        steps["Approve"].write(
            {
                "approval_policy": "count",
                "approval_min_count": 2,
                "raci_ids": [
                    Command.create(
                        {
                            "role": "responsible",
                            "holder_type": "department_manager",
                            "department_id": self.dept_finance.id,
                        }
                    )
                ],
            }
        )
        flow.action_activate()
        # the finance manager's job goes to approver 1 after the flow was activated:
        # both lines now name the same person, who counts once
        self.dept_finance.manager_id = self.approver_1.employee_ids
        ticket = self._run(flow)
        self._do(ticket, "Prepare")
        step = self._step(ticket, "Approve")
        self.assertEqual(step.approver_ids, self.approver_1)
        accountable = ticket.accountable_user_id
        self.assertEqual(step.user_id, accountable, "the Accountable sorts it out")
        blocked = ticket.event_ids.filtered(lambda e: e.event_type == "approval_blocked")
        self.assertRegex(blocked.reason, "needs 2 approvals but only 1 people can decide")
        todo = self.env["mail.activity"].search(
            [("crossdept_step_id", "=", step.id), ("user_id", "=", accountable.id)]
        )
        self.assertRegex(todo.summary, "Add approvers to Approve")
        with self.assertRaisesRegex(UserError, "You cannot add approvers to step"):
            step.with_user(self.approver_1).action_add_approvers(self.approver_2, "Quorum")
        step.with_user(accountable).action_add_approvers(self.approver_2, "Quorum of two")
        added = ticket.event_ids.filtered(lambda e: e.event_type == "approver_add")
        self.assertEqual((added.to_user_id, added.reason), (self.approver_2, "Quorum of two"))
        step.with_user(self.approver_1).action_approve()
        self.assertEqual(step.state, "in_progress")
        step.with_user(self.approver_2).action_approve()
        self.assertEqual(step.state, "done")

    def test_approvers_are_told_as_soon_as_their_step_is_ready(self):
        flow, _steps = self._approval(self.approver_1 | self.approver_2)
        ticket = self._run(flow)
        Activity = self.env["mail.activity"]
        self.assertFalse(Activity.search([("user_id", "=", self.approver_1.id)]))
        self._do(ticket, "Prepare")
        step = self._step(ticket, "Approve")
        for approver in self.approver_1 | self.approver_2:
            todo = Activity.search(
                [("crossdept_step_id", "=", step.id), ("user_id", "=", approver.id)]
            )
            self.assertEqual(len(todo), 1)
        message = ticket.message_ids.filtered(lambda m: "waits for your decision" in m.body)
        self.assertEqual(
            message.notified_partner_ids, (self.approver_1 | self.approver_2).partner_id
        )
        step.with_user(self.approver_1).action_approve()
        remaining = Activity.search([("crossdept_step_id", "=", step.id)])
        self.assertEqual(remaining.user_id, self.approver_2, "a decision closes its to-do")
        step.with_user(self.approver_2).action_approve()
        self.assertFalse(Activity.search([("crossdept_step_id", "=", step.id)]))

    def test_escalation_and_transfer_of_an_approval_add_approvers(self):
        rule = self.env["crossdept.escalation.rule"].create(
            {"name": "Managers take over (test)", "level1_reassign": "manager", "sequence": 0}
        )
        flow, _steps = self._approval(self.approver_1, department_id=self.dept_finance.id)
        ticket = self._run(flow)
        self._do(ticket, "Prepare")
        step = self._step(ticket, "Approve")
        step._engine().write({"escalation_level": "1"})
        step._escalate(step.date_deadline)
        self.assertTrue(rule)
        self.assertEqual(step.approver_ids, self.approver_1 | self.finance_manager)
        self.assertFalse(step.user_id, "nobody is made assignee of an approval")
        added = ticket.event_ids.filtered(lambda e: e.event_type == "approver_add")
        self.assertEqual(added.to_user_id, self.finance_manager)
        # a transfer of an approval step adds the chosen person as approver too
        wizard = self.env["crossdept.ticket.step.transfer"].create(
            {"step_ids": [Command.set(step.ids)], "user_id": self.approver_3.id, "reason": "Away"}
        )
        wizard.action_apply()
        self.assertIn(self.approver_3, step.approver_ids)
        step.with_user(self.finance_manager).action_approve()
        self.assertEqual(step.state, "in_progress", "all: the others still decide")

    def test_urgency_never_skips_a_running_or_non_skippable_approval(self):
        flow, _steps = self._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": self.approver_1,
                },
                {
                    "name": "Second look",
                    "kind": "approval",
                    "preds": ["Approve"],
                    "approvers": self.approver_2,
                },
            ]
        )
        ticket = self._run(flow)
        self._do(ticket, "Prepare")
        ticket.with_user(self.it_user).priority = "3"
        step = self._step(ticket, "Approve")
        self.assertEqual(step.state, "ready")
        step.with_user(self.approver_1).action_approve()
        self.assertEqual(self._states(ticket)["Second look"], "ready")

    def test_decisions_of_a_returned_step_stay_in_the_history(self):
        flow, steps = self._approval(self.approver_1, activate=False)
        steps["Approve"].write(
            {"reject_action": "return", "reject_return_step_id": steps["Prepare"].id}
        )
        flow.action_activate()
        ticket = self._run(flow)
        self._do(ticket, "Prepare")
        step = self._step(ticket, "Approve")
        step.with_user(self.approver_1).action_reject("Incomplete")
        self.assertEqual(step.state, "pending")
        self.assertFalse(step.decision_ids, "a new round starts")
        old = (
            self.env["crossdept.ticket.step.decision"]
            .with_context(active_test=False)
            .search([("step_id", "=", step.id)])
        )
        self.assertEqual((old.decision, old.reason, old.active), ("reject", "Incomplete", False))
        self._do(ticket, "Prepare")
        step.with_user(self.approver_1).action_approve()
        self.assertEqual(ticket.state, "done")
