from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase
from .refusal import refused


@tagged("post_install", "-at_install")
class TestFlowTemplate(CrossdeptFlowCase):
    def test_running_ticket_keeps_its_version(self):
        flow, _steps = self._make_flow([{"name": "Old step"}])
        running = self._run(flow)
        action = flow.action_new_version()
        new_flow = self.env["crossdept.flow"].browse(action["res_id"])
        self.assertEqual((new_flow.version, new_flow.state), (2, "draft"))
        self.assertEqual(new_flow.previous_version_id, flow)
        new_flow.step_ids.name = "New step"
        new_flow.action_activate()
        self.assertEqual(flow.state, "archived")
        self.assertEqual(running.flow_id, flow)
        self._do(running, "Old step")
        self.assertEqual(running.state, "done")
        later = self._run()
        self.assertEqual(later.flow_id, new_flow)
        self.assertEqual(later.step_ids.mapped("name"), ["New step"])

    def test_new_version_copies_the_graph(self):
        flow, _steps = self._make_flow(
            [{"name": "A"}, {"name": "B", "preds": ["A"]}, {"name": "C", "preds": ["A"]}]
        )
        new_flow = self.env["crossdept.flow"].browse(flow.action_new_version()["res_id"])
        new_a = new_flow.step_ids.filtered(lambda s: s.name == "A")
        for name in ("B", "C"):
            self.assertEqual(
                new_flow.step_ids.filtered(lambda s, n=name: s.name == n).predecessor_ids, new_a
            )
        self.assertIn("<svg", new_flow.diagram)
        self.assertEqual(new_flow.diagram.count("<line"), 2)

    def test_active_flow_cannot_be_edited(self):
        flow, steps = self._make_flow([{"name": "A"}])
        with self.assertRaisesRegex(UserError, "New Version"):
            steps["A"].sla_hours = 3
        with self.assertRaisesRegex(UserError, "New Version"):
            flow.domain = "[('priority', '=', '3')]"
        self.assertEqual(steps["A"].sla_hours, 8)

    def _assert_refused(self, specs, message, step_name=None):
        flow, _steps = self._make_flow(specs, activate=False)
        with self.assertRaisesRegex(ValidationError, message) as error:
            flow.action_activate()
        if step_name:
            self.assertIn(f"Step {step_name}", str(error.exception))
        self.assertEqual(flow.state, "draft")
        return flow

    def test_validation_errors(self):
        self._assert_refused([], "has no step")
        # refused when saved, before any activation
        with refused(self, ValidationError, "Step Zero: the SLA must be a positive"):
            self._make_flow([{"name": "Zero", "sla": 0}], activate=False)
        cyclic, steps = self._make_flow(
            [{"name": "A"}, {"name": "B", "preds": ["A"]}, {"name": "C", "preds": ["B"]}],
            activate=False,
        )
        steps["B"].predecessor_ids = [Command.link(steps["C"].id)]
        with self.assertRaisesRegex(ValidationError, "part of a cycle") as error:
            cyclic.action_activate()
        self.assertRegex(str(error.exception), r"Step (B|C)")
        loop, steps = self._make_flow(
            [{"name": "Start"}, {"name": "X"}, {"name": "Y", "preds": ["X"]}], activate=False
        )
        steps["X"].predecessor_ids = [Command.link(steps["Y"].id)]
        with self.assertRaisesRegex(ValidationError, "cycle"):
            loop.action_activate()
        self._assert_refused(
            [
                {
                    "name": "Vote",
                    "kind": "approval",
                    "approvers": self.env["res.users"],
                    "user": self.env["res.users"],
                }
            ],
            "needs approvers",
            "Vote",
        )
        with refused(self, ValidationError, "Step Vote: it asks for 3 approvals"):
            self._make_flow(
                [
                    {
                        "name": "Vote",
                        "kind": "approval",
                        "approvers": self.approver_1 | self.approver_2,
                        "approval_policy": "count",
                        "approval_min_count": 3,
                    }
                ],
                activate=False,
            )
        self._assert_refused(
            [
                {
                    "name": "Vote",
                    "kind": "approval",
                    "approvers": self.approver_1,
                    "reject_action": "return",
                }
            ],
            "choose the step a rejection returns to",
            "Vote",
        )
        late, steps = self._make_flow(
            [
                {"name": "Vote", "kind": "approval", "approvers": self.approver_1},
                {"name": "After", "preds": ["Vote"]},
            ],
            activate=False,
        )
        with refused(
            self, ValidationError, "Step Vote: a rejection must return to an earlier step"
        ):
            steps["Vote"].write(
                {"reject_action": "return", "reject_return_step_id": steps["After"].id}
            )
        late.action_activate()
        with self.assertRaisesRegex(ValidationError, "percentage of approvals must be between 1"):
            self._make_flow([{"name": "Bad", "approval_min_percent": 0}], activate=False)

    def test_unreachable_step_refused(self):
        flow, steps = self._make_flow(
            [{"name": "A"}, {"name": "B"}, {"name": "C", "preds": ["B"]}], activate=False
        )
        # a predecessor outside the flow would never finish, so C could never start
        other, other_steps = self._make_flow([{"name": "Elsewhere"}], activate=False)
        steps["C"].predecessor_ids = [Command.set(other_steps["Elsewhere"].ids)]
        with self.assertRaisesRegex(
            ValidationError, "Step C: its predecessor Elsewhere belongs to another flow"
        ):
            flow.action_activate()
        self.assertTrue(other)
