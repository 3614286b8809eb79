from datetime import date, datetime, timedelta

from odoo.tests import tagged

from .common import CrossdeptAnalyticsCase


@tagged("post_install", "-at_install")
class TestProcessReview(CrossdeptAnalyticsCase):
    def test_review_lists_kpis_bottlenecks_and_alerts(self):
        tickets = self._closed_tickets(self.dept_it, datetime(2020, 2, 3, 9), [4.0, 8.0])
        self._log(tickets[0], "transfer")
        self._refresh()
        rule = self.env["crossdept.health.rule"].create(
            {
                "name": "Review transfers",
                "kpi": "transfer_rate",
                "scope": "department",
                "department_id": self.dept_it.id,
                "operator": ">",
                "threshold": 10.0,
                "window_days": 90,
            }
        )
        rule._run(date(2020, 3, 31))
        wizard = self.env["crossdept.process.review.wizard"].create(
            {"date_from": date(2020, 1, 1), "date_to": date(2020, 3, 31)}
        )
        # (without the company's first-print layout configurator)
        action = wizard.with_context(discard_logo_check=True).action_print()
        self.assertEqual(action["data"], {"date_from": "2020-01-01", "date_to": "2020-03-31"})
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "crossdept_analytics.report_process_review", self.env.company.ids, data=action["data"]
        )
        html = html.decode()
        self.assertIn("IT (test)", html)
        self.assertIn("Review transfers", html)
        # the IT department's median of 4 and 8 hours
        self.assertIn("6.0", html)

    def test_previous_quarter_by_default(self):
        wizard = self.env["crossdept.process.review.wizard"].create({})
        self.assertEqual(wizard.date_from.day, 1)
        self.assertEqual(wizard.date_from.month % 3, 1)
        self.assertEqual((wizard.date_to.month - wizard.date_from.month) % 12, 2)
        self.assertEqual((wizard.date_to + timedelta(days=1)).day, 1)
