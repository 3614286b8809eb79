import json
from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.crossdept_ticket.tests.common import MANAGER, USER
from odoo.addons.crossdept_ticket.tests.refusal import acl_refusal

from .common import CrossdeptAnalyticsCase, drilled

MARCH = ("2020-03-01", "2020-03-31")
ALL_DEPARTMENTS = "crossdept_analytics.group_crossdept_analytics_all"


class VisibilityCase(CrossdeptAnalyticsCase):
    """Four tickets the engine ran in March 2020, each through a one-step flow:

    * IT's own ticket (requested and handled by IT);
    * Finance's own ticket (step in Finance);
    * a ticket Finance requested and IT handled;
    * a ticket of IT Support, a sub-department of IT.

    The ticket rules give the IT manager IT, its sub-department and what IT
    handles; the Finance manager Finance and what Finance requested; a CrossDept
    manager who only belongs to Finance (manages nothing) the same as Finance's
    manager; the analyst ("Analytics: all departments") every department."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Department = cls.env["hr.department"]
        cls.dept_support = Department.create(
            {"name": "IT Support (test)", "parent_id": cls.dept_it.id}
        )
        cls.support_user = cls._make_user("support_user", USER, cls.dept_support)
        cls.finance_lead = cls._make_user("finance_lead", MANAGER, cls.dept_finance)
        cls.analyst = new_test_user(cls.env, "analyst", groups=ALL_DEPARTMENTS)
        it_flow, it_steps = cls._make_flow([{"name": "Check"}])
        finance_flow, finance_steps = cls._make_flow(
            [{"name": "Audit", "department_id": cls.dept_finance.id, "user": cls.finance_user}]
        )
        support_flow, support_steps = cls._make_flow(
            [{"name": "Reset", "department_id": cls.dept_support.id, "user": cls.support_user}]
        )
        cls.check, cls.audit, cls.reset = (
            it_steps["Check"],
            finance_steps["Audit"],
            support_steps["Reset"],
        )
        cls.flow_steps = cls.check | cls.audit | cls.reset
        cls.it_ticket = cls._history(it_flow, "Check", cls.it_user, cls.dept_it, cls.dept_it, 2)
        cls.finance_ticket = cls._history(
            finance_flow, "Audit", cls.finance_user, cls.dept_finance, cls.dept_finance, 3
        )
        cls.cross_ticket = cls._history(
            it_flow, "Check", cls.it_user, cls.dept_finance, cls.dept_it, 4
        )
        cls.support_ticket = cls._history(
            support_flow, "Reset", cls.support_user, cls.dept_support, cls.dept_support, 5
        )
        cls.tickets = cls.it_ticket | cls.finance_ticket | cls.cross_ticket | cls.support_ticket
        cls._refresh()
        # who sees which tickets: the facts must say the same
        cls.expected = {
            cls.it_manager: cls.it_ticket | cls.cross_ticket | cls.support_ticket,
            cls.finance_manager: cls.finance_ticket | cls.cross_ticket,
            cls.finance_lead: cls.finance_ticket | cls.cross_ticket,
            cls.analyst: cls.tickets,
        }

    @classmethod
    def _history(cls, flow, step_name, holder, requesting, handling, day):
        opened = datetime(2020, 3, day, 9)
        with freeze_time(opened):
            ticket = cls._make_ticket(
                flow_id=flow.id, department_id=requesting.id, assigned_department_id=handling.id
            )
            # the ORM stamps creation with the transaction's time, not the clock's
            ticket.flush_recordset()
            cls.env.cr.execute(
                SQL("UPDATE crossdept_ticket SET create_date = %s WHERE id = %s", opened, ticket.id)
            )
            ticket.invalidate_recordset(["create_date"])
            ticket.action_start_flow()
        step = cls._step(ticket, step_name).with_user(holder)
        with freeze_time(datetime(2020, 3, day, 10)):
            step.action_start()
        with freeze_time(datetime(2020, 3, day, 13)):
            step.action_finish()
        return ticket


@tagged("post_install", "-at_install")
class TestAnalyticsVisibility(VisibilityCase):
    def test_history_was_run_by_the_engine(self):
        self.assertEqual(set(self.tickets.mapped("state")), {"done"})
        self.assertEqual(self.cross_ticket.department_id, self.dept_finance)
        self.assertEqual(self.cross_ticket.assigned_department_id, self.dept_it)
        # the facts match the ticket rules: each reader opens exactly these tickets
        Ticket = self.env["crossdept.ticket"]
        for user, tickets in self.expected.items():
            if user == self.analyst:
                continue  # the analytics group opens no ticket
            with self.subTest(user=user.login):
                visible = Ticket.with_user(user).search([("id", "in", self.tickets.ids)])
                self.assertEqual(visible, tickets)

    def test_ticket_facts(self):
        Facts = self.env["crossdept.analytics.ticket"]
        for user, tickets in self.expected.items():
            with self.subTest(user=user.login):
                facts = Facts.with_user(user).search([("ticket_id", "in", self.tickets.ids)])
                self.assertEqual(facts.ticket_id, tickets)

    def test_step_facts(self):
        Facts = self.env["crossdept.analytics.step"]
        for user, tickets in self.expected.items():
            with self.subTest(user=user.login):
                facts = Facts.with_user(user).search([("ticket_id", "in", self.tickets.ids)])
                self.assertEqual(facts.ticket_id, tickets)
                self.assertEqual(len(facts), len(tickets))
        fact = Facts.search([("ticket_id", "=", self.cross_ticket.id)])
        self.assertEqual(fact.department_id, self.dept_it, "the step's department")
        self.assertEqual(fact.ticket_department_id, self.dept_it)
        self.assertEqual(fact.requesting_department_id, self.dept_finance)

    def test_daily_step_sums(self):
        Days = self.env["crossdept.analytics.step.day"]
        counts = {
            self.it_manager: {self.check: 2, self.reset: 1},
            self.finance_manager: {self.check: 1, self.audit: 1},
            self.finance_lead: {self.check: 1, self.audit: 1},
            self.analyst: {self.check: 2, self.audit: 1, self.reset: 1},
        }
        for user, expected in counts.items():
            # the day rows, and the month rows summing them, under the same rules
            for kind in ("day", "month"):
                with self.subTest(user=user.login, kind=kind):
                    rows = Days.with_user(user).search(
                        [("flow_step_id", "in", self.flow_steps.ids), ("kind", "=", kind)]
                    )
                    seen = {}
                    for row in rows:
                        seen[row.flow_step_id] = seen.get(row.flow_step_id, 0) + row.step_count
                    self.assertEqual(seen, expected)

    def test_monthly_kpis(self):
        Months = self.env["crossdept.analytics.kpi.month"]
        domain = [("month", "=", date(2020, 3, 1))]
        rows = Months.with_user(self.it_manager).search(domain)
        self.assertEqual(set(rows.mapped("scope")), {"department", "detail"})
        self.assertEqual(rows.department_id, self.dept_it | self.dept_support)
        department_rows = rows.filtered(lambda row: row.scope == "department")
        self.assertEqual(
            {row.department_id: row.ticket_count for row in department_rows},
            {self.dept_it: 2, self.dept_support: 1},
        )
        # company-wide rows (all tickets, a flow, a type) are the analyst's
        rows = Months.with_user(self.finance_manager).search(domain)
        self.assertEqual(rows.department_id, self.dept_finance)
        everything = Months.with_user(self.analyst).search([*domain, ("scope", "=", "all")])
        self.assertEqual(everything.ticket_count, 4)

    def test_scoreboard(self):
        Board = self.env["crossdept.analytics.scoreboard"]
        people = self.it_user | self.finance_user | self.support_user
        domain = [("month", "=", date(2020, 3, 1)), ("user_id", "in", people.ids)]
        self.assertEqual(
            Board.with_user(self.it_manager).search(domain).user_id,
            self.it_user | self.support_user,
        )
        self.assertEqual(
            Board.with_user(self.finance_manager).search(domain).user_id, self.finance_user
        )
        self.assertEqual(Board.with_user(self.analyst).search(domain).user_id, people)

    def test_health_alerts(self):
        Rule, Alert = self.env["crossdept.health.rule"], self.env["crossdept.health.alert"]
        rules = Rule.create(
            [
                {
                    "name": f"Tickets ({scope})",
                    "kpi": "ticket_count",
                    "scope": scope,
                    "mode": "threshold",
                    "threshold": 0.0,
                    **vals,
                }
                for scope, vals in (
                    ("department", {"department_id": self.dept_it.id}),
                    ("department", {"department_id": self.dept_finance.id}),
                    ("all", {}),
                    ("all", {}),
                )
            ]
        )
        alerts = Alert._engine().create(
            [
                {
                    "rule_id": rule.id,
                    "company_id": self.company.id,
                    "department_id": rule.department_id.id,
                    "user_id": user.id,
                    "value": 1.0,
                }
                for rule, user in zip(
                    rules,
                    (self.it_manager, self.finance_manager, self.it_manager, self.env.user),
                    strict=True,
                )
            ]
        )
        it_alert, finance_alert, notified_alert, other_alert = alerts
        domain = [("id", "in", alerts.ids)]
        # a company-wide alert: whom it notifies, and the analyst
        self.assertEqual(Alert.with_user(self.it_manager).search(domain), it_alert | notified_alert)
        self.assertEqual(Alert.with_user(self.finance_manager).search(domain), finance_alert)
        self.assertEqual(Alert.with_user(self.analyst).search(domain), alerts)
        self.assertNotIn(other_alert, Alert.with_user(self.it_manager).search(domain))

    def test_manager_runs_the_company_wide_health_check(self):
        """Evaluate Now measures every department, whoever presses it, and finds
        the alert its reader cannot see instead of opening it twice."""
        rule = self.env["crossdept.health.rule"].create(
            {
                "name": "Tickets (all)",
                "kpi": "ticket_count",
                "scope": "all",
                "mode": "threshold",
                "operator": ">",
                "threshold": 2.0,
                "window_days": 31,
            }
        )
        alert = rule._run(date(2020, 3, 31))
        self.assertEqual(alert.value, 4.0, "the four tickets of every department")
        alert._engine().value = 0.0
        with freeze_time(datetime(2020, 3, 31, 12)):
            action = rule.with_user(self.it_manager).action_evaluate()
        # the same alert, refreshed with the four tickets (the IT manager sees three)
        Alert = self.env["crossdept.health.alert"]
        self.assertEqual(Alert.search(action["domain"]), alert)
        self.assertEqual((alert.state, alert.value), ("open", 4.0))
        # which does not notify the IT manager: they do not read it
        self.assertFalse(Alert.with_user(self.it_manager).search(action["domain"]))

    def test_plain_member_reads_no_fact(self):
        """The facts stay for managers, as before: a member is refused, by name."""
        for model in (
            "crossdept.analytics.ticket",
            "crossdept.analytics.step",
            "crossdept.analytics.step.day",
            "crossdept.analytics.kpi.month",
            "crossdept.analytics.scoreboard",
            "crossdept.health.alert",
        ):
            with self.subTest(model=model):
                with self.assertRaisesRegex(AccessError, acl_refusal("read", model)):
                    self.env[model].with_user(self.it_user).search([])

    def test_administrators_see_every_department(self):
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group(ALL_DEPARTMENTS))
        self.assertTrue(self.analyst.has_group(MANAGER), "reads the facts a manager reads")
        self.assertFalse(self.it_manager.has_group(ALL_DEPARTMENTS))


@tagged("post_install", "-at_install")
class TestProcessViewVisibility(VisibilityCase):
    """Variants, rework and bottlenecks count the tickets the reader may open (the
    analyst: every department), not the whole company's."""

    def _visible(self, user):
        if user == self.analyst:
            return self.tickets
        return self.env["crossdept.ticket"].with_user(user).search([("id", "in", self.tickets.ids)])

    def _readers(self):
        """Each reader, the cache emptied before: rows of these views may have the
        same ids for two readers and different figures (one transaction here, one
        request each in the web client)."""
        for user in [*self.expected, self.it_user]:
            self.env.invalidate_all()
            yield user

    def test_variants(self):
        flows = self.tickets.flow_id
        for user in self._readers():
            with self.subTest(user=user.login):
                expected = {}
                for ticket in self._visible(user):
                    expected[ticket.flow_id] = expected.get(ticket.flow_id, 0) + 1
                rows = (
                    self.env["crossdept.process.variant"]
                    .with_user(user)
                    .search([("flow_id", "in", flows.ids)])
                )
                self.assertEqual({row.flow_id: row.ticket_count for row in rows}, expected)
                # one step each: the path is the step's name
                self.assertEqual(
                    {row.flow_id: row.variant for row in rows},
                    {flow: flow.step_ids.name for flow in expected},
                )
        # Finance's manager: Finance's own ticket and the one Finance asked IT for
        self.assertEqual(
            self._visible(self.finance_manager), self.finance_ticket | self.cross_ticket
        )

    def test_rework_rows(self):
        for user in self._readers():
            with self.subTest(user=user.login):
                expected = {}
                for ticket in self._visible(user):
                    for step in ticket.step_ids:
                        expected[step.flow_step_id] = expected.get(step.flow_step_id, 0) + 1
                rows = (
                    self.env["crossdept.process.rework"]
                    .with_user(user)
                    .search([("flow_step_id", "in", self.flow_steps.ids)])
                )
                self.assertEqual({row.flow_step_id: row.ticket_count for row in rows}, expected)

    def test_bottleneck_samples(self):
        for user in self._readers():
            with self.subTest(user=user.login):
                expected = dict.fromkeys(self.flow_steps, 0)
                for ticket in self._visible(user):
                    for step in ticket.step_ids:
                        expected[step.flow_step_id] += 1
                rows = (
                    self.env["crossdept.step.bottleneck"]
                    .with_user(user)
                    .search([("flow_step_id", "in", self.flow_steps.ids)])
                )
                self.assertEqual({row.flow_step_id: row.sample_count for row in rows}, expected)
                # three hours of work on each step counted, whoever reads them
                for row in rows.filtered("sample_count"):
                    self.assertAlmostEqual(row.work_hours, 3.0)


