from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.crossdept_ticket.tests.common import MANAGER
from odoo.addons.crossdept_ticket.tests.common_flow import CrossdeptFlowCase


def at(day, hour, minute=0):
    # 2021-03-01 is a Monday; the test calendar works Mon-Fri 8-12 and 13-17 UTC
    return datetime(2021, 3, day, hour, minute)


@tagged("post_install", "-at_install")
class TestFlowEfficiency(CrossdeptFlowCase):
    """Touch time, waiting time and flow efficiency of two tickets the engine walks
    under a frozen clock, worked out by hand from the timeline (never read back
    from the view under test).

    Flow "Lean": Make (IT, value-adding) -> Ship (Finance); the IT user holds both.

    * T1, Mon 1: created and started 08:00 (Make ready); 09:00 Make started and
      the timer started, stopped 11:00 (2 h); Make finished 14:00: lead 08-12 +
      13-14 = 5 working h. Ship ready 14:00, started 15:00, 0.5 h logged by hand,
      finished Tue 09:00: lead 14-17 + 08-09 = 4 h.
    * T2, Tue 2: created and started 13:00; Make started 13:00, finished 15:00 (lead
      2 h) with 6 h logged (two lines of 3 h: two people side by side count the
      time once, touch 2 h); Ship 15:00-16:00 (lead 1 h), nothing logged.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Make", "value_adding": True},
                {"name": "Ship", "preds": ["Make"], "department_id": cls.dept_finance.id},
            ],
            name="Lean",
        )
        cls.t1 = cls._open(at(1, 8))
        make = cls._step(cls.t1, "Make").with_user(cls.it_user)
        with freeze_time(at(1, 9)):
            make.action_start()
            make.action_start_timer()
        with freeze_time(at(1, 11)):
            make.action_stop_timer()
        with freeze_time(at(1, 14)):
            make.action_finish()
        ship = cls._step(cls.t1, "Ship").with_user(cls.it_user)
        with freeze_time(at(1, 15)):
            ship.action_start()
            cls._log(ship, 0.5)
        with freeze_time(at(2, 9)):
            ship.action_finish()

        cls.t2 = cls._open(at(2, 13))
        make = cls._step(cls.t2, "Make").with_user(cls.it_user)
        with freeze_time(at(2, 13)):
            make.action_start()
            cls._log(make, 3.0)
            cls._log(make, 3.0)
        with freeze_time(at(2, 15)):
            make.action_finish()
        ship = cls._step(cls.t2, "Ship").with_user(cls.it_user)
        with freeze_time(at(2, 15)):
            ship.action_start()
        with freeze_time(at(2, 16)):
            ship.action_finish()
        cls.Effort = cls.env["crossdept.analytics.effort"].with_user(cls.it_manager)

    @classmethod
    def _open(cls, when):
        with freeze_time(when):
            ticket = cls._make_ticket(flow_id=cls.flow.id)
            ticket.with_user(cls.it_user).action_start_flow()
        return ticket

    @classmethod
    def _log(cls, step, hours):
        cls.env["crossdept.ticket.step.effort"].with_user(step.env.user).create(
            {"step_id": step.id, "duration": hours}
        )

    def test_steps_have_their_lead_and_touch_time(self):
        rows = self.Effort.search([("flow_id", "=", self.flow.id)])
        figures = {
            (row.ticket_id, row.flow_step_id.name): (
                row.lead_hours,
                row.logged_hours,
                row.touch_hours,
                row.wait_hours,
                row.department_id,
            )
            for row in rows
        }
        self.assertEqual(
            figures,
            {
                (self.t1, "Make"): (5.0, 2.0, 2.0, 3.0, self.dept_it),
                (self.t1, "Ship"): (4.0, 0.5, 0.5, 3.5, self.dept_finance),
                # 6 h logged in a 2 h lead time: 2 h touched
                (self.t2, "Make"): (2.0, 6.0, 2.0, 0.0, self.dept_it),
                (self.t2, "Ship"): (1.0, 0.0, 0.0, 1.0, self.dept_finance),
            },
        )
        self.assertTrue(all(rows.mapped("measured")))

    def test_flow_efficiency_per_flow_version_and_department(self):
        # the flow version: touch 2 + 0.5 + 2 + 0 = 4.5 of a lead 5 + 4 + 2 + 1 = 12
        for groupby in ("flow_id", "flow_code"):
            [(key, touch, lead, efficiency)] = self.Effort._read_group(
                [("flow_id", "=", self.flow.id)],
                [groupby],
                ["touch_hours:sum", "lead_hours:sum", "flow_efficiency:avg"],
            )
            self.assertEqual((touch, lead), (4.5, 12.0), groupby)
            self.assertAlmostEqual(efficiency, 37.5, msg=groupby)
        self.assertEqual(key, self.flow.code)
        by_department = dict(
            self.Effort._read_group(
                [("flow_id", "=", self.flow.id)], ["department_id"], ["flow_efficiency:avg"]
            )
        )
        # IT (Make): 4 of 7 h; Finance (Ship): 0.5 of 5 h
        self.assertAlmostEqual(by_department[self.dept_it], 100.0 * 4 / 7)
        self.assertAlmostEqual(by_department[self.dept_finance], 10.0)

    def test_value_stream_shows_touch_against_waiting_time(self):
        flow = self.flow.with_user(self.it_manager)
        self.assertAlmostEqual(flow.touch_hours, 4.5)
        self.assertAlmostEqual(flow.touch_wait_hours, 7.5)
        self.assertAlmostEqual(flow.flow_efficiency, 37.5)
        rows = {row.flow_step_id.name: row for row in flow.bottleneck_ids}
        # per finished step: Make touch (2 + 2) / 2, waiting (3 + 0) / 2; Ship touch
        # 0.5 / 2, waiting (3.5 + 1) / 2
        expected = {"Make": (2.0, 1.5, 100.0 * 4 / 7), "Ship": (0.25, 2.25, 10.0)}
        for name, (touch, wait, efficiency) in expected.items():
            self.assertAlmostEqual(rows[name].touch_hours, touch, msg=name)
            self.assertAlmostEqual(rows[name].touch_wait_hours, wait, msg=name)
            self.assertAlmostEqual(rows[name].flow_efficiency, efficiency, msg=name)

    def test_only_visible_tickets_count(self):
        legal = self.env["hr.department"].create({"name": "Legal (test)"})
        outsider = self._make_user("legal_manager", MANAGER, legal, manager=True)
        Effort = self.env["crossdept.analytics.effort"].with_user(outsider)
        self.assertFalse(Effort.search([("flow_id", "=", self.flow.id)]))
        self.assertEqual(self.flow.with_user(outsider).flow_efficiency, 0.0)
        # granted every department's analytics, they count them
        outsider.groups_id += self.env.ref("crossdept_analytics.group_crossdept_analytics_all")
        self.assertEqual(len(Effort.search([("flow_id", "=", self.flow.id)])), 4)
