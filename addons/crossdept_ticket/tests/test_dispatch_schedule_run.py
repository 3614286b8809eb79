import uuid
from datetime import datetime

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from .common import delete_committed_ticket_type
from .common_flow import CrossdeptFlowCase
from .refusal import refused

MANAGER = "crossdept_ticket.group_crossdept_ticket_manager"


class WorkerKilled(Exception):
    """Stands for a cron worker dying before its transaction commits."""


@tagged("post_install", "-at_install")
class TestDispatchScheduleRun(CrossdeptFlowCase):
    """Schedules follow the active version of their flow, fail one at a time, and
    stay in their company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.planner = new_test_user(cls.env, "planner", groups=MANAGER, name="Planner")
        cls.flow, _steps = cls._make_flow([{"name": "Inspect"}])
        cls.other_flow, _steps = cls._make_flow([{"name": "Count"}])

    def _schedule(self, flow, companies=None, **vals):
        Schedule = self.env["crossdept.dispatch.schedule"].with_user(self.planner)
        if companies:
            Schedule = Schedule.with_context(allowed_company_ids=companies.ids)
        return Schedule.create(
            {
                "name": f"Weekly {flow.step_ids.name}",
                "type_id": self.ticket_type.id,
                "flow_id": flow.id,
                "target_kind": "department",
                "department_ids": [Command.set((self.dept_it | self.dept_finance).ids)],
                "rule_type": "weekly",
                "next_run": "2026-11-23 06:00:00",
                **vals,
            }
        )

    def _tickets(self, schedule):
        return self.env["crossdept.ticket"].search([("schedule_id", "=", schedule.id)])

    def _cron(self, when="2026-11-23 07:00:00"):
        with freeze_time(when):
            self.env["crossdept.dispatch.schedule"]._cron_run_due()

    def test_follows_the_active_version_of_its_flow(self):
        schedule = self._schedule(self.flow)
        new = self.flow.browse(self.flow.action_new_version()["res_id"])
        new.action_activate()
        self.assertEqual(self.flow.state, "archived")
        self._cron()
        tickets = self._tickets(schedule)
        self.assertEqual(len(tickets), 2)
        self.assertEqual(tickets.flow_id, new)
        self.assertEqual(set(tickets.mapped("state")), {"in_progress"})
        self.assertEqual(schedule.flow_id, new)
        self.assertFalse(schedule.last_error)
        self.assertIn(
            f"the schedule now starts {new.display_name}",
            " ".join(schedule.message_ids.mapped("body")),
        )

    def test_a_failing_schedule_is_reported_and_the_others_dispatch(self):
        broken = self._schedule(self.flow)
        working = self._schedule(self.other_flow)
        self.flow.action_archive_flow()
        self._cron()
        self.assertEqual(len(self._tickets(working)), 2)
        self.assertEqual(working.next_run, datetime(2026, 11, 30, 6, 0))
        self.assertFalse(self._tickets(broken))
        self.assertEqual(broken.next_run, datetime(2026, 11, 23, 6, 0), "still due")
        self.assertRegex(
            broken.last_error,
            rf"Recurring dispatch {broken.name}: its flow .* is Archived and no version of it "
            "is active",
        )
        self.assertIn("No tickets were created", " ".join(broken.message_ids.mapped("body")))
        messages = len(broken.message_ids)
        self._cron("2026-11-23 08:00:00")
        self.assertEqual(len(broken.message_ids), messages, "the same problem is told once")
        # a new version is activated: the missed period is created, the error cleared
        new = self.flow.browse(self.flow.action_new_version()["res_id"])
        new.action_activate()
        self._cron("2026-11-23 09:00:00")
        self.assertEqual(self._tickets(broken).flow_id, new)
        self.assertEqual(len(self._tickets(broken)), 2)
        self.assertFalse(broken.last_error)
        self.assertEqual(len(self._tickets(working)), 2)

    def test_a_failure_undoes_only_that_schedules_tickets(self):
        # the flow applies only to urgent tickets: the tickets are created, then
        # starting their flow fails
        picky, _steps = self._make_flow([{"name": "Triage"}], domain="[('priority', '=', '3')]")
        failing = self._schedule(picky, priority="1")
        working = self._schedule(self.other_flow)
        self._cron()
        self.assertFalse(
            self.env["crossdept.ticket"]
            .with_context(active_test=False)
            .search([("schedule_id", "=", failing.id)])
        )
        self.assertRegex(failing.last_error, "does not apply to ticket")
        self.assertEqual(len(self._tickets(working)), 2)

    def test_run_now_reports_a_flow_without_active_version(self):
        schedule = self._schedule(self.flow)
        self.flow.action_archive_flow()
        with refused(self, UserError, "no version of it is active"):
            schedule.with_user(self.planner).action_run_now()
        self.assertFalse(self._tickets(schedule))

    def test_schedules_stay_in_their_company(self):
        company_b = self.env["res.company"].create({"name": "Company B (test)"})
        self.planner.write({"company_ids": [Command.link(company_b.id)]})
        companies = company_b | self.company
        flow_a, _steps = self._make_flow([{"name": "Audit"}], company_id=self.company.id)
        with refused(self, UserError, "(?s)Incompatible companies on records.*flow_id"):
            self._schedule(flow_a, companies, company_id=company_b.id, department_ids=False)
        type_a = self.env["crossdept.ticket.type"].create(
            {"name": "Company A only", "company_id": self.company.id}
        )
        with refused(self, UserError, "(?s)Incompatible companies on records.*type_id"):
            self._schedule(
                self.flow,
                companies,
                company_id=company_b.id,
                department_ids=False,
                type_id=type_a.id,
            )
        # a shared flow and type: the tickets are the schedule company's
        schedule = self._schedule(
            self.flow,
            companies,
            company_id=company_b.id,
            target_kind="user",
            department_ids=False,
            user_ids=[Command.set(self.it_user.ids)],
        )
        self._cron()
        tickets = self._tickets(schedule)
        self.assertEqual(len(tickets), 1)
        self.assertEqual(tickets.company_id, company_b)
        self.assertEqual(tickets.flow_id, self.flow)

    def test_one_ticket_per_target_and_period(self):
        schedule = self._schedule(self.flow)
        self._cron()
        ticket = self._tickets(schedule)[:1]
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaisesRegex(IntegrityError, "schedule_period_target_uniq"),
            self.env.cr.savepoint(),
        ):
            # even the engine cannot create a second ticket for a target and period
            self.env["crossdept.ticket"]._engine().create(
                {
                    "title": "Twice",
                    "schedule_id": schedule.id,
                    "schedule_period": ticket.schedule_period,
                    "schedule_target": ticket.schedule_target,
                }
            ).flush_recordset()


@tagged("post_install", "-at_install")
class TestDispatchScheduleCrash(TransactionCase):
    """A cron worker that dies before committing leaves nothing behind; the run
    after it creates each ticket once. Works on committed data in its own cursors
    and removes it at the end."""

    def _setup_committed(self):
        suffix = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # keep schedules that exist already out of this cron run
            env["crossdept.dispatch.schedule"].search([]).write({"active": False})
            user = new_test_user(env, f"crash_{suffix}", groups="base.group_user")
            ticket_type = env["crossdept.ticket.type"].create({"name": f"Crash {suffix}"})
            flow = env["crossdept.flow"].create(
                {
                    "name": "Crash test",
                    "code": f"CRASH{suffix}",
                    "type_ids": [Command.set(ticket_type.ids)],
                    "step_ids": [
                        Command.create(
                            {
                                "name": "Look",
                                "raci_ids": [
                                    Command.create({"role": "responsible", "user_id": user.id})
                                ],
                            }
                        )
                    ],
                }
            )
            flow.action_activate()
            schedule = env["crossdept.dispatch.schedule"].create(
                {
                    "name": f"Crash {suffix}",
                    "type_id": ticket_type.id,
                    "flow_id": flow.id,
                    "target_kind": "user",
                    "user_ids": [Command.set(user.ids)],
                    "rule_type": "daily",
                    "next_run": "2026-11-23 06:00:00",
                }
            )
            return {
                "schedule": schedule.id,
                "flow": flow.id,
                "type": ticket_type.id,
                "user": user.id,
                "inactive": env["crossdept.dispatch.schedule"]
                .with_context(active_test=False)
                .search([("active", "=", False), ("id", "!=", schedule.id)])
                .ids,
            }

    def _cleanup(self, ids):
        with self.registry.cursor() as cr:
            cr.execute(
                SQL("SELECT id FROM crossdept_ticket WHERE schedule_id = %s", ids["schedule"])
            )
            tickets = tuple(row[0] for row in cr.fetchall()) or (0,)
            for table, model in (
                ("mail_activity", "res_model"),
                ("mail_message", "model"),
                ("mail_followers", "res_model"),
            ):
                cr.execute(
                    SQL(
                        "DELETE FROM %s WHERE %s = 'crossdept.ticket' AND res_id IN %s",
                        SQL.identifier(table),
                        SQL.identifier(model),
                        tickets,
                    )
                )
            cr.execute(SQL("DELETE FROM crossdept_ticket WHERE id IN %s", tickets))
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crossdept.dispatch.schedule"].browse(ids["schedule"]).unlink()
            cr.execute(SQL("DELETE FROM crossdept_flow WHERE id = %s", ids["flow"]))
            delete_committed_ticket_type(cr, ids["type"])
            env["res.users"].browse(ids["user"]).active = False
            env["crossdept.dispatch.schedule"].browse(ids["inactive"]).write({"active": True})

    def _state(self, ids):
        with self.registry.cursor() as cr:
            cr.execute(
                SQL("SELECT COUNT(*) FROM crossdept_ticket WHERE schedule_id = %s", ids["schedule"])
            )
            count = cr.fetchone()[0]
            cr.execute(
                SQL(
                    "SELECT next_run FROM crossdept_dispatch_schedule WHERE id = %s",
                    ids["schedule"],
                )
            )
            return count, cr.fetchone()[0]

    def _run_cron(self, crash=False):
        with freeze_time("2026-11-25 07:00:00"), self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crossdept.dispatch.schedule"]._cron_run_due()
            if crash:
                raise WorkerKilled()

    def test_rerun_after_a_crash_creates_each_ticket_once(self):
        ids = self._setup_committed()
        self.addCleanup(self._cleanup, ids)
        with self.assertRaises(WorkerKilled):
            self._run_cron(crash=True)
        self.assertEqual(self._state(ids), (0, datetime(2026, 11, 23, 6, 0)))
        self._run_cron()
        # three days were due: one ticket each, and the next run moved with them
        self.assertEqual(self._state(ids), (3, datetime(2026, 11, 26, 6, 0)))
        self._run_cron()
        self.assertEqual(self._state(ids), (3, datetime(2026, 11, 26, 6, 0)))
