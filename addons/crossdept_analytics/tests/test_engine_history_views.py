from datetime import date

from lxml import html as lxml_html

from odoo.tests import tagged

from ..tools.conformance import REWORK_LOOP
from .common import drilled
from .common_engine_history import CrossdeptEngineHistoryCase

PERIOD = (date(2021, 3, 1), date(2021, 3, 14))


@tagged("post_install", "-at_install")
class TestEngineHistoryViews(CrossdeptEngineHistoryCase):
    """Every figure below is worked out by hand from the timeline of
    CrossdeptEngineHistoryCase (calendar Mon-Fri 8-12, 13-17), never read back
    from the view under test. Read as the IT manager, granted every department's
    analytics."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.it_manager.groups_id += cls.env.ref("crossdept_analytics.group_crossdept_analytics_all")
        cls.Kpi = cls.env["crossdept.analytics.kpi"].with_user(cls.it_manager)

    def _kpis(self, kpis):
        return self.Kpi.compute(kpis, "flow", self.flow.id, *PERIOD)

    # ------------------------------------------------------------------
    # The engine's measure on the steps
    # ------------------------------------------------------------------

    def test_steps_store_handling_and_hold_working_hours(self):
        expected = {
            # T1 Prepare: ready Mon 08:00, done 15:00 = 08-12 + 13-15 = 6 working h;
            # on hold 10:00-14:00 = 10-12 + 13-14 = 3 h; handling 6 - 3 = 3 h
            (self.t1, "Prepare"): (3.0, 3.0),
            # T1 Check: ready Mon 15:00, approved Tue 09:00 = 15-17 + 08-09 = 3 h
            (self.t1, "Check"): (3.0, 0.0),
            (self.t1, "Sign"): (1.0, 0.0),  # Tue 09:00-10:00
            (self.t1, "Deliver"): (1.5, 0.0),  # Tue 10:00-11:30
            # T2 Prepare, last pass: ready again 11:00 (the return), done 14:00 by the
            # Finance user = 11-12 + 13-14 = 2 h (the first pass does not add up)
            (self.t2, "Prepare"): (2.0, 0.0),
            (self.t2, "Check"): (1.0, 0.0),  # ready 14:00, approved 15:00
            # T2 Sign: ready Wed 15:00, approved Thu 16:00 = 15-17 + 8-12 + 13-16 = 9 h
            (self.t2, "Sign"): (9.0, 0.0),
            (self.t2, "Deliver"): (1.0, 0.0),  # Thu 16:00-17:00
            (self.t3, "Deliver"): (1.0, 0.0),  # after the reopening: 13:00-14:00
            # T4's second run: Check ready 12:00, approved 14:00 = 13-14 = 1 h
            (self.t4, "Check"): (1.0, 0.0),
        }
        for (ticket, name), (handling, hold) in expected.items():
            step = self._step(ticket, name)
            self.assertEqual(
                (step.handling_hours, step.hold_hours, step.date_measured),
                (handling, hold, step.date_done),
                f"{ticket.title}, {name}",
            )
        # the rerun: the first Prepare is archived with its hour, the first Check
        # cancelled without a measure
        first_prepare, second_prepare = self._all_steps(self.t4, "Prepare")
        self.assertEqual((first_prepare.active, first_prepare.handling_hours), (False, 1.0))
        self.assertEqual(second_prepare.handling_hours, 1.0)
        first_check = self._all_steps(self.t4, "Check")[0]
        self.assertEqual((first_check.state, first_check.active), ("cancelled", False))
        self.assertFalse(first_check.date_measured)

    def test_step_facts_count_the_current_run_once(self):
        Facts = self.env["crossdept.analytics.step"].with_user(self.it_manager)
        facts = Facts.search([("ticket_id", "in", self.tickets.ids)])
        # 4 tickets x 4 steps of the run that stands; T4's first run (its 4 steps,
        # all made when the flow started: Prepare done, the others cancelled with
        # the ticket) are inactive rows, there only when asked for
        self.assertEqual(len(facts), 16)
        archived = Facts.with_context(active_test=False).search(
            [("ticket_id", "=", self.t4.id), ("active", "=", False)]
        )
        self.assertEqual(
            sorted(archived.mapped(lambda f: (f.name, f.state))),
            [
                ("Check", "cancelled"),
                ("Deliver", "cancelled"),
                ("Prepare", "done"),
                ("Sign", "cancelled"),
            ],
        )
        t1_prepare = facts.filtered(lambda f: f.ticket_id == self.t1 and f.name == "Prepare")
        # clock hours stay: ready 08:00, started 09:00, done 15:00
        self.assertEqual(
            (t1_prepare.waiting_hours, t1_prepare.working_hours, t1_prepare.total_hours),
            (1.0, 6.0, 7.0),
        )
        self.assertEqual((t1_prepare.handling_hours, t1_prepare.hold_hours), (3.0, 3.0))

    # ------------------------------------------------------------------
    # KPIs
    # ------------------------------------------------------------------

    def test_kpis(self):
        values = self._kpis(
            [
                "ticket_count",
                "avg_hours",
                "median_hours",
                "p90_hours",
                "on_time_rate",
                "transfer_rate",
                "reopen_rate",
                "satisfaction",
                "handling_hours",
                "hold_hours",
            ]
        )
        # cycle working hours: the handling hours along each ticket's critical path;
        # the flow is serial, so the sum of its steps' handling hours (the step
        # figures of test_steps_store_handling_and_hold_working_hours): T1 3 + 3 + 1
        # + 1.5 = 8.5 (its 3 h on hold apart); T2 2 + 1 + 9 + 1 = 13; T3 4; T4 (the
        # run that stands) 4. In clock hours they were 27.5, 33, 6 and 8.
        self.assertEqual(values["ticket_count"], 4)
        self.assertAlmostEqual(values["avg_hours"], (8.5 + 13 + 4 + 4) / 4)  # 7.375
        # sorted 4, 4, 8.5, 13: median (4 + 8.5) / 2; p90 at 0.9 x 3 = 2.7,
        # 8.5 + 0.7 x (13 - 8.5) = 11.65
        self.assertAlmostEqual(values["median_hours"], 6.25)
        self.assertAlmostEqual(values["p90_hours"], 11.65)
        # on time: a ticket with a deadline is judged by it, and the engine gives
        # the ticket its current step's deadline, at the close Deliver's: 8 working
        # hours after Deliver became ready (T1 Wed 10:00, T2 Fri 16:00, T3 Tue 10
        # 13:00, T4 Wed 10 16:00), all after the close. T2's Sign, done Thu 16:00
        # after its own deadline Thu 15:00, does not make T2 late: 4 of 4
        self.assertAlmostEqual(values["on_time_rate"], 100.0)
        # T2 transferred (Prepare to Finance, and the ticket to Finance and
        # back), T3 reopened: 1 of 4 each
        self.assertAlmostEqual(values["transfer_rate"], 25.0)
        self.assertAlmostEqual(values["reopen_rate"], 25.0)
        self.assertIsNone(values["satisfaction"], "nobody rated")
        # handling per ticket: T1 3 + 3 + 1 + 1.5 = 8.5; T2 2 + 1 + 9 + 1 = 13;
        # T3 1 + 1 + 1 + 1 = 4; T4 (second run only) 1 + 1 + 1 + 1 = 4
        self.assertAlmostEqual(values["handling_hours"], (8.5 + 13 + 4 + 4) / 4)  # 7.375
        # on hold: T1's 3 hours only
        self.assertAlmostEqual(values["hold_hours"], 3 / 4)

    def test_monthly_kpis(self):
        # March 2021 holds the four tickets, and nothing else in the database is
        # dated 2021: the flow's row and its (department, flow, type) row carry
        # the figures of test_kpis, from the same cycle working hours
        rows = (
            self.env["crossdept.analytics.kpi.month"]
            .with_user(self.it_manager)
            .search([("month", "=", date(2021, 3, 1)), ("flow_id", "=", self.flow.id)])
        )
        self.assertEqual(sorted(rows.mapped("scope")), ["detail", "flow"])
        for row in rows:
            self.assertEqual(
                (row.ticket_count, row.closed_count, row.rated_count), (4, 4, 0), row.scope
            )
            self.assertAlmostEqual(row.avg_hours, 7.375)
            self.assertAlmostEqual(row.median_hours, 6.25)
            self.assertAlmostEqual(row.p90_hours, 11.65)
            self.assertAlmostEqual(row.on_time_rate, 100.0)
            self.assertAlmostEqual(row.transfer_rate, 25.0)
            self.assertAlmostEqual(row.reopen_rate, 25.0)
            self.assertFalse(row.satisfaction, "nobody rated")
        detail = rows.filtered(lambda r: r.scope == "detail")
        self.assertEqual((detail.department_id, detail.type_id), (self.dept_it, self.ticket_type))
        # the month before and after hold none of them
        self.assertFalse(
            rows.search_count(
                [("month", "in", [date(2021, 2, 1), date(2021, 4, 1)]), ("scope", "=", "all")]
            )
        )

    def test_quarterly_review_content(self):
        # the review of Mar 1-14 as the IT manager: the four tickets are all the
        # period holds, so "all departments" and the IT line carry test_kpis'
        # figures, and the bottleneck table test_bottlenecks' order and shares
        report, _format = (
            self.env["ir.actions.report"]
            .with_user(self.it_manager)
            ._render_qweb_html(
                "crossdept_analytics.report_process_review",
                self.env.company.ids,
                data={"date_from": "2021-03-01", "date_to": "2021-03-14"},
            )
        )
        page = lxml_html.fromstring(report)
        kpi_rows = [
            [cell.text_content().strip() for cell in row.xpath("./td")]
            for row in page.xpath("//div[hasclass('o_crossdept_process_review')]/table[1]/tbody/tr")
        ]
        expected = {
            "ticket_count": 4,
            "avg_hours": 7.375,
            "median_hours": 6.25,
            "p90_hours": 11.65,
            "on_time_rate": 100.0,
            "transfer_rate": 25.0,
            "reopen_rate": 25.0,
            "satisfaction": None,
            "handling_hours": 7.375,
            "hold_hours": 0.75,
        }
        figures = [self.Kpi._format_kpi(kpi, value) for kpi, value in expected.items()]
        self.assertEqual(kpi_rows, [["All departments", *figures], ["IT (test)", *figures]])
        bottlenecks = [
            [cell.text_content().strip() for cell in row.xpath("./td")]
            for row in page.xpath("//table[hasclass('o_crossdept_review_bottlenecks')]/tbody/tr")
        ]
        self.assertEqual(
            [(row[1], row[2]) for row in bottlenecks],
            [("Sign", "4"), ("Prepare", "4"), ("Check", "4"), ("Deliver", "4")],
        )
        share = self.Kpi._format_kpi("on_time_rate", 100.0 * 12 / 29.5)  # a percentage
        self.assertEqual(bottlenecks[0][-1], share)

    def test_what_if_simulation(self):
        # replayed from the done steps of the run that stands, clock hours ready ->
        # done (test_bottlenecks): per step the mean is Prepare 12 / 4 = 3, Check
        # 22 / 4 = 5.5, Sign 28 / 4 = 7 and Deliver 4.5 / 4 = 1.125. On this serial
        # flow a replayed ticket adds one draw of each step, so removing Sign
        # predicts a mean of 3 + 5.5 + 1.125 = 9.625 h (2,000 runs x 4 tickets:
        # the draws' standard error is under 0.1 h)
        sim = (
            self.env["crossdept.simulation"]
            .with_user(self.it_manager)
            .create(
                {
                    "name": "Without Sign",
                    "flow_id": self.flow.id,
                    "change": "remove",
                    "step_id": self.flow_steps["Sign"].id,
                    "runs": 2000,
                }
            )
        )
        # the replay itself (action_run queues it for the job runner)
        sim._simulate()
        # actual cycles on the same basis as the draws, the steps' last passes:
        # first step ready -> last step done. T1 Mon 08:00 -> Tue 11:30 = 27.5; T2
        # Wed 11:00 (Prepare ready again after the refusal) -> Thu 17:00 = 30; T3
        # 08:00 -> 14:00 = 6; T4 (its second run) 11:00 -> 16:00 = 5
        self.assertEqual(sim.ticket_count, 4)
        self.assertAlmostEqual(sim.actual_mean, (27.5 + 30 + 6 + 5) / 4)
        self.assertAlmostEqual(sim.actual_median, (6 + 27.5) / 2)
        self.assertAlmostEqual(sim.actual_p90, 27.5 + 0.7 * (30 - 27.5))
        self.assertAlmostEqual(sim.predicted_mean, 9.625, delta=0.4)
        self.assertLess(sim.predicted_median, sim.baseline_median)

    def test_ticket_facts(self):
        facts = self.env["crossdept.analytics.ticket"].with_user(self.it_manager)
        t4 = facts.search([("ticket_id", "=", self.t4.id)])
        # the rerun counts the 4 steps of the run that stands, not the 2 archived
        self.assertEqual((t4.step_count, t4.handling_hours, t4.hold_hours), (4, 4.0, 0.0))
        t2 = facts.search([("ticket_id", "=", self.t2.id)])
        # three transfers (Prepare to the Finance user, the ticket to Finance and
        # back), one escalation (the warning on Sign); handled by IT in the end
        self.assertEqual((t2.transfer_count, t2.escalation_count, t2.reopen_count), (3, 1, 0))
        self.assertEqual(t2.department_id, self.dept_it)
        t3 = facts.search([("ticket_id", "=", self.t3.id)])
        self.assertEqual(t3.reopen_count, 1)

    def test_conformance_rate(self):
        # T1 follows the graph (a wait is no deviation); T2 went back to Prepare
        # after the refusal and T3 did Deliver twice: rework loops. T4 is checked
        # on its second run: the Prepare of the run its cancel ended was archived
        # by the rerun, so Prepare is done once and the trace conforms.
        rate = self._kpis(["conformance_rate"])["conformance_rate"]
        self.assertAlmostEqual(rate, 100.0 * 2 / 4)
        check = (
            self.env["crossdept.process.conformance"]
            .with_user(self.it_manager)
            ._check([("flow_id", "=", self.flow.id)])
        )
        self.assertEqual(check["deviations"][REWORK_LOOP], self.t2 | self.t3)
        self.assertEqual((check["checked"], check["conforming"]), (4, 2))
        self.assertNotIn(self.t4.id, check["steps"])

    # ------------------------------------------------------------------
    # Bottlenecks and value stream
    # ------------------------------------------------------------------

    def test_bottlenecks(self):
        rows = {
            row.flow_step_id.name: row
            for row in self.env["crossdept.step.bottleneck"]
            .with_user(self.it_manager)
            .search([("flow_id", "=", self.flow.id)])
        }
        # the share and rank are the handling working hours of the done steps of
        # the run that stands (on hold apart), per step (the figures of
        # test_steps_store_handling_and_hold_working_hours):
        # Prepare T1 3 (6 working h, 3 on hold), T2 2, T3 1, T4 1 = 7
        # Check T1 3 (Mon 15:00 -> Tue 09:00: 15-17 + 8-9), T2 1, T3 1, T4 1 = 6
        # Sign T1 1, T2 9 (Wed 15:00 -> Thu 16:00), T3 1, T4 1 = 12
        # Deliver T1 1.5, T2 1, T3 1 (its last pass), T4 1 = 4.5; in all 29.5.
        # In clock hours (ready -> started, started -> done, still shown) Check's
        # night made it second with 22 h against Prepare's 12 h; in working hours
        # Prepare is second.
        expected = {
            "Prepare": (4, 7.0, 3 / 4, 9 / 4, 3 / 4, 2),
            "Check": (4, 6.0, 22 / 4, 0.0, 0.0, 3),
            "Sign": (4, 12.0, 28 / 4, 0.0, 0.0, 1),
            "Deliver": (4, 4.5, 0.0, 4.5 / 4, 0.0, 4),
        }
        for name, (count, handling, wait, work, hold, rank) in expected.items():
            row = rows[name]
            self.assertEqual((row.sample_count, row.bottleneck_rank), (count, rank), name)
            self.assertAlmostEqual(row.total_hours_sum, handling, msg=name)
            self.assertAlmostEqual(row.wait_hours, wait, msg=name)
            self.assertAlmostEqual(row.work_hours, work, msg=name)
            self.assertAlmostEqual(row.share, 100.0 * handling / 29.5, msg=name)
            self.assertAlmostEqual(row.handling_hours, handling / 4, msg=name)
            self.assertAlmostEqual(row.hold_hours, hold, msg=name)

    def test_dashboard_bottleneck_tile(self):
        rows = self.Kpi.get_bottlenecks(*PERIOD, filters={"flow_id": self.flow.id})
        # the same figures from the daily sums, in the order of their handling
        # working hours (test_bottlenecks): Sign 12, Prepare 7, Check 6, Deliver 4.5
        self.assertEqual([row["name"] for row in rows], ["Sign", "Prepare", "Check", "Deliver"])
        sign = rows[0]
        self.assertEqual(sign["count"], 4)
        self.assertAlmostEqual(sign["share"], 100.0 * 12 / 29.5)  # 40.7%
        self.assertAlmostEqual(sign["handling_hours"], 12 / 4)
        self.assertAlmostEqual(rows[1]["share"], 100.0 * 7 / 29.5)
        prepare = rows[1]
        self.assertAlmostEqual(prepare["waiting_hours"], 3 / 4)
        self.assertAlmostEqual(prepare["handling_hours"], 7 / 4)
        self.assertAlmostEqual(prepare["hold_hours"], 3 / 4)

    def test_value_stream(self):
        flow = self.flow.with_user(self.it_manager)
        # handling working hours (test_bottlenecks): value-adding Prepare 7 +
        # Deliver 4.5 = 11.5; the approvals Check 6 + Sign 12 = 18; 11.5 / 29.5
        self.assertAlmostEqual(flow.value_adding_hours, 11.5)
        self.assertAlmostEqual(flow.non_value_adding_hours, 18.0)
        self.assertAlmostEqual(flow.value_adding_ratio, 100.0 * 11.5 / 29.5)
        # waiting: Prepare 3 + Check 22 + Sign 28 = 53; working: Prepare 9 + 4.5
        self.assertAlmostEqual(flow.wait_hours, 53.0)
        self.assertAlmostEqual(flow.work_hours, 13.5)
        # working hours: handling 7 + 6 + 12 + 4.5 = 29.5, on hold 3
        self.assertAlmostEqual(flow.handling_hours, 29.5)
        self.assertAlmostEqual(flow.hold_hours, 3.0)
        self.assertEqual(flow.top_bottleneck_ids.mapped("name"), ["Sign", "Prepare", "Check"])

    # ------------------------------------------------------------------
    # Rework and redundant approvals
    # ------------------------------------------------------------------

    def test_rework(self):
        rows = {
            row.flow_step_id.name: row
            for row in self.env["crossdept.process.rework"]
            .with_user(self.it_manager)
            .search([("flow_id", "=", self.flow.id)])
        }
        # (step instances of the run that stands, with rework, extra executions,
        # returns): Prepare done twice on T2; the return is logged on Check, the
        # refusing step; Deliver done twice on T3 (the reopening); T4's archived
        # first Prepare is not a second instance of T4
        expected = {
            "Prepare": (4, 1, 1, 0),
            "Check": (4, 1, 0, 1),
            "Sign": (4, 0, 0, 0),
            "Deliver": (4, 1, 1, 0),
        }
        for name, (count, rework, extra, returns) in expected.items():
            row = rows[name]
            self.assertEqual(
                (row.ticket_count, row.rework_ticket_count, row.extra_done_count, row.return_count),
                (count, rework, extra, returns),
                name,
            )
            self.assertAlmostEqual(row.rework_rate, 100.0 * rework / count, msg=name)

    def test_redundant_approvals(self):
        self.env["ir.config_parameter"].set_param("crossdept_analytics.approval_min_tickets", 3)
        Recommendation = self.env["crossdept.approval.recommendation"]
        found = Recommendation._detect(self.flow)
        # Check then Sign: Check approved on T1, T3, T4 (refused on T2), and Sign
        # approved each of those 3 times; both IT: merge, by different people
        self.assertEqual(found.mapped("kind"), ["merge"])
        merge = found.with_user(self.it_manager)
        self.assertEqual(merge.step_ids.mapped("name"), ["Check", "Sign"])
        self.assertEqual(merge.ticket_count, 3)
        evidence = merge.evidence_data
        self.assertEqual((evidence["same"], evidence["count"], evidence["n_first"]), (0, 3, 4))
        self.assertEqual(sorted(evidence["reasons"]), ["always_followed", "same_department"])
        self.assertAlmostEqual(evidence["rate_first"], 25.0)  # 1 refusal in 4 tickets
        # Sign's clock hours ready -> done: 1, 25, 1, 1: median 1
        self.assertAlmostEqual(merge.saving_hours, 1.0)

    # ------------------------------------------------------------------
    # Conformance on the dashboard and in the health rules
    # ------------------------------------------------------------------

    def test_dashboard_tiles_of_working_hours(self):
        dashboard = self.Kpi.get_dashboard("custom", *PERIOD, flow_id=self.flow.id)
        tiles = {tile["kpi"]: tile for tile in dashboard["tiles"]}
        # the conformance rate is watched by health rules, not recomputed per page
        self.assertNotIn("conformance_rate", tiles)
        self.assertAlmostEqual(tiles["handling_hours"]["value"], 7.375)
        self.assertAlmostEqual(tiles["hold_hours"]["value"], 0.75)
        # its drill-through (from an alert on it) opens the four tickets it checked
        action = self.Kpi.action_open_kpi("conformance_rate", *PERIOD, flow_id=self.flow.id)
        opened = drilled(self.env(user=self.it_manager), action)
        self.assertEqual(opened.ticket_id, self.tickets)

    def test_health_rule_alerts_when_conformance_drops(self):
        admin = self._make_user(
            "analytics_admin", "crossdept_ticket.group_crossdept_ticket_admin", self.dept_it
        )
        rule = (
            self.env["crossdept.health.rule"]
            .with_user(admin)
            .create(
                {
                    "name": "Honest conformance",
                    "kpi": "conformance_rate",
                    "scope": "flow",
                    "flow_id": self.flow.id,
                    "mode": "threshold",
                    "operator": "<",
                    "threshold": 90.0,
                    "window_days": 14,
                    "user_id": self.it_manager.id,
                }
            )
        )
        # Mar 1-14: T1 and T4 conform, T2 and T3 loop: 50% < 90%
        rule._run(PERIOD[1])
        alert = rule.alert_ids
        self.assertEqual(len(alert), 1)
        self.assertEqual(
            (alert.state, alert.flow_id, alert.value, alert.limit_value),
            ("open", self.flow, 50.0, 90.0),
        )
        self.assertEqual(alert.activity_ids.user_id, self.it_manager)
        # Mar 1-7 only: T1 (conforms) and T2 (rework) closed, 50%: still low
        rule.window_days = 7
        rule._run(date(2021, 3, 7))
        self.assertEqual((alert.state, alert.value), ("open", 50.0))
        # a window with T1 alone (Mar 2): 100%, back to normal, the alert closes
        rule.window_days = 1
        rule._run(date(2021, 3, 2))
        self.assertEqual((alert.state, alert.value), ("closed", 100.0))

    # ------------------------------------------------------------------
    # Variants, scoreboard, simulation inputs
    # ------------------------------------------------------------------

    def test_variants(self):
        rows = {
            row.variant: row
            for row in self.env["crossdept.process.variant"]
            .with_user(self.it_manager)
            .search([("flow_id", "=", self.flow.id)])
        }
        straight = "Prepare → Check → Sign → Deliver"
        # T1 and T4 (its second run only); T2 did Prepare again after the refusal
        # (Check's refusal is no step done); T3 did Deliver again after the reopening
        expected = {
            # hours from the first step ready to the last step done: T1 Mon 08:00 ->
            # Tue 11:30 = 27.5, T4 11:00 -> 16:00 = 5; median (27.5 + 5) / 2
            straight: (2, 4, 50.0, 16.25),
            # Wed 08:00 -> Thu 17:00
            "Prepare → Prepare → Check → Sign → Deliver": (1, 5, 25.0, 33.0),
            # 08:00 -> 14:00
            "Prepare → Check → Sign → Deliver → Deliver": (1, 5, 25.0, 6.0),
        }
        self.assertEqual(set(rows), set(expected))
        for variant, (tickets, steps, frequency, hours) in expected.items():
            row = rows[variant]
            self.assertEqual((row.ticket_count, row.step_count), (tickets, steps), variant)
            self.assertAlmostEqual(row.frequency, frequency, msg=variant)
            self.assertAlmostEqual(row.median_hours, hours, msg=variant)

    def test_scoreboard(self):
        board = self.env["crossdept.analytics.scoreboard"].with_user(self.it_manager)
        rows = {
            row.user_id: row
            for row in board.search(
                [
                    ("month", "=", date(2021, 3, 1)),
                    ("user_id", "in", [self.it_user.id, self.finance_user.id]),
                ]
            )
        }
        # IT user: Prepare and Deliver of T1, T3, T4 (T4's archived first Prepare
        # not a second time) and Deliver of T2 = 7 steps, each within its SLA; 4
        # tickets; score 1 a step on time, no consultation
        it = rows[self.it_user]
        self.assertEqual(
            (it.steps_done, it.steps_on_time, it.tickets_handled, it.consultations, it.score),
            (7, 7, 4, 0, 7),
        )
        self.assertAlmostEqual(it.on_time_rate, 100.0)
        # Finance user: T2's Prepare after the transfer (ready 11:00, done 14:00)
        finance = rows[self.finance_user]
        self.assertEqual(
            (finance.steps_done, finance.steps_on_time, finance.tickets_handled, finance.score),
            (1, 1, 1, 1),
        )

    def test_simulation_inputs(self):
        simulation = (
            self.env["crossdept.simulation"]
            .with_user(self.it_manager)
            .new({"flow_id": self.flow.id})
        )
        samples, actual = simulation._history()
        steps = self.flow_steps
        # (clock waiting, working) per finished step of the run that stands, as the
        # bottlenecks: approvals are all waiting (decided on opening)
        expected = {
            steps["Prepare"].id: [(0.0, 1.0), (0.0, 1.0), (1.0, 6.0), (2.0, 1.0)],
            steps["Check"].id: [(1.0, 0.0), (1.0, 0.0), (2.0, 0.0), (18.0, 0.0)],
            steps["Sign"].id: [(1.0, 0.0), (1.0, 0.0), (1.0, 0.0), (25.0, 0.0)],
            steps["Deliver"].id: [(0.0, 1.0), (0.0, 1.0), (0.0, 1.0), (0.0, 1.5)],
        }
        self.assertEqual({key: sorted(value) for key, value in samples.items()}, expected)
        # each ticket from its first step ready to its last step done, on the steps
        # as they stand: T1 27.5; T2 30 (Prepare is ready since its return, Wed
        # 11:00, to Thu 17:00: the first pass is gone from the step); T3 6; T4 5
        self.assertEqual(sorted(actual), [5.0, 6.0, 27.5, 30.0])

    def test_pingpong(self):
        rows = (
            self.env["crossdept.process.pingpong"]
            .with_user(self.it_manager)
            .search([("flow_id", "=", self.flow.id)])
        )
        # T2: IT -> Finance then Finance -> IT, one back-and-forth; the transfer of
        # Prepare to the Finance user kept the step in IT (no department change)
        self.assertEqual(len(rows), 1)
        self.assertEqual(
            rows.department_a_id | rows.department_b_id, self.dept_it | self.dept_finance
        )
        self.assertEqual((rows.pingpong_count, rows.ticket_count), (1, 1))
