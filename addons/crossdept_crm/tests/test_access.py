from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from odoo.addons.crossdept_ticket.tests.refusal import field_refusal

from .common import CrossdeptCrmCase


@tagged("post_install", "-at_install")
class TestAccess(CrossdeptCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # one earlier ticket of Customer A handled by IT, one by Finance, and a
        # current one of Finance
        cls.it_ticket = cls._make_ticket(title="IT work", partner_id=cls.customer_a.id)
        cls.finance_ticket = cls._make_ticket(
            title="Finance work",
            partner_id=cls.customer_a.id,
            department_id=cls.dept_finance.id,
            assigned_department_id=cls.dept_finance.id,
            requester_id=cls.finance_user.id,
            raci_ids=[],
        )
        cls.current = cls._make_ticket(
            title="Current",
            partner_id=cls.contact_a.id,
            lead_id=cls.lead.id,
            department_id=cls.dept_finance.id,
            assigned_department_id=cls.dept_finance.id,
            requester_id=cls.finance_user.id,
            raci_ids=[],
        )
        cls.it_rating = cls._rate(cls.it_ticket, cls.customer_a, 1)
        cls.finance_rating = cls._rate(cls.finance_ticket, cls.customer_a, 5)

    def _form_arch(self, record, user):
        arch = record.with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
        return etree.fromstring(arch)

    def test_crm_only_salesman_opens_lead_and_customer(self):
        self.lead.user_id = self.crm_only  # CRM's personal-leads rule
        lead = self.lead.with_user(self.crm_only)
        form = Form(lead)
        self.assertEqual(form.name, "Complaint: chairs delivered broken")
        arch = self._form_arch(self.lead, self.crm_only)
        self.assertFalse(arch.xpath("//button[@name='action_crossdept_ticket_new']"))
        self.assertFalse(arch.xpath("//field[@name='crossdept_ticket_count']"))
        Form(self.customer_a.with_user(self.crm_only))
        arch = self._form_arch(self.customer_a, self.crm_only)
        self.assertFalse(arch.xpath("//button[@name='action_crossdept_ticket_new']"))
        # the CrossDept fields themselves are closed to them (read as a client does)
        with self.assertRaisesRegex(
            AccessError, field_refusal("crossdept_ticket_count", "crm.lead")
        ):
            lead.read(["crossdept_ticket_count"])

    def test_crossdept_salesman_sees_the_buttons(self):
        arch = self._form_arch(self.lead, self.salesman)
        self.assertTrue(arch.xpath("//button[@name='action_crossdept_ticket_new']"))
        self.assertTrue(arch.xpath("//field[@name='crossdept_ticket_count']"))
        arch = self._form_arch(self.customer_a, self.salesman)
        self.assertTrue(arch.xpath("//header/button[@name='action_crossdept_ticket_new']"))

    def test_crossdept_user_without_crm_opens_a_ticket_with_a_lead(self):
        ticket = self.current.with_user(self.finance_user)
        form = Form(ticket)
        self.assertEqual(form.title, "Current")
        arch = self._form_arch(self.current, self.finance_user)
        self.assertFalse(arch.xpath("//field[@name='lead_id']"))
        self.assertFalse(arch.xpath("//field[@name='customer_lead_ids']"))
        self.assertTrue(arch.xpath("//field[@name='customer_ticket_ids']"))
        with self.assertRaisesRegex(
            AccessError, field_refusal("customer_lead_ids", "crossdept.ticket")
        ):
            ticket.read(["customer_lead_ids"])

    def test_panel_follows_the_core_rules(self):
        as_finance = self.current.with_user(self.finance_user)
        self.assertEqual(as_finance.customer_ticket_ids, self.finance_ticket)
        self.assertEqual(as_finance.customer_rating_ids, self.finance_rating)
        self.assertEqual(as_finance.customer_rating_avg, 5.0)
        as_admin = self.current.with_user(self.env.ref("base.user_admin"))
        self.assertEqual(as_admin.customer_ticket_ids, self.finance_ticket | self.it_ticket)
        self.assertEqual(as_admin.customer_rating_avg, 3.0)

    def test_customer_count_follows_the_core_rules(self):
        self.assertEqual(self.customer_a.with_user(self.finance_user).crossdept_ticket_count, 2)
        self.assertEqual(self.customer_a.with_user(self.it_user).crossdept_ticket_count, 1)
        self.assertEqual(self.customer_a.crossdept_ticket_count, 3)

    def test_lead_count_follows_the_core_rules(self):
        self._make_ticket(title="IT on the lead", lead_id=self.lead.id)
        self.assertEqual(self.lead.crossdept_ticket_count, 2)
        # the salesman is in neither department and requested neither ticket
        self.assertEqual(self.lead.with_user(self.salesman).crossdept_ticket_count, 0)
