from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common_flow import CrossdeptFlowCase
from .refusal import refused

DESCRIPTION = "<p>Move payroll to the new rack: the old one fails twice a week.</p>"


@tagged("post_install", "-at_install")
class TestSubmitDoesTheRequestersPart(CrossdeptFlowCase):
    """Submitting a request completes what its requester had to do: the flow's first
    step that is the requester's own is finished by Submit, and the request goes to
    the next holder at once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        customer = cls.env["ir.model.fields"]._get("crossdept.ticket", "partner_id")
        cls.flow, cls.flow_steps = cls._make_flow(
            [
                {
                    "name": "Submit change request",
                    "department_id": cls.dept_finance.id,
                    "raci_ids": [
                        Command.create({"role": "responsible", "holder_type": "requester"})
                    ],
                    "required_field_ids": [Command.set(customer.ids)],
                    "deliverable_ids": [
                        Command.create({"name": "Change description", "sequence": 1}),
                        Command.create({"name": "Business justification", "sequence": 2}),
                    ],
                },
                {
                    "name": "Technical feasibility",
                    "preds": ["Submit change request"],
                    "user": cls.it_manager,
                },
            ]
        )

    def _draft(self, user=None, **vals):
        return (
            self.env["crossdept.ticket"]
            .with_user(user or self.finance_user)
            .create({"title": "Move the payroll server", "type_id": self.ticket_type.id, **vals})
        )

    def test_submit_finishes_the_requesters_own_step(self):
        ticket = self._draft(partner_id=self.customer_a.id, description=DESCRIPTION)
        action = ticket.action_submit()
        request = self._step(ticket, "Submit change request")
        self.assertEqual(request.state, "done")
        self.assertEqual(request.deliverable_ids.mapped("done"), [True, True])
        events = ticket.event_ids.filtered(lambda e: e.step_id == request)
        self.assertEqual(
            sorted(events.mapped("event_type")), ["step_done", "step_ready", "step_start"]
        )
        self.assertEqual(events.actor_id, self.finance_user, "in the requester's name")
        feasibility = self._step(ticket, "Technical feasibility")
        self.assertEqual(feasibility.state, "ready")
        self.assertEqual(ticket.user_id, self.it_manager)
        self.assertFalse(ticket.waiting_on_me, "nothing left for the requester")
        self.assertFalse(ticket.next_action)
        # the requester is told who has the request now
        self.assertEqual(action["tag"], "display_notification")
        message = action["params"]["message"]
        self.assertIn("now waits on It Manager (Technical feasibility)", message)

    def test_submit_names_what_the_requesters_step_still_needs(self):
        ticket = self._draft()
        with refused(
            self, UserError, r"Submit also finishes step .*Submit change request"
        ) as caught:
            ticket.action_submit()
        message = str(caught.exception)
        self.assertIn("input: Customer", message)
        self.assertIn(
            "input: Description, which carries the deliverables Change description, "
            "Business justification",
            message,
        )
        self.env.invalidate_all()
        self.assertEqual(ticket.state, "draft", "nothing of the Submit is kept")
        self.assertFalse(ticket.step_ids)

    def test_who_submits_for_the_requester_leaves_the_requester_their_step(self):
        # the IT user files the request of a Finance colleague: the step is hers
        ticket = self._draft(
            user=self.it_user,
            requester_id=self.finance_user.id,
            partner_id=self.customer_a.id,
            description=DESCRIPTION,
        )
        action = ticket.action_submit()
        request = self._step(ticket, "Submit change request")
        self.assertEqual((request.state, request.user_id), ("ready", self.finance_user))
        self.assertEqual(ticket.user_id, self.finance_user)
        message = action["params"]["message"]
        self.assertIn("now waits on Finance User (Submit change request)", message)

    def test_a_new_ticket_says_new_until_it_is_numbered(self):
        form = Form(self.env["crossdept.ticket"].with_user(self.finance_user))
        self.assertEqual(form.name, "New")
        form.title = "Broken badge reader"
        ticket = form.save()
        self.assertNotIn(ticket.name, ("New", "/"))
        self.assertRegex(ticket.name, r"\d")
