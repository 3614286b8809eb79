import json
import re

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import USER
from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestApprovalCc(HttpCase, CrossdeptFlowCase):
    """抄送: people and departments copied on a ticket read it and cannot act."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dept_audit = cls.env["hr.department"].create({"name": "Audit (test)"})
        cls.auditor = cls._make_user("auditor", USER, cls.dept_audit)
        cls.reader = cls._make_user("reader", USER, cls.dept_finance)
        cls.flow, cls.flow_steps = cls._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": cls.approver_1,
                },
            ]
        )

    def _events(self, ticket):
        return ticket.event_ids.filtered(lambda e: e.event_type == "cc")

    def test_the_requester_copies_people_and_departments(self):
        ticket = self._run(self.flow)
        Ticket = self.env["crossdept.ticket"]
        self.assertFalse(Ticket.with_user(self.reader).search([("id", "=", ticket.id)]))
        as_requester = ticket.with_user(self.it_user)
        self.assertTrue(as_requester.can_cc)
        as_requester.action_cc(self.reader, self.dept_audit, " For your information ")
        self.assertEqual(ticket.cc_user_ids, self.reader | self.auditor)
        events = self._events(ticket)
        self.assertEqual(
            {(e.actor_id, e.to_user_id, e.to_department_id, e.reason) for e in events},
            {
                (self.it_user, self.reader, self.env["hr.department"], "For your information"),
                (self.it_user, self.auditor, self.dept_audit, "For your information"),
            },
        )
        note = ticket.message_ids.filtered(lambda m: "copied on ticket" in (m.body or ""))
        self.assertEqual(note.partner_ids, (self.reader | self.auditor).partner_id)
        # they read the ticket, its steps and its history
        as_reader = ticket.with_user(self.reader)
        self.assertEqual(Ticket.with_user(self.reader).search([("id", "=", ticket.id)]), ticket)
        self.assertEqual(as_reader.title, ticket.title)
        self.assertEqual(len(as_reader.step_ids), 2)
        self.assertTrue(as_reader.event_ids)
        # and cannot act on it
        self.assertFalse(as_reader.can_cc)
        with self.assertRaises(AccessError):
            as_reader.write({"title": "Changed"})
        with self.assertRaisesRegex(UserError, "You cannot copy people on ticket"):
            as_reader.action_cc(self.finance_user, None, "me too")
        self._do(ticket, "Prepare")
        approve = self._step(ticket, "Approve").with_user(self.reader)
        self.assertFalse(approve.can_decide)
        with self.assertRaisesRegex(UserError, "Only an approver of .* can approve or refuse it"):
            approve.action_approve()

    def test_an_approver_copies_and_refusals_are_named(self):
        ticket = self._run(self.flow)
        self._do(ticket, "Prepare")
        as_approver = ticket.with_user(self.approver_1)
        self.assertTrue(as_approver.can_cc)
        with self.assertRaisesRegex(UserError, "needs a reason"):
            as_approver.action_cc(self.reader, None, " ")
        with self.assertRaisesRegex(UserError, "Choose the people or departments to copy"):
            as_approver.action_cc(None, None, "why")
        with self.assertRaisesRegex(
            UserError,
            re.escape(
                f"Only active internal users can be copied on a ticket, not {self.portal_a.name}"
            ),
        ):
            as_approver.action_cc(self.portal_a, None, "why")
        self.assertFalse(self._events(ticket))
        as_approver.action_cc(self.reader, None, "Finance should know")
        # copying somebody again changes nothing
        as_approver.action_cc(self.reader, None, "Again")
        self.assertEqual(len(self._events(ticket)), 1)
        self.assertEqual(self._events(ticket).actor_id, self.approver_1)

    def test_the_flow_copies_at_submit_at_a_step_and_at_the_end(self):
        flow, _steps = self._make_flow(
            [
                {"name": "Prepare", "cc_user_ids": [(6, 0, self.reader.ids)]},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": self.approver_1,
                },
            ],
            activate=False,
            cc_submit_department_ids=[(6, 0, self.dept_audit.ids)],
            cc_end_user_ids=[(6, 0, self.finance_user.ids)],
        )
        flow.action_activate()
        ticket = self._run(flow)
        self.assertEqual(ticket.cc_user_ids, self.auditor)
        self.assertIn("Copied at submit by flow", self._events(ticket).reason)
        self._do(ticket, "Prepare")
        self.assertEqual(ticket.cc_user_ids, self.auditor | self.reader)
        step_event = self._events(ticket).filtered(lambda e: e.to_user_id == self.reader)
        self.assertEqual(step_event.step_id, self._step(ticket, "Prepare"))
        self.assertEqual(step_event.reason, "Copied when step Prepare was done.")
        self._step(ticket, "Approve").with_user(self.approver_1).action_approve()
        self.assertEqual(ticket.state, "done")
        self.assertEqual(ticket.cc_user_ids, self.auditor | self.reader | self.finance_user)

    def test_cc_over_jsonrpc_as_the_requester(self):
        ticket = self._run(self.flow)
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
                                "action_cc",
                                [[ticket.id], self.reader.ids, [], reason],
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
        self.assertEqual(ticket.cc_user_ids, self.reader)
        self.assertEqual(self._events(ticket).actor_id, self.it_user)
