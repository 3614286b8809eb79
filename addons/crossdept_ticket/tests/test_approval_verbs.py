import json
import re
import xmlrpc.client

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestApprovalVerbs(HttpCase, CrossdeptFlowCase):
    """The OA verbs of an approval step, offered to whom they concern and recorded
    with who, whom and why: hand over (转交), withdraw (撤回)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": cls.approver_1 | cls.approver_2,
                    "approval_policy": "all",
                },
            ]
        )

    def _waiting_step(self):
        ticket = self._run(self.flow)  # requested by it_user
        self._do(ticket, "Prepare")
        step = self._step(ticket, "Approve")
        self.assertEqual(step.approval_state, "pending")
        return ticket, step

    def _todo_users(self, step):
        return self.env["mail.activity"].search([("crossdept_step_id", "=", step.id)]).user_id

    # ------------------------------------------------------------------
    # 转交 Hand over
    # ------------------------------------------------------------------

    def test_hand_over_replaces_the_approver_and_moves_the_todo(self):
        ticket, step = self._waiting_step()
        self.assertEqual(self._todo_users(step), self.approver_1 | self.approver_2)
        self.assertTrue(step.with_user(self.approver_1).can_decide)
        step.with_user(self.approver_1).action_hand_over(self.approver_3, "  On leave next week ")
        self.assertEqual(step.approver_ids, self.approver_2 | self.approver_3)
        self.assertEqual(self._todo_users(step), self.approver_2 | self.approver_3)
        self.assertFalse(step.with_user(self.approver_1).can_decide)
        self.assertTrue(step.with_user(self.approver_3).can_decide)
        event = ticket.event_ids.filtered(lambda e: e.event_type == "approver_hand_over")
        self.assertEqual(
            (event.actor_id, event.from_user_id, event.to_user_id, event.step_id, event.reason),
            (self.approver_1, self.approver_1, self.approver_3, step, "On leave next week"),
        )
        self.assertIn(
            "Approval of step Approve handed over from Approver 1 to Approver 3: "
            "On leave next week",
            "".join(ticket.message_ids.mapped("body")),
        )
        # the policy "all" still counts two people: the colleague, then approver 2
        step.with_user(self.approver_3).action_approve()
        self.assertEqual(step.state, "in_progress")
        step.with_user(self.approver_2).action_approve()
        self.assertEqual(step.state, "done")

    def test_hand_over_is_refused_to_whom_it_should_not_be(self):
        ticket, step = self._waiting_step()
        as_1 = step.with_user(self.approver_1)
        with self.assertRaisesRegex(UserError, "Approver 2 is already an approver of"):
            as_1.action_hand_over(self.approver_2, "busy")
        with self.assertRaisesRegex(UserError, "It User requested .* and cannot approve it"):
            as_1.action_hand_over(self.it_user, "busy")
        with self.assertRaisesRegex(UserError, "needs a reason"):
            as_1.action_hand_over(self.approver_3, "  ")
        with self.assertRaisesRegex(
            UserError, re.escape(f"{self.portal_a.name} is not an active internal user")
        ):
            as_1.action_hand_over(self.portal_a, "busy")
        outsider = new_test_user(self.env, "no_crossdept", groups="base.group_user")
        with self.assertRaisesRegex(
            UserError, re.escape(f"{outsider.name} has no access to CrossDept")
        ):
            as_1.action_hand_over(outsider, "busy")
        # someone who already decided can neither hand over nor take over
        step.with_user(self.approver_2).action_approve()
        with self.assertRaisesRegex(UserError, "Approver 2 already decided on"):
            as_1.action_hand_over(self.approver_2, "busy")
        with self.assertRaisesRegex(
            UserError, "Only an approver of .* who has not decided yet can hand it over"
        ):
            step.with_user(self.approver_2).action_hand_over(self.approver_3, "busy")
        # nor anybody who is not a pending approver (the requester here)
        with self.assertRaisesRegex(
            UserError, "Only an approver of .* who has not decided yet can hand it over"
        ):
            step.with_user(self.it_user).action_hand_over(self.approver_3, "busy")
        self.assertEqual(step.approver_ids, self.approver_1 | self.approver_2)
        self.assertFalse(ticket.event_ids.filtered(lambda e: e.event_type == "approver_hand_over"))

    def test_hand_over_is_refused_on_a_step_not_waiting_for_decisions(self):
        ticket = self._run(self.flow)
        step = self._step(ticket, "Approve")
        self.assertEqual(step.state, "pending")
        with self.assertRaisesRegex(UserError, "is not waiting for a decision"):
            step.with_user(self.approver_1).action_hand_over(self.approver_3, "busy")

    def test_hand_over_over_xmlrpc_as_the_approver(self):
        ticket, step = self._waiting_step()
        key = (
            self.env["res.users.apikeys"]
            .with_user(self.approver_1)
            .sudo()  # a key without expiration date needs it
            ._generate("rpc", "test", None)
        )
        db = self.env.cr.dbname
        # refused with its reason: approver 2 decides already
        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault) as refusal:
            self.xmlrpc_object.execute_kw(
                db,
                self.approver_1.id,
                key,
                "crossdept.ticket.step",
                "action_hand_over",
                [[step.id], self.approver_2.id, "Twice"],
            )
        self.assertIn("Approver 2 is already an approver of", refusal.exception.faultString)
        self.assertTrue(
            self.xmlrpc_object.execute_kw(
                db,
                self.approver_1.id,
                key,
                "crossdept.ticket.step",
                "action_hand_over",
                [[step.id], self.approver_3.id, "Over XML-RPC"],
            )
        )
        step.invalidate_recordset()
        ticket.invalidate_recordset()
        self.assertEqual(step.approver_ids, self.approver_2 | self.approver_3)
        event = ticket.event_ids.filtered(lambda e: e.event_type == "approver_hand_over")
        self.assertEqual((event.actor_id, event.reason), (self.approver_1, "Over XML-RPC"))

    # ------------------------------------------------------------------
    # 撤回 Withdraw
    # ------------------------------------------------------------------

    def test_withdraw_cancels_the_ticket_through_the_engine(self):
        ticket, step = self._waiting_step()
        self.assertTrue(ticket.with_user(self.it_user).can_withdraw)
        self.assertFalse(ticket.with_user(self.approver_1).can_withdraw)
        ticket.with_user(self.it_user).action_withdraw(" Bought it myself ")
        self.assertEqual(ticket.state, "cancelled")
        self.assertEqual(step.state, "cancelled")
        self.assertFalse(self._todo_users(step), "the approvers' to-dos are closed")
        event = ticket.event_ids.filtered(lambda e: e.event_type == "withdraw")
        self.assertEqual(
            (event.actor_id, event.reason),
            (self.it_user, "Withdrawn by the requester: Bought it myself"),
        )
        state = ticket.event_ids.filtered(
            lambda e: e.event_type == "state" and e.to_state == "cancelled"
        )
        self.assertEqual(state.reason, "Withdrawn by the requester: Bought it myself")

    def test_withdraw_is_refused_once_decided_or_to_others(self):
        ticket, step = self._waiting_step()
        with self.assertRaisesRegex(
            UserError, r"Only the requester of .* \(It User\) can withdraw it"
        ):
            ticket.with_user(self.approver_1).action_withdraw("not mine")
        with self.assertRaisesRegex(UserError, "Withdrawing a request needs a reason"):
            ticket.with_user(self.it_user).action_withdraw(" ")
        step.with_user(self.approver_2).action_approve()
        with self.assertRaisesRegex(
            UserError, "cannot be withdrawn: Approver 2 already decided on it"
        ):
            ticket.with_user(self.it_user).action_withdraw("too late")
        self.assertEqual(ticket.state, "in_progress")
        self.assertFalse(ticket.event_ids.filtered(lambda e: e.event_type == "withdraw"))

    def test_withdraw_over_jsonrpc_as_the_requester(self):
        ticket, step = self._waiting_step()
        key = (
            self.env["res.users.apikeys"]
            .with_user(self.it_user)
            .sudo()  # a key without expiration date needs it
            ._generate("rpc", "test", None)
        )

        def call(reason):
            return self.url_open(
                "/jsonrpc",
                data=json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "method": "call",
                        "params": {
                            "service": "object",
                            "method": "execute_kw",
                            "args": [
                                self.env.cr.dbname,
                                self.it_user.id,
                                key,
                                "crossdept.ticket",
                                "action_withdraw",
                                [[ticket.id], reason],
                            ],
                        },
                    }
                ).encode(),
                headers={"Content-Type": "application/json"},
            ).json()

        with mute_logger("odoo.http"):
            refused = call("")
        self.assertIn("needs a reason", refused["error"]["data"]["message"])
        self.assertTrue(call("Over JSON-RPC")["result"])
        ticket.invalidate_recordset()
        step.invalidate_recordset()
        self.assertEqual((ticket.state, step.state), ("cancelled", "cancelled"))
        event = ticket.event_ids.filtered(lambda e: e.event_type == "withdraw")
        self.assertEqual(event.actor_id, self.it_user)
