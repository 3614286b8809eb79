from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.crossdept_ticket.tests.refusal import acl_refusal

from .common import CrossdeptPurchaseCase


@tagged("post_install", "-at_install")
class TestPurchaseAccess(CrossdeptPurchaseCase):
    def test_buyer_without_crossdept_rights_submits(self):
        self.assertFalse(self.buyer.has_group("crossdept_ticket.group_crossdept_ticket_user"))
        order = self._make_order(12000)
        order.with_user(self.buyer).button_confirm()
        self.assertEqual(order.state, "to approve")
        ticket = self._ticket(order)
        self.assertTrue(ticket)
        self.assertEqual(ticket.create_uid, self.buyer)
        # the buyer follows the approval on the order...
        as_buyer = order.with_user(self.buyer)
        self.assertEqual(as_buyer.crossdept_ticket_state, "in_progress")
        # ...but cannot open the ticket itself
        with self.assertRaisesRegex(AccessError, acl_refusal("read", "crossdept.ticket")):
            ticket.with_user(self.buyer).read(["title"])
        with self.assertRaisesRegex(AccessError, acl_refusal("read", "crossdept.ticket")):
            as_buyer.crossdept_ticket_ids.read(["description"])

    def test_buyer_without_crossdept_rights_cancels(self):
        order = self._make_order(12000)
        order.with_user(self.buyer).button_confirm()
        ticket = self._ticket(order)
        order.with_user(self.buyer).button_cancel()
        self.assertEqual(ticket.state, "cancelled")

    def test_approver_sees_order_figures_without_purchase_rights(self):
        order = self._make_order(12000)
        order.button_confirm()
        ticket = order.crossdept_ticket_id.with_user(self.it_manager)
        self.assertFalse(self.it_manager.has_group("purchase.group_purchase_user"))
        values = ticket.read(["purchase_partner_id", "purchase_amount_total", "purchase_id"])[0]
        self.assertEqual(values["purchase_partner_id"][0], self.vendor.id)
        self.assertEqual(values["purchase_amount_total"], 12000)
        self.assertEqual(values["purchase_id"][0], order.id)
        with self.assertRaisesRegex(AccessError, acl_refusal("read", "purchase.order")):
            order.with_user(self.it_manager).read(["amount_total"])

    def test_other_users_do_not_see_the_ticket(self):
        """A CrossDept user outside the ticket (not requester, approver or RACI
        holder, another department) does not see it."""
        order = self._make_order(12000)
        order.button_confirm()
        ticket = self._ticket(order)
        visible = (
            self.env["crossdept.ticket"]
            .with_user(self.finance_user)
            .search([("purchase_id", "=", order.id)])
        )
        self.assertFalse(visible)
        self.assertTrue(
            self.env["crossdept.ticket"].with_user(self.it_manager).search([("id", "=", ticket.id)])
        )
