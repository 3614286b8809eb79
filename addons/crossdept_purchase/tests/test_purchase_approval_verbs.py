from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CrossdeptPurchaseCase


@tagged("post_install", "-at_install")
class TestPurchaseApprovalVerbs(CrossdeptPurchaseCase):
    """Purchase approvals take the OA verbs of the approval gate: 加签, 委托, 抄送."""

    def _submitted(self):
        order = self._make_order(12000)
        order.button_confirm()
        return order, self._ticket(order)

    def test_vp_adds_the_cfo_after_him_the_order_waits_for_them(self):
        order, ticket = self._submitted()
        self._approve(ticket, "Head", self.it_manager)
        self._approve(ticket, "Legal", self.approver_1)
        self._approve(ticket, "Finance", self.approver_2)
        vp = self._step(ticket, "VP")
        vp.with_user(self.approver_3).action_add_sign(self.finance_manager, "after", "Above 10k")
        vp.with_user(self.approver_3).action_approve()
        self.assertEqual(order.state, "to approve", "the CFO has not approved yet")
        with self.assertRaisesRegex(UserError, "Only an approver of .* can approve or refuse it"):
            vp.with_user(self.approver_1).action_approve()
        vp.with_user(self.finance_manager).action_approve()
        self.assertEqual(ticket.state, "done")
        self.assertEqual(order.state, "purchase")
        event = ticket.event_ids.filtered(lambda e: e.event_type == "approver_add_after")
        self.assertEqual(
            (event.actor_id, event.to_user_id), (self.approver_3, self.finance_manager)
        )

    def test_the_head_on_leave_delegates_to_the_cfo(self):
        now = fields.Datetime.now()
        self.env["crossdept.approval.delegation"].with_user(self.it_manager).create(
            {
                "delegate_id": self.finance_manager.id,
                "date_from": now - timedelta(hours=1),
                "date_to": now + timedelta(days=3),
            }
        )
        order, ticket = self._submitted()
        head = self._step(ticket, "Head")
        self.assertEqual(head.approver_ids, self.finance_manager)
        self.assertEqual(head.on_behalf_summary, "Finance Manager on behalf of It Manager")
        head.with_user(self.finance_manager).action_approve()
        self.assertEqual(head.decision_ids.reason, "On behalf of It Manager")
        self.assertIn(self.it_manager, ticket.cc_user_ids)
        self.assertEqual(order.state, "to approve")
