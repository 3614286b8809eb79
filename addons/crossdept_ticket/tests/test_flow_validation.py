from itertools import count

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common_flow import CrossdeptFlowCase
from .refusal import refused

ADMIN = "crossdept_ticket.group_crossdept_ticket_admin"


@tagged("post_install", "-at_install")
class TestFlowValidation(CrossdeptFlowCase):
    """Bad settings are refused when they are saved, naming the step; what depends
    on people is checked when the flow is activated."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = new_test_user(cls.env, "flow_admin", groups=ADMIN, name="Flow Admin")
        cls.Flow = cls.env["crossdept.flow"].with_user(cls.admin)
        cls.Step = cls.env["crossdept.flow.step"].with_user(cls.admin)

    def _draft(self, **vals):
        return self.Flow.create({"name": "Draft", "code": "VALID", **vals})

    def _approval(self, flow, name="Vote", holders=(), **vals):
        """An approval step with one Responsible line per holder: a user, or a dict
        of RACI line values."""
        lines = [
            holder if isinstance(holder, dict) else {"holder_type": "user", "user_id": holder.id}
            for holder in holders
        ]
        return self.Step.create(
            {
                "flow_id": flow.id,
                "name": name,
                "kind": "approval",
                "raci_ids": [Command.create({"role": "responsible", **line}) for line in lines],
                **vals,
            }
        )

    def test_sla_must_be_positive(self):
        flow = self._draft()
        for hours in (0, -2):
            with refused(
                self,
                ValidationError,
                "Step Zero: the SLA must be a positive number of working hours",
            ):
                self.Step.create({"flow_id": flow.id, "name": "Zero", "sla_hours": hours})
        step = self.Step.create({"flow_id": flow.id, "name": "Fine", "sla_hours": 0.5})
        with refused(self, ValidationError, "Step Fine: the SLA must be a positive"):
            step.sla_hours = -1

    def test_at_least_n_needs_n_approver_lines(self):
        flow = self._draft()
        with refused(
            self,
            ValidationError,
            "Step Vote: it asks for 3 approvals but has only 2 approver lines",
        ):
            self._approval(
                flow,
                holders=(self.approver_1, self.approver_2),
                approval_policy="count",
                approval_min_count=3,
            )
        step = self._approval(
            flow,
            holders=(self.approver_1, self.approver_2),
            approval_policy="count",
            approval_min_count=2,
        )
        # the lines may change on their own: the step is checked again
        with refused(self, ValidationError, "Step Vote: it asks for 2 approvals"):
            step.raci_ids[0].unlink()
        with refused(self, ValidationError, "Step Vote: it asks for 2 approvals"):
            step.raci_ids[0].role = "informed"
        with refused(self, ValidationError, "Step Vote: it asks for 3 approvals"):
            step.approval_min_count = 3
        with refused(
            self, ValidationError, "Step Vote: the minimum number of approvals must be at least 1"
        ):
            step.approval_min_count = 0
        self.assertEqual((step.approval_min_count, len(step.raci_ids)), (2, 2))

    def test_percentage_between_1_and_100(self):
        flow = self._draft()
        step = self._approval(flow, holders=(self.approver_1,), approval_policy="percent")
        for percent in (0, 0.5, 100.5, 150, -10):
            with (
                self.subTest(percent=percent),
                refused(
                    self,
                    ValidationError,
                    "Step Vote: the minimum percentage of approvals must be between 1 and 100",
                ),
            ):
                step.approval_min_percent = percent
        # the bounds are accepted, and mean what they say on a ticket: 1% of three
        # approvers is one approval, 100% is all three
        approvers = self.approver_1 | self.approver_2 | self.approver_3
        for percent, approved_by_one in ((1, True), (100, False)):
            with self.subTest(percent=percent):
                flow = self._draft(code=f"PERCENT{percent}")
                step = self._approval(flow, holders=approvers, approval_policy="percent")
                step.approval_min_percent = percent
                flow.action_activate()
                vote = self._step(self._run(flow), "Vote")
                vote.with_user(self.approver_1).action_approve()
                self.assertEqual(vote.approval_state, "approved" if approved_by_one else "pending")

    def test_domains_must_select_tickets(self):
        flow = self._draft()
        step = self.Step.create({"flow_id": flow.id, "name": "Maybe"})
        for text, error in (
            ("[('no_such_field', '=', 1)]", "Invalid field crossdept.ticket.no_such_field"),
            ("[('priority', 'resembles', '3')]", "Invalid leaf"),
            ("['|', ('priority', '=', '3')]", "syntactically not correct"),
            # the engine evaluates it without variables
            ("[('user_id', '=', uid)]", "name 'uid' is not defined"),
            ("[('priority', '=', '3'", "was never closed"),
            ("42", "it is not a list of conditions"),
        ):
            with (
                self.subTest(text=text),
                refused(
                    self,
                    ValidationError,
                    r"Step Maybe: the run condition is not a valid condition on tickets \(.*"
                    + error,
                ),
            ):
                step.condition_domain = text
            with (
                self.subTest(flow=text),
                refused(
                    self,
                    ValidationError,
                    r"Flow Draft \(v1\): “Applies to” is not a valid condition on tickets",
                ),
            ):
                flow.domain = text
        step.condition_domain = "[('partner_id.name', 'ilike', 'acme'), ('priority', '=', '3')]"
        flow.domain = "['|', ('priority', '=', '3'), ('type_id', '!=', False)]"
        self.assertEqual(flow._get_domain()[0], "|")

    def test_rejection_returns_only_to_an_ancestor(self):
        flow = self._draft()
        start = self.Step.create({"flow_id": flow.id, "name": "Start"})
        left = self._approval(flow, "Left", (self.approver_1,), predecessor_ids=start.ids)
        right = self._approval(flow, "Right", (self.approver_2,), predecessor_ids=start.ids)
        join = self._approval(flow, "Join", (self.approver_3,), predecessor_ids=(left | right).ids)
        for step, target in ((left, right), (left, join), (start, left)):
            with (
                self.subTest(step=step.name, target=target.name),
                refused(
                    self,
                    ValidationError,
                    f"Step {step.name}: a rejection must return to an earlier step, not to "
                    f"{target.name}",
                ),
            ):
                step.write({"reject_action": "return", "reject_return_step_id": target.id})
        join.write({"reject_action": "return", "reject_return_step_id": left.id})
        left.write({"reject_action": "return", "reject_return_step_id": start.id})
        # cutting the path to Left leaves Join returning to a parallel step
        with refused(
            self,
            ValidationError,
            "Step Join: a rejection must return to an earlier step, not to Left",
        ):
            join.predecessor_ids = right
        self.assertEqual(join.predecessor_ids, left | right)
        join.reject_return_step_id = start
        left.unlink()
        # without Right, nothing leads from Start to Join any more
        with refused(self, ValidationError, "Step Join: .* not to Start"):
            right.unlink()
        self.assertEqual(flow.step_ids, start | right | join)
        flow.action_activate()
        self.assertEqual(flow.state, "active")

    def test_activation_needs_approvers_who_can_meet_the_policy(self):
        no_manager = self.env["hr.department"].create({"name": "Headless (test)"})
        codes = count(1)

        def expect_refused(message, holders, **vals):
            flow = self._draft(code=f"POLICY{next(codes)}")
            self._approval(flow, "Vote", holders, **vals)
            with refused(self, ValidationError, message):
                flow.action_activate()
            self.assertEqual(flow.state, "draft")
            flow.unlink()

        expect_refused(
            r"Step Vote: department Headless \(test\) has no manager with an active user",
            [{"holder_type": "department_manager", "department_id": no_manager.id}],
        )
        expect_refused(
            "Step Vote: its approval policy needs 1 distinct approvers but its approver lines "
            "can name at most 0",
            [{"holder_type": "requester"}],
            approval_policy="any",
        )
        # the same person named twice, or as a user and as a department's manager
        expect_refused(
            "needs 2 distinct approvers but .* at most 1",
            [self.approver_1, self.approver_1],
            approval_policy="count",
            approval_min_count=2,
        )
        expect_refused(
            "needs 2 distinct approvers but .* at most 1",
            [
                self.finance_manager,
                {"holder_type": "department_manager", "department_id": self.dept_finance.id},
            ],
            approval_policy="count",
            approval_min_count=2,
        )
        expect_refused(
            "needs 3 distinct approvers but .* at most 2",
            [self.approver_1, {"holder_type": "requester"}, {"holder_type": "accountable"}],
            approval_policy="count",
            approval_min_count=3,
        )
        # an archived user cannot decide
        gone = new_test_user(self.env, "gone_approver", groups="base.group_user")
        gone.active = False
        expect_refused("needs 1 distinct approvers but .* at most 0", [gone], approval_policy="all")

        def expect_accepted(holders, **vals):
            flow = self._draft(code=f"POLICY{next(codes)}")
            self._approval(flow, "Vote", holders, **vals)
            flow.action_activate()
            self.assertEqual(flow.state, "active")

        expect_accepted([{"holder_type": "requester"}], allow_requester_approval=True)
        expect_accepted([{"holder_type": "accountable"}], approval_policy="percent")
        expect_accepted(
            [self.approver_1, {"holder_type": "requester"}, {"holder_type": "accountable"}],
            approval_policy="count",
            approval_min_count=3,
            allow_requester_approval=True,
        )
        expect_accepted(
            [
                self.approver_1,
                {"holder_type": "department", "department_id": self.dept_finance.id},
            ],
            approval_policy="count",
            approval_min_count=2,
        )

    def test_requester_approval_is_off_by_default(self):
        flow = self._draft()
        step = self._approval(flow, holders=(self.approver_1,))
        self.assertFalse(step.allow_requester_approval)
        self.assertIn(
            "by default their own request is never theirs to approve",
            step._fields["allow_requester_approval"].help,
        )

    def test_value_adding_follows_the_kind(self):
        flow = self._draft()
        task = self.Step.create({"flow_id": flow.id, "name": "Task"})
        approval = self._approval(flow, holders=(self.approver_1,))
        kept = self._approval(flow, "Kept", (self.approver_2,), value_adding=True)
        self.assertEqual(
            (task.value_adding, approval.value_adding, kept.value_adding), (True, False, True)
        )
        task.kind = "approval"
        self.assertFalse(task.value_adding)
        with Form(self.Step.with_context(default_flow_id=flow.id)) as form:
            form.name = "From the form"
            self.assertTrue(form.value_adding)
            form.kind = "approval"
            self.assertFalse(form.value_adding)
            form.value_adding = True
        self.assertTrue(form.record.value_adding)
