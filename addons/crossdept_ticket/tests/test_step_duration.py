from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase

# The test calendar works Mon-Fri 8-12 and 13-17 UTC. 2026-11-23 is a Monday.


@tagged("post_install", "-at_install")
class TestStepDuration(CrossdeptFlowCase):
    """The engine measures, when a step ends, its handling and on-hold working hours
    on the step's calendar for its assignee."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow([{"name": "Work", "sla": 8}])
        cls.approval_flow, steps = cls._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": cls.approver_1,
                },
            ],
            activate=False,
        )
        steps["Approve"].write(
            {"reject_action": "return", "reject_return_step_id": steps["Prepare"].id}
        )
        cls.approval_flow.action_activate()

    def _work_step(self, when):
        with freeze_time(when):
            return self._step(self._run(self.flow), "Work").with_user(self.it_user)

    def test_hold_is_left_out_of_handling(self):
        step = self._work_step("2026-11-23 08:00:00")
        ticket = step.ticket_id.with_user(self.it_user)
        with freeze_time("2026-11-23 08:30:00"):
            step.action_start()
        with freeze_time("2026-11-23 10:00:00"):
            ticket.action_wait()
        with freeze_time("2026-11-24 09:00:00"):
            ticket.action_start()
        self.assertFalse(step.date_measured, "measured when the step ends")
        with freeze_time("2026-11-24 11:00:00"):
            step.action_finish()
        # ready Monday 8:00, done Tuesday 11:00: 8 + 3 = 11 working hours; on hold
        # Monday 10-12 and 13-17, Tuesday 8-9 = 7; handling 11 - 7 = 4
        self.assertEqual((step.handling_hours, step.hold_hours), (4.0, 7.0))
        self.assertEqual(step.date_measured, step.date_done)

    def test_a_leave_of_the_assignee_is_no_working_time(self):
        self.it_user.employee_ids.resource_calendar_id = self.calendar
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Leave of the IT user",
                "calendar_id": self.calendar.id,
                "resource_id": self.it_user.employee_ids.resource_id.id,
                "date_from": "2026-11-23 13:00:00",
                "date_to": "2026-11-23 17:00:00",
            }
        )
        step = self._work_step("2026-11-23 08:00:00")
        with freeze_time("2026-11-23 09:00:00"):
            step.action_start()
        with freeze_time("2026-11-24 10:00:00"):
            step.action_finish()
        # Monday 8-12 (the afternoon off), Tuesday 8-10
        self.assertEqual((step.handling_hours, step.hold_hours), (6.0, 0.0))

    def test_a_step_made_ready_again_starts_afresh(self):
        with freeze_time("2026-11-23 08:00:00"):
            ticket = self._run(self.approval_flow)
        prepare = self._step(ticket, "Prepare").with_user(self.it_user)
        with freeze_time("2026-11-23 08:00:00"):
            prepare.action_start()
        with freeze_time("2026-11-23 10:00:00"):
            prepare.action_finish()
        self.assertEqual(prepare.handling_hours, 2.0)
        with freeze_time("2026-11-23 11:00:00"):
            self._step(ticket, "Approve").with_user(self.approver_1).action_reject("No figures")
        # back to Prepare: ready again at 11:00, nothing measured yet
        self.assertEqual(prepare.state, "ready")
        self.assertEqual((prepare.handling_hours, prepare.date_measured), (0.0, False))
        with freeze_time("2026-11-23 11:00:00"):
            prepare.action_start()
        with freeze_time("2026-11-23 14:00:00"):
            prepare.action_finish()
        # 11-12 and 13-14: the last pass only
        self.assertEqual(prepare.handling_hours, 2.0)

    def test_the_measure_is_the_engines(self):
        step = self._work_step("2026-11-23 08:00:00")
        for user in (self.it_user, self.env.user):
            with self.assertRaisesRegex(
                UserError,
                "Handling Working Hours of Ticket Step is set by CrossDept's engine.*"
                "use the step's Start, Finish, Approve or Refuse",
            ):
                step.with_user(user).write({"handling_hours": 1.0})
            with self.assertRaisesRegex(
                UserError,
                "On Hold Working Hours of Ticket Step is set by CrossDept's engine.*"
                "use Wait and Start on the ticket",
            ):
                step.with_user(user).write({"hold_hours": 2.0})
        self.assertEqual((step.handling_hours, step.hold_hours), (0.0, 0.0))
        self.assertFalse(step.date_measured)
