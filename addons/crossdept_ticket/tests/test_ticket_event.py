from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import CrossdeptTicketCase
from .refusal import acl_refusal


@tagged("post_install", "-at_install")
class TestTicketEvent(CrossdeptTicketCase):
    def _events(self, ticket, event_type):
        return ticket.event_ids.filtered(lambda event: event.event_type == event_type)

    def test_creation_event(self):
        ticket = self._make_ticket(user_id=self.it_user.id)
        event = self._events(ticket, "create")
        self.assertEqual(len(event), 1)
        self.assertEqual(event.to_state, "draft")
        self.assertEqual(event.to_user_id, self.it_user)
        self.assertEqual(event.company_id, ticket.company_id)

    def test_event_for_each_state_change(self):
        ticket = self._make_ticket().with_user(self.it_user)
        ticket.action_open()
        ticket.action_start()
        ticket.action_wait()
        ticket.action_start()
        ticket.action_done()
        moves = [
            (event.from_state, event.to_state, event.actor_id)
            for event in self._events(ticket, "state").sorted("id")
        ]
        self.assertEqual(
            moves,
            [
                ("draft", "open", self.it_user),
                ("open", "in_progress", self.it_user),
                ("in_progress", "waiting", self.it_user),
                ("waiting", "in_progress", self.it_user),
                ("in_progress", "done", self.it_user),
            ],
        )

    def test_assignment_then_transfer_with_reason(self):
        ticket = self._make_ticket(assigned_department_id=False)
        ticket.user_id = self.it_user
        assign = self._events(ticket, "assign")
        self.assertEqual(
            (assign.from_user_id, assign.to_user_id), (self.env["res.users"], self.it_user)
        )
        wizard = Form(
            self.env["crossdept.ticket.transfer"].with_context(default_ticket_ids=ticket.ids)
        )
        wizard.user_id = self.finance_user
        wizard.reason = "Needs a budget decision"
        wizard.save().action_transfer()
        transfer = self._events(ticket, "transfer")
        self.assertEqual(len(transfer), 1)
        self.assertEqual(transfer.from_user_id, self.it_user)
        self.assertEqual(transfer.to_user_id, self.finance_user)
        self.assertEqual(transfer.to_department_id, self.dept_finance)
        self.assertEqual(transfer.reason, "Needs a budget decision")

    def test_transfer_needs_a_target_and_a_reason(self):
        ticket = self._make_ticket()
        wizard = self.env["crossdept.ticket.transfer"].create(
            {"ticket_ids": ticket.ids, "reason": "   "}
        )
        with self.assertRaisesRegex(UserError, "person or the department"):
            wizard.action_transfer()
        wizard.user_id = self.finance_user
        with self.assertRaisesRegex(UserError, "reason"):
            wizard.action_transfer()
        self.assertFalse(self._events(ticket, "transfer"))

    def test_events_are_immutable_even_for_superuser(self):
        ticket = self._make_ticket()
        ticket.action_open()
        event = self._events(ticket, "state")
        for env in (self.env, self.env(su=True)):
            with self.assertRaisesRegex(UserError, "append-only log: they cannot be changed"):
                event.with_env(env).write({"reason": "rewritten"})
            with self.assertRaisesRegex(UserError, "append-only log: they cannot be deleted"):
                event.with_env(env).unlink()
        with self.assertRaisesRegex(AccessError, acl_refusal("create", "crossdept.ticket.event")):
            self.env["crossdept.ticket.event"].with_user(self.it_user).create(
                {"ticket_id": ticket.id, "event_type": "state", "company_id": ticket.company_id.id}
            )
        self.assertEqual(event.to_state, "open")
        self.assertFalse(event.reason)

    def test_tickets_cannot_be_deleted(self):
        ticket = self._make_ticket()
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            ticket.unlink()
        self.assertTrue(ticket.exists())