@tagged("post_install", "-at_install")
class TestDashboardVisibility(VisibilityCase):
    """The dashboard's figures, what its tiles and rows open, and the quarterly
    review, as each reader."""

    def _dashboard(self, user, **filters):
        return (
            self.env["crossdept.analytics.kpi"]
            .with_user(user)
            .get_dashboard("custom", *MARCH, **filters)
        )

    @staticmethod
    def _tile(data, kpi):
        return next(tile["value"] for tile in data["tiles"] if tile["kpi"] == kpi)

    def test_tiles_count_the_readers_departments(self):
        for user, tickets in self.expected.items():
            with self.subTest(user=user.login):
                data = self._dashboard(user)
                self.assertEqual(self._tile(data, "ticket_count"), len(tickets))
                # the cycle in working hours, whoever reads them: ready at 9:00, done
                # at 13:00, the calendar's lunch hour (12:00-13:00) left out
                self.assertAlmostEqual(self._tile(data, "median_hours"), 3.0)

    def test_tickets_per_department_chart(self):
        def bars(user):
            data = self._dashboard(user)
            chart = next(chart for chart in data["charts"] if chart["layout"] == "rows")
            return {bar["department_id"]: bar["value"] for bar in chart["bars"]}

        # the handling department of the ticket, among the reader's tickets
        self.assertEqual(bars(self.it_manager), {self.dept_it.id: 2, self.dept_support.id: 1})
        self.assertEqual(bars(self.finance_manager), {self.dept_it.id: 1, self.dept_finance.id: 1})
        self.assertEqual(
            bars(self.analyst),
            {self.dept_it.id: 2, self.dept_finance.id: 1, self.dept_support.id: 1},
        )

    def test_filter_on_another_department_counts_nothing(self):
        data = self._dashboard(self.it_manager, department_id=self.dept_finance.id)
        self.assertEqual(self._tile(data, "ticket_count"), 0)
        self.assertIsNone(self._tile(data, "median_hours"))
        data = self._dashboard(self.analyst, department_id=self.dept_finance.id)
        self.assertEqual(self._tile(data, "ticket_count"), 1)

    def test_bottlenecks(self):
        def steps(user):
            data = self._dashboard(user)
            return {row["flow_step_id"]: row["count"] for row in data["bottlenecks"]}

        self.assertEqual(steps(self.it_manager), {self.check.id: 2, self.reset.id: 1})
        self.assertEqual(steps(self.finance_manager), {self.check.id: 1, self.audit.id: 1})
        self.assertEqual(
            steps(self.analyst), {self.check.id: 2, self.audit.id: 1, self.reset.id: 1}
        )

    def test_drill_through_opens_what_the_tile_counts(self):
        for user, tickets in self.expected.items():
            Kpi = self.env["crossdept.analytics.kpi"].with_user(user)
            with self.subTest(user=user.login):
                action = Kpi.action_open_kpi("ticket_count", *MARCH)
                facts = drilled(self.env(user=user), action)
                self.assertEqual(facts.ticket_id, tickets)
                action = Kpi.action_open_bottleneck(self.audit.id, *MARCH)
                facts = drilled(self.env(user=user), action)
                self.assertEqual(facts.ticket_id, tickets & self.finance_ticket)

    def test_plain_member_is_refused_the_dashboard(self):
        Kpi = self.env["crossdept.analytics.kpi"].with_user(self.it_user)
        refusal = acl_refusal("read", "crossdept.analytics.ticket")
        with self.assertRaisesRegex(AccessError, refusal):
            Kpi.get_dashboard("custom", *MARCH)
        with self.assertRaisesRegex(AccessError, refusal):
            Kpi.compute(["ticket_count"], date_from=MARCH[0], date_to=MARCH[1])
        with self.assertRaisesRegex(
            AccessError, acl_refusal("read", "crossdept.analytics.step.day")
        ):
            Kpi.get_bottlenecks(*MARCH)

    def test_kpis_for_another_company_count_nothing(self):
        """compute() is public: the companies it is given pass the rules too."""
        other = self.env["res.company"].create({"name": "Other company (test)"})
        Kpi = self.env["crossdept.analytics.kpi"].with_user(self.it_manager)
        values = Kpi.compute(
            ["ticket_count"], date_from=MARCH[0], date_to=MARCH[1], company_ids=other.ids
        )
        self.assertEqual(values["ticket_count"], 0)

    def test_review_shows_the_readers_departments(self):
        Review = self.env["report.crossdept_analytics.report_process_review"]
        data = {"date_from": MARCH[0], "date_to": MARCH[1]}
        values = Review.with_user(self.it_manager)._get_report_values([], data)
        self.assertFalse(values["all_departments"])
        self.assertEqual(values["overall"]["ticket_count"], 3)
        self.assertEqual(
            {department for department, _kpis in values["per_department"]},
            {self.dept_it, self.dept_support},
        )
        self.assertEqual(
            {row["flow_step_id"] for row in values["bottlenecks"]},
            {
                self.check.id,
                self.reset.id,
            },
        )
        html, _format = (
            self.env["ir.actions.report"]
            .with_user(self.it_manager)
            ._render_qweb_html(
                "crossdept_analytics.report_process_review", self.env.company.ids, data=data
            )
        )
        html = html.decode()
        self.assertIn("Your departments", html)
        self.assertNotIn("Finance (test)", html)
        values = Review.with_user(self.analyst)._get_report_values([], data)
        self.assertTrue(values["all_departments"])
        self.assertEqual(values["overall"]["ticket_count"], 4)


