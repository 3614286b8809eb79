from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import CrossdeptPurchaseCase


@tagged("post_install", "-at_install")
class TestPurchaseGate(CrossdeptPurchaseCase):
    """An approved order stays approved only as long as it is the order that was
    approved; nothing confirms or locks an order whose approval is not granted."""

    def _approved_order(self, amount=12000):
        order = self._make_order(amount)
        order.button_confirm()
        self._approve_all(self._ticket(order))
        self.assertEqual((order.state, order.approval_state), ("purchase", "approved"))
        return order

    def test_a_confirmed_order_that_grows_is_approved_again(self):
        order = self._approved_order()
        first = self._ticket(order)
        order.with_user(self.buyer).order_line.product_qty = 10
        self.assertEqual((order.state, order.approval_state), ("to approve", "pending"))
        second = self._ticket(order)
        self.assertNotEqual(second, first)
        self.assertEqual(first.state, "done", "the earlier approval stays in the history")
        with self._raises(UserError, rf"{second.name}.*In Progress"):
            order.with_user(self.purchase_manager).button_approve()

    def test_a_change_within_the_tolerance_keeps_the_approval(self):
        self.company.crossdept_purchase_tolerance = 10
        order = self._approved_order()
        order.with_user(self.buyer).order_line.price_unit = 13000  # +8.3%
        self.assertEqual((order.state, order.approval_state), ("purchase", "approved"))
        order.with_user(self.buyer).order_line.price_unit = 13500  # +12.5%
        self.assertEqual((order.state, order.approval_state), ("to approve", "pending"))

    def test_another_vendor_or_other_lines_need_a_new_approval(self):
        order = self._approved_order()
        other_vendor = self.env["res.partner"].create({"name": "Other vendor (test)"})
        order.with_user(self.buyer).partner_id = other_vendor
        self.assertEqual(order.approval_state, "pending")
        self._approve_all(self._ticket(order))
        # the same total spent on another product is another purchase
        line = order.order_line
        order.with_user(self.buyer).write(
            {
                "order_line": [
                    Command.update(line.id, {"product_qty": 0.5}),
                    Command.create(
                        {"product_id": self.service.id, "product_qty": 1, "price_unit": 6000}
                    ),
                ]
            }
        )
        self.assertEqual(order.approval_state, "pending")

    def test_unlocking_an_approved_order_runs_the_flow_again(self):
        order = self._approved_order()
        order.with_user(self.purchase_manager).button_done()
        self.assertEqual(order.state, "done")
        order.with_user(self.purchase_manager).button_unlock()
        self.assertEqual((order.state, order.approval_state), ("to approve", "pending"))
        with self._raises(UserError, "cannot be confirmed before its approval ticket"):
            order.with_user(self.purchase_manager).button_done()

    def test_no_path_confirms_an_unapproved_order(self):
        order = self._make_order(12000)
        for attempt in (
            lambda: order.with_user(self.purchase_manager).button_approve(),
            lambda: order.with_user(self.purchase_manager).button_done(),
            lambda: order.with_user(self.purchase_manager).write({"state": "purchase"}),
            lambda: order.with_user(self.buyer).write({"state": "done"}),
        ):
            with self._raises(UserError, "needs a CrossDept approval"):
                attempt()
        self.assertEqual(order.state, "draft")
        with self._raises(UserError, "Approval of Purchase Order is set by CrossDept"):
            order.with_user(self.purchase_manager).write({"approval_state": "approved"})


@tagged("post_install", "-at_install")
class TestPurchaseGateRpc(HttpCase, CrossdeptPurchaseCase):
    """The buyer, over XML-RPC, cannot get round the gate."""

    def _rpc(self, method, *args):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, self.buyer.id, "buyerxxx", "purchase.order", method, *args
        )

    def test_buyer_over_rpc(self):
        order = self._make_order(12000)
        for method, args in (
            ("button_approve", [[order.id]]),
            ("button_done", [[order.id]]),
            ("write", [[order.id], {"state": "purchase"}]),
            ("write", [[order.id], {"approval_state": "approved"}]),
        ):
            with (
                self.subTest(method=method, args=args),
                self.assertRaisesRegex(
                    Exception, "needs a CrossDept approval|set by CrossDept's engine"
                ),
            ):
                self._rpc(method, args)
        self._rpc("button_confirm", [[order.id]])
        order.invalidate_recordset()
        self.assertEqual((order.state, order.approval_state), ("to approve", "pending"))
        self._approve_all(self._ticket(order))
        self.assertEqual(order.state, "purchase")
        line = order.order_line
        self._rpc("write", [[order.id], {"order_line": [[1, line.id, {"product_qty": 10}]]}])
        order.invalidate_recordset()
        self.assertEqual((order.state, order.approval_state), ("to approve", "pending"))
        with self.assertRaisesRegex(Exception, "cannot be confirmed before its approval ticket"):
            self._rpc("button_done", [[order.id]])
