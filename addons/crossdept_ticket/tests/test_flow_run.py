from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase
from .refusal import rule_refusal


@tagged("post_install", "-at_install")
class TestFlowRun(CrossdeptFlowCase):
    def test_parallel_branches_join(self):
        flow, _steps = self._make_flow(
            [
                {"name": "A"},
                {"name": "B", "preds": ["A"]},
                {"name": "C", "preds": ["A"]},
                {"name": "D", "preds": ["B", "C"]},
            ]
        )
        ticket = self._run(flow)
        self.assertEqual(ticket.state, "in_progress")
        self.assertEqual(
            self._states(ticket), {"A": "ready", "B": "pending", "C": "pending", "D": "pending"}
        )
        self._do(ticket, "A")
        self.assertEqual(self._states(ticket)["B"], "ready")
        self.assertEqual(self._states(ticket)["C"], "ready")
        self._do(ticket, "B")
        self.assertEqual(self._states(ticket)["D"], "pending", "D waits for both branches")
        self._do(ticket, "C")
        self.assertEqual(self._states(ticket)["D"], "ready")
        self._do(ticket, "D")
        self.assertEqual(ticket.state, "done")
        events = ticket.event_ids.filtered("step_id")
        self.assertEqual(
            sorted(set(events.mapped("event_type"))),
            ["state", "step_done", "step_ready", "step_start"],
        )
        self.assertEqual(len(events.filtered(lambda e: e.event_type == "step_done")), 4)
        # the ticket's own move to Done names the step that ended the flow
        closing = events.filtered(lambda e: e.event_type == "state")
        self.assertEqual((closing.to_state, closing.step_id.name), ("done", "D"))

    def test_run_condition_skips_step(self):
        flow, _steps = self._make_flow(
            [
                {"name": "Check"},
                {
                    "name": "Legal",
                    "preds": ["Check"],
                    "condition_domain": "[('priority', '=', '0')]",
                },
                {"name": "Close", "preds": ["Legal"]},
            ]
        )
        ticket = self._run(flow, priority="1")
        self._do(ticket, "Check")
        legal = self._step(ticket, "Legal")
        self.assertEqual(legal.state, "skipped")
        self.assertEqual(legal.skip_reason, "Run condition not met.")
        self.assertEqual(self._states(ticket)["Close"], "ready")
        skip = ticket.event_ids.filtered(lambda e: e.event_type == "step_skip")
        self.assertEqual((skip.step_id, skip.reason), (legal, "Run condition not met."))
        low = self._run(flow, priority="0")
        self._do(low, "Check")
        self.assertEqual(self._states(low)["Legal"], "ready")

    def test_urgent_ticket_skips_non_critical_steps(self):
        flow, _steps = self._make_flow(
            [
                {"name": "Fix"},
                {
                    "name": "Approve",
                    "preds": ["Fix"],
                    "kind": "approval",
                    "skip_when_urgent": True,
                    "approvers": self.approver_1,
                },
                {"name": "Verify", "preds": ["Approve"]},
            ]
        )
        urgent = self._run(flow, priority="3")
        self._do(urgent, "Fix")
        self.assertEqual(
            self._states(urgent), {"Fix": "done", "Approve": "skipped", "Verify": "ready"}
        )
        self._do(urgent, "Verify")
        self.assertEqual(urgent.state, "done", "the skipped step does not hold the ticket")
        normal = self._run(flow, priority="2")
        self._do(normal, "Fix")
        self.assertEqual(self._states(normal)["Approve"], "ready")

    def test_skipped_end_step_counts_as_finished(self):
        flow, _steps = self._make_flow(
            [{"name": "Work"}, {"name": "Extra", "preds": ["Work"], "skip_when_urgent": True}]
        )
        ticket = self._run(flow, priority="3")
        self._do(ticket, "Work")
        self.assertEqual(ticket.state, "done")

    def test_most_specific_flow_is_chosen_and_can_be_overridden(self):
        generic, _s = self._make_flow([{"name": "Generic"}], type_ids=[])
        typed, _s = self._make_flow([{"name": "Typed"}])
        specific, _s = self._make_flow([{"name": "Specific"}], domain="[('priority', '=', '3')]")
        self.assertEqual(self._make_ticket(priority="3")._find_flow(), specific)
        self.assertEqual(self._make_ticket(priority="1")._find_flow(), typed)
        chosen = self._run(generic, priority="3")
        self.assertEqual(chosen.flow_id, generic)
        self.assertEqual(chosen.step_ids.mapped("name"), ["Generic"])
        with self.assertRaisesRegex(UserError, "does not apply"):
            self._run(specific, priority="1")

    def test_required_inputs_and_deliverables_block_finishing(self):
        # the ticket's deadline follows its current step: the customer is an input
        customer = self.env["ir.model.fields"]._get("crossdept.ticket", "partner_id")
        flow, steps = self._make_flow(
            [
                {
                    "name": "Assess",
                    "required_field_ids": [Command.set(customer.ids)],
                    "require_attachment": True,
                    "deliverable_ids": [Command.create({"name": "Risk report"})],
                }
            ]
        )
        self.assertEqual(steps["Assess"].deliverable_ids.name, "Risk report")
        ticket = self._run(flow)
        step = self._step(ticket, "Assess").with_user(self.it_user)
        step.action_start()
        with self.assertRaises(UserError) as error:
            step.action_finish()
        message = str(error.exception)
        self.assertIn("Customer", message)
        self.assertIn("attachment", message)
        self.assertIn("Risk report", message)
        self.assertEqual(step.state, "in_progress")
        ticket.partner_id = self.customer_a
        self.env["ir.attachment"].create(
            {"name": "risk.txt", "raw": b"ok", "res_model": "crossdept.ticket", "res_id": ticket.id}
        )
        step.deliverable_ids.done = True
        step.action_finish()
        self.assertEqual(step.state, "done")

    def test_who_may_act_on_a_task_step(self):
        flow, _steps = self._make_flow([{"name": "Work", "user": self.it_user}])
        ticket = self._run(flow)
        step = self._step(ticket, "Work")
        self.assertFalse(step.with_user(self.finance_user).can_act)
        with self.assertRaisesRegex(UserError, "Only the assignee or a Responsible"):
            step.with_user(self.it_manager).action_start()
        self.assertTrue(step.with_user(self.it_user).can_act)
        step.with_user(self.it_user).action_start()
        # an unrelated user does not even see the step
        with self.assertRaisesRegex(AccessError, rule_refusal("read", "crossdept.ticket.step")):
            step.with_user(self.approver_1).action_finish()
        step.with_user(self.it_user).action_finish()
        self.assertEqual(ticket.state, "done")

    def test_steps_wait_while_ticket_waits(self):
        flow, _steps = self._make_flow([{"name": "Work"}])
        ticket = self._run(flow)
        ticket.action_wait()
        with self.assertRaisesRegex(
            UserError, "is Waiting: its steps wait until it is in progress"
        ):
            self._step(ticket, "Work").with_user(self.it_user).action_start()

    def test_a_flow_starts_once(self):
        flow, _steps = self._make_flow([{"name": "Work"}])
        ticket = self._run(flow)
        with self.assertRaisesRegex(UserError, "already started"):
            ticket.action_start_flow()
        no_flow = self._make_ticket(
            type_id=self.env["crossdept.ticket.type"].create({"name": "Other"}).id
        )
        with self.assertRaisesRegex(UserError, "No active flow"):
            no_flow.action_start_flow()
        self.assertFalse(no_flow.step_ids)

    def test_ticket_with_open_steps_cannot_be_closed_by_hand(self):
        flow, _steps = self._make_flow([{"name": "Work"}])
        ticket = self._run(flow)
        with self.assertRaisesRegex(UserError, "still open: Work"):
            ticket.action_done()
        self.assertEqual(ticket.state, "in_progress")
