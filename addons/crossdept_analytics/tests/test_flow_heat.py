import json
from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import SQL

from odoo.addons.crossdept_ticket.tests.common import MANAGER
from odoo.addons.crossdept_ticket.tests.refusal import acl_refusal
from odoo.addons.crossdept_ticket.tools import bpmn_export

from .common import CrossdeptAnalyticsCase


class FlowHeatCase(CrossdeptAnalyticsCase):
    """A flow Prepare (SLA 2 h) then Review (an approval, SLA 1 h, a refusal
    returns to Prepare), both handled by Operations, on the test calendar
    (Mon-Fri 8-12, 13-17 UTC), run by the engine in March 2020 for three tickets
    requested by IT (T1, T2) and Finance (T3): a manager sees the figures of the
    tickets their department requested.

    * T1 (IT), Monday 2: Prepare ready 9:00, started 10:00, done 11:00; Review
      approved 11:30.
    * T2 (IT), Tuesday 3: Prepare ready 9:00, handed over at 9:30 (a transfer),
      started 10:00, done 12:00; Review refused at 13:30, back to Prepare: ready
      13:30 (deadline 15:30), started 14:00, done 17:00 (late); Review ready 17:00
      (deadline Wednesday 9:00), approved Wednesday 8:30.
    * T3 (Finance), Thursday 5: Prepare ready 9:00 (deadline
      11:00), started 11:00, done 12:00 (late); Review approved 13:00.

    An approval starts when it is decided: its time is all waiting."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dept_ops = cls.env["hr.department"].create({"name": "Operations (test)"})
        cls.flow, cls.steps = cls._make_flow(
            [
                {"name": "Prepare", "sla": 2, "department_id": cls.dept_ops.id},
                {
                    "name": "Review",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": cls.approver_1,
                    "sla": 1,
                    "department_id": cls.dept_ops.id,
                },
            ],
            activate=False,
            name="Heat flow",
        )
        cls.steps["Review"].write(
            {"reject_action": "return", "reject_return_step_id": cls.steps["Prepare"].id}
        )
        cls.flow.action_activate()
        cls.t1 = cls._opened(cls.it_user, datetime(2020, 3, 2, 9))
        cls._act(cls.t1, "Prepare", "action_start", datetime(2020, 3, 2, 10))
        cls._act(cls.t1, "Prepare", "action_finish", datetime(2020, 3, 2, 11))
        cls._decide(cls.t1, datetime(2020, 3, 2, 11, 30))

        cls.t2 = cls._opened(cls.it_user, datetime(2020, 3, 3, 9))
        with freeze_time(datetime(2020, 3, 3, 9, 30)):
            prepare = cls._step(cls.t2, "Prepare")
            prepare.with_user(prepare.user_id).action_reassign(cls.it_manager, "Off sick")
        cls._act(cls.t2, "Prepare", "action_start", datetime(2020, 3, 3, 10))
        cls._act(cls.t2, "Prepare", "action_finish", datetime(2020, 3, 3, 12))
        with freeze_time(datetime(2020, 3, 3, 13, 30)):
            cls._step(cls.t2, "Review").with_user(cls.approver_1).action_reject("Incomplete")
        cls._act(cls.t2, "Prepare", "action_start", datetime(2020, 3, 3, 14))
        cls._act(cls.t2, "Prepare", "action_finish", datetime(2020, 3, 3, 17))
        cls._decide(cls.t2, datetime(2020, 3, 4, 8, 30))

        cls.t3 = cls._opened(cls.finance_user, datetime(2020, 3, 5, 9))
        cls._act(cls.t3, "Prepare", "action_start", datetime(2020, 3, 5, 11))
        cls._act(cls.t3, "Prepare", "action_finish", datetime(2020, 3, 5, 12))
        cls._decide(cls.t3, datetime(2020, 3, 5, 13))
        cls._refresh()

    @classmethod
    def _opened(cls, requester, when, by_type=False):
        """A ticket of the requester's department, submitted by them at ``when``
        on the flow (``by_type``: on the flow its type leads to, for a pilot)."""
        department = requester.employee_id.department_id
        with freeze_time(when):
            ticket = cls._make_ticket(
                title=f"{requester.name} {when:%d %H:%M}",
                flow_id=False if by_type else cls.flow.id,
                department_id=department.id,
                assigned_department_id=department.id,
                requester_id=requester.id,
            )
            # the ORM stamps creation with the transaction's time, not the clock's
            ticket.flush_recordset()
            cls.env.cr.execute(
                SQL("UPDATE crossdept_ticket SET create_date = %s WHERE id = %s", when, ticket.id)
            )
            ticket.invalidate_recordset(["create_date"])
            ticket.with_user(requester).action_start_flow()
        return ticket

    @classmethod
    def _act(cls, ticket, name, method, when):
        """The step's holder starts or finishes it at ``when``."""
        with freeze_time(when):
            step = cls._step(ticket, name)
            getattr(step.with_user(step.user_id), method)()

    @classmethod
    def _decide(cls, ticket, when):
        with freeze_time(when):
            cls._step(ticket, "Review").with_user(cls.approver_1).action_approve()

    def _figures(self, user=None, **kwargs):
        data = self.flow.with_user(user or self.env.user).get_step_figures(**kwargs)
        return {
            name: data["figures"][bpmn_export.element_id("Step", step.id)]
            for name, step in self.steps.items()
        }


