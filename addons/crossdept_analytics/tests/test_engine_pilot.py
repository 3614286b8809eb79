from datetime import date

from freezegun import freeze_time

from odoo.addons.crossdept_ticket.tests.common_flow import CrossdeptFlowCase

from .common_engine_history import MON, TUE, at


class TestEnginePilot(CrossdeptFlowCase):
    """A pilot's figures on tickets the engine walked, as the people who act, under a
    frozen clock (the calendar works Mon-Fri 8-12 and 13-17 UTC).

    Flow: Prepare (task) -> Check (approval by approver 1, a 4 working-hour SLA).
    The pilot sends the Finance department's tickets to version 2 (the same steps),
    the others stay on the control. A pilot's cycle time is the ticket's cycle
    working hours (the handling working hours along its steps' critical path, here
    the sum of its serial steps), over the run that stands.

    * C1 (IT): 08:00 started; Prepare 08:00-10:00; Check approved 12:00 (ready
      10:00, due 14:00): 2 + 2 = 4 h, on time.
    * C2 (IT): 09:00 started; Prepare 09:00-09:30; Check ready 09:30, due 14:30
      (2.5 h before lunch, 1.5 h after); approved 15:00, late: 0.5 + 4.5 = 5
      working hours (6 clock hours).
    * C3 (IT), cancelled and run again (Tue): Prepare 08:00-09:00; cancelled 10:00
      (the run's steps are archived when it goes back to draft at 10:30); started
      again 11:00: Prepare 11:00-12:00, Check approved 14:00 (ready 12:00, due
      17:00, lunch left out): 1 + 1 = 2 h over the run that stands, on time (3 h
      more if the archived run counted).
    * V1 (Finance): 10:00 started; Prepare 10:00-11:00; Check approved 11:30: 1.5 h,
      on time.
    * V2 (Finance): 13:00 started; Prepare started 13:00, still running: not counted.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.control, _steps = cls._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Check",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": cls.approver_1,
                    "sla": 4,
                },
            ]
        )
        cls.variant = cls.control._copy_as_version(2)
        cls.pilot = cls.env["crossdept.pilot"].create(
            {
                "name": "Finance first",
                "control_flow_id": cls.control.id,
                "variant_flow_id": cls.variant.id,
                "scope": "department",
                "department_ids": [(6, 0, cls.dept_finance.ids)],
                "date_start": date(2021, 3, 1),
            }
        )
        cls.pilot.action_start()
        cls.c1 = cls._open(at(MON, 8))
        cls._work(cls.c1, "Prepare", at(MON, 8), at(MON, 10))
        cls._approve(cls.c1, at(MON, 12))
        cls.c2 = cls._open(at(MON, 9))
        cls._work(cls.c2, "Prepare", at(MON, 9), at(MON, 9, 30))
        cls._approve(cls.c2, at(MON, 15))
        cls.c3 = cls._open(at(TUE, 8))
        cls._work(cls.c3, "Prepare", at(TUE, 8), at(TUE, 9))
        requester = cls.c3.with_user(cls.it_user)
        with freeze_time(at(TUE, 10)):
            requester.action_cancel()
        with freeze_time(at(TUE, 10, 30)):
            requester.action_draft()
        with freeze_time(at(TUE, 11)):
            requester.action_start_flow()
        cls._work(cls.c3, "Prepare", at(TUE, 11), at(TUE, 12))
        cls._approve(cls.c3, at(TUE, 14))
        cls.v1 = cls._open(at(MON, 10), cls.finance_user)
        cls._work(cls.v1, "Prepare", at(MON, 10), at(MON, 11))
        cls._approve(cls.v1, at(MON, 11, 30))
        cls.v2 = cls._open(at(MON, 13), cls.finance_user)
        with freeze_time(at(MON, 13)):
            cls._step(cls.v2, "Prepare").with_user(cls.it_user).action_start()

    @classmethod
    def _open(cls, when, requester=None):
        """The requester creates the ticket and starts it; the pilot picks its flow."""
        requester = requester or cls.it_user
        with freeze_time(when):
            ticket = (
                cls.env["crossdept.ticket"]
                .with_user(requester)
                .create(
                    {
                        "title": f"Pilot {when:%d %H:%M}",
                        "type_id": cls.ticket_type.id,
                        "department_id": requester.employee_id.department_id.id,
                        "requester_id": requester.id,
                    }
                )
            )
            ticket.action_start_flow()
        return ticket

    @classmethod
    def _approve(cls, ticket, when):
        with freeze_time(when):
            cls._step(ticket, "Check").with_user(cls.approver_1).action_approve()

    def test_the_pilot_routed_each_ticket_to_its_arm(self):
        controls, variants = self.c1 | self.c2 | self.c3, self.v1 | self.v2
        self.assertEqual(set(controls.mapped("pilot_arm")), {"control"})
        self.assertEqual(controls.flow_id, self.control)
        self.assertEqual(set(variants.mapped("pilot_arm")), {"variant"})
        self.assertEqual(variants.flow_id, self.variant)
        self.assertEqual(
            [t.state for t in (self.c1, self.c2, self.c3, self.v1, self.v2)],
            ["done", "done", "done", "done", "in_progress"],
        )
        # the engine judged C2's Check late, the others in time
        self.assertEqual(self._step(self.c2, "Check").sla_status, "breached")
        self.assertNotEqual(self._step(self.c1, "Check").sla_status, "breached")
        self.assertNotEqual(self._step(self.c3, "Check").sla_status, "breached")

    def test_arm_figures_count_the_run_that_stands(self):
        pilot = self.pilot.with_user(self.it_manager)
        # control: 4, 5 and 2 working hours (C3's first run left out), median 4;
        # variant: 1.5 h (V2 runs)
        self.assertEqual((pilot.control_count, pilot.variant_count), (3, 1))
        self.assertAlmostEqual(pilot.control_median_hours, 4.0)
        self.assertAlmostEqual(pilot.variant_median_hours, 1.5)
        self.assertAlmostEqual(pilot.control_on_time_rate, 100.0 * 2 / 3)
        self.assertAlmostEqual(pilot.variant_on_time_rate, 100.0)
        self.assertEqual(
            pilot.verdict,
            "Sample too small: 3 control and 1 variant tickets are finished; at least 20 "
            "per arm are needed before deciding.",
        )
