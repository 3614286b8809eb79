from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import THRESHOLD, CrossdeptPurchaseCase


@tagged("post_install", "-at_install")
class TestPurchaseSettings(CrossdeptPurchaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B (test)"})
        cls.buyer_b = new_test_user(
            cls.env,
            "buyer_b",
            groups="base.group_user,purchase.group_purchase_user",
            company_id=cls.company_b.id,
            company_ids=[Command.set((cls.company | cls.company_b).ids)],
        )

    def _settings(self, company):
        return self.env["res.config.settings"].with_company(company)

    def test_settings_write_company_fields(self):
        with Form(self._settings(self.company_b)) as form:
            form.crossdept_purchase_approval = True
            form.crossdept_purchase_threshold = 100
            form.crossdept_purchase_type_id = self.ticket_type
            form.crossdept_purchase_flow_id = self.flow
        form.save().execute()
        self.assertTrue(self.company_b.crossdept_purchase_approval)
        self.assertEqual(self.company_b.crossdept_purchase_threshold, 100)
        self.assertEqual(self.company_b.crossdept_purchase_flow_id, self.flow)
        # the first company keeps its own settings
        self.assertEqual(self.company.crossdept_purchase_threshold, THRESHOLD)

    def test_negative_threshold(self):
        with self._raises(ValidationError, "cannot be negative"):
            self.company.crossdept_purchase_threshold = -1
        with self._raises(ValidationError, "cannot be negative"):
            self._settings(self.company).create({"crossdept_purchase_threshold": -10}).execute()
        self.company.invalidate_recordset()
        self.assertEqual(self.company.crossdept_purchase_threshold, THRESHOLD)

    def test_inactive_flow_is_refused(self):
        draft, _steps = self._make_flow([{"name": "Only", "kind": "approval"}], activate=False)
        draft.name = "Draft purchase flow"
        with self._raises(UserError, "Draft purchase flow.*is not active"):
            self.company.crossdept_purchase_flow_id = draft
        self.company.invalidate_recordset()
        self.assertEqual(self.company.crossdept_purchase_flow_id, self.flow)

    def test_flow_of_another_company_is_refused(self):
        flow_b, _steps = self._make_flow(
            [{"name": "Only", "kind": "approval"}], company_id=self.company_b.id
        )
        with self._raises(ValidationError, "belongs to Company B"):
            self.company.crossdept_purchase_flow_id = flow_b

    def test_flow_of_another_type_is_refused(self):
        other_type = self.env["crossdept.ticket.type"].create({"name": "Other (test)"})
        with self._raises(ValidationError, "does not serve tickets of type"):
            self.company.crossdept_purchase_type_id = other_type

    def test_other_company_settings_are_isolated(self):
        """Company B has no approvals: its large order confirms, while the same
        order in the first company waits for approval."""
        order_b = self._make_order(
            50000, user=self.buyer_b, company_id=self.company_b.id
        ).with_company(self.company_b)
        order_b.with_user(self.buyer_b).button_confirm()
        self.assertEqual(order_b.state, "purchase")
        order_a = self._make_order(50000)
        order_a.button_confirm()
        self.assertEqual(order_a.state, "to approve")

    def test_other_company_threshold(self):
        self.company_b.write(
            {
                "crossdept_purchase_approval": True,
                "crossdept_purchase_threshold": 100000,
                "crossdept_purchase_type_id": self.ticket_type.id,
                "crossdept_purchase_flow_id": self.flow.id,
            }
        )
        order_b = self._make_order(50000, user=self.buyer_b, company_id=self.company_b.id)
        order_b.with_company(self.company_b).button_confirm()
        self.assertEqual(order_b.state, "purchase")
        big_b = self._make_order(150000, user=self.buyer_b, company_id=self.company_b.id)
        big_b.with_company(self.company_b).button_confirm()
        self.assertEqual(big_b.state, "to approve")
        self.assertEqual(self._ticket(big_b).company_id, self.company_b)