@tagged("post_install", "-at_install")
class TestFlowHeatFigures(FlowHeatCase):
    def test_history_was_run_by_the_engine(self):
        self.assertEqual((self.t1 | self.t2 | self.t3).mapped("state"), ["done"] * 3)
        prepare = self._step(self.t2, "Prepare")
        self.assertEqual(prepare.date_ready, datetime(2020, 3, 3, 13, 30))
        self.assertEqual(prepare.date_deadline, datetime(2020, 3, 3, 15, 30))
        self.assertEqual(prepare.sla_status, "breached")
        self.assertEqual(self._step(self.t2, "Review").date_deadline, datetime(2020, 3, 4, 9))

    def test_figures_of_every_step(self):
        # the analyst's view: all three tickets
        figures = self._figures()
        prepare, review = figures["Prepare"], figures["Review"]
        self.assertEqual((prepare["count"], prepare["done_count"]), (3, 3))
        # waiting 1, 0.5, 2 h: median 1; 90th percentile 1 + 0.8 * (2 - 1)
        self.assertAlmostEqual(prepare["wait_median"], 1.0)
        self.assertAlmostEqual(prepare["wait_p90"], 1.8)
        # handling 1, 3, 1 h: median 1; 90th percentile 1 + 0.8 * (3 - 1)
        self.assertAlmostEqual(prepare["work_median"], 1.0)
        self.assertAlmostEqual(prepare["work_p90"], 2.6)
        # T2 (its second round) and T3 were late
        self.assertAlmostEqual(prepare["breach_share"], 100 * 2 / 3)
        # T2's Prepare was done twice
        self.assertEqual(prepare["rework_count"], 1)
        self.assertAlmostEqual(prepare["transfer_rate"], 100 / 3)
        # an approval starts when decided: waiting 0.5, 15.5 (overnight), 1 h
        self.assertAlmostEqual(review["wait_median"], 1.0)
        self.assertAlmostEqual(review["wait_p90"], 1 + 0.8 * 14.5)
        self.assertAlmostEqual(review["work_median"], 0.0)
        self.assertAlmostEqual(review["work_p90"], 0.0)
        self.assertAlmostEqual(review["breach_share"], 0.0)
        # its refusal sent T2 back once
        self.assertEqual(review["rework_count"], 1)
        self.assertAlmostEqual(review["transfer_rate"], 0.0)

    def test_figures_follow_the_managers_rules(self):
        it = self._figures(self.it_manager)
        # T1 and T2 only: waiting 1 and 0.5 h, handling 1 and 3 h
        self.assertEqual(it["Prepare"]["count"], 2)
        self.assertAlmostEqual(it["Prepare"]["wait_median"], 0.75)
        self.assertAlmostEqual(it["Prepare"]["wait_p90"], 0.95)
        self.assertAlmostEqual(it["Prepare"]["work_median"], 2.0)
        self.assertAlmostEqual(it["Prepare"]["work_p90"], 2.8)
        self.assertAlmostEqual(it["Prepare"]["breach_share"], 50.0)
        self.assertAlmostEqual(it["Prepare"]["transfer_rate"], 50.0)
        self.assertAlmostEqual(it["Review"]["wait_median"], 8.0)
        self.assertAlmostEqual(it["Review"]["wait_p90"], 0.5 + 0.9 * 15)
        finance = self._figures(self.finance_manager)
        # T3 only
        self.assertEqual(finance["Prepare"]["count"], 1)
        self.assertAlmostEqual(finance["Prepare"]["wait_median"], 2.0)
        self.assertAlmostEqual(finance["Prepare"]["breach_share"], 100.0)
        self.assertEqual(finance["Prepare"]["rework_count"], 0)
        self.assertAlmostEqual(finance["Review"]["wait_p90"], 1.0)

    def test_period_limits_the_figures(self):
        figures = self._figures(date_from=date(2020, 3, 5), date_to=date(2020, 3, 31))
        self.assertEqual(figures["Prepare"]["count"], 1, "T3 only")
        with self.assertRaisesRegex(UserError, "The period starts after it ends."):
            self.flow.get_step_figures(date_from="2020-03-31", date_to="2020-03-01")

    def test_diagram_and_measures_come_along(self):
        data = self.flow.with_user(self.it_manager).get_step_figures()
        self.assertIn("<bpmn:definitions", data["xml"])
        self.assertEqual(
            [step["element"] for step in data["steps"]],
            [bpmn_export.element_id("Step", step.id) for step in self.flow.step_ids],
        )
        self.assertEqual(
            [measure["key"] for measure in data["measures"]],
            [
                "wait_median",
                "wait_p90",
                "work_median",
                "work_p90",
                "breach_share",
                "rework_count",
                "transfer_rate",
            ],
        )
        action = self.flow.action_view_step_heat()
        self.assertEqual(action["tag"], "crossdept_analytics.flow_heat")
        self.assertEqual(action["params"], {"flow_ids": self.flow.ids})


