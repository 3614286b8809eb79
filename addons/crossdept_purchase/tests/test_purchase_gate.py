import re

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import CrossdeptPurchaseCase


@tagged("post_install", "-at_install")
class TestPurchaseGate(CrossdeptPurchaseCase):
    """An approved order stays approved only as long as it is the order that was
    approved; nothing confirms or locks an order whose approval is not granted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crossdept_admin = new_test_user(
            cls.env,
            "crossdept_admin",
            groups="base.group_user,crossdept_ticket.group_crossdept_ticket_admin",
            name="CrossDept Administrator",
        )

    def _make_tax(self, percent):
        return self.env["account.tax"].create(
            {
                "name": f"VAT {percent}% (test)",
                "amount": percent,
                "amount_type": "percent",
                "type_tax_use": "purchase",
                "company_id": self.company.id,
            }
        )

    def _approved_order(self, amount=12000, taxes=None):
        order = self._make_order(amount)
        if taxes:
            order.with_user(self.buyer).order_line.taxes_id = taxes
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

    def test_a_confirmed_order_grown_past_the_threshold_needs_an_approval(self):
        order = self._make_order(500)
        order.with_user(self.buyer).button_confirm()
        self.assertEqual((order.state, order.approval_state), ("purchase", "none"))
        order.with_user(self.buyer).order_line.product_qty = 2  # 1,000: still under
        self.assertEqual((order.state, order.approval_state), ("purchase", "none"))
        order.with_user(self.buyer).order_line.product_qty = 100  # 50,000
        self.assertEqual((order.state, order.approval_state), ("to approve", "pending"))
        ticket = self._ticket(order)
        self.assertEqual(ticket.state, "in_progress")
        self.assertEqual(order.crossdept_approval_amount, 50000)
        note = order.message_ids.filtered(lambda m: "reaches the approval threshold" in m.body)
        self.assertIn("confirmed without an approval and now needs one", note.body)
        with self._raises(UserError, rf"{re.escape(ticket.name)}.*In Progress"):
            order.with_user(self.purchase_manager).button_approve()
        self._approve_all(ticket)
        self.assertEqual((order.state, order.approval_state), ("purchase", "approved"))

    def test_a_confirmed_order_given_a_product_of_an_approval_category_needs_an_approval(self):
        self.company.crossdept_purchase_categ_ids = [Command.set(self.categ_contracts.ids)]
        order = self._make_order(100)
        order.with_user(self.buyer).button_confirm()
        self.assertEqual(order.state, "purchase")
        order.with_user(self.buyer).write(
            {
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.service.id,
                            "product_qty": 1,
                            "price_unit": 100,
                            "taxes_id": [Command.clear()],
                        }
                    )
                ]
            }
        )
        self.assertEqual((order.state, order.approval_state), ("to approve", "pending"))
        self.assertEqual(order.crossdept_ticket_count, 1)
        self.assertTrue(
            order.message_ids.filtered(
                lambda m: "products of an approval category: Lawyer (test)" in m.body
            )
        )

    def test_a_tax_added_to_an_approved_order_needs_a_new_approval(self):
        order = self._approved_order()
        first = self._ticket(order)
        order.with_user(self.buyer).order_line.taxes_id = self._make_tax(25)
        self.assertEqual(order.amount_total, 15000)
        self.assertEqual((order.state, order.approval_state), ("to approve", "pending"))
        self.assertNotEqual(self._ticket(order), first)
        self.assertEqual(order.crossdept_approval_amount, 15000)
        self.assertIn("grew by", order.message_ids[1].body)

    def test_the_tolerance_compares_totals_with_taxes(self):
        """Submitted: 12,000 + 20% = 14,400; a 10% tolerance allows 1,440 more."""
        self.company.crossdept_purchase_tolerance = 10
        order = self._approved_order(taxes=self._make_tax(20))
        self.assertEqual(order.crossdept_approval_amount, 14400)
        order.with_user(self.buyer).order_line.price_unit = 13000  # +1,200 with taxes
        self.assertEqual((order.state, order.approval_state), ("purchase", "approved"))
        order.with_user(self.buyer).order_line.price_unit = 13300  # +1,560 with taxes
        self.assertEqual((order.state, order.approval_state), ("to approve", "pending"))
        self.assertIn("1,560.00", order.message_ids[1].body)

    def test_the_approval_of_a_confirmed_order_cannot_be_reopened(self):
        order = self._approved_order()
        ticket = self._ticket(order)
        with self._raises(
            UserError,
            rf"{re.escape(ticket.name)} cannot be reopened or refused: purchase order "
            rf"{order.name} is confirmed on its approval\. To change the order, unlock it",
        ):
            ticket.with_user(self.crossdept_admin).action_reopen()
        self.assertEqual(ticket.state, "done")
        self.assertEqual(self._states(ticket)["VP"], "done")
        self.assertEqual((order.state, order.approval_state), ("purchase", "approved"))

    def test_a_superseded_approval_cannot_be_reopened(self):
        order = self._approved_order()
        first = self._ticket(order)
        order.with_user(self.buyer).order_line.product_qty = 2
        self._approve_all(self._ticket(order))
        self.assertEqual(order.state, "purchase")
        with self._raises(
            UserError,
            rf"{re.escape(first.name)} cannot be reopened: it no longer decides purchase "
            rf"order {order.name} \(Purchase Order\)",
        ):
            first.with_user(self.crossdept_admin).action_reopen()
        self.assertEqual(first.state, "done")

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

    def test_buyer_grows_a_confirmed_order_past_the_threshold_over_rpc(self):
        order = self._make_order(500)
        self._rpc("button_confirm", [[order.id]])
        order.invalidate_recordset()
        self.assertEqual((order.state, order.approval_state), ("purchase", "none"))
        line = order.order_line
        self._rpc("write", [[order.id], {"order_line": [[1, line.id, {"product_qty": 100}]]}])
        order.invalidate_recordset()
        self.assertEqual(order.amount_total, 50000)
        self.assertEqual((order.state, order.approval_state), ("to approve", "pending"))
        ticket = self._ticket(order)
        self.assertEqual(ticket.state, "in_progress")
        for method, args in (
            ("button_done", [[order.id]]),
            ("button_approve", [[order.id]]),
            ("write", [[order.id], {"state": "purchase"}]),
        ):
            with (
                self.subTest(method=method, args=args),
                self.assertRaisesRegex(
                    Exception,
                    rf"cannot be confirmed before its approval ticket {re.escape(ticket.name)}",
                ),
            ):
                self._rpc(method, args)
        order.invalidate_recordset()
        self.assertEqual(order.state, "to approve")

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
