from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..tools import calendar as work_calendar
from .common_flow import CrossdeptFlowCase

# The test calendar works Mon-Fri 8-12 and 13-17 UTC. 2026-11-20 is a Friday,
# 2026-11-23 the Monday after it.


@tagged("post_install", "-at_install")
class TestStepSla(CrossdeptFlowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow([{"name": "Work", "sla": 8}])
        for user in (cls.it_user, cls.finance_user):
            user.employee_ids.resource_calendar_id = cls.calendar

    def _start(self, when):
        with freeze_time(when):
            return self._step(self._run(self.flow), "Work")

    def _leave(self, user, date_from, date_to):
        return self.env["resource.calendar.leaves"].create(
            {
                "name": f"Leave of {user.name}",
                "calendar_id": self.calendar.id,
                "resource_id": user.employee_ids.resource_id.id,
                "date_from": date_from,
                "date_to": date_to,
            }
        )

    def _wait(self, step, pause, resume):
        ticket = step.ticket_id
        with freeze_time(pause):
            ticket.action_wait()
        with freeze_time(resume):
            ticket.action_start()

    def test_a_leave_inside_the_pause_counts_once(self):
        # the assignee is away Monday afternoon: 8 working hours from Monday 8:00 end
        # on Tuesday 12:00
        self._leave(self.it_user, "2026-11-23 13:00:00", "2026-11-23 17:00:00")
        step = self._start("2026-11-23 08:00:00")
        self.assertEqual(step.date_deadline, datetime(2026, 11, 24, 12, 0))
        # paused at 10:00 (2 hours used, 6 left) until Wednesday 8:00; the pause held
        # 10 of the assignee's working hours (Monday 10-12, Tuesday 8-12 and 13-17)
        self._wait(step, "2026-11-23 10:00:00", "2026-11-25 08:00:00")
        self.assertEqual(step.sla_paused_hours, 10.0)
        # 6 hours left from Wednesday 8:00: 8-12 and 13-15 (the leave was not counted
        # a second time, which would have given Thursday 10:00)
        self.assertEqual(step.date_deadline, datetime(2026, 11, 25, 15, 0))
        self.assertFalse(step.date_paused)
        self.assertEqual(step.sla_status, "on_track")

    def test_paused_hours_are_set_by_the_engine_only(self):
        step = self._start("2026-11-23 08:00:00")
        for user in (self.it_user, self.env.user):
            with self.assertRaisesRegex(
                UserError,
                "Paused Working Hours of Ticket Step is set by CrossDept's engine.*"
                "use Wait and Start on the ticket",
            ):
                step.with_user(user).write({"sla_paused_hours": 40})
        self.assertEqual(step.sla_paused_hours, 0.0)

    def test_two_pauses_add_up(self):
        step = self._start("2026-11-23 08:00:00")
        self.assertEqual(step.date_deadline, datetime(2026, 11, 23, 17, 0))
        self._wait(step, "2026-11-23 09:00:00", "2026-11-23 10:00:00")
        self._wait(step, "2026-11-23 11:00:00", "2026-11-23 14:00:00")
        # 1 hour, then 11-12 and 13-14: 3 working hours paused in all
        self.assertEqual(step.sla_paused_hours, 3.0)
        self.assertEqual(step.date_deadline, datetime(2026, 11, 24, 11, 0))

    def test_overdue_when_paused_stays_breached(self):
        step = self._start("2026-11-23 08:00:00")
        self.assertEqual(step.date_deadline, datetime(2026, 11, 23, 17, 0))
        # the SLA cron has not run since the deadline passed
        self.assertEqual(step.sla_status, "on_track")
        with freeze_time("2026-11-23 17:30:00"):
            step.ticket_id.action_wait()
        self.assertEqual(step.sla_status, "breached", "found overdue when paused")
        with freeze_time("2026-11-25 10:00:00"):
            step.ticket_id.action_start()
            self.env["crossdept.ticket.step"]._cron_update_sla_status()
        self.assertEqual(step.date_deadline, datetime(2026, 11, 23, 17, 0), "not pushed")
        self.assertEqual(step.sla_paused_hours, 0.0)
        self.assertEqual(step.sla_status, "breached")
        # nor by a reassignment
        with freeze_time("2026-11-25 11:00:00"):
            self.env["crossdept.ticket.step.transfer"].create(
                {"step_ids": step.ids, "user_id": self.finance_user.id, "reason": "Cover"}
            ).action_apply()
        self.assertEqual(
            (step.date_deadline, step.sla_status), (datetime(2026, 11, 23, 17, 0), "breached")
        )

    def test_reassignment_plans_on_the_new_assignees_calendar(self):
        # the new assignee is away on Tuesday, and works in Shanghai (UTC+8)
        self._leave(self.finance_user, "2026-11-24 00:00:00", "2026-11-24 23:59:59")
        step = self._start("2026-11-23 08:00:00")
        self.assertEqual(step.date_deadline, datetime(2026, 11, 23, 17, 0))
        with freeze_time("2026-11-23 09:00:00"):
            self.env["crossdept.ticket.step.transfer"].create(
                {"step_ids": step.ids, "user_id": self.finance_user.id, "reason": "Cover"}
            ).action_apply()
        # from Monday 8:00 for them: Monday 8-12 and 13-17 is 8 hours, so no change
        self.assertEqual(step.date_deadline, datetime(2026, 11, 23, 17, 0))
        step.invalidate_recordset()
        self.finance_user.employee_ids.resource_id.tz = "Asia/Shanghai"
        with freeze_time("2026-11-23 10:00:00"):
            self.env["crossdept.ticket.step.transfer"].create(
                {"step_ids": step.ids, "user_id": self.it_user.id, "reason": "Back"}
            ).action_apply()
            self.env["crossdept.ticket.step.transfer"].create(
                {"step_ids": step.ids, "user_id": self.finance_user.id, "reason": "Again"}
            ).action_apply()
        # Shanghai 8-12, 13-17 is 0-4, 5-9 UTC: Monday 8:00 UTC (16:00 there) has one
        # hour left that day, Tuesday is the leave, Wednesday 0-4 and 5-8 UTC
        self.assertEqual(step.date_deadline, datetime(2026, 11, 25, 8, 0))

    def test_at_risk_counts_working_hours(self):
        """At risk once 80% of the SLA's working hours have passed (1.6 of 8 hours
        left), not 80% of the wall-clock time to the deadline."""
        step = self._start("2026-11-20 14:00:00")
        # Friday 14-17 (3 hours), Monday 8-12 and 13-14 (5 hours)
        self.assertEqual(step.date_deadline, datetime(2026, 11, 23, 14, 0))
        Step = self.env["crossdept.ticket.step"]
        for when, status in [
            # 92% of the wall-clock span has passed, 3.5 of 8 working hours
            ("2026-11-23 08:30:00", "on_track"),
            ("2026-11-23 11:20:00", "on_track"),  # 1h40 left
            ("2026-11-23 11:30:00", "at_risk"),  # 1h30 left
            ("2026-11-23 14:01:00", "breached"),
        ]:
            with freeze_time(when):
                Step._cron_update_sla_status()
            self.assertEqual(step.sla_status, status, when)

    def test_at_risk_counts_the_assignees_leave(self):
        step = self._start("2026-11-23 08:00:00")
        self.assertEqual(step.date_deadline, datetime(2026, 11, 23, 17, 0))
        # a leave taken since the step became ready leaves one working hour before the
        # deadline
        self._leave(self.it_user, "2026-11-23 10:30:00", "2026-11-23 16:30:00")
        with freeze_time("2026-11-23 10:00:00"):
            self.env["crossdept.ticket.step"]._cron_update_sla_status()
        self.assertEqual(step.sla_status, "at_risk")

    def test_calendar_functions(self):
        calendar = self.calendar
        resource = self.it_user.employee_ids.resource_id
        self._leave(self.it_user, "2026-11-23 13:00:00", "2026-11-23 17:00:00")
        friday, wednesday = datetime(2026, 11, 20, 14, 0), datetime(2026, 11, 25, 9, 0)
        self.assertEqual(work_calendar.work_hours(calendar, friday, wednesday), 20.0)
        self.assertEqual(work_calendar.work_hours(calendar, friday, wednesday, resource), 16.0)
        self.assertEqual(work_calendar.work_hours(calendar, wednesday, friday, resource), 0.0)
        for hours in (0.5, 3, 7, 16, 40, 200):
            self.assertEqual(
                work_calendar.plan_hours(calendar, friday, hours, resource),
                calendar.plan_hours(hours, friday, compute_leaves=True, resource=resource),
                f"{hours} hours",
            )
        planned = work_calendar.plan_hours_batch(
            calendar, friday, {"mine": (resource, 8), "calendar": (resource.browse(), 8)}
        )
        self.assertEqual(
            planned,
            {"mine": datetime(2026, 11, 24, 9, 0), "calendar": datetime(2026, 11, 23, 14, 0)},
        )
        no_calendar = calendar.browse()
        self.assertEqual(
            work_calendar.plan_hours(no_calendar, friday, 8), datetime(2026, 11, 20, 22, 0)
        )
        self.assertEqual(work_calendar.work_hours(no_calendar, friday, wednesday), 115.0)
        presence = work_calendar.presence(
            calendar,
            datetime(2026, 11, 23, 14, 0),
            resource | self.finance_user.employee_ids.resource_id,
        )
        self.assertEqual(list(presence.values()), [work_calendar.ON_LEAVE, work_calendar.WORKING])
        self.assertEqual(
            work_calendar.presence(calendar, datetime(2026, 11, 23, 12, 30), resource),
            {resource.id: work_calendar.OFF_HOURS},
        )
