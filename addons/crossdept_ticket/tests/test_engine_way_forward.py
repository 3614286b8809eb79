from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestEngineWayForward(CrossdeptFlowCase):
    """Every ticket always has a way forward: cancelling closes its steps, reopening
    leaves something to do, a flow whose steps were all skipped finishes, and a
    rejection returns only to a step before the one that refused."""

    def _three_steps(self):
        flow, _steps = self._make_flow(
            [
                {"name": "Analyse"},
                {"name": "Build", "preds": ["Analyse"], "user": self.finance_user},
                {"name": "Check", "preds": ["Build"]},
            ]
        )
        return flow

    def _activities(self, ticket):
        return self.env["mail.activity"].search(
            [("res_model", "=", "crossdept.ticket"), ("res_id", "=", ticket.id)]
        )

    def test_cancelling_a_ticket_cancels_its_open_steps(self):
        self.env["crossdept.escalation.rule"].create({"name": "Everything (test)"})
        ticket = self._run(self._three_steps())
        analyse = self._step(ticket, "Analyse")
        self.assertTrue(analyse.date_escalation_due, "an escalation is planned")
        self.assertTrue(self._activities(ticket), "the holder got a to-do")
        ticket.with_user(self.it_user).action_cancel()
        self.assertEqual(ticket.state, "cancelled")
        self.assertEqual(
            self._states(ticket),
            {"Analyse": "cancelled", "Build": "cancelled", "Check": "cancelled"},
        )
        self.assertFalse(ticket.step_ids.filtered("date_escalation_due"))
        self.assertFalse(self._activities(ticket), "no stale to-do is left")
        cancelled = ticket.event_ids.filtered(lambda e: e.event_type == "step_cancel")
        self.assertEqual(set(cancelled.step_id.mapped("name")), {"Analyse", "Build", "Check"})
        # out of the holder's load and "My Steps"
        mine = (
            self.env["crossdept.ticket.step"]
            .with_user(self.it_user)
            .search([("user_id", "=", self.it_user.id), ("state", "in", ("ready", "in_progress"))])
        )
        self.assertNotIn(analyse, mine)
        loads = self.env["crossdept.dispatcher"]._loads(self.it_user)
        self.assertEqual(loads[self.it_user], 0)

    def test_cancelled_ticket_reset_to_draft_runs_its_flow_again(self):
        ticket = self._run(self._three_steps())
        self._do(ticket, "Analyse")
        ticket.action_cancel()
        old_steps = ticket.step_ids
        ticket.with_user(self.it_user).action_draft()
        self.assertEqual(ticket.state, "draft")
        self.assertFalse(ticket.step_ids, "the earlier run is archived")
        self.assertEqual(old_steps.exists(), old_steps, "and kept in the history")
        self.assertFalse(any(old_steps.mapped("active")))
        self.assertIn("Start Flow runs the flow again", ticket.message_ids[0].body)
        ticket.with_user(self.it_user).action_start_flow()
        self.assertEqual(self._states(ticket)["Analyse"], "ready")
        self.assertEqual(len(ticket.step_ids), 3)

    def test_reopening_a_done_ticket_makes_its_last_steps_ready_again(self):
        ticket = self._run(self._three_steps())
        self._do(ticket, "Analyse")
        self._do(ticket, "Build", self.finance_user)
        self._do(ticket, "Check")
        self.assertEqual(ticket.state, "done")
        ticket.with_user(self.it_user).action_reopen()
        self.assertEqual(ticket.state, "in_progress")
        self.assertEqual(
            self._states(ticket), {"Analyse": "done", "Build": "done", "Check": "ready"}
        )
        check = self._step(ticket, "Check")
        self.assertTrue(check.with_user(self.it_user).can_act)
        self.assertIn("Check ready again", ticket.message_ids[0].body)
        self._do(ticket, "Check")
        self.assertEqual(ticket.state, "done")

    def test_a_flow_whose_every_step_is_skipped_finishes(self):
        flow, _steps = self._make_flow(
            [
                {"name": "Optional", "skip_when_urgent": True},
                {"name": "Also optional", "preds": ["Optional"], "skip_when_urgent": True},
            ]
        )
        ticket = self._run(flow, priority="3")
        self.assertEqual(self._states(ticket), {"Optional": "skipped", "Also optional": "skipped"})
        self.assertEqual(ticket.state, "done")
        # reopening it has nothing done to redo: the flow runs again
        ticket.priority = "1"
        ticket.action_reopen()
        self.assertEqual(self._states(ticket)["Optional"], "ready")

    def test_rejection_returns_only_to_a_step_before_it(self):
        flow, _steps = self._make_flow(
            [
                {"name": "Draft"},
                {"name": "Legal", "preds": ["Draft"]},
                {"name": "Finance", "preds": ["Draft"]},
                {
                    "name": "Sign",
                    "kind": "approval",
                    "preds": ["Legal"],
                    "approvers": self.approver_1,
                },
                {"name": "Archive", "preds": ["Sign", "Finance"]},
            ]
        )
        ticket = self._run(flow)
        self._do(ticket, "Draft")
        self._do(ticket, "Legal")
        sign = self._step(ticket, "Sign").with_user(self.approver_1)
        wizard = (
            self.env["crossdept.ticket.step.reject"]
            .with_user(self.approver_1)
            .create({"step_id": sign.id, "reason": "Wrong clause"})
        )
        self.assertEqual(set(wizard.allowed_return_step_ids.mapped("name")), {"Draft", "Legal"})
        for other in ("Finance", "Archive", "Sign"):
            with (
                self.subTest(other=other),
                self.assertRaisesRegex(
                    UserError, f"can return to a step before it on its path only, not to {other}"
                ),
            ):
                sign.action_reject("Wrong clause", return_step=self._step(ticket, other))
        self.assertEqual(sign.state, "ready")
        self.assertFalse(sign.decision_ids)
        sign.action_reject("Wrong clause", return_step=self._step(ticket, "Legal"))
        self.assertEqual(self._states(ticket)["Legal"], "ready")
        self.assertEqual(self._states(ticket)["Finance"], "ready", "the parallel step goes on")
        returned = ticket.event_ids.filtered(lambda e: e.event_type == "step_return")
        self.assertEqual((returned.step_id.name, returned.target_step_id.name), ("Sign", "Legal"))
        self.assertEqual(returned.reason, "Wrong clause")
