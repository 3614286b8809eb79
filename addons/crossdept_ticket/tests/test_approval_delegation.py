import re
import xmlrpc.client
from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import SQL, mute_logger

from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestApprovalDelegation(HttpCase, CrossdeptFlowCase):
    """委托: during a delegation, a user's approvals go to their delegate."""

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
        cls.other_flow, _steps = cls._make_flow(
            [{"name": "Sign", "kind": "approval", "approvers": cls.approver_1}]
        )

    def _delegate(self, user, delegate, days_from=-1, days_to=7, **vals):
        now = fields.Datetime.now()
        return (
            self.env["crossdept.approval.delegation"]
            .with_user(user)
            .create(
                {
                    "delegate_id": delegate.id,
                    "date_from": now + timedelta(days=days_from),
                    "date_to": now + timedelta(days=days_to),
                    **vals,
                }
            )
        )

    def _waiting_step(self, flow=None):
        ticket = self._run(flow or self.flow)
        if not flow:
            self._do(ticket, "Prepare")
        step = ticket.step_ids.filtered(lambda s: s.kind == "approval")
        self.assertEqual(step.approval_state, "pending")
        return ticket, step

    def _todo_users(self, step):
        return self.env["mail.activity"].search([("crossdept_step_id", "=", step.id)]).user_id

    def test_new_approvals_go_to_the_delegate_on_behalf_of(self):
        self._delegate(self.approver_1, self.approver_3, note="On leave")
        ticket, step = self._waiting_step()
        self.assertEqual(step.approver_ids, self.approver_2 | self.approver_3)
        self.assertEqual(self._todo_users(step), self.approver_2 | self.approver_3)
        self.assertEqual(step.on_behalf_summary, "Approver 3 on behalf of Approver 1")
        event = ticket.event_ids.filtered(lambda e: e.event_type == "approval_delegate")
        self.assertEqual((event.from_user_id, event.to_user_id), (self.approver_1, self.approver_3))
        self.assertIn("Approver 3 decides on behalf of Approver 1", event.reason)
        self.assertIn("On leave", event.reason)
        # the delegator keeps reading the ticket and cannot decide
        Ticket = self.env["crossdept.ticket"].with_user(self.approver_1)
        self.assertEqual(Ticket.search([("id", "=", ticket.id)]), ticket)
        self.assertFalse(step.with_user(self.approver_1).can_decide)
        step.with_user(self.approver_3).action_approve()
        decision = step.decision_ids.filtered(lambda d: d.user_id == self.approver_3)
        self.assertEqual(decision.reason, "On behalf of Approver 1")
        approve = ticket.event_ids.filtered(lambda e: e.event_type == "step_approve")
        self.assertEqual(approve.actor_id, self.approver_3)
        self.assertEqual(approve.reason, "On behalf of Approver 1")
        step.with_user(self.approver_2).action_approve()
        self.assertEqual(step.state, "done")

    def test_open_approvals_move_when_the_delegation_begins(self):
        ticket, step = self._waiting_step()
        # a delegation starting later leaves them until the cron of its start
        later = self._delegate(self.approver_1, self.approver_3, days_from=1)
        self.assertEqual(step.approver_ids, self.approver_1 | self.approver_2)
        later.with_user(self.approver_1).write(
            {"date_from": fields.Datetime.now() - timedelta(minutes=1)}
        )
        self.assertEqual(step.approver_ids, self.approver_2 | self.approver_3)
        self.assertIn(self.approver_1, ticket.cc_user_ids)

    def test_the_cron_moves_them_once_the_period_begins(self):
        _ticket, step = self._waiting_step()
        delegation = self._delegate(self.approver_1, self.approver_3, days_from=1)
        # the period begins: time passes, as the cron will see it
        self.env.cr.execute(
            SQL(
                "UPDATE crossdept_approval_delegation SET date_from = %s WHERE id = %s",
                fields.Datetime.now() - timedelta(minutes=1),
                delegation.id,
            )
        )
        delegation.invalidate_recordset()
        self.env["crossdept.approval.delegation"]._cron_apply()
        self.assertEqual(step.approver_ids, self.approver_2 | self.approver_3)

    def test_scope_of_certain_flows(self):
        self._delegate(
            self.approver_1, self.approver_3, scope="flows", flow_ids=self.other_flow.ids
        )
        _ticket, step = self._waiting_step()
        self.assertEqual(step.approver_ids, self.approver_1 | self.approver_2)
        _ticket, sign = self._waiting_step(self.other_flow)
        self.assertEqual(sign.approver_ids, self.approver_3)

    def test_refusals(self):
        with (
            self.assertRaisesRegex(ValidationError, "Delegate your approvals to somebody else"),
            self.env.cr.savepoint(),
        ):
            self._delegate(self.approver_1, self.approver_1)
        with (
            self.assertRaisesRegex(ValidationError, "ends before it starts: set To after From"),
            self.env.cr.savepoint(),
        ):
            self._delegate(self.approver_1, self.approver_3, days_from=3, days_to=2)
        self._delegate(self.approver_1, self.approver_3)
        with (
            self.assertRaisesRegex(
                ValidationError,
                re.escape("Approver 1 delegates to Approver 3 from")
                + ".*so Approver 3 cannot delegate to Approver 1 in that period.*no chains",
            ),
            self.env.cr.savepoint(),
        ):
            self._delegate(self.approver_3, self.approver_1)
        with self.assertRaisesRegex(ValidationError, "no chains"), self.env.cr.savepoint():
            self._delegate(self.approver_3, self.approver_2)
        with (
            self.assertRaisesRegex(ValidationError, "Approver 1 already delegates to Approver 3"),
            self.env.cr.savepoint(),
        ):
            self._delegate(self.approver_1, self.approver_2)
        with (
            self.assertRaisesRegex(
                ValidationError, "You can delegate your own approvals only, not those of Approver 2"
            ),
            self.env.cr.savepoint(),
        ):
            self._delegate(
                self.approver_1,
                self.approver_3,
                user_id=self.approver_2.id,
                days_from=30,
                days_to=40,
            )

    def test_delegation_over_xmlrpc_as_the_delegator(self):
        ticket, step = self._waiting_step()
        key = (
            self.env["res.users.apikeys"]
            .with_user(self.approver_1)
            .sudo()  # a key without expiration date needs it
            ._generate("rpc", "test", None)
        )
        now = fields.Datetime.now()

        def call(delegate, days_to):
            return self.xmlrpc_object.execute_kw(
                self.env.cr.dbname,
                self.approver_1.id,
                key,
                "crossdept.approval.delegation",
                "create",
                [
                    {
                        "delegate_id": delegate.id,
                        "date_from": fields.Datetime.to_string(now - timedelta(hours=1)),
                        "date_to": fields.Datetime.to_string(now + timedelta(days=days_to)),
                    }
                ],
            )

        with (
            mute_logger("odoo.http", "odoo.sql_db"),
            self.assertRaises(xmlrpc.client.Fault) as refusal,
        ):
            call(self.approver_3, -1)
        self.assertIn("ends before it starts", refusal.exception.faultString)
        self.assertTrue(call(self.approver_3, 3))
        step.invalidate_recordset()
        ticket.invalidate_recordset()
        self.assertEqual(step.approver_ids, self.approver_2 | self.approver_3)
        event = ticket.event_ids.filtered(lambda e: e.event_type == "approval_delegate")
        self.assertEqual((event.actor_id, event.from_user_id), (self.approver_1, self.approver_1))
