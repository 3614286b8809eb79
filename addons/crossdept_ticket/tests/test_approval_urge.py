from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common_flow import CrossdeptFlowCase
from .rpc import jsonrpc_execute


@tagged("post_install", "-at_install")
class TestApprovalUrge(HttpCase, CrossdeptFlowCase):
    """催办: the requester urges the approvers who have not decided yet, a message
    and a to-do each, at most once per interval (the flow's, else the system
    parameter's)."""

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
            ],
            urge_interval_hours=2,
        )

    def _waiting_step(self):
        ticket = self._run(self.flow)  # requested by it_user
        self._do(ticket, "Prepare")
        step = self._step(ticket, "Approve")
        self.assertEqual(step.approval_state, "pending")
        return ticket, step

    def _urge_events(self, ticket):
        return ticket.event_ids.filtered(lambda e: e.event_type == "approval_urge")

    def _urge_todos(self, step):
        return self.env["mail.activity"].search(
            [("crossdept_step_id", "=", step.id), ("summary", "like", "Urged by")]
        )

    def test_urge_reminds_each_undecided_approver_once_per_interval(self):
        ticket, step = self._waiting_step()
        step.with_user(self.approver_2).action_approve()
        as_requester = ticket.with_user(self.it_user)
        self.assertTrue(as_requester.can_urge)
        start = datetime(2026, 12, 8, 9, 0)
        with freeze_time(start):
            self.assertTrue(as_requester.action_urge("  Supplier quote expires Friday "))
        event = self._urge_events(ticket)
        self.assertEqual(
            (event.actor_id, event.to_user_id, event.step_id, event.reason),
            (self.it_user, self.approver_1, step, "Supplier quote expires Friday"),
            "only the approver who has not decided is urged",
        )
        todo = self._urge_todos(step)
        self.assertEqual(todo.user_id, self.approver_1)
        self.assertEqual(todo.summary, "Urged by It User: approve or refuse Approve")
        message = ticket.message_ids.filtered(lambda m: "urges you to decide" in (m.body or ""))
        self.assertEqual(message.partner_ids, self.approver_1.partner_id)
        self.assertIn("Note: Supplier quote expires Friday", message.body)
        # the flow's interval (2 hours) holds, and the refusal says when it ends
        with (
            freeze_time(start + timedelta(hours=1, minutes=59)),
            self.assertRaisesRegex(
                UserError,
                r"The approvers of .* were urged on .*09:00:00 \(UTC\): you can urge them "
                r"again from .*11:00:00 \(UTC\)\.",
            ),
        ):
            as_requester.action_urge()
        self.assertEqual(len(self._urge_events(ticket)), 1)
        with freeze_time(start + timedelta(hours=2)):
            as_requester.action_urge()
        self.assertEqual(len(self._urge_events(ticket)), 2)
        # deciding closes the urge to-dos with the approval to-do
        step.with_user(self.approver_1).action_approve()
        self.assertFalse(self._urge_todos(step))
        self.assertEqual(step.state, "done")
        self.assertFalse(ticket.with_user(self.it_user).can_urge)

    def test_urge_interval_from_the_system_parameter(self):
        self.flow.urge_interval_hours = 0
        self.env["ir.config_parameter"].set_param("crossdept_ticket.urge_interval_hours", "0.5")
        ticket, step = self._waiting_step()
        start = datetime(2026, 12, 8, 9, 0)
        with freeze_time(start):
            step.with_user(self.it_user).action_urge()
        self.assertEqual(self._urge_events(ticket).to_user_id, self.approver_1 | self.approver_2)
        with (
            freeze_time(start + timedelta(minutes=29)),
            self.assertRaisesRegex(UserError, r"urge them again from .*09:30:00 \(UTC\)"),
        ):
            step.with_user(self.it_user).action_urge()
        with freeze_time(start + timedelta(minutes=30)):
            step.with_user(self.it_user).action_urge()
        self.assertEqual(len(self._urge_events(ticket)), 4)

    def test_urge_is_refused_to_others_and_when_nothing_waits(self):
        ticket = self._run(self.flow)
        self.assertFalse(ticket.with_user(self.it_user).can_urge)
        with self.assertRaisesRegex(
            UserError, "has no approval waiting for a decision: there is nobody to urge"
        ):
            ticket.with_user(self.it_user).action_urge()
        self._do(ticket, "Prepare")
        step = self._step(ticket, "Approve")
        self.assertFalse(ticket.with_user(self.approver_1).can_urge)
        with self.assertRaisesRegex(
            UserError, r"Only the requester of .* \(It User\) can urge its approvers"
        ):
            ticket.with_user(self.approver_1).action_urge()
        with self.assertRaisesRegex(UserError, "Only the requester of .* can urge its approvers"):
            step.with_user(self.approver_1).action_urge()
        self.assertFalse(self._urge_events(ticket))
        self.assertFalse(self._urge_todos(step))

    def test_urge_over_jsonrpc_as_the_requester(self):
        ticket, step = self._waiting_step()
        result = jsonrpc_execute(
            self, self.it_user, "crossdept.ticket", "action_urge", [[ticket.id], "Over JSON-RPC"]
        )
        self.assertTrue(result["result"])
        with mute_logger("odoo.http"):
            refused = jsonrpc_execute(
                self, self.it_user, "crossdept.ticket", "action_urge", [[ticket.id]]
            )
        self.assertIn("you can urge them again from", refused["error"]["data"]["message"])
        with mute_logger("odoo.http"):
            refused = jsonrpc_execute(
                self, self.approver_1, "crossdept.ticket.step", "action_urge", [[step.id]]
            )
        self.assertIn("can urge its approvers", refused["error"]["data"]["message"])
        ticket.invalidate_recordset()
        events = self._urge_events(ticket)
        self.assertEqual(events.to_user_id, self.approver_1 | self.approver_2)
        self.assertEqual(set(events.mapped("reason")), {"Over JSON-RPC"})
        self.assertEqual(events.actor_id, self.it_user)
