from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestDispatchSchedule(CrossdeptFlowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow([{"name": "Inspect"}])
        cls.schedule = cls.env["crossdept.dispatch.schedule"].create(
            {
                "name": "Weekly inspection",
                "type_id": cls.ticket_type.id,
                "flow_id": cls.flow.id,
                "target_kind": "department",
                "department_ids": [Command.set((cls.dept_it | cls.dept_finance).ids)],
                "rule_type": "weekly",
                "next_run": "2026-11-23 06:00:00",
            }
        )

    def _tickets(self):
        return self.env["crossdept.ticket"].search([("schedule_id", "=", self.schedule.id)])

    def _cron(self, when):
        with freeze_time(when):
            self.env["crossdept.dispatch.schedule"]._cron_run_due()

    def test_one_batch_per_period(self):
        self._cron("2026-11-23 05:00:00")
        self.assertFalse(self._tickets(), "not due yet")
        self._cron("2026-11-23 07:00:00")
        tickets = self._tickets()
        self.assertEqual(len(tickets), 2)
        self.assertEqual(
            sorted(tickets.mapped("title")),
            [
                "Weekly inspection: Finance (test) (2026-11-23)",
                "Weekly inspection: IT (test) (2026-11-23)",
            ],
        )
        self.assertEqual(set(tickets.mapped("state")), {"in_progress"}, "their flow started")
        self.assertEqual(self.schedule.next_run, datetime(2026, 11, 30, 6, 0))
        self._cron("2026-11-24 07:00:00")
        self.assertEqual(len(self._tickets()), 2, "nothing twice in a period")
        self._cron("2026-11-30 06:30:00")
        self.assertEqual(len(self._tickets()), 4)

    def test_missed_periods_are_caught_up_once(self):
        self._cron("2026-12-08 07:00:00")
        self.assertEqual(
            sorted(set(self._tickets().mapped("schedule_period"))),
            ["2026-11-23", "2026-11-30", "2026-12-07"],
        )
        self.assertEqual(len(self._tickets()), 6)

    def test_run_now_then_cron_does_not_duplicate(self):
        with freeze_time("2026-11-20 10:00:00"):
            self.schedule.action_run_now()
        self.assertEqual(len(self._tickets()), 2)
        self.assertEqual(self.schedule.next_run, datetime(2026, 11, 30, 6, 0))
        self._cron("2026-11-23 07:00:00")
        self.assertEqual(len(self._tickets()), 2)
        # a period run again (e.g. after a crash) only fills in what is missing
        self._tickets()[0].action_cancel()
        self.schedule._run_period(datetime(2026, 11, 23, 6, 0))
        self.assertEqual(len(self._tickets()), 2)

    def test_people_and_record_targets(self):
        people = self.schedule.copy(
            {
                "target_kind": "user",
                "user_ids": [Command.set((self.it_user | self.finance_user).ids)],
                "flow_id": False,
            }
        )
        tickets = people._run_period(datetime(2026, 11, 23, 6, 0))
        self.assertEqual(tickets.user_id, self.it_user | self.finance_user)
        equipment = self.env["res.partner"].create([{"name": "Forklift 1"}, {"name": "Forklift 2"}])
        records = self.schedule.copy(
            {
                "target_kind": "record",
                "target_model_id": self.env["ir.model"]._get_id("res.partner"),
                "target_domain": f"[('id', 'in', {equipment.ids})]",
                "flow_id": False,
            }
        )
        tickets = records._run_period(datetime(2026, 11, 23, 6, 0))
        self.assertEqual(set(tickets.mapped("dispatch_target_ref")), set(equipment))

    def test_bad_pattern_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "unknown key"):
            self.schedule.title_pattern = "{name} {team}"
        self.schedule.invalidate_recordset(flush=False)
        self.assertEqual(self.schedule.title_pattern, "{name}: {target} ({period})")

    def test_mass_step_transfer_wizard(self):
        self._cron("2026-11-23 07:00:00")
        steps = self._tickets().step_ids
        Wizard = self.env["crossdept.ticket.step.transfer"]
        with self.assertRaisesRegex(UserError, "needs a reason"):
            Wizard.create(
                {"step_ids": steps.ids, "user_id": self.finance_user.id, "reason": " "}
            ).action_apply()
        Wizard.create(
            {"step_ids": steps.ids, "user_id": self.finance_user.id, "reason": "Holiday cover"}
        ).action_apply()
        self.assertEqual(steps.user_id, self.finance_user)
        transfers = steps.ticket_id.event_ids.filtered(lambda e: e.event_type == "transfer")
        self.assertEqual(len(transfers), 2)
        self.assertEqual(set(transfers.mapped("reason")), {"Holiday cover"})
