from datetime import datetime, time, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL


def always_open_calendar(env, company):
    """A calendar working every hour of every day (UTC): the tours' steps measure as
    many working hours as clock hours, whatever day of the week the test runs on."""
    return env["resource.calendar"].create(
        {
            "name": f"{company.name}: always open",
            "company_id": company.id,
            "tz": "UTC",
            "attendance_ids": [Command.clear()]
            + [
                Command.create(
                    {"name": str(day), "dayofweek": str(day), "hour_from": 0, "hour_to": 24}
                )
                for day in range(7)
            ],
        }
    )


@tagged("post_install", "-at_install")
class TestDashboardTour(HttpCase):
    """The dashboard of a manager of a company of their own, whose only finished
    ticket took six hours in its one step, after a transfer; another ticket of
    theirs is open past its deadline. The engine ran both."""

    def test_dashboard_shows_tiles_charts_bottlenecks_and_alerts(self):
        company = self.env["res.company"].create({"name": "Tour Analytics Co"})
        manager = new_test_user(
            self.env,
            "tour_analyst",
            groups="crossdept_ticket.group_crossdept_ticket_manager",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        worker = new_test_user(
            self.env,
            "tour_worker",
            groups="crossdept_ticket.group_crossdept_ticket_user",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        department = self.env["hr.department"].create(
            {"name": "Tour department", "company_id": company.id}
        )
        employees = self.env["hr.employee"].create(
            [
                {"name": "Tour analyst", "user_id": manager.id, "company_id": company.id},
                {"name": "Tour worker", "user_id": worker.id, "company_id": company.id},
            ]
        )
        # the manager's employee of the tour's company (manager.employee_id is the one
        # of the current company): the analytics show a manager their departments
        department.manager_id = employees[0]
        flow = self.env["crossdept.flow"].create(
            {"name": "Tour flow", "code": "TOURAN", "company_id": company.id}
        )
        self.env["crossdept.flow.step"].create(
            {
                "flow_id": flow.id,
                "name": "Tour review",
                "department_id": department.id,
                "calendar_id": always_open_calendar(self.env, company).id,
                "assignment": "raci",
                "raci_ids": [
                    Command.create(
                        {"role": "responsible", "holder_type": "user", "user_id": manager.id}
                    )
                ],
            }
        )
        flow.action_activate()
        Ticket = self.env["crossdept.ticket"].with_company(company)
        values = {
            "company_id": company.id,
            "department_id": department.id,
            "assigned_department_id": department.id,
            "flow_id": flow.id,
        }
        # three days ago, from 8:00 to 14:00 (one calendar day: the period's)
        opened = datetime.combine(fields.Date.today() - timedelta(days=3), time(8))
        with freeze_time(opened):
            ticket = Ticket.create({"title": "Tour analytics ticket", **values})
            self.env.flush_all()
            # the ORM stamps creation with the transaction's time, not the clock's
            self.env.cr.execute(
                SQL("UPDATE crossdept_ticket SET create_date = %s WHERE id = %s", opened, ticket.id)
            )
            ticket.invalidate_recordset(["create_date"])
            ticket.action_start_flow()
        step = ticket.step_ids
        with freeze_time(opened + timedelta(hours=1)):
            step.action_reassign(worker, "Tour: the worker knows this")
            step.with_user(worker).action_start()
        with freeze_time(opened + timedelta(hours=6)):
            step.with_user(worker).action_finish()
        self.assertEqual(ticket.state, "done")
        # started ten days ago and still at its first step: the ticket's deadline,
        # its current step's, has passed
        with freeze_time(fields.Datetime.now() - timedelta(days=10)):
            late = Ticket.create({"title": "Tour overdue ticket", **values})
            late.action_start_flow()
        self.assertLess(late.date_deadline, fields.Datetime.now())
        self.env["crossdept.analytics.ticket"]._cron_refresh()
        rule = self.env["crossdept.health.rule"].create(
            {
                "name": "Tour transfers",
                "company_id": company.id,
                "kpi": "transfer_rate",
                "scope": "all",
                "operator": ">",
                "threshold": 20.0,
                "window_days": 30,
                # a company-wide alert is read by whom it notifies
                "user_id": manager.id,
            }
        )
        rule._run()
        self.assertEqual(rule.open_alert_count, 1)
        self.start_tour(
            "/odoo/crossdept-dashboard", "crossdept_analytics_dashboard_tour", login="tour_analyst"
        )

    def test_bars_are_as_high_as_their_values(self):
        """Two tickets closed in two weeks, after 6 and 7 hours: the bars of the
        handling time chart are 6/7 of each other, not drawn at one height."""
        company = self.env["res.company"].create({"name": "Tour Bars Co"})
        manager = new_test_user(
            self.env,
            "tour_bars",
            groups="crossdept_ticket.group_crossdept_ticket_manager",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        department = self.env["hr.department"].create(
            {"name": "Bars department", "company_id": company.id}
        )
        department.manager_id = self.env["hr.employee"].create(
            {"name": "Bars manager", "user_id": manager.id, "company_id": company.id}
        )
        flow = self.env["crossdept.flow"].create(
            {"name": "Bars flow", "code": "TOURBAR", "company_id": company.id}
        )
        self.env["crossdept.flow.step"].create(
            {
                "flow_id": flow.id,
                "name": "Bars review",
                "department_id": department.id,
                "calendar_id": always_open_calendar(self.env, company).id,
                "assignment": "raci",
                "raci_ids": [
                    Command.create(
                        {"role": "responsible", "holder_type": "user", "user_id": manager.id}
                    )
                ],
            }
        )
        flow.action_activate()
        Ticket = self.env["crossdept.ticket"].with_company(company)
        # 3 and 10 days ago: two different Monday-to-Sunday weeks of the last 30 days
        for days, hours in ((3, 6), (10, 7)):
            opened = datetime.combine(fields.Date.today() - timedelta(days=days), time(8))
            with freeze_time(opened):
                ticket = Ticket.create(
                    {
                        "title": f"Bars ticket {hours} h",
                        "company_id": company.id,
                        "department_id": department.id,
                        "assigned_department_id": department.id,
                        "flow_id": flow.id,
                    }
                )
                self.env.flush_all()
                self.env.cr.execute(
                    SQL(
                        "UPDATE crossdept_ticket SET create_date = %s WHERE id = %s",
                        opened,
                        ticket.id,
                    )
                )
                ticket.invalidate_recordset(["create_date"])
                ticket.action_start_flow()
                ticket.step_ids.with_user(manager).action_start()
            with freeze_time(opened + timedelta(hours=hours)):
                ticket.step_ids.with_user(manager).action_finish()
            self.assertEqual(ticket.state, "done")
        self.env["crossdept.analytics.ticket"]._cron_refresh()
        self.start_tour(
            "/odoo/crossdept-dashboard",
            "crossdept_analytics_dashboard_bars_tour",
            login="tour_bars",
        )
