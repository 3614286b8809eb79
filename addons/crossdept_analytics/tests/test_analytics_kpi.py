import statistics
from datetime import date, datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.crossdept_ticket.tests.refusal import acl_refusal

from .common import CrossdeptAnalyticsCase

MARCH = (date(2020, 3, 1), date(2020, 3, 31))
# cycle hours of seven IT tickets closed in March 2020, and their deadlines
HOURS = [2.0, 5.0, 7.5, 11.0, 13.0, 30.0, 48.0]
DEADLINES = [4, 4, 8, None, 24, 24, None]


@tagged("post_install", "-at_install")
class TestAnalyticsKpi(CrossdeptAnalyticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tickets = cls._closed_tickets(
            cls.dept_it,
            [cls._at(day) for day in range(2, 9)],
            HOURS,
            DEADLINES,
        )
        # two transferred tickets (one twice), one reopened and one escalated
        cls._log(cls.tickets[0] | cls.tickets[3], "transfer")
        cls._log(cls.tickets[3], "transfer")
        cls._log(cls.tickets[5], "state", from_state="done", to_state="in_progress")
        cls._log(cls.tickets[6], "escalation")
        cls.Kpi = cls.env["crossdept.analytics.kpi"]

    def test_ticket_facts(self):
        self._refresh()
        facts = self.env["crossdept.analytics.ticket"].search(
            [("ticket_id", "in", self.tickets.ids)], order="id"
        )
        self.assertEqual(facts.mapped("cycle_hours"), HOURS)
        # late: closed after the deadline; no deadline and no steps: on time
        self.assertEqual(facts.mapped("on_time"), [True, False, True, True, True, False, True])
        self.assertEqual(facts.mapped("transfer_count"), [1, 0, 0, 2, 0, 0, 0])
        self.assertEqual(facts.mapped("reopen_count"), [0, 0, 0, 0, 0, 1, 0])
        self.assertEqual(facts.mapped("escalation_count"), [0, 0, 0, 0, 0, 0, 1])
        self.assertEqual(facts.mapped("department_id"), self.dept_it)
        self.assertEqual(facts[0].date, date(2020, 3, 2))

    def test_kpis_match_statistics(self):
        self._refresh()
        kpis = self.Kpi.compute(
            scope="department", scope_id=self.dept_it.id, date_from=MARCH[0], date_to=MARCH[1]
        )
        self.assertEqual(kpis["ticket_count"], 7)
        self.assertAlmostEqual(kpis["avg_hours"], statistics.fmean(HOURS))
        self.assertAlmostEqual(kpis["median_hours"], statistics.median(HOURS))
        # percentile_cont interpolates linearly between ranks, like the inclusive method
        p90 = statistics.quantiles(HOURS, n=10, method="inclusive")[-1]
        self.assertAlmostEqual(kpis["p90_hours"], p90)
        self.assertAlmostEqual(kpis["on_time_rate"], 100.0 * 5 / 7)
        self.assertAlmostEqual(kpis["transfer_rate"], 100.0 * 2 / 7)
        self.assertAlmostEqual(kpis["reopen_rate"], 100.0 / 7)
        self.assertEqual(kpis["open_overdue"], 0)

    def test_period_and_scope_filter(self):
        self._refresh()
        first_week = self.Kpi.compute(
            ["ticket_count", "median_hours"],
            scope="department",
            scope_id=self.dept_it.id,
            date_from=date(2020, 3, 2),
            date_to=date(2020, 3, 4),
        )
        self.assertEqual(first_week, {"ticket_count": 3, "median_hours": 5.0})
        finance = self.Kpi.compute(
            ["ticket_count", "avg_hours"],
            scope="department",
            scope_id=self.dept_finance.id,
            date_from=MARCH[0],
            date_to=MARCH[1],
        )
        self.assertEqual(finance, {"ticket_count": 0, "avg_hours": None})

    def test_windows_group_by_scope(self):
        late = self._closed_tickets(self.dept_finance, self._at(20), [10.0, 20.0])
        self._log(late[0], "transfer")
        self._refresh()
        values = self.Kpi.compute_windows(
            "transfer_rate",
            "department",
            [(date(2020, 3, 16), date(2020, 3, 31)), (date(2020, 3, 1), date(2020, 3, 15))],
            self.env.company.ids,
            scope_ids=(self.dept_it | self.dept_finance).ids,
        )
        self.assertEqual(
            values,
            {
                (0, self.dept_finance.id): 50.0,
                (1, self.dept_it.id): 100.0 * 2 / 7,
            },
        )

    def test_satisfaction_reads_last_rating(self):
        Rating = self.env["rating.rating"]
        model = self.env["ir.model"]._get_id("crossdept.ticket")
        Rating.create(
            [
                {
                    "res_model_id": model,
                    "res_id": self.tickets[0].id,
                    "rating": 1,
                    "consumed": True,
                },
                {
                    "res_model_id": model,
                    "res_id": self.tickets[1].id,
                    "rating": 5,
                    "consumed": True,
                },
                {
                    "res_model_id": model,
                    "res_id": self.tickets[2].id,
                    "rating": 3,
                    "consumed": True,
                },
            ]
        )
        self._refresh()
        kpis = self.Kpi.compute(
            ["satisfaction"],
            scope="department",
            scope_id=self.dept_it.id,
            date_from=MARCH[0],
            date_to=MARCH[1],
        )
        self.assertAlmostEqual(kpis["satisfaction"], 3.0)

    def test_satisfaction_of_customer_ratings(self):
        """Ratings given through the ticket's rating mixin (the customer's rating
        link): the last consumed rating of each ticket, requests not answered yet
        left out."""
        tickets = self.tickets
        for ticket, rates in zip(tickets[:4], ([2, 5], [4], [1], [3]), strict=True):
            for rate in rates:
                ticket.rating_apply(rate, token=ticket._rating_get_access_token())
        # asked, never answered
        tickets[4]._rating_get_access_token()
        self.assertEqual(tickets[0].rating_ids.mapped("consumed"), [True, True])
        self._refresh()
        facts = self.env["crossdept.analytics.ticket"].search(
            [("ticket_id", "in", tickets.ids)], order="id"
        )
        self.assertEqual(facts.mapped("satisfaction"), [5.0, 4.0, 1.0, 3.0, 0.0, 0.0, 0.0])
        kpis = self.Kpi.compute(
            ["satisfaction"],
            scope="department",
            scope_id=self.dept_it.id,
            date_from=MARCH[0],
            date_to=MARCH[1],
        )
        # (5 + 4 + 1 + 3) / 4: tickets without a rating do not count as 0
        self.assertEqual(kpis["satisfaction"], 3.25)
        month = self.env["crossdept.analytics.kpi.month"].search(
            [
                ("scope", "=", "department"),
                ("department_id", "=", self.dept_it.id),
                ("month", "=", MARCH[0]),
            ]
        )
        self.assertEqual(month.satisfaction, 3.25)

    def test_open_overdue_is_live(self):
        overdue = self._make_ticket(
            department_id=self.dept_finance.id,
            assigned_department_id=self.dept_finance.id,
            date_deadline=datetime.now() - timedelta(days=1),
        )
        overdue.action_open()
        self._make_ticket(
            department_id=self.dept_finance.id,
            assigned_department_id=self.dept_finance.id,
            date_deadline=datetime.now() + timedelta(days=1),
        ).action_open()
        kpis = self.Kpi.compute(["open_overdue"], scope="department", scope_id=self.dept_finance.id)
        self.assertEqual(kpis, {"open_overdue": 1})

    def test_monthly_kpi_view(self):
        self._refresh()
        row = self.env["crossdept.analytics.kpi.month"].search(
            [
                ("scope", "=", "department"),
                ("department_id", "=", self.dept_it.id),
                ("month", "=", date(2020, 3, 1)),
            ]
        )
        self.assertEqual(row.ticket_count, 7)
        self.assertAlmostEqual(row.median_hours, statistics.median(HOURS))
        self.assertAlmostEqual(
            row.p90_hours, statistics.quantiles(HOURS, n=10, method="inclusive")[-1]
        )

    def test_step_facts(self):
        flow, _steps = self._make_flow(
            [
                {"name": "Check", "value_adding": True},
                {"name": "Sign", "preds": ["Check"], "value_adding": False},
            ]
        )
        ticket = self._run(flow)
        self._do(ticket, "Check")
        check = self._step(ticket, "Check")
        sign = self._step(ticket, "Sign")
        sign.action_reassign(self.approver_1, "Holiday")
        self.env.flush_all()
        ready = datetime(2020, 3, 2, 9)
        self.env.cr.execute(
            SQL(
                """
                UPDATE crossdept_ticket_step
                   SET date_ready = %s, date_started = %s, date_done = %s, date_deadline = %s
                 WHERE id = %s
                """,
                ready,
                ready + timedelta(hours=1.5),
                ready + timedelta(hours=4),
                ready + timedelta(hours=3),
                check.id,
            )
        )
        self._refresh()
        facts = self.env["crossdept.analytics.step"].search([("ticket_id", "=", ticket.id)])
        check_fact = facts.filtered(lambda fact: fact.step_id == check)
        sign_fact = facts.filtered(lambda fact: fact.step_id == sign)
        self.assertAlmostEqual(check_fact.waiting_hours, 1.5)
        self.assertAlmostEqual(check_fact.working_hours, 2.5)
        self.assertFalse(check_fact.sla_met, "done an hour after its deadline")
        self.assertTrue(check_fact.value_adding)
        self.assertEqual(check_fact.flow_id, flow)
        self.assertEqual(check_fact.date, date(2020, 3, 2))
        self.assertEqual(sign_fact.transfer_count, 1)
        self.assertFalse(sign_fact.value_adding)
        self.assertEqual(sign_fact.state, "ready")

    def test_facts_are_for_managers(self):
        self._refresh()
        Facts = self.env["crossdept.analytics.ticket"]
        self.assertTrue(Facts.with_user(self.it_manager).search_count([]))
        with self.assertRaisesRegex(AccessError, acl_refusal("read", "crossdept.analytics.ticket")):
            Facts.with_user(self.it_user).search_count([])

    def test_refresh_with_or_without_concurrency(self):
        Facts = self.env["crossdept.analytics.ticket"]
        for concurrently in ("True", "False"):
            ticket = self._closed_tickets(self.dept_finance, self._at(25), [3.0])
            self.env["ir.config_parameter"].set_param(
                "crossdept_analytics.refresh_concurrently", concurrently
            )
            self._refresh()
            self.assertEqual(Facts.search([("ticket_id", "=", ticket.id)]).cycle_hours, 3.0)
