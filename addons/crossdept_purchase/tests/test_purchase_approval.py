from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import THRESHOLD, CrossdeptPurchaseCase


@tagged("post_install", "-at_install")
class TestPurchaseApproval(CrossdeptPurchaseCase):
    def _tickets(self, order):
        return self.env["crossdept.ticket"].search([("purchase_id", "=", order.id)])

    def test_under_threshold_confirms(self):
        order = self._make_order(THRESHOLD - 0.01)
        order.button_confirm()
        self.assertEqual(order.state, "purchase")
        self.assertFalse(order.crossdept_ticket_id)
        self.assertFalse(self._tickets(order))

    def test_over_threshold_creates_one_ticket(self):
        order = self._make_order(12000)
        order.button_confirm()
        self.assertEqual(order.state, "to approve")
        ticket = self._tickets(order)
        self.assertEqual(len(ticket), 1)
        self.assertEqual(order.crossdept_ticket_id, ticket)
        self.assertEqual(ticket.purchase_id, order)
        self.assertEqual(ticket.flow_id, self.flow)
        self.assertEqual(ticket.type_id, self.ticket_type)
        self.assertEqual(ticket.state, "in_progress")
        self.assertEqual(ticket.requester_id, self.buyer)
        self.assertEqual(ticket.company_id, self.company)
        self.assertEqual(ticket.purchase_partner_id, self.vendor)
        self.assertEqual(ticket.purchase_amount_total, 12000)
        self.assertFalse(ticket.partner_id, "the vendor must not see the ticket on the portal")
        self.assertIn(order.name, ticket.title)
        self.assertIn("Vendor (test)", ticket.description)
        self.assertIn("12,000.00", ticket.description)
        self.assertEqual(
            self._states(ticket),
            {"Head": "ready", "Legal": "pending", "Finance": "pending", "VP": "pending"},
        )
        self.assertIn(ticket.name, order.message_ids[0].body)

    def test_batch_confirm_mixed_orders(self):
        small = self._make_order(100)
        big_1 = self._make_order(6000)
        big_2 = self._make_order(7000)
        (small | big_1 | big_2).button_confirm()
        self.assertEqual(small.state, "purchase")
        self.assertEqual((big_1 | big_2).mapped("state"), ["to approve", "to approve"])
        tickets = self._ticket(big_1) | self._ticket(big_2)
        self.assertEqual(len(tickets), 2)
        self.assertEqual(tickets.purchase_id, big_1 | big_2)
        self.assertFalse(self._tickets(small))

    def test_pending_ticket_blocks_confirmation(self):
        order = self._make_order(12000)
        order.button_confirm()
        ticket = self._ticket(order)
        with self._raises(UserError, rf"{ticket.name}.*In Progress"):
            order.button_confirm()
        with self._raises(UserError, rf"{ticket.name}.*In Progress"):
            order.with_user(self.purchase_manager).button_approve()
        self.assertEqual(order.state, "to approve")
        self.assertEqual(len(self._tickets(order)), 1, "submitting again creates no ticket")

    def test_approve_without_submission_is_refused(self):
        order = self._make_order(12000)
        with self._raises(UserError, "needs a CrossDept approval"):
            order.with_user(self.purchase_manager).button_approve()
        self.assertEqual(order.state, "draft")

    def test_flow_approval_confirms_order(self):
        order = self._make_order(12000)
        order.button_confirm()
        ticket = self._ticket(order)
        self._approve(ticket, "Head", self.it_manager)
        self.assertEqual(
            self._states(ticket),
            {"Head": "done", "Legal": "ready", "Finance": "ready", "VP": "pending"},
        )
        self._approve(ticket, "Legal", self.approver_1)
        self._approve(ticket, "Finance", self.approver_2)
        self.assertEqual(order.state, "to approve")
        # the vice-president has no Purchase rights: the order is confirmed all the same
        self.assertFalse(self.approver_3.has_group("purchase.group_purchase_user"))
        self._approve(ticket, "VP", self.approver_3)
        self.assertEqual(ticket.state, "done")
        self.assertEqual(order.state, "purchase")
        self.assertTrue(order.date_approve)
        self.assertIn(ticket.name, order.message_ids[0].body)
        self.assertIn(self.vendor, order.message_partner_ids)

    def test_flow_approval_overrides_double_validation(self):
        """Odoo's own manager validation does not stop an order the flow approved."""
        self.company.write({"po_double_validation": "two_step", "po_double_validation_amount": 1})
        order = self._make_order(12000)
        order.button_confirm()
        self._approve_all(self._ticket(order))
        self.assertEqual(order.state, "purchase")

    def test_order_grown_during_approval_runs_the_flow_again(self):
        order = self._make_order(12000)
        order.button_confirm()
        ticket = self._ticket(order)
        self.assertEqual(order.crossdept_approval_amount, 12000)
        order.with_user(self.buyer).order_line.price_unit = 20000
        self.assertEqual(ticket.state, "cancelled", "the old approval covered another order")
        new_ticket = self._ticket(order)
        self.assertNotEqual(new_ticket, ticket)
        self.assertEqual(new_ticket.state, "in_progress")
        self.assertEqual((order.state, order.approval_state), ("to approve", "pending"))
        self.assertEqual(order.crossdept_approval_amount, 20000)
        self.assertIn("grew by", order.message_ids[1].body)
        self._approve_all(new_ticket)
        self.assertEqual((order.state, order.approval_state), ("purchase", "approved"))

    def test_order_reduced_during_approval_is_confirmed(self):
        order = self._make_order(12000)
        order.button_confirm()
        order.order_line.price_unit = 9000
        self._approve_all(self._ticket(order))
        self.assertEqual(order.state, "purchase")

    def test_rejection_returns_order_to_draft(self):
        order = self._make_order(12000)
        order.button_confirm()
        ticket = self._ticket(order)
        self._approve(ticket, "Head", self.it_manager)
        self._step(ticket, "Finance").with_user(self.approver_2).action_reject(
            "Budget exhausted this quarter"
        )
        self.assertEqual(ticket.state, "cancelled")
        self.assertEqual(order.state, "draft")
        note = order.message_ids[0]
        self.assertIn("Budget exhausted this quarter", note.body)
        self.assertIn(ticket.name, note.body)
        self.assertIn(self.buyer.partner_id, note.partner_ids)
        # submitting again starts a new approval
        order.button_confirm()
        self.assertEqual(order.state, "to approve")
        self.assertEqual(len(self._tickets(order)), 2)
        self.assertNotEqual(order.crossdept_ticket_id, ticket)
        self.assertEqual(order.crossdept_ticket_state, "in_progress")

    def test_ticket_closed_by_hand_after_rejection_approves_nothing(self):
        order = self._make_order(12000)
        order.button_confirm()
        ticket = self._ticket(order)
        self._approve(ticket, "Head", self.it_manager)
        self._approve(ticket, "Legal", self.approver_1)
        self._approve(ticket, "Finance", self.approver_2)
        self._step(ticket, "VP").with_user(self.approver_3).action_reject("Not this year")
        self.assertEqual(order.state, "draft")
        # an administrator reopens the cancelled ticket and closes it by hand
        ticket.action_draft()
        ticket.action_open()
        ticket.action_start()
        ticket.action_done()
        self.assertEqual(ticket.state, "done")
        with self._raises(UserError, "needs a CrossDept approval"):
            order.with_user(self.purchase_manager).button_approve()
        order.button_confirm()
        self.assertEqual(order.state, "to approve")
        self.assertEqual(len(self._tickets(order)), 2)

    def test_cancelling_order_cancels_ticket(self):
        order = self._make_order(12000)
        order.button_confirm()
        ticket = self._ticket(order)
        order.button_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(ticket.state, "cancelled")
        self.assertFalse(order.crossdept_ticket_id)
        order.button_draft()
        order.button_confirm()
        self.assertEqual(order.state, "to approve", "a new confirmation needs a new approval")
        self.assertEqual(len(self._tickets(order)), 2)

    def test_category_needs_approval_under_threshold(self):
        self.company.crossdept_purchase_categ_ids = [Command.set(self.categ_contracts.ids)]
        contract = self._make_order(100, product=self.service)  # subcategory of Contracts
        contract.button_confirm()
        self.assertEqual(contract.state, "to approve")
        self.assertTrue(contract.crossdept_ticket_id)
        desk = self._make_order(100)
        desk.button_confirm()
        self.assertEqual(desk.state, "purchase")
        self.assertFalse(desk.crossdept_ticket_id)

    def test_threshold_compares_company_currency(self):
        company_currency = self.company.currency_id
        foreign = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("id", "!=", company_currency.id), ("name", "in", ("EUR", "USD"))], limit=1)
        )
        foreign.active = True
        today = "2026-01-01"
        self.env["res.currency.rate"].search(
            [("currency_id", "in", (foreign | company_currency).ids)]
        ).unlink()
        self.env["res.currency.rate"].create(
            [
                {"currency_id": company_currency.id, "rate": 1.0, "name": today},
                {"currency_id": foreign.id, "rate": 0.5, "name": today},
            ]
        )
        # 3,000 in a currency worth twice the company currency is 6,000: approval
        over = self._make_order(3000, currency_id=foreign.id, date_order="2026-02-01")
        over.button_confirm()
        self.assertEqual(over.state, "to approve")
        # 2,000 is 4,000: no approval
        under = self._make_order(2000, currency_id=foreign.id, date_order="2026-02-01")
        under.button_confirm()
        self.assertEqual(under.state, "purchase")

    def test_disabled_approvals_confirm_directly(self):
        self.company.crossdept_purchase_approval = False
        order = self._make_order(50000)
        order.button_confirm()
        self.assertEqual(order.state, "purchase")

    def test_new_flow_version_is_followed(self):
        draft = self.flow._copy_as_version(2)
        draft.action_activate()
        self.assertEqual(self.flow.state, "archived")
        order = self._make_order(12000)
        order.button_confirm()
        self.assertEqual(self._ticket(order).flow_id, draft)

    def test_inactive_flow_without_version_is_named(self):
        self.flow.action_archive_flow()
        order = self._make_order(12000)
        with self._raises(UserError, "Test flow.*not active"):
            order.button_confirm()
        self.assertEqual(order.state, "draft")
        self.assertFalse(self._tickets(order))

    def test_form_confirm(self):
        """The buyer confirms from the form: the stat data follow."""
        with Form(self.env["purchase.order"].with_user(self.buyer)) as form:
            form.partner_id = self.vendor
            with form.order_line.new() as line:
                line.product_id = self.product
                line.price_unit = 8000
                line.taxes_id.clear()
        order = form.save()
        order.button_confirm()
        self.assertEqual(order.crossdept_ticket_count, 1)
        order = self.env["purchase.order"].browse(order.id)  # as a user of both apps
        action = order.action_view_crossdept_tickets()
        self.assertEqual(action["res_id"], order.crossdept_ticket_id.id)
        self.assertEqual(order.crossdept_ticket_id.action_view_purchase_order()["res_id"], order.id)
