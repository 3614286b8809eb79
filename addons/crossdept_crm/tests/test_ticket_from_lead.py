from odoo.tests import Form, tagged

from .common import CrossdeptCrmCase


@tagged("post_install", "-at_install")
class TestTicketFromLead(CrossdeptCrmCase):
    def _open_form(self, action, user):
        self.assertEqual(action["res_model"], "crossdept.ticket")
        return Form(self.env["crossdept.ticket"].with_user(user).with_context(**action["context"]))

    def test_create_from_lead_is_prefilled(self):
        action = self.lead.with_user(self.salesman).action_crossdept_ticket_new()
        form = self._open_form(action, self.salesman)
        self.assertEqual(form.lead_id, self.lead)
        self.assertEqual(form.title, "Complaint: chairs delivered broken")
        self.assertEqual(form.partner_id, self.contact_a)
        self.assertIn("Three of the ten chairs arrived broken.", form.description)
        # the requesting department is the salesperson's
        self.assertEqual(form.department_id, self.dept_sales)
        ticket = form.save()
        self.assertEqual(ticket.lead_id, self.lead)
        self.assertEqual(ticket.requester_id, self.salesman)
        self.assertEqual(self.lead.crossdept_ticket_ids, ticket)
        # the lead's defaults stay on the ticket: the RACI lines created with it
        # do not inherit the department
        accountable = ticket.raci_ids.filtered(lambda line: line.role == "accountable")
        self.assertTrue(accountable.user_id)
        self.assertFalse(accountable.department_id)

    def test_department_of_the_salesperson_not_the_clicker(self):
        self.lead.user_id = self.it_user
        action = self.lead.with_user(self.salesman).action_crossdept_ticket_new()
        form = self._open_form(action, self.salesman)
        self.assertEqual(form.department_id, self.dept_it)

    def test_department_falls_back_to_current_user(self):
        # a salesperson without an employee: the department of whoever creates it
        self.lead.user_id = self.crm_only
        action = self.lead.action_crossdept_ticket_new()
        form = self._open_form(action, self.salesman)
        self.assertEqual(form.department_id, self.dept_sales)

    def test_explicit_defaults_win(self):
        action = self.lead.action_crossdept_ticket_new()
        action["context"] = dict(action["context"], default_title="Replace three chairs")
        form = self._open_form(action, self.salesman)
        self.assertEqual(form.title, "Replace three chairs")
        self.assertEqual(form.partner_id, self.contact_a)

    def test_create_from_customer_is_prefilled(self):
        # the customer's salesperson is the IT manager: IT requests the ticket
        self.customer_a.user_id = self.it_manager
        action = self.customer_a.with_user(self.salesman).action_crossdept_ticket_new()
        form = self._open_form(action, self.salesman)
        self.assertEqual(form.partner_id, self.customer_a)
        self.assertEqual(form.department_id, self.dept_it)
        self.assertFalse(form.lead_id)
        form.title = "Complaint about the invoice"
        ticket = form.save()
        self.assertEqual(ticket.partner_id, self.customer_a)
        self.assertEqual(ticket.department_id, self.dept_it)

    def test_create_from_customer_without_salesperson(self):
        action = self.customer_b.action_crossdept_ticket_new()
        form = self._open_form(action, self.finance_user)
        self.assertEqual(form.partner_id, self.customer_b)
        self.assertEqual(form.department_id, self.dept_finance)

    def test_linking_a_lead_fills_empty_fields(self):
        form = Form(self.env["crossdept.ticket"].with_user(self.salesman))
        form.title = "Chairs"
        form.lead_id = self.lead
        self.assertEqual(form.title, "Chairs")
        self.assertEqual(form.partner_id, self.contact_a)
        self.assertEqual(form.department_id, self.dept_sales)
