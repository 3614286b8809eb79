from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import USER
from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestStepHolderAccess(CrossdeptFlowCase):
    """A Responsible holder of a step who is not its assignee (the step's RACI names
    two people; the first is the assignee) finishes it from the ticket's header:
    the form reloaded after the button shows them what happened and who holds the
    ticket now, although the ticket has moved on to another department."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dept_legal = cls.env["hr.department"].create({"name": "Legal (test)"})
        cls.legal_lead = cls._make_user("legal_lead", USER, cls.dept_legal)
        cls.legal_user = cls._make_user("legal_user", USER, cls.dept_legal)
        cls.legal_other = cls._make_user("legal_other", USER, cls.dept_legal)
        cls.flow, _steps = cls._make_flow(
            [
                {
                    "name": "Review",
                    "user": cls.legal_lead | cls.legal_user,
                    "department_id": cls.dept_legal.id,
                },
                {
                    "name": "Check",
                    "preds": ["Review"],
                    "user": cls.finance_user,
                    "department_id": cls.dept_finance.id,
                },
            ]
        )

    def test_the_responsible_finishes_from_the_header_and_reads_what_happened(self):
        ticket = self._run(self.flow)
        review = self._step(ticket, "Review")
        self.assertEqual(review.user_id, self.legal_lead)
        self.assertIn(self.legal_user, review.responsible_ids)
        self.assertEqual(ticket.assigned_department_id, self.dept_legal)

        as_holder = ticket.with_user(self.legal_user)
        as_holder.action_next_step(review.id, "start")
        as_holder.action_next_step(review.id, "finish")
        self.env.invalidate_all()

        # what the form reads once the button returns
        form = Form(as_holder)
        self.assertEqual(form.user_id, self.finance_user, "who holds the ticket now")
        self.assertEqual(form.assigned_department_id, self.dept_finance)
        self.assertFalse(form.next_action, "nothing left for the Responsible")
        steps = {step.name: step.state for step in as_holder.step_ids}
        self.assertEqual(steps, {"Review": "done", "Check": "ready"})
        done = as_holder.event_ids.filtered(lambda e: e.event_type == "step_done")
        self.assertEqual(done.step_id.name, "Review")

    def test_a_member_of_the_step_department_who_held_nothing_loses_the_ticket(self):
        ticket = self._run(self.flow)
        review = self._step(ticket, "Review")
        # while the ticket is in Legal, the department's members read it
        self.assertEqual(ticket.with_user(self.legal_other).read(["name"])[0]["id"], ticket.id)
        ticket.with_user(self.legal_user).action_next_step(review.id, "finish")
        self.env.invalidate_all()
        with self.assertRaisesRegex(AccessError, "crossdept.ticket"):
            ticket.with_user(self.legal_other).read(["name"])

    def test_who_handed_a_step_over_still_reads_its_ticket(self):
        ticket = self._run(self.flow)
        review = self._step(ticket, "Review")
        # dispatched to a colleague who is no Responsible of the step, who hands over
        review._engine().write({"user_id": self.legal_other.id})
        review.with_user(self.legal_other).action_reassign(self.legal_lead, "On holiday")
        self.assertNotIn(self.legal_other, review.user_id | review.responsible_ids)
        ticket.with_user(self.legal_lead).action_next_step(review.id, "finish")
        self.env.invalidate_all()
        self.assertEqual(ticket.assigned_department_id, self.dept_finance)
        self.assertEqual(
            ticket.with_user(self.legal_other).read(["user_id"])[0]["user_id"][0],
            self.finance_user.id,
        )

    def test_nobody_writes_the_step_holders(self):
        ticket = self._run(self.flow)
        with self.assertRaisesRegex(UserError, "use the assignment of its steps"):
            ticket.with_user(self.it_user).write(
                {"step_holder_ids": [Command.link(self.legal_other.id)]}
            )
        self.assertNotIn(self.legal_other, ticket.step_holder_ids)
