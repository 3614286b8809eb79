from odoo.tests import HttpCase, tagged

from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestPhoneTour(HttpCase, CrossdeptFlowCase):
    """An approver and a step holder on a 390x844 phone: their lists open as cards
    whose actions stay on the screen."""

    browser_size = "390x844"
    touch_enabled = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Check the door"},
                {
                    "name": "Approve the purchase",
                    "kind": "approval",
                    "preds": ["Check the door"],
                    "approvers": cls.approver_1,
                },
            ]
        )
        cls.ticket = cls._run(cls.flow, title="Phone: replace the badge reader")

    def test_holder_opens_a_step_on_a_phone(self):
        step = self._step(self.ticket, "Check the door")
        self.assertEqual(step.state, "ready")
        self.start_tour(
            "/odoo/action-crossdept_ticket.crossdept_ticket_step_action_my",
            "crossdept_phone_holder_tour",
            login="it_user",
        )

    def test_approver_approves_on_a_phone(self):
        self._do(self.ticket, "Check the door")
        step = self._step(self.ticket, "Approve the purchase")
        self.assertEqual(step.approval_state, "pending")
        self.start_tour(
            "/odoo/action-crossdept_ticket.crossdept_ticket_step_action_approval",
            "crossdept_phone_approver_tour",
            login="approver_1",
        )
        self.assertEqual(step.approval_state, "approved")
        self.assertEqual(step.state, "done")
