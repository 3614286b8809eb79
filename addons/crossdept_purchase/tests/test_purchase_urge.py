from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.crossdept_ticket.tests.rpc import jsonrpc_execute

from .common import THRESHOLD, CrossdeptPurchaseCase


@tagged("post_install", "-at_install")
class TestPurchaseUrge(HttpCase, CrossdeptPurchaseCase):
    """催办 from a purchase order: the buyer, without CrossDept rights, urges the
    approvers of the order's approval ticket who have not decided yet."""

    def _submitted_order(self):
        order = self._make_order(THRESHOLD + 100)
        order.button_confirm()
        self.assertEqual(order.approval_state, "pending")
        return order, self._ticket(order)

    def _urge_events(self, ticket):
        return ticket.event_ids.filtered(lambda e: e.event_type == "approval_urge")

    def test_buyer_urges_the_waiting_approvers(self):
        order, ticket = self._submitted_order()
        as_buyer = order.with_user(self.buyer)
        self.assertTrue(as_buyer.crossdept_can_urge)
        self.assertTrue(as_buyer.action_crossdept_urge("Vendor price holds until Friday"))
        event = self._urge_events(ticket)
        self.assertEqual(
            (event.actor_id, event.to_user_id, event.step_id.name, event.reason),
            (self.buyer, self.it_manager, "Head", "Vendor price holds until Friday"),
        )
        todo = self.env["mail.activity"].search(
            [("crossdept_step_id", "=", event.step_id.id), ("user_id", "=", self.it_manager.id)]
        )
        self.assertIn("Urged by Buyer: approve or refuse Head", todo.mapped("summary"))
        with self.assertRaisesRegex(UserError, "you can urge them again from"):
            as_buyer.action_crossdept_urge()
        # Head approves: Legal and Finance wait for approvers nobody urged yet
        self._approve(ticket, "Head", self.it_manager)
        as_buyer.action_crossdept_urge()
        self.assertEqual(
            self._urge_events(ticket).mapped(lambda e: (e.step_id.name, e.to_user_id)),
            [("Finance", self.approver_2), ("Legal", self.approver_1), ("Head", self.it_manager)],
        )
        with self.assertRaisesRegex(UserError, "you can urge them again from"):
            as_buyer.action_crossdept_urge()

    def test_urge_is_refused_to_others_and_once_approved(self):
        order, ticket = self._submitted_order()
        as_manager = order.with_user(self.purchase_manager)
        self.assertFalse(as_manager.crossdept_can_urge)
        with self.assertRaisesRegex(
            UserError, r"Only the requester of .* \(Buyer\) can urge its approvers"
        ):
            as_manager.action_crossdept_urge()
        self._approve_all(ticket)
        self.assertEqual(order.approval_state, "approved")
        self.assertFalse(order.with_user(self.buyer).crossdept_can_urge)
        with self.assertRaisesRegex(UserError, "is not waiting for a decision"):
            order.with_user(self.buyer).action_crossdept_urge()
        self.assertFalse(self._urge_events(ticket))

    def test_urge_over_jsonrpc_as_the_buyer(self):
        order, ticket = self._submitted_order()
        with mute_logger("odoo.http"):
            refused = jsonrpc_execute(
                self, self.purchase_manager, "purchase.order", "action_crossdept_urge", [[order.id]]
            )
        self.assertIn("can urge its approvers", refused["error"]["data"]["message"])
        result = jsonrpc_execute(
            self, self.buyer, "purchase.order", "action_crossdept_urge", [[order.id], "RPC"]
        )
        self.assertTrue(result["result"])
        ticket.invalidate_recordset()
        event = self._urge_events(ticket)
        self.assertEqual((event.actor_id, event.to_user_id), (self.buyer, self.it_manager))
