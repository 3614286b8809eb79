from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase

# 2026-11-20 is a Friday; the test calendar works Mon-Fri 8-12 and 13-17 UTC


@tagged("post_install", "-at_install")
class TestFlowDeadline(CrossdeptFlowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow([{"name": "Work", "sla": 8}])

    def _start(self, when):
        with freeze_time(when):
            return self._step(self._run(self.flow), "Work")

    def test_deadline_skips_the_weekend(self):
        step = self._start("2026-11-20 14:00:00")
        # Friday 14-17 (3h), Monday 8-12 (4h), 13-14 (1h)
        self.assertEqual(step.date_deadline, datetime(2026, 11, 23, 14, 0))
        self.assertEqual(step.sla_status, "on_track")

    def test_deadline_skips_a_public_holiday(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": self.calendar.id,
                "date_from": "2026-11-23 00:00:00",
                "date_to": "2026-11-23 23:59:59",
            }
        )
        step = self._start("2026-11-20 14:00:00")
        self.assertEqual(step.date_deadline, datetime(2026, 11, 24, 14, 0))

    def test_deadline_skips_the_assignees_leave(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Day off",
                "calendar_id": self.calendar.id,
                "resource_id": self.it_user.employee_ids.resource_id.id,
                "date_from": "2026-11-23 00:00:00",
                "date_to": "2026-11-23 23:59:59",
            }
        )
        step = self._start("2026-11-20 14:00:00")
        self.assertEqual(step.date_deadline, datetime(2026, 11, 24, 14, 0))

    def test_waiting_pauses_the_clock(self):
        step = self._start("2026-11-20 14:00:00")
        ticket = step.ticket_id
        with freeze_time("2026-11-20 15:00:00"):
            ticket.action_wait()
        self.assertEqual(step.date_paused, datetime(2026, 11, 20, 15, 0))
        with freeze_time("2026-11-24 10:00:00"):
            step._update_sla_status()
            self.assertEqual(step.sla_status, "on_track", "a paused step does not breach")
            ticket.action_start()
        # 7 working hours were left (Fri 15-17, Mon 8-12, 13-14): Tue 10-12, 13-17, Wed 8-9
        self.assertEqual(step.date_deadline, datetime(2026, 11, 25, 9, 0))
        self.assertFalse(step.date_paused)

    def test_sla_status_at_risk_then_breached(self):
        step = self._start("2026-11-23 08:00:00")
        self.assertEqual(step.date_deadline, datetime(2026, 11, 23, 17, 0))
        Step = self.env["crossdept.ticket.step"]
        with freeze_time("2026-11-23 16:00:00"):
            Step._cron_update_sla_status()
        self.assertEqual(step.sla_status, "at_risk")
        with freeze_time("2026-11-23 18:00:00"):
            Step._cron_update_sla_status()
        self.assertEqual(step.sla_status, "breached")
        self.assertIn(step, Step.search([("sla_status", "=", "breached")]))
        with freeze_time("2026-11-23 18:30:00"):
            step.with_user(self.it_user).action_start()
            step.with_user(self.it_user).action_finish()
        self.assertEqual((step.state, step.sla_status), ("done", "breached"))
