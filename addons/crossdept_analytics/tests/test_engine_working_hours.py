from datetime import date, datetime

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.crossdept_ticket.tests.common_flow import CrossdeptFlowCase


def at(day, hour, minute=0):
    """A time in March 2021 (UTC, every person's time zone): Friday the 5th, Monday
    the 8th, Tuesday the 9th, Wednesday the 10th."""
    return datetime(2021, 3, day, hour, minute)


FRI, MON, TUE, WED = 5, 8, 9, 10
MARCH = (date(2021, 3, 1), date(2021, 3, 31))


@tagged("post_install", "-at_install")
class TestEngineWorkingHours(CrossdeptFlowCase):
    """Durations in working hours on tickets the engine walked, as the people who
    act, under a frozen clock. The test calendar works Mon-Fri 8-12 and 13-17 UTC.
    Every expected figure is worked out by hand below, never read back from the
    view under test.

    Flow "Weekend": Intake (task) -> Review (task) and Legal (approval by approver
    1) in parallel -> Close (task, after both). A pilot sends the Finance
    department's tickets to version 2 (the same steps); IT's stay on the control.

    * W1 (IT), across a weekend with a hold: opened Fri 16:00 (Intake ready and
      started); 16:30 the ticket waits for the customer; Mon 08:30 it works again;
      Intake finished Mon 10:00: 3 working hours (Fri 16-17, Mon 8-10), 1 of them
      on hold (Fri 16:30-17, Mon 8-8:30): 2 handling + 1 waiting (66 clock hours).
      Review 10:00-15:00 = 4 (lunch left out); Legal approved 11:00 = 1; Close
      15:00-16:00 = 1. Critical path Intake 2 + Review 4 + Close 1 = 7 working
      hours; the steps' handling hours sum to 8; 72 clock hours from opening.
    * W2 (IT): opened Tue 08:00; Intake 08:00-09:00 = 1; Review 09:00-10:00 = 1;
      Legal approved 13:30 (ready 09:00: 9-12 + 13-13:30) = 3.5; Close
      13:30-14:00 = 0.5. Critical path 1 + 3.5 + 0.5 = 5; sum 6; 6 clock hours.
    * V1 (Finance, the variant): opened Wed 08:00; Intake 08:00-09:00 = 1; Review
      09:00-09:30 = 0.5; Legal approved 10:00 = 1; Close ready 10:00, started
      11:30, finished 13:30 = 10-12 + 13-13:30 = 2.5. Critical path 1 + 1 + 2.5 =
      4.5; 5.5 clock hours.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, cls.flow_steps = cls._make_flow(
            [
                {"name": "Intake"},
                {"name": "Review", "preds": ["Intake"]},
                {
                    "name": "Legal",
                    "kind": "approval",
                    "preds": ["Intake"],
                    "approvers": cls.approver_1,
                },
                {"name": "Close", "preds": ["Review", "Legal"]},
            ],
            name="Weekend",
        )
        cls.variant = cls.flow._copy_as_version(2)
        cls.pilot = cls.env["crossdept.pilot"].create(
            {
                "name": "Weekend pilot",
                "control_flow_id": cls.flow.id,
                "variant_flow_id": cls.variant.id,
                "scope": "department",
                "department_ids": [(6, 0, cls.dept_finance.ids)],
                "date_start": date(2021, 3, 1),
            }
        )
        cls.pilot.action_start()
        cls.w1 = cls._open(at(FRI, 16))
        intake = cls._step(cls.w1, "Intake").with_user(cls.it_user)
        with freeze_time(at(FRI, 16)):
            intake.action_start()
        with freeze_time(at(FRI, 16, 30)):
            cls.w1.with_user(cls.it_user).action_wait()
        with freeze_time(at(MON, 8, 30)):
            cls.w1.with_user(cls.it_user).action_start()
        with freeze_time(at(MON, 10)):
            intake.action_finish()
        review = cls._step(cls.w1, "Review").with_user(cls.it_user)
        with freeze_time(at(MON, 10)):
            review.action_start()
        cls._approve(cls.w1, at(MON, 11))
        with freeze_time(at(MON, 15)):
            review.action_finish()
        cls._work(cls.w1, "Close", at(MON, 15), at(MON, 16))

        cls.w2 = cls._open(at(TUE, 8))
        cls._work(cls.w2, "Intake", at(TUE, 8), at(TUE, 9))
        cls._work(cls.w2, "Review", at(TUE, 9), at(TUE, 10))
        cls._approve(cls.w2, at(TUE, 13, 30))
        cls._work(cls.w2, "Close", at(TUE, 13, 30), at(TUE, 14))

        cls.v1 = cls._open(at(WED, 8), cls.finance_user)
        cls._work(cls.v1, "Intake", at(WED, 8), at(WED, 9))
        cls._work(cls.v1, "Review", at(WED, 9), at(WED, 9, 30))
        cls._approve(cls.v1, at(WED, 10))
        cls._work(cls.v1, "Close", at(WED, 11, 30), at(WED, 13, 30))
        cls.env["crossdept.analytics.ticket"]._cron_refresh()
        cls.it_manager.groups_id += cls.env.ref("crossdept_analytics.group_crossdept_analytics_all")
        cls.Kpi = cls.env["crossdept.analytics.kpi"].with_user(cls.it_manager)

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
                        "title": f"Weekend {when:%d %H:%M}",
                        "type_id": cls.ticket_type.id,
                        "department_id": requester.employee_id.department_id.id,
                        "requester_id": requester.id,
                    }
                )
            )
            # the ORM stamps creation with the transaction's time, not the clock's
            ticket.flush_recordset()
            cls.env.cr.execute(
                SQL("UPDATE crossdept_ticket SET create_date = %s WHERE id = %s", when, ticket.id)
            )
            ticket.invalidate_recordset(["create_date"])
            ticket.action_start_flow()
        return ticket

    @classmethod
    def _approve(cls, ticket, when):
        with freeze_time(when):
            cls._step(ticket, "Legal").with_user(cls.approver_1).action_approve()

    def test_the_engine_measured_the_weekend_step(self):
        self.assertEqual([t.state for t in (self.w1, self.w2, self.v1)], ["done", "done", "done"])
        self.assertEqual((self.w1.flow_id, self.v1.flow_id), (self.flow, self.variant))
        intake = self._step(self.w1, "Intake")
        # Fri 16:00 -> Mon 10:00: 3 working hours, 1 on hold, 2 handled
        self.assertEqual((intake.handling_hours, intake.hold_hours), (2.0, 1.0))
        self.assertEqual(self._step(self.w1, "Review").handling_hours, 4.0)

    def test_ticket_facts_cycle_on_the_critical_path(self):
        facts = (
            self.env["crossdept.analytics.ticket"]
            .with_user(self.it_manager)
            .search([("ticket_id", "in", (self.w1 | self.w2 | self.v1).ids)], order="id")
        )
        self.assertEqual(facts.mapped("cycle_working_hours"), [7.0, 5.0, 4.5])
        # the parallel branches count once in the cycle, both in the handling hours
        self.assertEqual(facts.mapped("handling_hours"), [8.0, 6.0, 5.0])
        self.assertEqual(facts.mapped("hold_hours"), [1.0, 0.0, 0.0])
        self.assertEqual(facts.mapped("cycle_measured"), [True, True, True])
        # elapsed clock hours stay in the column named so: Fri 16:00 -> Mon 16:00
        self.assertEqual(facts.mapped("cycle_hours"), [72.0, 6.0, 5.5])

    def test_cycle_kpis(self):
        values = self.Kpi.compute(
            ["avg_hours", "median_hours", "p90_hours", "handling_hours", "hold_hours"],
            "flow",
            self.flow.id,
            *MARCH,
        )
        # the control's W1 7 and W2 5 working hours (72 and 6 clock hours)
        self.assertAlmostEqual(values["avg_hours"], 6.0)
        self.assertAlmostEqual(values["median_hours"], 6.0)
        # percentile_cont at 0.9 x 1: 5 + 0.9 x (7 - 5)
        self.assertAlmostEqual(values["p90_hours"], 6.8)
        # the steps' handling hours, parallel ones both counted: (8 + 6) / 2
        self.assertAlmostEqual(values["handling_hours"], 7.0)
        # waiting on the customer, apart: W1's hour
        self.assertAlmostEqual(values["hold_hours"], 0.5)

    def test_monthly_kpis(self):
        row = (
            self.env["crossdept.analytics.kpi.month"]
            .with_user(self.it_manager)
            .search(
                [("month", "=", date(2021, 3, 1)), ("flow_id", "=", self.flow.id)],
                order="scope",
            )
        )
        self.assertEqual(row.mapped("scope"), ["detail", "flow"])
        for line in row:
            self.assertEqual(line.closed_count, 2, line.scope)
            self.assertAlmostEqual(line.avg_hours, 6.0, msg=line.scope)
            self.assertAlmostEqual(line.median_hours, 6.0, msg=line.scope)
            self.assertAlmostEqual(line.p90_hours, 6.8, msg=line.scope)

    def test_bottleneck_share_and_rank(self):
        rows = {
            row.flow_step_id.name: row
            for row in self.env["crossdept.step.bottleneck"]
            .with_user(self.it_manager)
            .search([("flow_id", "=", self.flow.id)])
        }
        # handling working hours of the control's steps (W1 + W2): Intake 2 + 1 = 3,
        # Review 4 + 1 = 5, Legal 1 + 3.5 = 4.5, Close 1 + 0.5 = 1.5; 14 in all.
        # In clock hours Intake's weekend (66 h) would rank it first.
        expected = {"Review": (5.0, 1), "Legal": (4.5, 2), "Intake": (3.0, 3), "Close": (1.5, 4)}
        for name, (hours, rank) in expected.items():
            row = rows[name]
            self.assertEqual((row.sample_count, row.bottleneck_rank), (2, rank), name)
            self.assertAlmostEqual(row.total_hours_sum, hours, msg=name)
            self.assertAlmostEqual(row.share, 100.0 * hours / 14.0, msg=name)
        # waiting on the customer is reported apart: W1's hour over 2 Intakes
        self.assertAlmostEqual(rows["Intake"].hold_hours, 0.5)
        self.assertAlmostEqual(rows["Intake"].handling_hours, 1.5)
        # the clock hours from ready to started and to done remain, named so
        self.assertAlmostEqual(rows["Intake"].total_hours, (66 + 1) / 2)

    def test_dashboard_bottleneck_block(self):
        rows = self.Kpi.get_bottlenecks(*MARCH, filters={"flow_id": self.flow.id})
        self.assertEqual([row["name"] for row in rows], ["Review", "Legal", "Intake", "Close"])
        self.assertAlmostEqual(rows[0]["share"], 100.0 * 5 / 14)
        self.assertAlmostEqual(rows[2]["share"], 100.0 * 3 / 14)
        self.assertAlmostEqual(rows[2]["hold_hours"], 0.5)

    def test_pilot_cycles(self):
        pilot = self.pilot.with_user(self.it_manager)
        # control W1 7 and W2 5 working hours: median 6 (39 in clock hours); the
        # variant's V1 4.5 (5.5 in clock hours)
        self.assertEqual((pilot.control_count, pilot.variant_count), (2, 1))
        self.assertAlmostEqual(pilot.control_median_hours, 6.0)
        self.assertAlmostEqual(pilot.variant_median_hours, 4.5)
