from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from ..models.crossdept_ticket_step import OPEN_STATES
from .common import USER

TITLE = "Tour: offer for 40 standing desks"
REASON = "Too expensive: ask two more suppliers"
DETAILS = "40 height-adjustable desks for the sales floor, delivered by March"


def assert_no_stale_activity(case, tickets):
    """Every to-do of the tickets' steps (archived runs included) belongs to an open
    step and to someone that step waits on now."""
    steps = (
        case.env["crossdept.ticket.step"]
        .with_context(active_test=False)
        .search([("ticket_id", "in", tickets.ids)])
    )
    activities = case.env["mail.activity"].search([("crossdept_step_id", "in", steps.ids)])
    for activity in activities:
        step = activity.crossdept_step_id
        case.assertIn(step.state, OPEN_STATES, f"{activity.summary}: its step is {step.state}")
        case.assertIn(
            activity.user_id,
            step._current_holders(),
            f"{activity.summary}: {activity.user_id.name} no longer holds {step.name}",
        )
    return activities


@tagged("post_install", "-at_install")
class TestClerkDayTour(HttpCase):
    """A clerk's day in the browser, one tour per person: the clerk submits, the
    engineer finishes from the ticket, the approver decides from My Approvals, the
    requester reads a refusal in the chatter. Each ends with no stale to-do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Department = cls.env["hr.department"]
        cls.sales = Department.create({"name": "Sales (tour)"})
        cls.it = Department.create({"name": "IT (tour)"})
        cls.management = Department.create({"name": "Management (tour)"})
        cls.clerk = cls._user("tour_clerk", "Tour Clerk", cls.sales)
        cls.engineer = cls._user("tour_engineer", "Tour Engineer", cls.it)
        cls.approver = cls._user("tour_approver", "Tour Approver", cls.management)
        cls.ticket_type = cls.env["crossdept.ticket.type"].create(
            {"name": "Offer request (tour)", "sequence": 1}
        )
        cls.flow = cls.env["crossdept.flow"].create(
            {
                "name": "Offer flow (tour)",
                "code": "TOUROFFER",
                "type_ids": [Command.set(cls.ticket_type.ids)],
            }
        )
        FlowStep = cls.env["crossdept.flow.step"]
        # the requester's own part, as in the demo's change requests: Submit does it
        cls.request = FlowStep.create(
            {
                "flow_id": cls.flow.id,
                "sequence": 5,
                "name": "Submit offer request",
                "department_id": cls.sales.id,
                "sla_hours": 4,
                "assignment": "raci",
                "raci_ids": [Command.create({"role": "responsible", "holder_type": "requester"})],
                "deliverable_ids": [Command.create({"name": "Offer details", "sequence": 1})],
            }
        )
        cls.feasibility = FlowStep.create(
            {
                "flow_id": cls.flow.id,
                "sequence": 10,
                "name": "Technical feasibility",
                "predecessor_ids": [Command.set(cls.request.ids)],
                "department_id": cls.it.id,
                "sla_hours": 16,
                "assignment": "raci",
                "raci_ids": [
                    Command.create(
                        {"role": "responsible", "holder_type": "user", "user_id": cls.engineer.id}
                    )
                ],
                "deliverable_ids": [
                    Command.create({"name": "Feasibility assessment", "sequence": 1}),
                    Command.create({"name": "Effort estimate", "sequence": 2}),
                ],
            }
        )
        cls.approval = FlowStep.create(
            {
                "flow_id": cls.flow.id,
                "sequence": 20,
                "name": "Management approval",
                "kind": "approval",
                "department_id": cls.management.id,
                "sla_hours": 8,
                "predecessor_ids": [Command.set(cls.feasibility.ids)],
                "raci_ids": [
                    Command.create(
                        {"role": "responsible", "holder_type": "user", "user_id": cls.approver.id}
                    )
                ],
                "reject_action": "return",
                "reject_return_step_id": cls.feasibility.id,
            }
        )
        cls.flow.action_activate()

    @classmethod
    def _user(cls, login, name, department):
        user = new_test_user(cls.env, login, groups=USER, name=name)
        cls.env["hr.employee"].create(
            {"name": name, "user_id": user.id, "department_id": department.id}
        )
        return user

    def _submitted(self):
        ticket = (
            self.env["crossdept.ticket"]
            .with_user(self.clerk)
            .create({"title": TITLE, "type_id": self.ticket_type.id, "description": DETAILS})
        )
        ticket.action_submit()
        return ticket.with_user(self.env.user)

    def _step(self, ticket, name):
        return ticket.step_ids.filtered(lambda step: step.name == name)

    def _at_approval(self):
        ticket = self._submitted()
        feasibility = self._step(ticket, "Technical feasibility").with_user(self.engineer)
        feasibility.deliverable_ids.write({"done": True})
        feasibility.action_finish()
        return ticket

    def test_the_clerk_submits_and_sees_the_current_step(self):
        self.start_tour(
            "/odoo/action-crossdept_ticket.crossdept_ticket_action_my",
            "crossdept_clerk_submit_tour",
            login="tour_clerk",
        )
        ticket = self.env["crossdept.ticket"].search([("title", "=", TITLE)])
        self.assertEqual(ticket.state, "in_progress")
        self.assertEqual(ticket.department_id, self.sales, "the clerk's department")
        self.assertEqual(ticket.flow_id, self.flow)
        # Submit did the clerk's own step, as its Finish does, in the clerk's name
        request = self._step(ticket, "Submit offer request")
        self.assertEqual(request.state, "done")
        self.assertEqual(request.deliverable_ids.mapped("done"), [True])
        done = ticket.event_ids.filtered(
            lambda e: e.step_id == request and e.event_type in ("step_start", "step_done")
        )
        self.assertEqual(sorted(done.mapped("event_type")), ["step_done", "step_start"])
        self.assertEqual(done.actor_id, self.clerk)
        step = self._step(ticket, "Technical feasibility")
        self.assertEqual(step.state, "ready")
        self.assertEqual(
            (ticket.user_id, ticket.assigned_department_id, ticket.date_deadline),
            (self.engineer, self.it, step.date_deadline),
        )
        todos = assert_no_stale_activity(self, ticket)
        self.assertEqual(todos.user_id, self.engineer)

    def test_my_requests_keep_what_the_clerk_asked_for(self):
        Ticket = self.env["crossdept.ticket"].with_user(self.clerk)
        dropped = Ticket.create({"title": "Tour: a request dropped"})
        dropped.action_cancel()
        held = self._submitted()
        self.assertEqual(held.user_id, self.engineer, "IT holds it")
        self.start_tour(
            "/odoo/action-crossdept_ticket.crossdept_ticket_action_my",
            "crossdept_clerk_requests_tour",
            login="tour_clerk",
        )

    def test_the_holder_ticks_off_and_finishes_from_the_ticket(self):
        ticket = self._submitted()
        self.start_tour(
            "/odoo/action-crossdept_ticket.crossdept_ticket_action",
            "crossdept_holder_finish_tour",
            login="tour_engineer",
        )
        step = self._step(ticket, "Technical feasibility")
        self.assertEqual(step.state, "done")
        self.assertEqual(step.deliverable_ids.mapped("done"), [True, True])
        self.assertEqual(ticket.user_id, self.approver)
        todos = assert_no_stale_activity(self, ticket)
        self.assertEqual(todos.user_id, self.approver)

    def test_a_responsible_who_is_not_the_assignee_finishes_from_the_ticket(self):
        """The step (and the ticket's Responsible role) went to a colleague; the
        engineer holds it as its Responsible and finishes it: once the ticket has
        gone on to the approver's department, the form still shows him what
        happened and who holds the ticket now."""
        ticket = self._submitted()
        step = self._step(ticket, "Technical feasibility")
        colleague = self._user("tour_colleague", "Tour Colleague", self.it)
        step._engine().write({"user_id": colleague.id})
        responsible = ticket.raci_ids.filtered(lambda line: line.role == "responsible")
        responsible._engine().write({"user_id": colleague.id})
        self.assertIn(self.engineer, step.responsible_ids)
        self.assertNotIn(self.engineer, ticket.raci_ids.holder_user_id)
        self.start_tour(
            "/odoo/action-crossdept_ticket.crossdept_ticket_action",
            "crossdept_holder_finish_tour",
            login="tour_engineer",
        )
        self.assertEqual(step.state, "done")
        self.assertEqual(ticket.user_id, self.approver)
        self.assertEqual(ticket.assigned_department_id, self.management)

    def test_ticking_the_last_deliverable_saves_and_offers_finish(self):
        ticket = self._submitted()
        feasibility = self._step(ticket, "Technical feasibility")
        feasibility.with_user(self.engineer).action_start()
        self.start_tour(
            "/odoo/action-crossdept_ticket.crossdept_ticket_action",
            "crossdept_holder_tick_saves_tour",
            login="tour_engineer",
        )
        self.env.invalidate_all()
        self.assertEqual(feasibility.deliverable_ids.mapped("done"), [True, True], "saved")
        self.assertEqual(feasibility.state, "in_progress", "finishing is still the holder's")
        self.assertFalse(feasibility.with_user(self.engineer).finish_blocked_reason)

    def test_the_approver_approves_from_my_approvals(self):
        ticket = self._at_approval()
        self.start_tour(
            "/odoo/action-crossdept_ticket.crossdept_ticket_step_action_approval",
            "crossdept_approver_approve_tour",
            login="tour_approver",
        )
        self.assertEqual(self._step(ticket, "Management approval").state, "done")
        self.assertEqual(ticket.state, "done")
        self.assertFalse(assert_no_stale_activity(self, ticket), "every to-do closed")

    def test_a_refusal_reaches_the_requester_in_the_chatter(self):
        ticket = self._at_approval()
        self.start_tour(
            "/odoo/action-crossdept_ticket.crossdept_ticket_step_action_approval",
            "crossdept_approver_refuse_tour",
            login="tour_approver",
        )
        approval = self._step(ticket, "Management approval")
        self.assertEqual(approval.state, "pending", "it waits for the rework")
        refused = ticket.event_ids.filtered(lambda e: e.event_type == "step_reject")
        self.assertEqual((refused.step_id, refused.reason), (approval, REASON))
        feasibility = self._step(ticket, "Technical feasibility")
        self.assertEqual(
            (feasibility.state, feasibility.user_id), ("ready", self.engineer), "back to him"
        )
        refusal = ticket.message_ids.filtered(lambda m: REASON in (m.body or ""))
        self.assertEqual(len(refusal), 1)
        self.assertIn(self.clerk.partner_id, refusal.notification_ids.res_partner_id)
        self.start_tour(
            "/odoo/action-crossdept_ticket.crossdept_ticket_action",
            "crossdept_requester_reads_refusal_tour",
            login="tour_clerk",
        )
        todos = assert_no_stale_activity(self, ticket)
        self.assertEqual(todos.user_id, self.engineer)
