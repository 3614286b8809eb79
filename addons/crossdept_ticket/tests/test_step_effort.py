import re
from contextlib import contextmanager
from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import USER
from .common_flow import CrossdeptFlowCase

# 2021-03-01 is a Monday; the test calendar works 8-12 and 13-17 UTC
MONDAY = datetime(2021, 3, 1, 8, 0)


@tagged("post_install", "-at_install")
class TestStepEffort(CrossdeptFlowCase):
    """Effort on steps, logged by hand and with the timer, by the people who may
    work on the step and nobody else. Flow: Prepare and Review side by side (IT,
    the IT user Responsible), then Check (an approval of approver 1)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.it_colleague = cls._make_user("it_colleague", USER, cls.dept_it)
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Prepare"},
                {"name": "Review"},
                {
                    "name": "Check",
                    "kind": "approval",
                    "preds": ["Prepare", "Review"],
                    "approvers": cls.approver_1,
                },
            ]
        )
        with freeze_time(MONDAY):
            cls.ticket = cls._run(cls.flow)
        cls.prepare = cls._step(cls.ticket, "Prepare")
        cls.review = cls._step(cls.ticket, "Review")
        cls.check = cls._step(cls.ticket, "Check")

    @contextmanager
    def assertRefused(self, exception, pattern):
        """assertRaises (which rolls back to a savepoint: a refused line is not
        left behind) and the message checked."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertRegex(str(caught.exception), pattern)

    def _log(self, user, step, **vals):
        return (
            self.env["crossdept.ticket.step.effort"]
            .with_user(user)
            .create({"step_id": step.id, **vals})
        )

    def test_member_logs_effort_by_hand_on_the_step_form(self):
        with freeze_time(datetime(2021, 3, 1, 10, 0)):
            with Form(self.prepare.with_user(self.it_user)) as form:
                with form.effort_ids.new() as line:
                    line.duration = 1.5
                    line.description = "Drafted the plan"
        line = self.prepare.effort_ids
        self.assertEqual(
            (line.user_id, line.date, line.duration, line.description),
            (self.it_user, MONDAY.date(), 1.5, "Drafted the plan"),
        )
        # a colleague of the step's department logs too; the totals add up
        self._log(self.it_colleague, self.review, duration=0.75)
        self.assertEqual(self.prepare.effort_hours, 1.5)
        self.assertEqual(self.review.effort_hours, 0.75)
        self.assertEqual(self.ticket.effort_hours, 2.25)

    def test_timer_writes_the_rounded_duration(self):
        step = self.prepare.with_user(self.it_user)
        with freeze_time(datetime(2021, 3, 1, 9, 0)):
            step.action_start_timer()
        step.invalidate_recordset()
        self.assertTrue(step.effort_timer_running)
        # a running timer is no effort yet
        self.assertEqual(step.effort_hours, 0.0)
        with freeze_time(datetime(2021, 3, 1, 10, 30, 40)):
            step.action_stop_timer()
        step.invalidate_recordset()
        line = step.effort_ids
        # 1 h 30 min 40 s: 91 whole minutes
        self.assertEqual((line.duration, line.timer_start), (91 / 60, False))
        self.assertFalse(step.effort_timer_running)
        self.assertAlmostEqual(step.effort_hours, 91 / 60)
        with self.assertRefused(UserError, "You have no timer running on step"):
            step.action_stop_timer()

    def test_one_running_timer_per_person(self):
        self.prepare.with_user(self.it_user).action_start_timer()
        with self.assertRefused(
            ValidationError,
            f"It User already has a timer running on step "
            f"{re.escape(self.prepare.display_name)}: stop it first.",
        ):
            self.review.with_user(self.it_user).action_start_timer()
        # somebody else's timer is theirs
        self.review.with_user(self.it_colleague).action_start_timer()
        self.assertEqual(len(self.ticket.step_ids.effort_ids.filtered("timer_start")), 2)

    def test_stranger_cannot_log_effort(self):
        # the Finance user does not see the IT ticket
        with self.assertRefused(
            AccessError, f"You cannot log effort on step #{self.prepare.id}: it belongs to a "
        ):
            self._log(self.finance_user, self.prepare, duration=1.0)
        with self.assertRefused(AccessError, "it belongs to a ticket you cannot see"):
            self.prepare.with_user(self.finance_user).action_start_timer()
        self.assertFalse(self.ticket.step_ids.effort_ids)

    def test_reader_who_does_not_work_on_the_step_cannot_log(self):
        # the Finance user requested this ticket: they read it, they do not work on it
        ticket = self._run(self.flow, requester_id=self.finance_user.id)
        step = self._step(ticket, "Prepare")
        self.assertTrue(step.with_user(self.finance_user).has_access("read"))
        with self.assertRefused(
            UserError,
            f"You cannot log effort on step {re.escape(step.display_name)}: only its "
            "assignee, its Responsible holders, its approvers, the members of its "
            "department and the ticket's managers can.",
        ):
            self._log(self.finance_user, step, duration=1.0)
        self.assertFalse(step.with_user(self.finance_user).can_log_effort)

    def test_approver_logs_effort_on_their_approval(self):
        for name in ("Prepare", "Review"):
            self._do(self.ticket, name)
        self.assertEqual(self.check.state, "ready")
        line = self._log(self.approver_1, self.check, duration=0.5)
        self.assertEqual((line.user_id, self.check.effort_hours), (self.approver_1, 0.5))

    def test_pending_step_takes_no_effort(self):
        with self.assertRefused(
            UserError,
            f"Step {re.escape(self.check.display_name)} is Pending: effort is logged on "
            "steps that are ready, in progress or finished.",
        ):
            self._log(self.it_user, self.check, duration=0.5)

    def test_bad_duration_refused_by_name(self):
        for hours in (0.0, -1.0, 25.0):
            with self.assertRefused(
                ValidationError,
                rf"Duration \(h\) of the effort on step "
                rf"{re.escape(self.prepare.display_name)} must be more than 0 and at most "
                rf"24.0 hours, not {hours}\.",
            ):
                self._log(self.it_user, self.prepare, duration=hours)
        line = self._log(self.it_user, self.prepare, duration=2.0)
        with self.assertRefused(ValidationError, "not 0.0"):
            line.with_user(self.it_user).duration = 0.0
        self.assertEqual(self.prepare.effort_hours, 2.0, "the refused change was not saved")

    def test_a_person_changes_only_their_own_effort(self):
        line = self._log(self.it_user, self.prepare, duration=2.0)
        message = (
            f"The effort It User logged on step {re.escape(self.prepare.display_name)} is "
            "theirs: only they or a manager of the ticket can change or delete it."
        )
        with self.assertRefused(UserError, message):
            line.with_user(self.it_colleague).duration = 3.0
        with self.assertRefused(UserError, message):
            line.with_user(self.it_colleague).unlink()
        # nor log in somebody else's name
        with self.assertRefused(UserError, "only a manager of the ticket logs effort for"):
            self._log(self.it_colleague, self.prepare, duration=1.0, user_id=self.it_user.id)
        # the IT manager manages the ticket: they correct it
        line.with_user(self.it_manager).duration = 3.0
        self.assertEqual(self.prepare.effort_hours, 3.0)
        line.with_user(self.it_user).unlink()
        self.assertEqual(self.prepare.effort_hours, 0.0)

    def test_effort_follows_its_ticket(self):
        self._log(self.it_user, self.prepare, duration=1.0)
        Effort = self.env["crossdept.ticket.step.effort"]
        self.assertEqual(
            Effort.with_user(self.it_colleague).search([("ticket_id", "=", self.ticket.id)]),
            self.prepare.effort_ids,
        )
        self.assertFalse(
            Effort.with_user(self.finance_user).search([("ticket_id", "=", self.ticket.id)])
        )

    def test_step_form_is_writable_through_its_effort_lines(self):
        # the step's other fields stay the engine's: only effort goes through
        self.prepare.with_user(self.it_user).write(
            {"effort_ids": [Command.create({"duration": 1.0})]}
        )
        self.assertEqual(self.prepare.effort_hours, 1.0)
