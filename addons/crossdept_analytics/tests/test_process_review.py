import subprocess
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from lxml import etree
from markupsafe import escape

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from ..models.ir_actions_report import wkhtmltopdf_draws_headers
from .common import CrossdeptAnalyticsCase
from .common_process import CrossdeptProcessCase


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
            {
                "date_from": date(2020, 1, 1),
                "date_to": date(2020, 3, 31),
                "run_in_background": False,
            }
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
        # the IT department's median of 4 and 8 hours, in the product's duration format
        self.assertIn("6.0 h", html)

    def test_previous_quarter_by_default(self):
        wizard = self.env["crossdept.process.review.wizard"].create({})
        self.assertEqual(wizard.date_from.day, 1)
        self.assertEqual(wizard.date_from.month % 3, 1)
        self.assertEqual((wizard.date_to.month - wizard.date_from.month) % 12, 2)
        self.assertEqual((wizard.date_to + timedelta(days=1)).day, 1)


@tagged("post_install", "-at_install")
class TestProcessReviewProcessSections(CrossdeptProcessCase):
    """The review lists the approval recommendations and the pilots of the quarter:
    Head -> Board approvals decided by the same person on 10 tickets (a merge
    recommendation), and a pilot whose 20 variant tickets take 1..20h against
    10..29h for the control."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Head", "kind": "approval", "approvers": cls.approver_1},
                {
                    "name": "Board",
                    "kind": "approval",
                    "preds": ["Head"],
                    "approvers": cls.approver_1,
                    "department_id": cls.dept_board.id,
                },
            ]
        )
        head = ("Head", 1, 2, "approve", cls.approver_1)
        board = ("Board", 1, 1, "approve", cls.approver_1)
        cls._history(cls.flow, [cls._serial([head, board])] * 10)
        Recommendation = cls.env["crossdept.approval.recommendation"]
        cls.recommendation = Recommendation._detect(cls.flow)
        # dismissed long before the period: not in the review
        cls.old = Recommendation._engine().create(  # an old detection
            {
                "flow_id": cls.flow.id,
                "kind": "drop_under_amount",
                "step_ids": [(6, 0, cls.flow.step_ids[:1].ids)],
                "evidence_data": {"step": cls.flow.step_ids[:1].id, "count": 7, "delay": 3.0},
                "state": "dismissed",
            }
        )
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE crossdept_approval_recommendation SET write_date = %s WHERE id = %s",
                datetime(2020, 1, 2),
                cls.old.id,
            )
        )
        cls.old.invalidate_recordset()

        cls.control, _steps = cls._make_flow([{"name": "Review", "sla": 20}])
        cls.variant = cls.control._copy_as_version(2)
        Pilot = cls.env["crossdept.pilot"]
        # a pilot of 2020, run and stopped through its actions
        cls.old_pilot = Pilot.create(
            {
                "name": "Pilot of 2020",
                "control_flow_id": cls.control.id,
                "variant_flow_id": cls.variant.id,
                "date_start": date(2020, 1, 6),
                "date_end": date(2020, 2, 28),
            }
        )
        cls.old_pilot.action_start()
        cls.old_pilot.action_stop()
        cls.pilot = Pilot.create(
            {
                "name": "Faster review",
                "control_flow_id": cls.control.id,
                "variant_flow_id": cls.variant.id,
            }
        )
        cls.pilot.action_start()
        for flow, arm, hours in (
            (cls.control, "control", range(10, 30)),
            (cls.variant, "variant", range(1, 21)),
        ):
            cls._history(
                flow,
                [
                    cls._serial(
                        [("Review", 0, h, "done", [])],
                        vals={"pilot_id": cls.pilot.id, "pilot_arm": arm},
                    )
                    for h in hours
                ],
            )

    def _render(self, date_from, date_to):
        data = {"date_from": str(date_from), "date_to": str(date_to)}
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "crossdept_analytics.report_process_review", self.env.company.ids, data=data
        )
        return html.decode()

    def _this_quarter(self):
        today = fields.Date.context_today(self.pilot)
        date_from = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return date_from, date_from + relativedelta(months=3, days=-1)

    def test_recommendations_and_pilots_of_the_quarter(self):
        self.assertEqual(self.recommendation.kind, "merge")
        self.assertIn("same person decided both levels on 10 of 10", self.recommendation.evidence)
        self.assertEqual((self.pilot.control_count, self.pilot.variant_count), (20, 20))
        self.assertTrue(self.pilot.verdict.startswith("The variant is faster: median 10.5 h"))
        html = self._render(*self._this_quarter())
        self.assertIn("Approval recommendations", html)
        self.assertIn(str(escape(self.recommendation.name)), html)
        self.assertIn(str(escape(self.recommendation.evidence)), html)
        self.assertNotIn("approved all 7 tickets", html)
        # one line per arm: finished tickets, median hours, verdict on the variant's
        self.assertIn("Faster review", html)
        self.assertIn(f"Control: {escape(self.control.display_name)}", html)
        self.assertIn(f"Variant: {escape(self.variant.display_name)}", html)
        self.assertIn("19.5", html)
        self.assertIn(str(escape(self.pilot.verdict)), html)
        self.assertNotIn("Pilot of 2020", html)

    def test_pdf_has_header_page_numbers_and_each_step_once_with_its_flow(self):
        """Both pilot arms have a step named Review: the PDF names each with its
        flow version, once, from the top of a page with a one-line header and a
        footer that number the pages."""
        self.env["crossdept.analytics.ticket"]._cron_refresh()
        data = {"date_from": "2024-01-01", "date_to": "2024-03-31"}
        Report = self.env["ir.actions.report"]
        html, _format = Report._render_qweb_html(
            "crossdept_analytics.report_process_review", self.env.company.ids, data=data
        )
        # what wkhtmltopdf gets as the header and footer of every page
        _bodies, _ids, header, footer, _args = Report._prepare_html(html)
        header, footer = str(header), str(footer)
        self.assertIn(self.env.company.name, header)
        self.assertIn('class="topage"', header)
        self.assertIn("Quarterly Process Review", footer)
        self.assertIn('class="page"', footer)
        self.assertIn('class="topage"', footer)
        # wkhtmltopdf would fetch the report's stylesheets from this test server, whose
        # request waits for the registry the test holds (and wkhtmltopdf with it, for
        # ever): a closed loopback port refuses at once, and the page is laid out by
        # the report's paper format (margins, header spacing), which is what is checked
        self.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
        pdf, report_format = Report.with_context(force_report_rendering=True)._render_qweb_pdf(
            "crossdept_analytics.report_process_review", self.env.company.ids, data=data
        )
        self.assertEqual(report_format, "pdf")
        words = subprocess.run(
            ["pdftotext", "-bbox", "-f", "1", "-l", "1", "-", "-"],
            input=pdf,
            capture_output=True,
            check=True,
        ).stdout.decode()
        page = etree.fromstring(words.encode(), etree.HTMLParser()).find(".//page")
        title = next(word for word in page.iter("word") if word.text == "Process")
        # the title starts the page: no third of it kept blank for a letterhead
        self.assertLess(float(title.get("ymin")), float(page.get("height")) / 8)
        self.assertGreater(float(title.get("xmin")), 14.0, "a left margin")
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        # a header and numbered pages, also where wkhtmltopdf prints no HTML header
        # (Debian's): then they are drawn on each page
        pages = [page for page in text.split("\f") if page.strip()]
        for number, page in enumerate(pages, start=1):
            with self.subTest(page=number):
                self.assertIn(self.env.company.name, page)
                self.assertIn("Quarterly Process Review", page)
                if not wkhtmltopdf_draws_headers():
                    self.assertIn(f"Page {number} of {len(pages)}", page)
        bottlenecks = text.split("Top bottleneck steps")[1].split("Open health alerts")[0]
        review_lines = [line for line in bottlenecks.splitlines() if "Review" in line]
        self.assertEqual(len(review_lines), 2, bottlenecks)
        for flow in (self.control, self.variant):
            self.assertEqual(
                len([line for line in review_lines if flow.display_name in line]),
                1,
                f"{flow.display_name}: {bottlenecks}",
            )

    def test_earlier_quarter_shows_its_own_pilots_only(self):
        self.recommendation.action_dismiss()
        html = self._render(date(2020, 1, 1), date(2020, 3, 31))
        self.assertIn("Pilot of 2020", html)
        self.assertNotIn("Faster review", html)
        self.assertIn("approved all 7 tickets it decided and adds a median 3.0 h", html)
        self.assertNotIn(str(escape(self.recommendation.evidence)), html)
