import re
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user

from odoo.addons.crossdept_analytics.models.crossdept_pilot import _bucket
from odoo.addons.crossdept_ticket.tests.refusal import refused

from .common_process import CrossdeptProcessCase


class TestPilot(CrossdeptProcessCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.control, _steps = cls._make_flow(
            [
                {"name": "Head", "kind": "approval", "approvers": cls.approver_1},
                {
                    "name": "Legal",
                    "kind": "approval",
                    "preds": ["Head"],
                    "approvers": cls.approver_2,
                },
                {
                    "name": "Finance",
                    "kind": "approval",
                    "preds": ["Legal"],
                    "approvers": cls.approver_3,
                },
            ]
        )
        cls.variant = cls.control._copy_as_version(2)
        finance = cls.variant.step_ids.filtered(lambda s: s.name == "Finance")
        head = cls.variant.step_ids.filtered(lambda s: s.name == "Head")
        finance.predecessor_ids = head

    def _pilot(self, **vals):
        return self.env["crossdept.pilot"].create(
            {
                "name": "Parallel review",
                "control_flow_id": self.control.id,
                "variant_flow_id": self.variant.id,
                "date_start": fields.Date.today() - timedelta(days=1),
                **vals,
            }
        )

    def _start_tickets(self, count, **vals):
        tickets = self.env["crossdept.ticket"].create(
            [
                {
                    "title": f"Contract {i}",
                    "type_id": self.ticket_type.id,
                    "department_id": self.dept_it.id,
                    "requester_id": self.it_user.id,
                    "raci_ids": [(0, 0, {"role": "responsible", "user_id": self.it_user.id})],
                    **vals,
                }
                for i in range(count)
            ]
        )
        tickets.action_start_flow()
        return tickets

    def test_percentage_routes_by_a_stable_hash_and_records_the_arm(self):
        pilot = self._pilot(percent=50)
        pilot.action_start()
        self.assertEqual((self.control.state, self.variant.state), ("active", "active"))
        tickets = self._start_tickets(40)
        for ticket in tickets:
            expected = "variant" if _bucket(ticket.id) < 50 else "control"
            self.assertEqual(ticket.pilot_arm, expected)
            self.assertEqual(
                ticket.flow_id, self.variant if expected == "variant" else self.control
            )
        self.assertEqual(tickets.pilot_id, pilot)
        self.assertEqual(set(tickets.mapped("pilot_arm")), {"control", "variant"})
        variant_ticket = tickets.filtered(lambda t: t.pilot_arm == "variant")[:1]
        self.assertEqual(
            {s.name: s.state for s in variant_ticket.step_ids},
            {"Head": "ready", "Legal": "pending", "Finance": "pending"},
        )

    def test_hash_is_deterministic(self):
        self.assertEqual([_bucket(i) for i in (1, 2, 3)], [_bucket(i) for i in (1, 2, 3)])
        share = sum(_bucket(i) < 30 for i in range(1, 2001)) / 2000
        self.assertAlmostEqual(share, 0.30, delta=0.03)

    def test_department_scope_and_stop(self):
        pilot = self._pilot(scope="department", department_ids=[(6, 0, self.dept_finance.ids)])
        pilot.action_start()
        finance = self._start_tickets(3, department_id=self.dept_finance.id)
        other = self._start_tickets(2)
        self.assertEqual(finance.flow_id, self.variant)
        self.assertEqual(set(finance.mapped("pilot_arm")), {"variant"})
        self.assertEqual(other.flow_id, self.control)
        self.assertEqual(set(other.mapped("pilot_arm")), {"control"})
        pilot.action_stop()
        self.assertEqual((pilot.state, self.variant.state), ("done", "draft"))
        after = self._start_tickets(1, department_id=self.dept_finance.id)
        self.assertEqual(after.flow_id, self.control)
        self.assertFalse(after.pilot_id)

    def test_outside_its_period_a_pilot_routes_nothing(self):
        pilot = self._pilot(date_start=fields.Date.today() + timedelta(days=3))
        pilot.action_start()
        tickets = self._start_tickets(6)
        self.assertEqual(tickets.flow_id, self.control)
        self.assertFalse(tickets.pilot_id)

    def test_promote_activates_the_variant_for_everyone(self):
        pilot = self._pilot(percent=10)
        with self.assertRaisesRegex(UserError, "Start the pilot before promoting its variant"):
            pilot.action_promote()
        pilot.action_start()
        pilot.action_promote()
        self.assertEqual((self.control.state, self.variant.state), ("archived", "active"))
        self.assertEqual((pilot.state, pilot.promoted), ("done", True))
        tickets = self._start_tickets(5)
        self.assertEqual(tickets.flow_id, self.variant)
        self.assertFalse(tickets.pilot_id)

    def test_variant_must_be_a_version_of_the_same_flow(self):
        other, _steps = self._make_flow([{"name": "Other"}])
        with self.assertRaisesRegex(
            ValidationError,
            rf"the variant must be a version of flow {re.escape(self.control.code)}\.",
        ):
            self._pilot(variant_flow_id=other.id)
        with self.assertRaisesRegex(ValidationError, "the share must be between 1 and 99%"):
            self._pilot(percent=0)
        pilot = self._pilot()
        pilot.action_start()
        # another draft version, so that only the running pilot stands in the way
        third = self.control._copy_as_version(3)
        with self.assertRaisesRegex(
            UserError, rf"Another pilot already runs on {re.escape(self.control.display_name)}"
        ):
            self._pilot(variant_flow_id=third.id).action_start()

    def test_only_flow_administrators_run_pilots(self):
        # a pilot activates and promotes flow versions: the flow owners' right
        admin = new_test_user(
            self.env, "flow_admin", groups="crossdept_ticket.group_crossdept_ticket_admin"
        )
        pilot = self._pilot(percent=20)
        self.assertEqual(pilot.with_user(self.it_manager).state, "draft")
        for action in ("action_start", "action_stop", "action_promote"):
            with refused(
                self, AccessError, "Only CrossDept administrators start, stop and promote pilots"
            ):
                getattr(pilot.with_user(self.it_manager), action)()
        pilot.with_user(admin).action_start()
        # a plain user's ticket is still routed by the running pilot
        ticket = self._start_tickets(1).with_user(self.it_user)
        self.assertIn(ticket.pilot_arm, ("control", "variant"))
        self.assertEqual(ticket.pilot_id, pilot)

    def test_state_and_promotion_change_only_through_actions(self):
        admin = new_test_user(
            self.env, "flow_admin", groups="crossdept_ticket.group_crossdept_ticket_admin"
        )
        pilot = self._pilot(percent=20).with_user(admin)
        for vals, action in (
            ({"state": "running"}, "action_start, action_stop or action_promote"),
            ({"promoted": True}, "action_promote"),
        ):
            for who in (pilot, pilot.sudo()):
                with (
                    self.subTest(vals=vals, su=who.env.su),
                    refused(self, UserError, f"cannot be written directly: use {action}"),
                ):
                    who.write(vals)
        # nor may the pilot's flows be moved by hand
        with refused(self, UserError, "use action_activate or action_archive_flow"):
            self.variant.with_user(admin).write({"state": "active"})
        self.assertEqual(
            (pilot.state, pilot.promoted, self.variant.state), ("draft", False, "draft")
        )
        pilot.action_start()
        self.assertEqual((pilot.state, self.variant.state), ("running", "active"))

    def test_both_arms_stay_locked_while_their_tickets_run(self):
        pilot = self._pilot(scope="department", department_ids=[(6, 0, self.dept_finance.ids)])
        pilot.action_start()
        variant_tickets = self._start_tickets(2, department_id=self.dept_finance.id)
        control_tickets = self._start_tickets(1)
        self.assertEqual(variant_tickets.flow_id, self.variant)
        pilot.action_stop()
        self.assertEqual((pilot.state, self.variant.state), ("done", "draft"))
        variant_head = self.variant.step_ids.filtered(lambda s: s.name == "Head")
        control_head = self.control.step_ids.filtered(lambda s: s.name == "Head")
        with refused(
            self,
            UserError,
            rf"Flow {re.escape(self.variant.display_name)} is locked while tickets run on it "
            r"\(2 now\)",
        ):
            variant_head.sla_hours = 2
        with refused(self, UserError, rf"Flow {re.escape(self.control.display_name)} is Active"):
            control_head.raci_ids = [Command.clear()]
        self.assertEqual(control_tickets.flow_id, self.control)
        # once the variant's tickets are finished, the draft can change again
        for ticket in variant_tickets:
            for name, approver in (
                ("Head", self.approver_1),
                ("Legal", self.approver_2),
                ("Finance", self.approver_3),
            ):
                self._step(ticket, name).with_user(approver).action_approve()
        self.assertEqual(set(variant_tickets.mapped("state")), {"done"})
        variant_head.sla_hours = 2
        # the change is the variant's: the tickets it serves once active inherit it
        self.variant.action_activate()
        ticket = self._start_tickets(1)
        self.assertEqual(ticket.flow_id, self.variant)
        self.assertEqual(self._step(ticket, "Head").sla_hours, 2)
        self.assertEqual(self._step(ticket, "Head").flow_step_id, variant_head)

    def test_a_pilot_routes_only_tickets_of_its_company(self):
        company_b = self.env["res.company"].create({"name": "Company B (test)"})
        pilot = self._pilot(percent=99, company_id=company_b.id)
        pilot.action_start()
        tickets = self._start_tickets(10)
        self.assertEqual(tickets.company_id, self.company)
        self.assertEqual(tickets.flow_id, self.control)
        self.assertFalse(tickets.pilot_id, "not counted in another company's pilot")
        self.assertFalse(any(pilot._in_scope(ticket) for ticket in tickets))
        self.assertFalse(pilot._running_for(self.control, self.company))
        self.assertEqual(pilot._running_for(self.control, company_b), pilot)
