from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.crossdept_ticket.models.crossdept_ticket import STATES, TRANSITIONS

from .common import CrossdeptTicketCase

# the shortest way to reach each state from draft
PATHS = {
    "draft": [],
    "open": ["open"],
    "in_progress": ["open", "in_progress"],
    "waiting": ["open", "waiting"],
    "done": ["open", "in_progress", "done"],
    "cancelled": ["cancelled"],
}


@tagged("post_install", "-at_install")
class TestTicketState(CrossdeptTicketCase):
    def _ticket_in(self, state):
        ticket = self._make_ticket()
        for step in PATHS[state]:
            ticket.write({"state": step})
        self.assertEqual(ticket.state, state)
        return ticket

    def test_allowed_transitions(self):
        for from_state, targets in TRANSITIONS.items():
            for to_state in targets:
                with self.subTest(from_state=from_state, to_state=to_state):
                    ticket = self._ticket_in(from_state)
                    ticket.write({"state": to_state})
                    self.assertEqual(ticket.state, to_state)

    def test_refused_transitions_name_both_states(self):
        labels = dict(STATES)
        for from_state, _label in STATES:
            refused = {state for state, _l in STATES} - TRANSITIONS[from_state] - {from_state}
            for to_state in refused:
                with self.subTest(from_state=from_state, to_state=to_state):
                    ticket = self._ticket_in(from_state)
                    with self.assertRaises(UserError) as error:
                        ticket.write({"state": to_state})
                    message = str(error.exception)
                    self.assertIn(labels[from_state], message)
                    self.assertIn(labels[to_state], message)
                    self.assertEqual(ticket.state, from_state)

    def test_action_buttons_follow_the_machine(self):
        ticket = self._make_ticket()
        ticket.action_open()
        ticket.action_wait()
        ticket.action_start()
        ticket.action_done()
        self.assertEqual(ticket.state, "done")
        self.assertTrue(ticket.date_closed)
        ticket.action_reopen()
        self.assertEqual(ticket.state, "in_progress")
        self.assertFalse(ticket.date_closed)
        ticket.action_cancel()
        ticket.action_draft()
        self.assertEqual(ticket.state, "draft")

    def test_create_only_as_draft_or_open(self):
        self.assertEqual(self._make_ticket(state="open").state, "open")
        with self.assertRaises(UserError):
            self._make_ticket(state="done")

    def test_numbers_follow_company_sequence(self):
        first, second = self._make_ticket(), self._make_ticket()
        self.assertRegex(first.name, r"^TK\d{4}-\d{5}$")
        self.assertEqual(int(second.name[-5:]), int(first.name[-5:]) + 1)
        other_company = self.env["res.company"].create({"name": "Other Co"})
        other = self._make_ticket(
            company_id=other_company.id, department_id=False, assigned_department_id=False
        )
        self.assertTrue(other.name.endswith("-00001"), other.name)

    def test_overdue_search(self):
        late = self._make_ticket(date_deadline="2020-01-01 10:00:00")
        closed = self._make_ticket(date_deadline="2020-01-01 10:00:00", state="open")
        closed.action_cancel()
        Ticket = self.env["crossdept.ticket"]
        overdue = Ticket.search([("is_overdue", "=", True), ("id", "in", (late | closed).ids)])
        self.assertEqual(overdue, late)
        self.assertTrue(late.is_overdue)
        self.assertFalse(closed.is_overdue)