class FlowHeatPilotCase(FlowHeatCase):
    """A pilot of the flow against a second version, for the tickets Finance
    requests, started after T1-T3; both tickets are routed by their type. P1 (IT,
    control) waits 3 h in Prepare and is handled in 2 h; P2 (Finance, variant)
    waits half an hour and is handled in 1 h. Their reviews are not decided."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.variant = cls.flow._copy_as_version(2)
        with freeze_time(datetime(2020, 3, 9, 8)):
            cls.pilot = cls.env["crossdept.pilot"].create(
                {
                    "name": "Faster review",
                    "control_flow_id": cls.flow.id,
                    "variant_flow_id": cls.variant.id,
                    "scope": "department",
                    "department_ids": [Command.set(cls.dept_finance.ids)],
                }
            )
            cls.pilot.action_start()
        cls.p1 = cls._opened(cls.it_user, datetime(2020, 3, 9, 9), by_type=True)
        cls._act(cls.p1, "Prepare", "action_start", datetime(2020, 3, 9, 12))
        cls._act(cls.p1, "Prepare", "action_finish", datetime(2020, 3, 9, 14))
        cls.p2 = cls._opened(cls.finance_user, datetime(2020, 3, 9, 9), by_type=True)
        cls._act(cls.p2, "Prepare", "action_start", datetime(2020, 3, 9, 9, 30))
        cls._act(cls.p2, "Prepare", "action_finish", datetime(2020, 3, 9, 10, 30))
        cls._refresh()


@tagged("post_install", "-at_install")
class TestFlowHeatPilot(FlowHeatPilotCase):
    def test_each_arm_counts_its_pilot_tickets(self):
        self.assertEqual((self.p1.pilot_arm, self.p1.flow_id), ("control", self.flow))
        self.assertEqual((self.p2.pilot_arm, self.p2.flow_id), ("variant", self.variant))
        action = self.pilot.with_user(self.it_manager).action_view_arm_diagrams()
        self.assertEqual(action["params"]["flow_ids"], [self.flow.id, self.variant.id])
        control = self.flow.get_step_figures(pilot_id=self.pilot.id)
        variant = self.variant.get_step_figures(pilot_id=self.pilot.id)
        self.assertEqual((control["arm"], variant["arm"]), ("control", "variant"))
        prepare = control["figures"][bpmn_export.element_id("Step", self.steps["Prepare"].id)]
        # P1 only, not T1-T3
        self.assertEqual((prepare["count"], prepare["done_count"]), (1, 1))
        self.assertAlmostEqual(prepare["wait_median"], 3.0)
        self.assertAlmostEqual(prepare["work_median"], 2.0)
        # its review is ready, not decided: reached, no time yet
        review = control["figures"][bpmn_export.element_id("Step", self.steps["Review"].id)]
        self.assertEqual((review["count"], review["done_count"]), (1, 0))
        self.assertIsNone(review["wait_median"])
        variant_prepare = self.variant.step_ids.filtered(lambda step: step.name == "Prepare")
        prepare = variant["figures"][bpmn_export.element_id("Step", variant_prepare.id)]
        self.assertEqual(prepare["count"], 1)
        self.assertAlmostEqual(prepare["wait_median"], 0.5)
        self.assertAlmostEqual(prepare["work_median"], 1.0)

    def test_a_version_outside_the_pilot_is_refused(self):
        other, _steps = self._make_flow([{"name": "Other"}])
        with self.assertRaisesRegex(UserError, r"Flow version .* is not an arm of pilot Faster"):
            other.get_step_figures(pilot_id=self.pilot.id)


@tagged("post_install", "-at_install")
class TestFlowHeatRpc(HttpCase, FlowHeatCase):
    """The figures over JSON-RPC, signed in as each department's manager."""

    def _call(self, user, *args, **kwargs):
        self.authenticate(user.login, user.login + "x" * (8 - len(user.login)))
        response = self.url_open(
            "/web/dataset/call_kw/crossdept.flow/get_step_figures",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": "crossdept.flow",
                        "method": "get_step_figures",
                        "args": [self.flow.ids, *args],
                        "kwargs": kwargs,
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        answer = response.json()
        self.assertNotIn("error", answer, answer.get("error"))
        return answer["result"]["figures"]

    def test_each_manager_gets_their_departments_figures(self):
        prepare = bpmn_export.element_id("Step", self.steps["Prepare"].id)
        it = self._call(self.it_manager)[prepare]
        self.assertEqual((it["count"], it["transfer_rate"], it["rework_count"]), (2, 50.0, 1))
        finance = self._call(self.finance_manager)[prepare]
        self.assertEqual((finance["count"], finance["breach_share"]), (1, 100.0))
        self.assertEqual(finance["wait_median"], 2.0)

    def test_a_member_is_refused(self):
        with self.assertRaisesRegex(
            AssertionError, acl_refusal("read", "crossdept.analytics.step")
        ) as refusal:
            self._call(self.it_user)
        self.assertIn("odoo.exceptions.AccessError", str(refusal.exception))


@tagged("post_install", "-at_install")
class TestFlowHeatTour(HttpCase, FlowHeatPilotCase):
    """The manager of Operations, which handles every step, opens the diagram of
    the flow (T1-T3 and P1: Prepare waits 1, 0.5, 2 and 3 h) and the pilot's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ops_manager = cls._make_user("ops_manager", MANAGER, cls.dept_ops, manager=True)

    def test_manager_opens_the_diagrams(self):
        figures = self._figures(self.ops_manager)
        self.assertEqual(figures["Prepare"]["count"], 4, "T1-T3 and P1")
        self.assertAlmostEqual(figures["Prepare"]["wait_median"], 1.5)
        self.start_tour(
            "/odoo/action-crossdept_analytics.crossdept_flow_action_analytics",
            "crossdept_flow_heat_tour",
            login="ops_manager",
        )
        self.start_tour(
            f"/odoo/action-crossdept_analytics.crossdept_pilot_action/{self.pilot.id}",
            "crossdept_pilot_heat_tour",
            login="ops_manager",
        )


@tagged("post_install", "-at_install")
class TestFlowHeatPhoneTour(HttpCase, FlowHeatCase):
    """The same diagram on a 390x844 phone: readable, scrolled, not editable."""

    browser_size = "390x844"
    touch_enabled = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ops_manager = cls._make_user("ops_manager", MANAGER, cls.dept_ops, manager=True)

    def test_manager_reads_the_diagram_on_a_phone(self):
        self.start_tour(
            "/odoo/action-crossdept_analytics.crossdept_flow_action_analytics",
            "crossdept_flow_heat_phone_tour",
            login="ops_manager",
        )
