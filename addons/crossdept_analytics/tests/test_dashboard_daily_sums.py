from datetime import date, timedelta

from freezegun import freeze_time

from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from ..models.crossdept_analytics_kpi import KPI_SQL, KPIS, TREND_CHARTS
from .common_engine_history import MON2, TUE2, CrossdeptEngineHistoryCase, at

# windows of the history (March 2021): within the month (day rows only), across
# it (the month row of March and the day rows around it), and empty
WINDOWS = [
    (date(2021, 3, 1), date(2021, 3, 7)),
    (date(2021, 3, 2), date(2021, 3, 9)),
    (date(2021, 3, 8), date(2021, 3, 14)),
    (date(2021, 2, 20), date(2021, 4, 3)),
    (date(2021, 3, 1), date(2021, 3, 31)),
    (date(2021, 1, 1), date(2021, 2, 28)),
]
KPIS_OF_FACTS = [kpi for kpi in KPIS if kpi in KPI_SQL]


@tagged("post_install", "-at_install")
class TestDashboardDailySums(CrossdeptEngineHistoryCase):
    """The dashboard's tiles and charts read the daily and monthly sums of the
    ticket facts (crossdept.analytics.ticket.day) and their histograms: the same
    values as the ticket facts themselves, for the reader's departments only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a Finance ticket the IT manager may not see (opened, not closed)
        with freeze_time(at(MON2, 9)):
            cls.finance_ticket = (
                cls.env["crossdept.ticket"]
                .with_user(cls.finance_user)
                .create(
                    {
                        "title": "Finance's own",
                        "type_id": cls.ticket_type.id,
                        "department_id": cls.dept_finance.id,
                        "assigned_department_id": cls.dept_finance.id,
                        "requester_id": cls.finance_user.id,
                    }
                )
            )
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE crossdept_ticket SET create_date = %s WHERE id = %s",
                at(MON2, 9),
                cls.finance_ticket.id,
            )
        )
        cls.env["crossdept.analytics.ticket"]._refresh_full()
        cls.all_departments = new_test_user(
            cls.env,
            login="analytics_all",
            groups="crossdept_ticket.group_crossdept_ticket_manager,"
            "crossdept_analytics.group_crossdept_analytics_all",
        )

    def _kpi(self, user):
        return self.env["crossdept.analytics.kpi"].with_user(user)

    def _assert_same(self, user, filters, group=None, kpis=None):
        Kpi = self._kpi(user)
        companies = self.env.companies.ids
        kpis = kpis or (["ticket_count"] if group else KPIS_OF_FACTS)
        facts = Kpi._compute_many(
            kpis,
            WINDOWS,
            companies,
            where=Kpi._filter_condition(filters),
            group=SQL.identifier("a", group) if group else None,
        )
        sums = Kpi._compute_many_daily(kpis, WINDOWS, companies, filters, group=group)
        self.assertEqual(sums, facts)
        return facts

    def test_same_values_as_the_facts_for_a_manager(self):
        facts = self._assert_same(self.it_manager, {})
        # the four IT tickets of the history, not Finance's
        self.assertEqual(facts[(4, False)]["ticket_count"], 4.0)
        # cycle working hours as test_engine_history_views works them out
        self.assertAlmostEqual(facts[(4, False)]["median_hours"], 6.25)
        self.assertAlmostEqual(facts[(4, False)]["p90_hours"], 11.65)
        self._assert_same(self.it_manager, {"flow_id": self.flow.id})
        self._assert_same(self.it_manager, {"department_id": self.dept_it.id})
        self._assert_same(self.it_manager, {}, group="department_id")
        # Finance's manager sees only Finance's ticket (open: no handling time)
        finance = self._assert_same(self.finance_manager, {})
        self.assertEqual(finance[(4, False)]["ticket_count"], 1.0)
        self.assertIsNone(finance[(4, False)]["median_hours"])

    def test_same_values_as_the_facts_for_all_departments(self):
        facts = self._assert_same(self.all_departments, {})
        self.assertEqual(facts[(4, False)]["ticket_count"], 5.0, "Finance's ticket too")
        self._assert_same(self.all_departments, {"department_id": self.dept_finance.id})
        per_department = self._assert_same(self.all_departments, {}, group="department_id")
        self.assertEqual(
            {key: row["ticket_count"] for key, row in per_department.items() if key[0] == 4},
            {(4, self.dept_it.id): 4.0, (4, self.dept_finance.id): 1.0},
        )

    def test_percentiles_per_group_and_per_window(self):
        """The medians and 90th percentiles of each group of the sums (the handling
        department, the flow version) are those of the group's facts; a window
        whose percentile is not wanted reads none."""
        percentiles = ["median_hours", "p90_hours"]
        per_department = self._assert_same(
            self.all_departments, {}, group="department_id", kpis=percentiles
        )
        # IT's four tickets of March: 4, 4, 8.5, 13 h; Finance's is open (no time)
        self.assertAlmostEqual(per_department[(4, self.dept_it.id)]["median_hours"], 6.25)
        self.assertAlmostEqual(per_department[(4, self.dept_it.id)]["p90_hours"], 11.65)
        self.assertIsNone(per_department[(4, self.dept_finance.id)]["median_hours"])
        per_flow = self._assert_same(self.it_manager, {}, group="flow_id", kpis=percentiles)
        self.assertAlmostEqual(per_flow[(4, self.flow.id)]["median_hours"], 6.25)
        Kpi = self._kpi(self.it_manager)
        totals, _grouped = Kpi._daily_figures(
            percentiles,
            WINDOWS,
            self.env.companies.ids,
            percentile_windows={"median_hours": [1, 4], "p90_hours": [4]},
        )
        facts = Kpi._compute_many(percentiles, WINDOWS, self.env.companies.ids)
        self.assertEqual(
            {key: row for key, row in totals.items() if key[0] in (1, 4)},
            {
                (1, False): {"median_hours": facts[(1, False)]["median_hours"], "p90_hours": None},
                (4, False): facts[(4, False)],
            },
        )
        # Mar 2-9: T1 8.5 (Mar 2), T2 13, T3 4, T4 4: the median (4 + 8.5) / 2
        self.assertAlmostEqual(totals[(1, False)]["median_hours"], 6.25)
        self.assertEqual(
            [row["median_hours"] for key, row in totals.items() if key[0] not in (1, 4)],
            [None] * (len(totals) - 2),
        )

    def test_dashboard_shows_the_facts_values(self):
        for user in (self.it_manager, self.all_departments):
            Kpi = self._kpi(user)
            data = Kpi.get_dashboard("custom", "2021-03-02", "2021-04-03")
            date_from, date_to = date(2021, 3, 2), date(2021, 4, 3)
            length = (date_to - date_from).days + 1
            tile_windows = [
                (date_from, date_to),
                (date_from - timedelta(days=length), date_from - timedelta(days=1)),
            ]
            facts = Kpi._compute_many(KPIS_OF_FACTS, tile_windows, self.env.companies.ids)
            for tile in data["tiles"]:
                if tile["kpi"] in KPI_SQL:
                    expected = facts.get((0, False), {}).get(tile["kpi"])
                    if tile["kpi"] == "ticket_count":
                        expected = expected or 0.0
                    self.assertEqual(tile["value"], expected, f"{user.login} {tile['kpi']}")
            bars = Kpi._chart_windows(date_from, date_to)
            facts = Kpi._compute_many(
                TREND_CHARTS, [(start, end) for start, end, _label in bars], self.env.companies.ids
            )
            for chart in data["charts"]:
                if chart["kpi"] in TREND_CHARTS and chart["layout"] == "columns":
                    self.assertEqual(
                        [bar["value"] for bar in chart["bars"]],
                        [
                            facts.get((index, False), {}).get(chart["kpi"])
                            for index in range(len(bars))
                        ],
                    )

    def _dashboard_queries(self):
        Kpi = self._kpi(self.it_manager)
        Kpi.get_dashboard("custom", "2021-03-01", "2021-03-31")
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        Kpi.get_dashboard("custom", "2021-03-01", "2021-03-31")
        return self.env.cr.sql_log_count - before

    def test_dashboard_queries_do_not_grow_with_tickets(self):
        queries = self._dashboard_queries()
        # options 2, tiles 4 (sums, histograms, bucket facts, live overdue count),
        # charts 4 (the same and the tickets per department), bottlenecks, alerts 2,
        # names of the departments and flow steps, the JIT setting
        self.assertLessEqual(queries, 19)
        # more closed tickets, on other days, of the manager's department
        for day in (TUE2, TUE2 + 1):
            ticket = self._open(at(day, 8))
            self._work(ticket, "Prepare", at(day, 8), at(day, 9))
            self._approve(ticket, "Check", at(day, 10), self.approver_1)
            self._approve(ticket, "Sign", at(day, 11), self.approver_2)
            self._work(ticket, "Deliver", at(day, 11), at(day, 12))
        self.env["crossdept.analytics.ticket"]._refresh_full()
        self.assertEqual(self._dashboard_queries(), queries)

    def _charts(self, data):
        return {
            chart["kpi"] if chart["layout"] == "columns" else "rows": chart
            for chart in data["charts"]
        }

    def test_period_starting_mid_month(self):
        """Jan 20 - Apr 10: the month rows of February and March and the day rows of
        Jan 20-31 and Apr 1-10 make the tiles, the same rows one bar per month,
        as worked out by hand from the history."""
        data = self._kpi(self.it_manager).get_dashboard("custom", "2021-01-20", "2021-04-10")
        tiles = {tile["kpi"]: tile for tile in data["tiles"]}
        # cycle working hours T1 8.5 (closed Mar 2), T2 13 (Mar 4), T3 4 (Mar 8),
        # T4 4 (Mar 9): sorted 4, 4, 8.5, 13, median (4 + 8.5) / 2 = 6.25, p90 at
        # 0.9 x 3 = 2.7: 8.5 + 0.7 x (13 - 8.5) = 11.65
        self.assertEqual(tiles["ticket_count"]["value"], 4.0)
        self.assertAlmostEqual(tiles["avg_hours"]["value"], 7.375)
        self.assertAlmostEqual(tiles["median_hours"]["value"], 6.25)
        self.assertAlmostEqual(tiles["p90_hours"]["value"], 11.65)
        # the 81 days before (Nov 1, 2020 - Jan 19): nothing
        self.assertEqual(tiles["ticket_count"]["previous"], 0.0)
        self.assertIsNone(tiles["median_hours"]["previous"])
        charts = self._charts(data)
        bars = charts["median_hours"]["bars"]
        self.assertEqual(
            [(bar["date_from"], bar["date_to"]) for bar in bars],
            [
                ("2021-01-20", "2021-01-31"),
                ("2021-02-01", "2021-02-28"),
                ("2021-03-01", "2021-03-31"),
                ("2021-04-01", "2021-04-10"),
            ],
        )
        self.assertEqual([bar["value"] for bar in bars], [None, None, 6.25, None])
        # T2 was transferred: 1 of 4 in March
        self.assertEqual(
            [bar["value"] for bar in charts["transfer_rate"]["bars"]], [None, None, 25.0, None]
        )
        self.assertEqual(
            {bar["department_id"]: bar["value"] for bar in charts["rows"]["bars"]},
            {self.dept_it.id: 4.0},
        )

    def test_period_within_a_month(self):
        """Wed Mar 3 - Tue Mar 9: day rows only, two weekly bars (Wed 3 - Sun 7 and
        Mon 8 - Tue 9, parts of the tiles' period) and the seven days before (Feb 24
        - Mar 2) for the previous values; the Finance manager sees Finance's ticket
        only."""
        data = self._kpi(self.it_manager).get_dashboard("custom", "2021-03-03", "2021-03-09")
        tiles = {tile["kpi"]: tile for tile in data["tiles"]}
        # T2 13 h, T3 4 h, T4 4 h: sorted 4, 4, 13, median 4, p90 at 0.9 x 2 = 1.8:
        # 4 + 0.8 x (13 - 4) = 11.2; before: T1 alone, 8.5 h
        self.assertEqual(
            (tiles["ticket_count"]["value"], tiles["ticket_count"]["previous"]), (3.0, 1.0)
        )
        self.assertAlmostEqual(tiles["median_hours"]["value"], 4.0)
        self.assertAlmostEqual(tiles["p90_hours"]["value"], 11.2)
        self.assertAlmostEqual(tiles["median_hours"]["previous"], 8.5)
        self.assertAlmostEqual(tiles["p90_hours"]["previous"], 8.5)
        self.assertAlmostEqual(tiles["avg_hours"]["value"], 7.0)
        charts = self._charts(data)
        # Mar 3-7: T2 alone (13 h, transferred); Mar 8-9: T3 and T4 (4 h each)
        self.assertEqual([bar["value"] for bar in charts["median_hours"]["bars"]], [13.0, 4.0])
        self.assertEqual([bar["value"] for bar in charts["transfer_rate"]["bars"]], [100.0, 0.0])
        finance = self._kpi(self.finance_manager).get_dashboard(
            "custom", "2021-03-03", "2021-03-09"
        )
        tiles = {tile["kpi"]: tile for tile in finance["tiles"]}
        # Finance's own ticket, opened Mar 8 and not closed: no handling time
        self.assertEqual(
            (tiles["ticket_count"]["value"], tiles["ticket_count"]["previous"]), (1.0, 0.0)
        )
        self.assertIsNone(tiles["median_hours"]["value"])
        charts = self._charts(finance)
        self.assertEqual([bar["value"] for bar in charts["median_hours"]["bars"]], [None, None])
        self.assertEqual(
            {bar["department_id"]: bar["value"] for bar in charts["rows"]["bars"]},
            {self.dept_finance.id: 1.0},
        )
