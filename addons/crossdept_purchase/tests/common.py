from contextlib import contextmanager

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.crossdept_ticket.tests.common_flow import CrossdeptFlowCase

THRESHOLD = 5000.0


class CrossdeptPurchaseCase(CrossdeptFlowCase):
    """The article's purchase approval flow (department head, then legal and
    finance in parallel, then the vice-president) configured for the company with a
    threshold of 5,000, a buyer without CrossDept rights, a vendor and products."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, cls.flow_steps = cls._make_flow(
            [
                {"name": "Head", "kind": "approval", "approvers": cls.it_manager},
                {
                    "name": "Legal",
                    "kind": "approval",
                    "approvers": cls.approver_1,
                    "preds": ["Head"],
                },
                {
                    "name": "Finance",
                    "kind": "approval",
                    "approvers": cls.approver_2,
                    "preds": ["Head"],
                },
                {
                    "name": "VP",
                    "kind": "approval",
                    "approvers": cls.approver_3,
                    "preds": ["Legal", "Finance"],
                },
            ]
        )
        cls.buyer = new_test_user(
            cls.env,
            "buyer",
            groups="base.group_user,purchase.group_purchase_user",
            name="Buyer",
        )
        cls.purchase_manager = new_test_user(
            cls.env,
            "purchase_manager",
            groups="base.group_user,purchase.group_purchase_manager",
            name="Purchase Manager",
        )
        cls.vendor = cls.env["res.partner"].create({"name": "Vendor (test)"})
        Category = cls.env["product.category"]
        cls.categ_office = Category.create({"name": "Office (test)"})
        cls.categ_contracts = Category.create({"name": "Contracts (test)"})
        cls.categ_legal = Category.create(
            {"name": "Legal services (test)", "parent_id": cls.categ_contracts.id}
        )
        cls.product = cls._make_product("Desk (test)", cls.categ_office)
        cls.service = cls._make_product("Lawyer (test)", cls.categ_legal)
        cls.company.write(
            {
                "po_double_validation": "one_step",
                "crossdept_purchase_approval": True,
                "crossdept_purchase_threshold": THRESHOLD,
                "crossdept_purchase_categ_ids": [Command.clear()],
                "crossdept_purchase_type_id": cls.ticket_type.id,
                "crossdept_purchase_flow_id": cls.flow.id,
            }
        )

    @classmethod
    def _make_product(cls, name, categ):
        return cls.env["product.product"].create(
            {
                "name": name,
                "categ_id": categ.id,
                "type": "consu",
                "supplier_taxes_id": [Command.clear()],
            }
        )

    @classmethod
    def _make_order(cls, amount, product=None, user=None, **vals):
        user = user or cls.buyer
        return (
            cls.env["purchase.order"]
            .with_user(user)
            .create(
                {
                    "partner_id": cls.vendor.id,
                    "user_id": user.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": (product or cls.product).id,
                                "product_qty": 1,
                                "price_unit": amount,
                                "taxes_id": [Command.clear()],
                            }
                        )
                    ],
                    **vals,
                }
            )
        )

    def _ticket(self, order):
        """The order's approval ticket, read as superuser (the buyer may not see it)."""
        return self.env["crossdept.ticket"].browse(order.crossdept_ticket_id.id)

    def _approve(self, ticket, name, user):
        self._step(ticket, name).with_user(user).action_approve()

    def _approve_all(self, ticket):
        self._approve(ticket, "Head", self.it_manager)
        self._approve(ticket, "Legal", self.approver_1)
        self._approve(ticket, "Finance", self.approver_2)
        self._approve(ticket, "VP", self.approver_3)

    @contextmanager
    def _raises(self, exception, regex):
        """assertRaisesRegex inside a savepoint (as Odoo's assertRaises), so that a
        refused write is rolled back as the request would be."""
        with self.assertRaises(exception) as cm:
            yield cm
        self.assertRegex(str(cm.exception), regex)
