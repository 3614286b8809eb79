import statistics
from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import CrossdeptAnalyticsCase, drilled

MARCH = ("2020-03-01", "2020-03-31")
FEBRUARY = ("2020-02-01", "2020-02-29")


@tagged("post_install", "-at_install")
class TestDashboard(CrossdeptAnalyticsCase):
    """The process dashboard as the IT manager reads it, over tickets the flow
    engine ran: each ticket is created, its flow started, and its steps started
    and finished by their holders at chosen moments (the engine stamps the clock,
    which the test sets)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow([{"name": "Check"}, {"name": "Fix", "preds": ["Check"]}])
        cls.other_flow, _steps = cls._make_flow([{"name": "Quote"}])
        # Finance runs the same steps in its own department: a running ticket is
        # handled by the department of its current step, a closed one by its last's
        cls.finance_flow, _steps = cls._make_flow(
            [
                {"name": "Check", "department_id": cls.dept_finance.id, "user": cls.finance_user},
                {
                    "name": "Fix",
                    "preds": ["Check"],
                    "department_id": cls.dept_finance.id,
                    "user": cls.finance_user,
                },
            ]
        )
        # (day, hours waiting before Check starts, hours of Check, hours of Fix); the
        # Fix of 10 March is transferred to the finance user, who does it
        cls.march_it = cls._engine_history(
            cls.flow,
            cls.dept_it,
            [(2, 1, 2, 3), (3, 2, 4, 6), (4, 0, 1, 1), (10, 3, 5, 12, True), (17, 1, 1, 2)],
        )
        cls.march_finance = cls._engine_history(
            cls.finance_flow, cls.dept_finance, [(5, 4, 8, 12), (19, 2, 2, 2)]
        )
        cls.march_other_flow = cls._engine_history(cls.other_flow, cls.dept_it, [(11, 1, 1, None)])
        # February: the same IT work, done faster
        cls.february_it = cls._engine_history(
            cls.flow, cls.dept_it, [(day, 0, 1, 1) for day in (3, 4, 5, 6)], month=2
        )
        # the customer rated two tickets
        for ticket, rate in ((cls.march_it[0], 5), (cls.march_it[1], 3)):
            ticket.rating_apply(rate, token=ticket._rating_get_access_token())
        # open tickets past their deadline, right now: one of IT, one of Finance
        cls.overdue_it = cls._overdue(cls.dept_it)
        cls.overdue_finance = cls._overdue(cls.dept_finance)
        cls._refresh()
        # the IT manager reads every department's figures (an administrator granted
        # it), while opening only the tickets of IT (test_visibility: without it)
        cls.it_manager.groups_id += cls.env.ref("crossdept_analytics.group_crossdept_analytics_all")
        cls.Kpi = cls.env["crossdept.analytics.kpi"].with_user(cls.it_manager)

    @classmethod
    def _engine_history(cls, flow, department, plans, month=3):
        tickets = cls.env["crossdept.ticket"]
        for day, wait, check, fix, *transfer in plans:
            start = datetime(2020, month, day, 9)
            with freeze_time(start):
                ticket = cls._make_ticket(
                    flow_id=flow.id,
                    department_id=department.id,
                    assigned_department_id=department.id,
                )
                # the ORM stamps creation with the transaction's time, not the clock's
                ticket.flush_recordset()
                cls.env.cr.execute(
                    SQL(
                        "UPDATE crossdept_ticket SET create_date = %s WHERE id = %s",
                        start,
                        ticket.id,
                    )
                )
                ticket.invalidate_recordset(["create_date"])
                ticket.action_start_flow()
            clock = start + timedelta(hours=wait)
            for name, hours in (("Check", check), ("Fix", fix), ("Quote", check)):
                step = cls._step(ticket, name)
                if not step or hours is None:
                    continue
                holder = cls.it_user if department == cls.dept_it else cls.finance_user
                if transfer and name == "Fix":
                    holder = cls.finance_user
                    with freeze_time(clock):
                        step.action_reassign(holder, "Needs the ledger")
                with freeze_time(clock):
                    step.with_user(holder).action_start()
                clock += timedelta(hours=hours)
                with freeze_time(clock):
                    step.with_user(holder).action_finish()
            tickets |= ticket
        return tickets

    @classmethod
    def _overdue(cls, department):
        """A ticket started ten days ago whose first step (8 working hours) is still
        open: the ticket's deadline, its current step's, has passed."""
        flow = cls.flow if department == cls.dept_it else cls.finance_flow
        with freeze_time(datetime.now() - timedelta(days=10)):
            ticket = cls._make_ticket(
                department_id=department.id,
                assigned_department_id=department.id,
                flow_id=flow.id,
            )
            ticket.action_start_flow()
        return ticket

    def _dashboard(self, period=MARCH, **filters):
        return self.Kpi.get_dashboard("custom", *period, **filters)

    def _opened(self, action):
        """The records an action shows to the manager."""
        return drilled(self.env(user=self.it_manager), action)

    def _tile(self, data, kpi):
        return next(tile for tile in data["tiles"] if tile["kpi"] == kpi)

    def test_history_was_run_by_the_engine(self):
        ticket = self.march_it[1]
        self.assertEqual(ticket.state, "done")
        self.assertEqual(ticket.create_date, datetime(2020, 3, 3, 9))
        self.assertEqual(ticket.date_closed, datetime(2020, 3, 3, 21))
        self.assertEqual(set(ticket.step_ids.mapped("state")), {"done"})
        check = self._step(ticket, "Check")
        self.assertEqual(check.date_started - check.date_ready, timedelta(hours=2))

    def test_each_tile_opens_exactly_what_it_counts(self):
        data = self._dashboard()
        for tile in data["tiles"]:
            action = self.Kpi.action_open_kpi(tile["kpi"], *MARCH)
            records = self._opened(action)
            kpi, value = tile["kpi"], tile["value"]
            with self.subTest(kpi=kpi):
                if kpi == "open_overdue":
                    self.assertEqual(action["res_model"], "crossdept.ticket")
                    self.assertEqual(records, self.overdue_it, "only those the manager may open")
                    self.assertEqual(value, 1)
                    continue
                self.assertEqual(action["res_model"], "crossdept.analytics.ticket")
                self.assertTrue(
                    set(records.mapped("date")) <= {date(2020, 3, d) for d in range(1, 32)}
                )
                hours = records.mapped("cycle_working_hours")
                if kpi == "conformance_rate":
                    # the closed tickets the tile opens that ran a flow, checked one by one
                    flowed = records.filtered("flow_id")
                    check = self.env["crossdept.process.conformance"]._check(
                        [("id", "in", flowed.ticket_id.ids)]
                    )
                    self.assertEqual(check["checked"], len(flowed))
                    self.assertAlmostEqual(value, 100.0 * check["conforming"] / len(flowed))
                    continue
                expected = {
                    "ticket_count": len(records),
                    "avg_hours": statistics.fmean(hours),
                    "median_hours": statistics.median(hours),
                    "p90_hours": statistics.quantiles(hours, n=10, method="inclusive")[-1],
                    "on_time_rate": 100.0 * len(records.filtered("on_time")) / len(records),
                    "transfer_rate": 100.0 * len(records.filtered("transferred")) / len(records),
                    "reopen_rate": 100.0 * len(records.filtered("reopened")) / len(records),
                    "satisfaction": statistics.fmean(records.mapped("satisfaction")),
                    "handling_hours": statistics.fmean(records.mapped("handling_hours")),
                    "hold_hours": statistics.fmean(records.mapped("hold_hours")),
                }[kpi]
                self.assertAlmostEqual(value, expected, places=6)
        self.assertEqual(self._tile(data, "ticket_count")["value"], 8)
        # cycle working hours of the 8 March tickets (Mon-Fri 8-12, 13-17; Check ready
        # at 09:00, then Fix; see _engine_history): IT 2 Mar Check 9-12 3 + Fix 12-15
        # 2 = 5; 3 Mar Check 9-15 5 + Fix 15-21 2 = 7; 4 Mar 1 + 1 = 2; 10 Mar Check
        # 9-17 7 + Fix 17-05 0 = 7; 17 Mar Check 9-11 2 + Fix 11-13 1 = 3; Finance
        # 5 Mar Check 9-21 7 + Fix Thu 21 - Fri 09 1 = 8; 19 Mar 3 + 2 = 5; the other
        # flow's Quote 9-11 = 2. Sorted 2, 2, 3, 5, 5, 7, 7, 8: median 5 (6 in the
        # clock hours 6, 12, 2, 20, 4, 24, 6, 2)
        self.assertAlmostEqual(self._tile(data, "median_hours")["value"], 5.0)
        self.assertAlmostEqual(self._tile(data, "satisfaction")["value"], 4.0)

    def test_open_overdue_counts_what_the_overdue_filter_lists(self):
        """The live tile counts the late open tickets the manager may open, as the
        Overdue filter lists them: not Finance's, not an archived, a cancelled or a no
        longer late one, and changes not yet written to the database count."""
        Ticket = self.env["crossdept.ticket"].with_user(self.it_manager)
        second, archived, cancelled, extended = (self._overdue(self.dept_it) for _i in range(4))
        archived.action_archive()
        cancelled.action_cancel()
        # not flushed yet: the count writes it first
        extended.date_deadline = datetime.now() + timedelta(days=1)
        self.assertEqual(self._tile(self._dashboard(), "open_overdue")["value"], 2)
        listed = Ticket.search([("is_overdue", "=", True)])
        self.assertEqual(listed, self.overdue_it | second)
        it_only = self._dashboard(department_id=self.dept_it.id)
        self.assertEqual(self._tile(it_only, "open_overdue")["value"], 2)
        # Finance's late ticket is there, but not the manager's to open
        self.assertTrue(self.overdue_finance.is_overdue)
        finance = self._dashboard(department_id=self.dept_finance.id)
        self.assertEqual(self._tile(finance, "open_overdue")["value"], 0)
        # Finance's manager counts it
        Finance = self.env["crossdept.analytics.kpi"].with_user(self.finance_manager)
        finance = Finance.get_dashboard("custom", *MARCH, department_id=self.dept_finance.id)
        self.assertEqual(self._tile(finance, "open_overdue")["value"], 1)

    def test_closed_tickets_only_for_handling_times(self):
        action = self.Kpi.action_open_kpi("median_hours", *MARCH)
        self.assertEqual(set(self._opened(action).mapped("state")), {"done"})
        rate = self.Kpi.action_open_kpi("transfer_rate", *MARCH)
        self.assertEqual(rate["context"]["group_by"], ["transferred"])

    def test_department_and_flow_filters(self):
        finance = self._dashboard(department_id=self.dept_finance.id)
        self.assertEqual(self._tile(finance, "ticket_count")["value"], 2)
        # Finance's 8 and 5 cycle working hours (24 and 6 clock hours)
        self.assertAlmostEqual(self._tile(finance, "median_hours")["value"], 6.5)
        # the IT manager may not open Finance's tickets: none of them is counted
        self.assertEqual(self._tile(finance, "open_overdue")["value"], 0)
        action = self.Kpi.action_open_kpi(
            "ticket_count", *MARCH, department_id=self.dept_finance.id
        )
        self.assertEqual(self._opened(action).ticket_id, self.march_finance)
        other = self._dashboard(flow_id=self.other_flow.id)
        self.assertEqual(self._tile(other, "ticket_count")["value"], 1)
        action = self.Kpi.action_open_kpi("ticket_count", *MARCH, flow_id=self.other_flow.id)
        self.assertEqual(self._opened(action).ticket_id, self.march_other_flow)
        both = self._dashboard(department_id=self.dept_it.id, flow_id=self.flow.id)
        self.assertEqual(self._tile(both, "ticket_count")["value"], 5)

    def test_chart_bars_open_their_week_or_department(self):
        data = self._dashboard()
        median = next(chart for chart in data["charts"] if chart["kpi"] == "median_hours")
        # March 2020 in weeks from Monday, clipped to the period
        self.assertEqual(
            [(bar["date_from"], bar["date_to"]) for bar in median["bars"]],
            [
                ("2020-03-01", "2020-03-01"),
                ("2020-03-02", "2020-03-08"),
                ("2020-03-09", "2020-03-15"),
                ("2020-03-16", "2020-03-22"),
                ("2020-03-23", "2020-03-29"),
                ("2020-03-30", "2020-03-31"),
            ],
        )
        for bar in median["bars"]:
            records = self._opened(
                self.Kpi.action_open_kpi(
                    "median_hours", bar["date_from"], bar["date_to"], bar["department_id"]
                )
            )
            with self.subTest(bar=bar["label"]):
                if records:
                    self.assertAlmostEqual(
                        bar["value"],
                        statistics.median(records.mapped("cycle_working_hours")),
                    )
                else:
                    self.assertIsNone(bar["value"], "a week without tickets has no median, not 0")
        per_department = next(chart for chart in data["charts"] if chart["layout"] == "rows")
        for bar in per_department["bars"]:
            records = self._opened(
                self.Kpi.action_open_kpi(
                    "ticket_count", bar["date_from"], bar["date_to"], bar["department_id"]
                )
            )
            self.assertEqual(bar["value"], len(records))
            self.assertEqual(set(records.mapped("department_id").ids), {bar["department_id"]})
        self.assertEqual(
            [(bar["label"], bar["value"]) for bar in per_department["bars"]],
            [("IT (test)", 6), ("Finance (test)", 2)],
        )

    def test_long_periods_are_charted_per_month(self):
        data = self._dashboard(("2020-01-15", "2020-03-31"))
        bars = data["charts"][0]["bars"]
        self.assertEqual(
            [(bar["date_from"], bar["date_to"]) for bar in bars],
            [
                ("2020-01-15", "2020-01-31"),
                ("2020-02-01", "2020-02-29"),
                ("2020-03-01", "2020-03-31"),
            ],
        )
        self.assertIsNone(bars[0]["value"], "no ticket in January")

    def test_bottleneck_rows_open_their_step_instances(self):
        rows = self._dashboard()["bottlenecks"]
        # by handling working hours: IT's Check 3 + 5 + 1 + 7 + 2 = 18, then
        # Finance's Check 7 + 3 = 10; IT's Fix (2 + 2 + 1 + 0 + 1 = 6) led in clock hours
        checks = (self.flow | self.finance_flow).step_ids.filtered(lambda s: s.name == "Check")
        self.assertEqual([row["flow_step_id"] for row in rows[:2]], checks.ids)
        self.assertAlmostEqual(rows[0]["share"], 100.0 * 18 / (18 + 6 + 10 + 3 + 2))
        for row in rows:
            action = self.Kpi.action_open_bottleneck(row["flow_step_id"], *MARCH)
            steps = self._opened(action)
            with self.subTest(step=row["name"]):
                self.assertEqual(action["res_model"], "crossdept.analytics.step")
                self.assertEqual(len(steps), row["count"])
                self.assertEqual(set(steps.mapped("flow_step_id").ids), {row["flow_step_id"]})
                self.assertAlmostEqual(
                    row["waiting_hours"], statistics.fmean(steps.mapped("waiting_hours"))
                )
                self.assertAlmostEqual(
                    row["working_hours"], statistics.fmean(steps.mapped("working_hours"))
                )
        finance_rows = self._dashboard(department_id=self.dept_finance.id)["bottlenecks"]
        self.assertEqual(
            {row["flow_step_id"] for row in finance_rows},
            set(self.finance_flow.step_ids.ids),
            "Finance's rows are its own steps",
        )

    def test_colours_follow_the_direction_and_size_of_a_change(self):
        data = self._dashboard()
        # March took longer than February: slower is bad; more tickets is neither
        self.assertEqual(self._tile(data, "median_hours")["trend"], "bad")
        self.assertEqual(self._tile(data, "ticket_count")["trend"], "neutral")
        trend = self.Kpi._trend
        self.assertEqual(trend("transfer_rate", 10.1, 10.0), "neutral", "+0.1 does not matter")
        self.assertEqual(trend("transfer_rate", 20.0, 10.0), "bad")
        self.assertEqual(trend("transfer_rate", 5.0, 10.0), "good")
        self.assertEqual(trend("on_time_rate", 86.0, 80.0), "good")
        self.assertEqual(trend("on_time_rate", 82.0, 80.0), "neutral", "2.5% relative")
        self.assertEqual(trend("median_hours", 52.9, 52.8), "neutral")
        self.assertEqual(trend("median_hours", 40.0, 52.8), "good")
        self.assertEqual(trend("median_hours", 200.5, 199.0), "neutral", "1.5 h of 199 h")
        self.assertEqual(trend("satisfaction", 4.1, 4.0), "neutral")
        self.assertEqual(trend("satisfaction", 3.0, 4.0), "bad")
        self.assertEqual(trend("ticket_count", 50.0, 10.0), "neutral")
        self.assertEqual(trend("median_hours", 5.0, None), "neutral")

    def test_nothing_measured_is_none_not_zero(self):
        data = self._dashboard(("2020-01-01", "2020-01-31"))
        self.assertEqual(self._tile(data, "ticket_count")["value"], 0)
        for kpi in ("median_hours", "on_time_rate", "transfer_rate", "satisfaction"):
            self.assertIsNone(self._tile(data, kpi)["value"], kpi)
        february = self._dashboard(FEBRUARY)
        self.assertIsNone(self._tile(february, "satisfaction")["value"], "nobody rated")

    def test_periods(self):
        with freeze_time("2020-03-31 12:00"):
            self.assertEqual(
                self.Kpi._dashboard_period("30d"), (date(2020, 3, 2), date(2020, 3, 31))
            )
            self.assertEqual(
                self.Kpi._dashboard_period("6m"), (date(2019, 10, 1), date(2020, 3, 31))
            )
        with self.assertRaisesRegex(UserError, "The period starts on .* after its end on"):
            self.Kpi.get_dashboard("custom", "2020-03-31", "2020-03-01")
        with self.assertRaisesRegex(UserError, "A custom period needs a start and an end date."):
            self.Kpi.get_dashboard("custom", "2020-03-31", False)
        with self.assertRaisesRegex(UserError, "Unknown dashboard period: fortnight"):
            self.Kpi.get_dashboard("fortnight")

    def test_alerts_follow_the_filter_and_speak_the_readers_language(self):
        rule = self.env["crossdept.health.rule"].create(
            {
                "name": "Slow tickets",
                "kpi": "median_hours",
                "scope": "department",
                "operator": ">",
                "threshold": 3.0,
                "window_days": 31,
            }
        )
        rule._run(date(2020, 3, 31))
        alerts = rule.alert_ids
        self.assertEqual(alerts.department_id, self.dept_it | self.dept_finance)
        it_alert = alerts.filtered(lambda alert: alert.department_id == self.dept_it)
        it_only = self._dashboard(department_id=self.dept_it.id)["alerts"]
        self.assertEqual([alert["id"] for alert in it_only["records"]], it_alert.ids)
        self.assertEqual(it_only["count"], 1)
        action = self.Kpi.action_open_alerts(department_id=self.dept_it.id)
        self.assertEqual(
            self._opened(action),
            it_alert,
        )
        finance = alerts.filtered(lambda alert: alert.department_id == self.dept_finance)
        self.assertEqual(
            finance.with_user(self.it_manager).description,
            "Median handling time of Finance (test) over the last 31 days is 6.5 h, above "
            "the threshold of 3.0 h.",
        )
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "in", ("crossdept_ticket", "crossdept_analytics"))]
        )._update_translations(["zh_CN"])
        chinese = finance.with_user(self.it_manager).with_context(lang="zh_CN").description
        self.assertIn("6.5 小时", chinese)
        self.assertNotIn("threshold", chinese)