@tagged("post_install", "-at_install")
class TestDashboardVisibilityRpc(HttpCase, VisibilityCase):
    """The same figures over JSON-RPC, signed in, as the web client asks for them."""

    def _call(self, user, model, method, *args, **kwargs):
        """The JSON-RPC answer (result or error) of the web client's call_kw."""
        self.authenticate(user.login, user.login + "x" * (8 - len(user.login)))
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": model,
                        "method": method,
                        "args": list(args),
                        "kwargs": kwargs,
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        answer = response.json()
        self.assertNotIn("error", answer, answer.get("error"))
        return answer["result"]

    def test_dashboard_over_rpc(self):
        for user, tickets in self.expected.items():
            with self.subTest(user=user.login):
                data = self._call(
                    user, "crossdept.analytics.kpi", "get_dashboard", "custom", *MARCH
                )
                tile = next(tile for tile in data["tiles"] if tile["kpi"] == "ticket_count")
                self.assertEqual(tile["value"], len(tickets))

    def test_facts_over_rpc(self):
        for user, tickets in self.expected.items():
            with self.subTest(user=user.login):
                facts = self._call(
                    user,
                    "crossdept.analytics.ticket",
                    "search_read",
                    [("ticket_id", "in", self.tickets.ids)],
                    fields=["name"],
                )
                self.assertEqual({fact["name"] for fact in facts}, set(tickets.mapped("name")))

    def test_variants_over_rpc(self):
        rows = self._call(
            self.finance_manager,
            "crossdept.process.variant",
            "search_read",
            [("flow_id", "in", self.tickets.flow_id.ids)],
            fields=["flow_id", "ticket_count"],
        )
        # Finance's own ticket and the one Finance requested from IT, not IT's own
        self.assertEqual(
            sorted((row["flow_id"][0], row["ticket_count"]) for row in rows),
            sorted([(self.finance_ticket.flow_id.id, 1), (self.cross_ticket.flow_id.id, 1)]),
        )

    def test_member_is_refused_over_rpc(self):
        with self.assertRaisesRegex(
            AssertionError, acl_refusal("read", "crossdept.analytics.ticket")
        ) as refusal:
            self._call(self.it_user, "crossdept.analytics.kpi", "get_dashboard", "custom", *MARCH)
        self.assertIn("odoo.exceptions.AccessError", str(refusal.exception))
