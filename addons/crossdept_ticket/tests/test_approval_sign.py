import xmlrpc.client

from odoo.exceptions import UserError
from odoo.tests import Form, HttpCase, tagged
from odoo.tools import mute_logger

from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestApprovalSign(HttpCase, CrossdeptFlowCase):
    """加签: a pending approver adds people before, after or alongside them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        specs = [
            {"name": "Prepare"},
            {
                "name": "Approve",
                "kind": "approval",
                "preds": ["Prepare"],
                "approvers": cls.approver_1 | cls.approver_2,
            },
        ]
        specs[1]["approval_policy"] = "all"
        cls.flow_all, _steps = cls._make_flow(specs)
        specs[1]["approval_policy"] = "any"
        cls.flow_any, _steps = cls._make_flow(specs)

    def _waiting_step(self, flow=None):
        ticket = self._run(flow or self.flow_all)  # requested by it_user
        self._do(ticket, "Prepare")
        step = self._step(ticket, "Approve")
        self.assertEqual(step.approval_state, "pending")
        return ticket, step

    def _events(self, ticket, event_type):
        return ticket.event_ids.filtered(lambda e: e.event_type == event_type)

    def test_before_me_they_decide_first(self):
        ticket, step = self._waiting_step()
        step.with_user(self.approver_1).action_add_sign(
            self.approver_3, "before", " Check the VAT "
        )
        event = self._events(ticket, "approver_add_before")
        self.assertEqual(
            (event.actor_id, event.from_user_id, event.to_user_id, event.reason),
            (self.approver_1, self.approver_1, self.approver_3, "Check the VAT"),
        )
        self.assertIn(
            "Approver 1 added Approver 3 before them on step Approve: Check the VAT",
            "".join(ticket.message_ids.mapped("body")),
        )
        self.assertFalse(step.with_user(self.approver_1).can_decide)
        self.assertTrue(step.with_user(self.approver_3).can_decide)
        my_approvals = self.env["crossdept.ticket.step"].with_user(self.approver_1)
        self.assertNotIn(step, my_approvals.search([("can_decide", "=", True)]))
        self.assertIn(
            step,
            self.env["crossdept.ticket.step"]
            .with_user(self.approver_3)
            .search([("can_decide", "=", True)]),
        )
        with self.assertRaisesRegex(
            UserError, "Your decision on .* waits for Approver 3, whom you added before you"
        ):
            step.with_user(self.approver_1).action_approve()
        step.with_user(self.approver_3).action_approve()
        self.assertEqual(step.state, "in_progress", "the added approver is not counted")
        self.assertTrue(step.with_user(self.approver_1).can_decide)
        step.with_user(self.approver_1).action_approve()
        self.assertEqual(step.state, "in_progress", "approver 2 is still to decide (all)")
        step.with_user(self.approver_2).action_approve()
        self.assertEqual(step.state, "done")

    def test_after_me_my_approval_waits_for_theirs(self):
        ticket, step = self._waiting_step(self.flow_any)
        step.with_user(self.approver_1).action_add_sign(self.approver_3, "after", "Legal check")
        event = self._events(ticket, "approver_add_after")
        self.assertEqual((event.from_user_id, event.to_user_id), (self.approver_1, self.approver_3))
        with self.assertRaisesRegex(
            UserError, "Approver 1 added you after them on .*: you decide once they have approved"
        ):
            step.with_user(self.approver_3).action_approve()
        self.assertFalse(step.with_user(self.approver_3).can_decide)
        step.with_user(self.approver_1).action_approve()
        self.assertEqual(step.state, "in_progress", "one approval (any) waits for approver 3")
        self.assertEqual(step.approval_state, "pending")
        self.assertTrue(step.with_user(self.approver_3).can_decide)
        self.assertEqual(step.waiting_on_user_ids, self.approver_2 | self.approver_3)
        step.with_user(self.approver_3).action_approve()
        self.assertEqual(step.state, "done")
        self.assertEqual(ticket.state, "done")

    def test_a_refusal_by_an_added_approver_counts_as_the_approvers(self):
        ticket, step = self._waiting_step()
        step.with_user(self.approver_1).action_add_sign(self.approver_3, "before", "Budget")
        step.with_user(self.approver_3).action_reject("Over budget")
        self.assertEqual(step.state, "rejected")
        self.assertEqual(ticket.state, "cancelled")

    def test_alongside_me_the_policy_counts_them(self):
        ticket, step = self._waiting_step()
        step.with_user(self.approver_1).action_add_sign(self.approver_3, "alongside", "Second eye")
        event = self._events(ticket, "approver_add")
        self.assertEqual(
            (event.actor_id, event.from_user_id, event.to_user_id, event.reason),
            (self.approver_1, self.approver_1, self.approver_3, "Second eye"),
        )
        for approver in (self.approver_1, self.approver_2):
            step.with_user(approver).action_approve()
        self.assertEqual(step.state, "in_progress", "all: three approvers now")
        step.with_user(self.approver_3).action_approve()
        self.assertEqual(step.state, "done")

    def test_the_wizard_offers_the_positions_to_the_approver(self):
        _ticket, step = self._waiting_step(self.flow_any)
        action = step.with_user(self.approver_1).action_add_approvers_wizard()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.approver_1)
            .with_context(**action["context"])
        )
        self.assertTrue(wizard.is_approver)
        wizard.position = "after"
        wizard.user_ids.add(self.approver_3)
        wizard.reason = "Legal check"
        wizard.save().action_add()
        step.with_user(self.approver_1).action_approve()
        self.assertEqual(step.approval_state, "pending")
        self.assertIn("Approver 3 (After Approver 1): To decide", step.sign_summary)

    def test_add_sign_is_refused_to_whom_it_should_not_be(self):
        ticket, step = self._waiting_step()
        as_1 = step.with_user(self.approver_1)
        only = "Only an approver of .* who has not decided yet can add approvers to their decision"
        with self.assertRaisesRegex(UserError, only):
            step.with_user(self.it_user).action_add_sign(self.approver_3, "before", "mine")
        with self.assertRaisesRegex(UserError, "Approver 2 is already an approver of"):
            as_1.action_add_sign(self.approver_2, "before", "busy")
        with self.assertRaisesRegex(UserError, "It User requested .* and cannot approve it"):
            as_1.action_add_sign(self.it_user, "after", "busy")
        with self.assertRaisesRegex(UserError, "Add somebody else than yourself"):
            as_1.action_add_sign(self.approver_1, "after", "busy")
        with self.assertRaisesRegex(UserError, "Adding approvers needs a reason"):
            as_1.action_add_sign(self.approver_3, "after", " ")
        with self.assertRaisesRegex(UserError, "Add approvers before, after or alongside you"):
            as_1.action_add_sign(self.approver_3, "sideways", "busy")
        as_1.action_approve()
        with self.assertRaisesRegex(UserError, only):
            as_1.action_add_sign(self.approver_3, "after", "too late")
        # an added approver does not add approvers in turn
        step.with_user(self.approver_2).action_add_sign(self.approver_3, "before", "VAT")
        with self.assertRaisesRegex(UserError, only):
            step.with_user(self.approver_3).action_add_sign(self.finance_user, "before", "more")
        self.assertEqual(len(self._events(ticket, "approver_add_before")), 1)

    def test_add_sign_is_refused_on_a_step_not_waiting(self):
        ticket = self._run(self.flow_all)
        step = self._step(ticket, "Approve")
        with self.assertRaisesRegex(UserError, "is not waiting for a decision"):
            step.with_user(self.approver_1).action_add_sign(self.approver_3, "before", "early")

    def test_add_sign_over_xmlrpc_as_the_approver(self):
        ticket, step = self._waiting_step()
        key = (
            self.env["res.users.apikeys"]
            .with_user(self.approver_1)
            .sudo()  # a key without expiration date needs it
            ._generate("rpc", "test", None)
        )
        db = self.env.cr.dbname

        def call(users, position, reason):
            return self.xmlrpc_object.execute_kw(
                db,
                self.approver_1.id,
                key,
                "crossdept.ticket.step",
                "action_add_sign",
                [[step.id], users.ids, position, reason],
            )

        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault) as refusal:
            call(self.approver_2, "before", "Twice")
        self.assertIn("Approver 2 is already an approver of", refusal.exception.faultString)
        self.assertTrue(call(self.approver_3, "before", "Over XML-RPC"))
        ticket.invalidate_recordset()
        step.invalidate_recordset()
        event = self._events(ticket, "approver_add_before")
        self.assertEqual(
            (event.actor_id, event.to_user_id, event.reason),
            (self.approver_1, self.approver_3, "Over XML-RPC"),
        )
        self.assertFalse(step.with_user(self.approver_1).can_decide)
