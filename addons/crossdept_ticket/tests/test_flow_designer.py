import json

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import MANAGER
from .common_flow import CrossdeptFlowCase
from .refusal import refused

ADMIN = "crossdept_ticket.group_crossdept_ticket_admin"


@tagged("post_install", "-at_install")
class TestFlowDesigner(CrossdeptFlowCase):
    """The canvas's edits, as the administrator who draws: they go through the ORM
    and its guards, and come back as the state the canvas redraws."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = new_test_user(cls.env, "designer_admin", groups=ADMIN, name="Designer Admin")
        cls.flow, cls.steps = cls._make_flow(
            [{"name": "Receive"}, {"name": "Fix", "preds": ["Receive"]}], activate=False
        )

    def _apply(self, *operations, flow=None):
        flow = (flow or self.flow).with_user(self.admin)
        return flow.designer_apply(flow.designer_revision, list(operations))

    def test_add_connect_move_and_delete(self):
        state = self._apply({"op": "add_step", "kind": "approval", "x": 700, "y": 40})
        (vote,) = self.env["crossdept.flow.step"].browse(state["created"])
        self.assertEqual(
            (vote.kind, vote.name, vote.flow_id), ("approval", "New approval", self.flow)
        )
        self.assertEqual((vote.diagram_x, vote.diagram_y), (700, 40))
        self.assertIn(f'id="Step_{vote.id}"', state["xml"])
        self.assertEqual(state["undo"], [{"op": "delete_step", "step": vote.id}])
        self.assertEqual(state["revision"], self.flow.designer_revision)
        # the first edit stored the automatic layout of the steps drawn before
        self.assertTrue(self.steps["Fix"].diagram_x > self.steps["Receive"].diagram_x > 0)
        fix = self.steps["Fix"]
        state = self._apply(
            {"op": "link", "source": fix.id, "target": vote.id},
            {"op": "move", "step": fix.id, "x": 420, "y": 300},
        )
        self.assertEqual(vote.predecessor_ids, fix)
        self.assertEqual((fix.diagram_x, fix.diagram_y), (420, 300))
        self.assertEqual(state["undo"][1], {"op": "unlink", "source": fix.id, "target": vote.id})
        # undo: the move back, then the link removed
        self._apply(*state["undo"])
        self.assertFalse(vote.predecessor_ids)
        self.assertNotEqual((fix.diagram_x, fix.diagram_y), (420, 300))
        state = self._apply({"op": "delete_step", "step": fix.id})
        self.assertFalse(fix.exists())
        self.assertEqual(self.flow.step_ids, self.steps["Receive"] | vote)
        # undoing a deletion brings the step back (a new record) after Receive
        state = self._apply(*state["undo"])
        (again,) = self.env["crossdept.flow.step"].browse(state["created"])
        self.assertEqual((again.name, again.predecessor_ids), ("Fix", self.steps["Receive"]))

    def test_bad_operations_are_named(self):
        _other, other_steps = self._make_flow([{"name": "Elsewhere"}], activate=False)
        with refused(self, UserError, r"Step \d+ is not a step of flow Test flow \(v1\)"):
            self._apply({"op": "move", "step": other_steps["Elsewhere"].id, "x": 1, "y": 1})
        with refused(self, UserError, "The designer sent an unknown operation: drop_table"):
            self._apply({"op": "drop_table"})
        with refused(self, UserError, "The designer sent x=left, which is not a number"):
            self._apply({"op": "move", "step": self.steps["Fix"].id, "x": "left", "y": 1})
        with refused(self, UserError, "Step Fix cannot come after itself"):
            fix = self.steps["Fix"].id
            self._apply({"op": "link", "source": fix, "target": fix})

    def test_active_flow_is_edited_through_new_version(self):
        self.flow.action_activate()
        with refused(
            self,
            UserError,
            r"Flow Test flow \(v1\) is Active, so its configuration is locked: use New Version",
        ):
            self._apply({"op": "add_step", "kind": "task", "x": 10, "y": 10})
        self.assertEqual(len(self.flow.step_ids), 2)

    def test_stale_revision_names_who_changed_the_flow(self):
        revision = self.flow.designer_revision
        self.steps["Fix"].with_user(self.admin).name = "Repair"  # a form save counts too
        with refused(
            self,
            UserError,
            r"Flow Test flow \(v1\) was changed by Designer Admin after the designer drew it: "
            "your change was not saved",
        ):
            self.flow.with_user(self.admin).designer_apply(
                revision, [{"op": "rename", "step": self.steps["Fix"].id, "name": "Mend"}]
            )
        self.assertEqual(self.steps["Fix"].name, "Repair")

    def test_validation_lists_every_problem_per_step(self):
        state = self._apply(
            {"op": "add_step", "kind": "approval", "x": 700, "y": 40},
            {"op": "add_step", "kind": "task", "x": 700, "y": 240},
        )
        vote, lone = self.env["crossdept.flow.step"].browse(state["created"])
        self._apply(
            {"op": "link", "source": lone.id, "target": vote.id},
            {"op": "link", "source": vote.id, "target": lone.id},
        )
        errors = self.flow.with_user(self.admin).designer_validate()
        by_element = {}
        for error in errors:
            if error["level"] == "error":  # the warnings do not refuse the activation
                by_element.setdefault(error["element"], []).append(error["message"])
        approvers, cycle = by_element[f"Step_{vote.id}"]
        self.assertEqual(
            approvers,
            "Step New approval: an approval step needs approvers (Responsible RACI lines).",
        )
        self.assertRegex(
            cycle,
            r"^Step New (task|approval): it is part of a cycle "
            r"\((New task → New approval|New approval → New task)\)\.$",
        )
        # both steps of the cycle are marked, neither as unreachable besides
        self.assertEqual(by_element[f"Step_{lone.id}"], [cycle])
        self.assertNotIn(f"Step_{self.steps['Fix'].id}", by_element)
        # activation refuses with the first of them, the message it always gave
        with refused(self, ValidationError, "^Step New approval: an approval step needs approvers"):
            self.flow.with_user(self.admin).action_activate()

    def test_steps_follow_the_lane_they_are_dropped_in(self):
        self.steps["Receive"].department_id = self.dept_it
        self.steps["Fix"].department_id = self.dept_finance
        lanes = self.flow.with_user(self.admin).designer_load()["lanes"]
        self.assertEqual(set(lanes.values()), {self.dept_it.id, self.dept_finance.id})
        finance_lane = next(lane for lane, dept in lanes.items() if dept == self.dept_finance.id)
        self.assertIn(
            f'<bpmn:lane id="{finance_lane}" name="Finance (test)"',
            self.flow._bpmn_export().decode(),
        )
        # a task dropped in the Finance lane, an approval dropped outside every lane
        state = self._apply(
            {
                "op": "add_step",
                "kind": "task",
                "x": 700,
                "y": 40,
                "department": lanes[finance_lane],
            },
            {"op": "add_step", "kind": "approval", "x": 700, "y": 400, "department": False},
        )
        task, vote = self.env["crossdept.flow.step"].browse(state["created"])
        self.assertEqual(task.department_id, self.dept_finance)
        self.assertFalse(vote.department_id)
        # Receive moved into the Finance lane, the approval into the IT one
        receive = self.steps["Receive"]
        state = self._apply(
            {
                "op": "move",
                "step": receive.id,
                "x": 260,
                "y": 200,
                "department": self.dept_finance.id,
            },
            {"op": "move", "step": vote.id, "x": 700, "y": 60, "department": self.dept_it.id},
        )
        self.assertEqual(receive.department_id, self.dept_finance)
        self.assertEqual(vote.department_id, self.dept_it)
        # their undo: the earlier positions in the earlier lanes
        self.assertEqual(
            [(undo["step"], undo["department"]) for undo in state["undo"]],
            [(vote.id, False), (receive.id, self.dept_it.id)],
        )
        # undo puts both back in their lanes
        self._apply(*state["undo"])
        self.assertEqual(receive.department_id, self.dept_it)
        self.assertFalse(vote.department_id)
        # a move without a lane (outside every lane) leaves the department alone
        self._apply({"op": "move", "step": receive.id, "x": 10, "y": 10})
        self.assertEqual(receive.department_id, self.dept_it)
        with refused(
            self, UserError, "The designer sent department lane, which is not a department"
        ):
            self._apply({"op": "move", "step": receive.id, "x": 1, "y": 1, "department": "lane"})
        self.assertEqual(receive.department_id, self.dept_it)

    def test_lane_change_of_a_locked_flow_is_refused(self):
        self.flow.action_activate()
        fix = self.steps["Fix"]
        with refused(
            self,
            UserError,
            r"Flow Test flow \(v1\) is Active, so its configuration is locked: use New Version",
        ):
            self._apply(
                {"op": "move", "step": fix.id, "x": 10, "y": 10, "department": self.dept_finance.id}
            )
        self.assertEqual(fix.department_id, self.dept_it)

    def test_step_without_department_is_a_warning(self):
        self.steps["Fix"].department_id = False
        errors = self.flow.with_user(self.admin).designer_validate()
        self.assertEqual(
            errors,
            [
                {
                    "step_id": self.steps["Fix"].id,
                    "element": f"Step_{self.steps['Fix'].id}",
                    "message": "Step Fix has no responsible department.",
                    "level": "warning",
                }
            ],
        )
        # a warning of the designer only: the activation is not refused for it
        self.flow.with_user(self.admin).action_activate()
        self.assertEqual(self.flow.state, "active")

    def test_validation_refused_to_non_administrators(self):
        manager = self.it_manager
        self.assertTrue(manager.has_group(MANAGER))
        flow = self.flow.with_user(manager)
        flow.check_access("read")  # managers read flows, but do not design them
        message = "Only CrossDept administrators may design flows and check them."
        with refused(self, AccessError, message):
            flow.designer_validate()
        with refused(self, AccessError, message):
            flow.designer_apply(flow.designer_revision, [])


@tagged("post_install", "-at_install")
class TestFlowDesignerRpc(HttpCase):
    """The validation endpoint called over JSON-RPC by a manager, not an
    administrator: refused with its message."""

    def test_manager_refused_over_rpc(self):
        new_test_user(self.env, "designer_rpc_manager", groups=MANAGER)
        flow = self.env["crossdept.flow"].create({"name": "Rpc", "code": "RPC"})
        self.authenticate("designer_rpc_manager", "designer_rpc_manager")
        response = self.url_open(
            "/web/dataset/call_kw/crossdept.flow/designer_validate",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": "crossdept.flow",
                        "method": "designer_validate",
                        "args": [[flow.id]],
                        "kwargs": {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        error = response.json()["error"]["data"]
        self.assertEqual(error["name"], "odoo.exceptions.AccessError")
        self.assertEqual(
            error["message"], "Only CrossDept administrators may design flows and check them."
        )


@tagged("post_install", "-at_install")
class TestFlowDesignerQueries(CrossdeptFlowCase):
    """A big flow stays usable: the canvas's calls cost as many queries for 200
    steps as for 10, as the administrator who draws."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = new_test_user(cls.env, "designer_admin", groups=ADMIN, name="Designer Admin")

    def _big_flow(self, count):
        """Branches of 10 steps, departments alternating, an approval every fifth
        step (a user and a department's manager approve), a run condition every
        seventh."""
        flow = self.env["crossdept.flow"].create({"name": f"{count} steps", "code": f"Q{count}"})
        vals_list = []
        for n in range(1, count + 1):
            vals = {
                "flow_id": flow.id,
                "name": f"Step {n}",
                "sequence": n,
                "department_id": (self.dept_it, self.dept_finance)[n % 2].id,
                "condition_domain": "[('priority', '=', '3')]" if n % 7 == 0 else "[]",
            }
            if n % 5 == 0:
                vals.update(
                    kind="approval",
                    raci_ids=[
                        Command.create({"holder_type": "user", "user_id": self.approver_1.id}),
                        Command.create(
                            {
                                "holder_type": "department_manager",
                                "department_id": self.dept_finance.id,
                            }
                        ),
                    ],
                )
            vals_list.append(vals)
        steps = self.env["crossdept.flow.step"].create(vals_list)
        for index, step in enumerate(steps):
            if index % 10:
                step.predecessor_ids = steps[index - 1]
        return flow.with_user(self.admin), steps

    def _queries(self, call):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        result = call()
        self.env.flush_all()
        return self.cr.sql_log_count - before, result

    def _costs(self, count):
        flow, steps = self._big_flow(count)
        costs = {}
        # the second time: the registry's caches (rules) are warm, as on a server
        for _time in range(2):
            costs["load"], state = self._queries(flow.designer_load)
        costs["first edit"], state = self._queries(
            lambda: flow.designer_apply(
                state["revision"], [{"op": "add_step", "x": 400, "y": 100, "department": False}]
            )
        )
        self.assertTrue(all(steps.mapped("diagram_x")), "the layout drawn is stored")
        for draw in (True, False):
            costs[f"move, draw={draw}"], state = self._queries(
                lambda draw=draw, state=state: flow.designer_apply(
                    state["revision"],
                    [{"op": "move", "step": steps[0].id, "x": 300, "y": 300 + draw}],
                    draw,
                )
            )
            self.assertEqual(("xml" in state, "lanes" in state), (draw, draw))
            self.assertEqual((steps[0].diagram_x, steps[0].diagram_y), (300, 300 + draw))
        return costs

    def test_queries_do_not_grow_with_the_steps(self):
        self._costs(3)  # the registry's caches (rules, access rights, defaults) warm
        small, big = self._costs(10), self._costs(200)
        self.assertEqual(big, small)
        self.assertLessEqual(max(big.values()), 25, big)
