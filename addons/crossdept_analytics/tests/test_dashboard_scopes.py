from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CrossdeptAnalyticsCase, drill_domain, drilled


@tagged("post_install", "-at_install")
class TestDashboardScopes(CrossdeptAnalyticsCase):
    """One page, two meanings of "department": the tiles and charts count the
    tickets a department handles, the bottlenecks the steps it works, on anyone's
    tickets. IT checks the tickets of a flow that Finance then signs: filtered on
    IT, the page shows one ticket handled by IT but three steps worked by IT. Each
    block says which meaning it uses, and each figure is what its drill-through
    opens to the IT manager (a department manager, not an analyst of all)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cross, _steps = cls._make_flow(
            [
                {"name": "Check"},
                {
                    "name": "Sign",
                    "preds": ["Check"],
                    "department_id": cls.dept_finance.id,
                    "user": cls.finance_user,
                },
            ]
        )
        it_only, _steps = cls._make_flow([{"name": "Repair"}])
        signing, signed = cls._run(cross), cls._run(cross)
        repaired = cls._run(it_only)
        for ticket, name, user in (
            (signing, "Check", cls.it_user),
            (signed, "Check", cls.it_user),
            (signed, "Sign", cls.finance_user),
            (repaired, "Repair", cls.it_user),
        ):
            step = cls._step(ticket, name).with_user(user)
            step.action_start()
            step.action_finish()
        cls.signing, cls.signed, cls.repaired = signing, signed, repaired
        cls._refresh()
        cls.manager_env = cls.env(user=cls.it_manager)
        cls.Kpi = cls.manager_env["crossdept.analytics.kpi"]

    def test_tickets_are_the_handling_departments(self):
        self.assertEqual((self.signing.state, self.signed.state), ("in_progress", "done"))
        self.assertEqual(self.signing.handling_department_id, self.dept_finance)
        self.assertEqual(self.repaired.handling_department_id, self.dept_it)
        tickets = self.signing | self.signed | self.repaired
        Ticket = self.manager_env["crossdept.ticket"]

        def handled_by(department):
            return Ticket.search(
                [("handling_department_id", "=", department.id), ("id", "in", tickets.ids)]
            )

        self.assertEqual(handled_by(self.dept_it), self.repaired)
        self.assertEqual(handled_by(self.dept_finance), self.signing | self.signed)

    def test_each_block_says_which_department_it_counts(self):
        data = self.Kpi.get_dashboard(department_id=self.dept_it.id)
        self.assertEqual(data["scopes"]["tickets"], "Tickets handled by IT (test)")
        self.assertEqual(
            data["scopes"]["steps"], "Steps worked by IT (test), on any department's tickets"
        )
        everyone = self.Kpi.get_dashboard()["scopes"]
        self.assertEqual(everyone["tickets"], "Tickets, each in the department handling it")
        self.assertEqual(everyone["steps"], "Steps, each in the department working it")

    def test_each_figure_is_what_its_drill_through_opens(self):
        data = self.Kpi.get_dashboard(department_id=self.dept_it.id)
        period = (data["date_from"], data["date_to"])
        tiles = {tile["kpi"]: tile for tile in data["tiles"]}
        action = self.Kpi.action_open_kpi("ticket_count", *period, department_id=self.dept_it.id)
        tickets = drilled(self.manager_env, action)
        self.assertEqual(tickets.ticket_id, self.repaired, "one ticket handled by IT")
        self.assertEqual(tiles["ticket_count"]["value"], len(tickets))
        # the steps IT worked: both Checks of tickets Finance handles, and the Repair
        rows = {row["name"]: row for row in data["bottlenecks"]}
        self.assertEqual(
            {name: row["count"] for name, row in rows.items()}, {"Check": 2, "Repair": 1}
        )
        for name, row in rows.items():
            action = self.Kpi.action_open_bottleneck(
                row["flow_step_id"], *period, department_id=self.dept_it.id
            )
            steps = drilled(self.manager_env, action)
            with self.subTest(step=name):
                self.assertEqual(row["count"], len(steps))
                self.assertEqual(steps.department_id, self.dept_it)
        self.assertEqual(self._step(self.signing, "Check").department_id, self.dept_it)
        # the tickets per handling department, as the IT manager may read them
        everyone = self.Kpi.get_dashboard()
        bars = everyone["charts"][-1]["bars"]
        self.assertEqual(
            {bar["department_id"]: bar["value"] for bar in bars},
            {self.dept_it.id: 1, self.dept_finance.id: 2},
        )
        for bar in bars:
            action = self.Kpi.action_open_kpi(
                "ticket_count", bar["date_from"], bar["date_to"], bar["department_id"]
            )
            self.assertEqual(bar["value"], len(drilled(self.manager_env, action)))

    def test_drilled_lists_show_their_filters_as_facets(self):
        data = self.Kpi.get_dashboard(department_id=self.dept_it.id)
        action = self.Kpi.action_open_kpi(
            "median_hours", data["date_from"], data["date_to"], department_id=self.dept_it.id
        )
        context = action["context"]
        self.assertEqual(context["search_default_department_id"], self.dept_it.id)
        self.assertEqual(
            context["search_default_date_range"], f"{data['date_from']} ~ {data['date_to']}"
        )
        self.assertEqual(context["search_default_closed"], 1)
        # nothing hidden: the action's own domain only repeats the companies' rule
        self.assertEqual(action["domain"], [("company_id", "in", self.env.companies.ids)])
        self.assertIn(("state", "=", "done"), drill_domain(self.manager_env, action))
        overdue = self.Kpi.action_open_kpi(
            "open_overdue", data["date_from"], data["date_to"], department_id=self.dept_it.id
        )
        self.assertEqual(overdue["context"]["search_default_overdue"], 1)
        self.assertEqual(
            overdue["context"]["search_default_handling_department_id"], self.dept_it.id
        )

    def test_a_date_range_that_is_not_one_is_refused_by_name(self):
        Facts = self.manager_env["crossdept.analytics.ticket"]
        with self.assertRaisesRegex(UserError, "Type a date range as two dates.*not last week"):
            Facts.search([("date_range", "ilike", "last week")])
        with self.assertRaisesRegex(UserError, "starts on 2026-12-01, after its end on 2026-11-01"):
            Facts.search([("date_range", "ilike", "2026-12-01 ~ 2026-11-01")])
        with self.assertRaisesRegex(UserError, "2026-02-30 is not a date range"):
            Facts.search([("date_range", "=", "2026-02-30")])
