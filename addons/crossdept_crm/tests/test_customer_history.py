from datetime import datetime

from odoo.tests import tagged

from .common import CrossdeptCrmCase


@tagged("post_install", "-at_install")
class TestCustomerHistory(CrossdeptCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first = cls._make_ticket(title="First", partner_id=cls.customer_a.id)
        cls.second = cls._make_ticket(title="Second", partner_id=cls.contact_a.id)
        cls.cancelled = cls._make_ticket(title="Cancelled", partner_id=cls.customer_a.id)
        cls.other_customer = cls._make_ticket(title="Other", partner_id=cls.customer_b.id)
        cls.current = cls._make_ticket(title="Current", partner_id=cls.contact_a.id)

    def setUp(self):
        super().setUp()
        self._set_create_date(self.first, datetime(2026, 1, 5, 8, 0))
        self._set_create_date(self.second, datetime(2026, 1, 6, 10, 0))
        self._set_create_date(self.cancelled, datetime(2026, 1, 7, 9, 0))
        self._set_create_date(self.other_customer, datetime(2026, 1, 7, 9, 0))
        self._set_create_date(self.current, datetime(2026, 2, 1, 9, 0))

    def _close(self, ticket, date_closed):
        ticket.action_open()
        ticket.action_start()
        ticket.action_done()
        ticket._engine().date_closed = date_closed  # back-dated history

    def test_earlier_tickets_of_company_and_contacts(self):
        self.assertEqual(
            self.current.customer_ticket_ids.mapped("title"), ["Cancelled", "Second", "First"]
        )
        self.assertEqual(self.current.customer_ticket_count, 3)
        # only tickets created before
        self.assertEqual(self.second.customer_ticket_ids, self.first)
        self.assertFalse(self.first.customer_ticket_ids)
        self.assertFalse(self.other_customer.customer_ticket_ids)

    def test_same_creation_time_orders_by_id(self):
        self._set_create_date(self.second, datetime(2026, 1, 5, 8, 0))
        self.assertEqual(self.second.customer_ticket_ids, self.first)
        self.assertFalse(self.first.customer_ticket_ids)

    def test_ticket_without_customer_has_no_history(self):
        ticket = self._make_ticket(title="Internal")
        self.assertFalse(ticket.customer_ticket_ids)
        self.assertFalse(ticket.customer_rating_ids)
        self.assertEqual(ticket.customer_avg_handling_hours, 0.0)

    def test_new_ticket_sees_the_whole_history(self):
        new = self.env["crossdept.ticket"].new({"title": "New", "partner_id": self.customer_a.id})
        self.assertEqual(new.customer_ticket_count, 4)

    def test_outcome_and_handling_time(self):
        self._close(self.first, datetime(2026, 1, 7, 11, 30))  # 2 days 3.5 hours
        self._close(self.second, datetime(2026, 1, 6, 10, 45))  # 45 minutes
        self.cancelled.action_cancel()
        self.assertEqual(self.first.handling_hours, 51.5)
        self.assertEqual(self.second.handling_hours, 0.75)
        self.assertEqual(self.cancelled.handling_hours, 0.0)
        self.assertEqual(self.current.handling_hours, 0.0)
        history = self.current.customer_ticket_ids
        self.assertEqual(history.mapped("state"), ["cancelled", "done", "done"])
        self.assertEqual(self.current.customer_closed_count, 2)
        # the cancelled ticket has no handling time and does not lower the average
        self.assertEqual(self.current.customer_avg_handling_hours, (51.5 + 0.75) / 2)

    def test_reopened_ticket_loses_its_handling_time(self):
        self._close(self.first, datetime(2026, 1, 7, 11, 30))
        self.first.action_reopen()
        self.assertEqual(self.first.handling_hours, 0.0)
        self.assertEqual(self.current.customer_closed_count, 0)

    def test_open_leads_only(self):
        Lead = self.env["crm.lead"]
        won_stage = self.env["crm.stage"].create({"name": "Won (test)", "is_won": True})
        won = Lead.create(
            {"name": "Won deal", "type": "opportunity", "partner_id": self.customer_a.id}
        )
        won.stage_id = won_stage
        lost = Lead.create({"name": "Lost deal", "partner_id": self.customer_a.id})
        lost.action_set_lost()
        lead_of_company = Lead.create(
            {"name": "New lead", "type": "lead", "partner_id": self.customer_a.id}
        )
        Lead.create({"name": "Someone else", "partner_id": self.customer_b.id})
        self.assertEqual(
            self.current.customer_lead_ids, self.lead | lead_of_company, "open leads only"
        )
        self.assertEqual(self.current.customer_lead_count, 2)

    def test_satisfaction_ratings(self):
        good = self._rate(self.first, self.contact_a, 5, feedback="Fast and friendly")
        bad = self._rate(self.second, self.customer_a, 1, feedback="Took too long")
        self._rate(self.first, self.contact_a, 0, consumed=False)  # request not answered
        self._rate(self.current, self.contact_a, 3)  # not an earlier ticket
        self._rate(self.other_customer, self.customer_b, 5)  # another customer
        self._rate(self.second, self.it_user.partner_id, 5)  # not the customer's rating
        self.assertEqual(self.current.customer_rating_ids, good | bad)
        self.assertEqual(self.current.customer_rating_count, 2)
        self.assertEqual(self.current.customer_rating_avg, 3.0)
        self.assertEqual(self.second.customer_rating_ids, good)
        self.assertEqual(self.second.customer_rating_avg, 5.0)

    def _count_history_queries(self, tickets):
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        for ticket in tickets:
            _ = (ticket.customer_ticket_ids, ticket.customer_rating_avg, ticket.customer_lead_ids)
        return self.env.cr.sql_log_count - before

    def test_history_is_computed_in_batch(self):
        self._rate(self.first, self.contact_a, 5)
        few = self.current | self.second
        many = self.env["crossdept.ticket"]
        for index in range(8):
            many |= self._make_ticket(
                title=f"More {index}",
                partner_id=(self.customer_a if index % 2 else self.customer_b).id,
            )
        self.env.flush_all()
        queries = self._count_history_queries(few)
        # tickets, partners, contacts, history, ratings, contacts again, leads
        self.assertLessEqual(queries, 7)
        self.assertEqual(self._count_history_queries(few | many), queries)
