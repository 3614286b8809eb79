import re

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common_flow import CrossdeptFlowCase
from .refusal import acl_refusal, refused

ADMIN = "crossdept_ticket.group_crossdept_ticket_admin"


@tagged("post_install", "-at_install")
class TestFlowLock(CrossdeptFlowCase):
    """Flow state and version links change only through the flow's actions; a flow
    that is not a draft, or that tickets still run on, cannot change."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = new_test_user(cls.env, "flow_admin", groups=ADMIN, name="Flow Admin")
        skill_type = cls.env["hr.skill.type"].create(
            {
                "name": "Languages (test)",
                "skill_ids": [Command.create({"name": "Python (test)"})],
                "skill_level_ids": [Command.create({"name": "Expert", "level_progress": 100})],
            }
        )
        cls.skill_type = skill_type
        cls.skill = skill_type.skill_ids
        cls.level = skill_type.skill_level_ids

    def _flow(self, activate=True):
        flow, steps = self._make_flow(
            [
                {
                    "name": "Fix",
                    "deliverable_ids": [Command.create({"name": "Report"})],
                    "skill_requirement_ids": [
                        Command.create(
                            {
                                "skill_type_id": self.skill_type.id,
                                "skill_id": self.skill.id,
                                "level_id": self.level.id,
                            }
                        )
                    ],
                },
                {"name": "Check", "preds": ["Fix"]},
            ],
            activate=activate,
        )
        return flow.with_user(self.admin), {
            name: step.with_user(self.admin) for name, step in steps.items()
        }

    def _assert_locked(self, flow, steps, why):
        """Every structural change of the flow and of its lines is refused with ``why``."""
        fix = steps["Fix"]
        attempts = [
            ("flow domain", lambda: flow.write({"domain": "[('priority', '=', '3')]"})),
            ("flow types", lambda: flow.write({"type_ids": [Command.clear()]})),
            ("step SLA", lambda: fix.write({"sla_hours": 3})),
            ("step condition", lambda: fix.write({"condition_domain": "[('priority', '=', '3')]"})),
            ("step predecessors", lambda: steps["Check"].write({"predecessor_ids": False})),
            (
                "new step",
                lambda: (
                    self.env["crossdept.flow.step"]
                    .with_user(self.admin)
                    .create({"flow_id": flow.id, "name": "Extra"})
                ),
            ),
            ("step deletion", lambda: steps["Check"].unlink()),
            ("RACI line", lambda: fix.raci_ids.write({"user_id": self.it_manager.id})),
            (
                "new RACI line",
                lambda: (
                    self.env["crossdept.flow.step.raci"]
                    .with_user(self.admin)
                    .create({"step_id": fix.id, "role": "informed", "user_id": self.it_manager.id})
                ),
            ),
            ("RACI deletion", lambda: fix.raci_ids.unlink()),
            ("deliverable", lambda: fix.deliverable_ids.write({"name": "Other"})),
            (
                "new deliverable",
                lambda: (
                    self.env["crossdept.flow.step.deliverable"]
                    .with_user(self.admin)
                    .create({"step_id": fix.id, "name": "Photo"})
                ),
            ),
            ("deliverable deletion", lambda: fix.deliverable_ids.unlink()),
            ("required skill", lambda: fix.skill_requirement_ids.write({"level_id": False})),
            ("required skill deletion", lambda: fix.skill_requirement_ids.unlink()),
        ]
        for label, attempt in attempts:
            with self.subTest(label), refused(self, UserError, why):
                attempt()
        self.assertEqual(fix.sla_hours, 8)
        self.assertEqual(len(fix.raci_ids), 1)
        self.assertEqual(fix.deliverable_ids.mapped("name"), ["Report"])
        self.assertEqual(len(flow.step_ids), 2)

    def test_engine_fields_only_change_through_actions(self):
        flow, _steps = self._flow(activate=False)
        other, _other_steps = self._flow(activate=False)
        for vals, action in (
            ({"state": "active"}, "action_activate or action_archive_flow"),
            ({"version": 7}, "action_new_version"),
            ({"previous_version_id": other.id}, "action_new_version"),
        ):
            for who in (flow, flow.sudo()):
                with (
                    self.subTest(field=next(iter(vals)), su=who.env.su),
                    refused(
                        self,
                        UserError,
                        f"set by CrossDept's engine and cannot be written directly: use {action}",
                    ),
                ):
                    who.write(vals)
        with refused(self, UserError, "use action_new_version"):
            self.env["crossdept.flow"].with_user(self.admin).create(
                {"name": "Sneaky", "code": flow.code, "version": 2, "previous_version_id": flow.id}
            )
        self.assertEqual(
            (flow.state, flow.version, flow.previous_version_id.id), ("draft", 1, False)
        )
        # a form sends readonly fields back unchanged: that is no change
        flow.write({"state": "draft", "version": 1, "name": "Renamed"})
        flow.action_activate()
        self.assertEqual(flow.state, "active")
        new = flow.browse(flow.action_new_version()["res_id"])
        self.assertEqual((new.version, new.previous_version_id, new.state), (2, flow, "draft"))
        new.action_activate()
        self.assertEqual((flow.state, new.state), ("archived", "active"))
        new.action_archive_flow()
        self.assertEqual(new.state, "archived")

    def test_only_administrators_activate(self):
        flow, _steps = self._flow(activate=False)
        with refused(self, AccessError, acl_refusal("write", "crossdept.flow")):
            flow.with_user(self.it_manager).action_activate()
        self.assertEqual(flow.state, "draft")

    def test_active_flow_is_locked(self):
        flow, steps = self._flow()
        name = re.escape(flow.display_name)
        self._assert_locked(flow, steps, rf"Flow {name} is Active, .*use New Version")
        with refused(self, UserError, rf"Flow {name} is Active: only drafts can be"):
            flow.unlink()
        # the name and description are not part of the configuration
        flow.write({"name": "Renamed", "description": "<p>Why</p>"})
        # ...so the same version, still active and locked, goes by its new name
        self.assertEqual(flow.display_name, "Renamed (v1)")
        self.assertEqual((flow.state, flow.version), ("active", 1))
        self.assertTrue(flow.locked)

    def test_draft_stays_locked_while_tickets_run_on_it(self):
        """A pilot that is stopped puts its variant back to draft: tickets that run
        on it keep it locked until they are done or cancelled."""
        flow, steps = self._flow()
        ticket = self._run(flow)
        flow._end_pilot_variant()
        self.assertEqual(flow.state, "draft")
        self.assertTrue(flow.locked)
        self._assert_locked(
            flow,
            steps,
            rf"Flow {re.escape(flow.display_name)} is locked while tickets run on it \(1 now\)",
        )
        with refused(self, UserError, "Flows used by tickets cannot be deleted"):
            flow.unlink()
        # New Version copies it rather than handing back the locked draft
        new = flow.browse(flow.action_new_version()["res_id"])
        self.assertNotEqual(new, flow)
        self.assertEqual(new.version, 2)
        self._step(ticket, "Fix").deliverable_ids.done = True
        self._do(ticket, "Fix")
        self._do(ticket, "Check")
        self.assertEqual(ticket.state, "done")
        flow.invalidate_recordset(["locked"])
        self.assertFalse(flow.locked)
        steps["Fix"].sla_hours = 3
        # the change is the flow's: the tickets it serves once active again inherit it
        flow.action_activate()
        self.assertEqual(self._step(self._run(flow), "Fix").sla_hours, 3)

    def test_draft_without_tickets_is_editable_and_deletable(self):
        flow, steps = self._flow(activate=False)
        self.assertFalse(flow.locked)
        steps["Fix"].write({"sla_hours": 2, "deliverable_ids": [Command.create({"name": "Photo"})]})
        steps["Fix"].raci_ids.unlink()
        steps["Check"].unlink()
        self.assertEqual(flow.step_ids.mapped("name"), ["Fix"])
        flow.unlink()
        self.assertFalse(flow.exists())
