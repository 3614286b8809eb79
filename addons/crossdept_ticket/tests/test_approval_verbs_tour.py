from odoo.tests import HttpCase, tagged

from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestApprovalVerbsTour(HttpCase, CrossdeptFlowCase):
    """The OA verbs in the browser at 1366x768: an approver uses 加签 and 转交, the
    requester uses 催办 and 撤回; each tour is proven by the records it leaves."""

    browser_size = "1366x768"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": cls.approver_1 | cls.approver_2,
                    "approval_policy": "all",
                },
            ],
            urge_interval_hours=2,
        )
        cls.ticket_sign = cls._waiting("OA tour: sign the laptop")
        cls.ticket_hand = cls._waiting("OA tour: hand over the chairs")
        cls.ticket_urge = cls._waiting("OA tour: urge the projector")
        cls.ticket_withdraw = cls._waiting("OA tour: withdraw the trip")

    @classmethod
    def _waiting(cls, title):
        """A ticket requested by it_user whose two-approver step waits for decisions."""
        ticket = cls._run(cls.flow, title=title)
        prepare = cls._step(ticket, "Prepare").with_user(cls.it_user)
        prepare.action_start()
        prepare.action_finish()
        return ticket

    def _events(self, ticket, event_type):
        return ticket.event_ids.filtered(lambda e: e.event_type == event_type)

    def test_approver_adds_an_approver_after_them_and_hands_over(self):
        self.start_tour(
            "/odoo/action-crossdept_ticket.crossdept_ticket_step_action_approval",
            "crossdept_oa_approver_tour",
            login="approver_1",
        )
        # 加签 after me: approver 3 decides once approver 1 has approved
        step = self._step(self.ticket_sign, "Approve")
        event = self._events(self.ticket_sign, "approver_add_after")
        self.assertEqual(
            (event.actor_id, event.from_user_id, event.to_user_id, event.step_id, event.reason),
            (self.approver_1, self.approver_1, self.approver_3, step, "Legal checks the licence"),
        )
        self.assertTrue(step.with_user(self.approver_1).can_decide)
        self.assertFalse(step.with_user(self.approver_3).can_decide)
        step.with_user(self.approver_1).action_approve()
        self.assertTrue(step.with_user(self.approver_3).can_decide)
        # 转交: approver 3 decides instead of approver 1 on the other ticket
        step = self._step(self.ticket_hand, "Approve")
        self.assertEqual(step.approver_ids, self.approver_2 | self.approver_3)
        event = self._events(self.ticket_hand, "approver_hand_over")
        self.assertEqual(
            (event.actor_id, event.from_user_id, event.to_user_id, event.step_id, event.reason),
            (self.approver_1, self.approver_1, self.approver_3, step, "On leave next week"),
        )
        self.assertFalse(step.with_user(self.approver_1).can_decide)
        self.assertTrue(step.with_user(self.approver_3).can_decide)
        self.assertFalse(self._events(self.ticket_hand, "approver_add_after"))
        self.assertEqual(self.ticket_hand.state, "in_progress")

    def test_requester_urges_then_withdraws(self):
        self.start_tour(
            "/odoo/action-crossdept_ticket.crossdept_ticket_action_request",
            "crossdept_oa_requester_tour",
            login="it_user",
        )
        # 催办 once: the second press within the interval was refused
        step = self._step(self.ticket_urge, "Approve")
        events = self._events(self.ticket_urge, "approval_urge")
        self.assertEqual(events.to_user_id, self.approver_1 | self.approver_2)
        self.assertEqual(len(events), 2, "one urge, one event per waiting approver")
        self.assertEqual(events.actor_id, self.it_user)
        self.assertEqual(events.step_id, step)
        todos = self.env["mail.activity"].search(
            [("crossdept_step_id", "=", step.id), ("summary", "like", "Urged by")]
        )
        self.assertEqual(todos.user_id, self.approver_1 | self.approver_2)
        self.assertEqual(self.ticket_urge.state, "in_progress")
        # 撤回 on the other ticket: cancelled through the engine, with the reason
        self.assertEqual(self.ticket_withdraw.state, "cancelled")
        self.assertEqual(self._step(self.ticket_withdraw, "Approve").state, "cancelled")
        event = self._events(self.ticket_withdraw, "withdraw")
        self.assertEqual(
            (event.actor_id, event.reason),
            (self.it_user, "Withdrawn by the requester: The conference was cancelled"),
        )
        self.assertFalse(self._events(self.ticket_urge, "withdraw"))
