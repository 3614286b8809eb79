from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.crossdept_ticket.models.crossdept_ticket import STATES, TRANSITIONS

from .common import CrossdeptTicketCase

# the action that takes a ticket to each state
ACTIONS = {
    "draft": "action_draft",
    "open": "action_open",
    "in_progress": "action_start",
    "waiting": "action_wait",
    "done": "action_done",
    "cancelled": "action_cancel",
}
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
            getattr(ticket, ACTIONS[step])()
        self.assertEqual(ticket.state, state)
        return ticket

    def test_allowed_transitions(self):
        for from_state, targets in TRANSITIONS.items():
            for to_state in targets:
                with self.subTest(from_state=from_state, to_state=to_state):
                    ticket = self._ticket_in(from_state)
                    action = "action_reopen" if from_state == "done" else ACTIONS[to_state]
                    getattr(ticket, action)()
                    self.assertEqual(ticket.state, to_state)

    def test_refused_transitions_name_both_states(self):
        labels = dict(STATES)
        for from_state, _label in STATES:
            refused = {state for state, _l in STATES} - TRANSITIONS[from_state] - {from_state}
            for to_state in refused:
                with self.subTest(from_state=from_state, to_state=to_state):
                    ticket = self._ticket_in(from_state)
                    with self.assertRaises(UserError) as error:
                        getattr(ticket, ACTIONS[to_state])()
                    message = str(error.exception)
                    self.assertIn(labels[from_state], message)
                    self.assertIn(labels[to_state], message)
                    self.assertEqual(ticket.state, from_state)

    def test_state_is_never_written_directly(self):
        ticket = self._ticket_in("open")
        for user in (self.env.user, self.it_user, self.it_manager):
            with (
                self.subTest(user=user.login),
                self.assertRaisesRegex(
                    UserError, "State of Cross-department Ticket is set by CrossDept's engine"
                ),
            ):
                ticket.with_user(user).write({"state": "done"})
        self.assertEqual(ticket.state, "open")
        self.assertFalse(ticket.event_ids.filtered(lambda e: e.to_state == "done"))

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

    def test_who_moves_a_ticket(self):
        ticket = self._make_ticket()
        with self.assertRaisesRegex(
            UserError, "You cannot submit ticket .*: only the requester, its creator"
        ):
            ticket.with_user(self.finance_manager).action_open()
        ticket.with_user(self.it_user).action_open()
        with self.assertRaisesRegex(UserError, "You cannot cancel ticket"):
            ticket.with_user(self.finance_user).action_cancel()
        ticket.with_user(self.it_user).action_cancel()
        self.assertEqual(ticket.state, "cancelled")

    def test_create_only_as_draft_or_open(self):
        self.assertEqual(self._make_ticket(state="open").state, "open")
        with self.assertRaisesRegex(UserError, "created as Draft or Open, not Done"):
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
        with self.assertRaisesRegex(UserError, "Number of Cross-department Ticket is set"):
            self._make_ticket(name="TK1999-00001")

    def test_overdue_search(self):
        late = self._make_ticket(date_deadline="2020-01-01 10:00:00")
        closed = self._make_ticket(date_deadline="2020-01-01 10:00:00", state="open")
        closed.action_cancel()
        Ticket = self.env["crossdept.ticket"]
        overdue = Ticket.search([("is_overdue", "=", True), ("id", "in", (late | closed).ids)])
        self.assertEqual(overdue, late)
        self.assertTrue(late.is_overdue)
        self.assertFalse(closed.is_overdue)

    def test_dates_out_of_any_business_range_are_refused(self):
        for value in ("0054-06-01 10:00:00", "1999-12-31 10:00:00", "2166-01-01 10:00:00"):
            with (
                self.subTest(value=value),
                self.assertRaisesRegex(
                    UserError, "Deadline of .* dates must lie between 2000-01-01 and 2100-12-31"
                ),
            ):
                self._make_ticket(date_deadline=value)
