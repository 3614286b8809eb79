from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL


@tagged("post_install", "-at_install")
class TestDashboardTour(HttpCase):
    """The dashboard of a manager of a company of their own, whose only ticket
    took six hours and was transferred once."""

    def test_dashboard_shows_tiles_charts_bottlenecks_and_alerts(self):
        company = self.env["res.company"].create({"name": "Tour Analytics Co"})
        new_test_user(
            self.env,
            "tour_analyst",
            groups="crossdept_ticket.group_crossdept_ticket_manager",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        department = self.env["hr.department"].create(
            {"name": "Tour department", "company_id": company.id}
        )
        flow = self.env["crossdept.flow"].create(
            {"name": "Tour flow", "code": "TOURAN", "company_id": company.id}
        )
        flow_step = self.env["crossdept.flow.step"].create(
            {"flow_id": flow.id, "name": "Tour review", "department_id": department.id}
        )
        ticket = self.env["crossdept.ticket"].create(
            {
                "title": "Tour analytics ticket",
                "company_id": company.id,
                "department_id": department.id,
                "flow_id": flow.id,
            }
        )
        step = self.env["crossdept.ticket.step"].create(
            {"ticket_id": ticket.id, "flow_step_id": flow_step.id, "name": "Tour review"}
        )
        ticket._log_events([{"ticket_id": ticket.id, "event_type": "transfer"}])
        self.env.flush_all()
        opened = fields.Datetime.now() - timedelta(days=3)
        self.env.cr.execute(
            SQL(
                """
                UPDATE crossdept_ticket
                   SET state = 'done', create_date = %(opened)s, date_closed = %(closed)s
                 WHERE id = %(ticket)s;
                UPDATE crossdept_ticket_step
                   SET state = 'done', date_ready = %(opened)s, date_started = %(opened)s,
                       date_done = %(closed)s
                 WHERE id = %(step)s
                """,
                opened=opened,
                closed=opened + timedelta(hours=6),
                ticket=ticket.id,
                step=step.id,
            )
        )
        self.env["crossdept.analytics.ticket"]._cron_refresh()
        rule = self.env["crossdept.health.rule"].create(
            {
                "name": "Tour transfers",
                "company_id": company.id,
                "kpi": "transfer_rate",
                "scope": "all",
                "operator": ">",
                "threshold": 50.0,
                "window_days": 30,
            }
        )
        rule._run()
        self.assertEqual(rule.open_alert_count, 1)
        self.start_tour(
            "/odoo/crossdept-dashboard", "crossdept_analytics_dashboard_tour", login="tour_analyst"
        )
