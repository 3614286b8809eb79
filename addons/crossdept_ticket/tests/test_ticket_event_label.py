from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestTicketEventLabel(CrossdeptFlowCase):
    """The event log names states by their labels, in the reader's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"].search(
            [("name", "=", "crossdept_ticket")]
        )._update_translations(["zh_CN"])
        cls.flow, _steps = cls._make_flow([{"name": "Diagnose"}])
        cls.ticket = cls._run(cls.flow)

    def _events(self, user, lang="en_US"):
        return (
            self.env["crossdept.ticket.event"]
            .with_user(user)
            .with_context(lang=lang)
            .search([("ticket_id", "=", self.ticket.id)])
        )

    def test_ticket_and_step_states_read_as_labels(self):
        self._do(self.ticket, "Diagnose")
        events = self._events(self.it_manager)
        labels = {
            (event.event_type, event.step_id.name or "", event.to_state): (
                event.from_state_label,
                event.to_state_label,
            )
            for event in events
        }
        self.assertEqual(labels["state", "", "in_progress"], ("Open", "In Progress"))
        self.assertEqual(labels["step_ready", "Diagnose", "ready"], (False, "Ready"))
        self.assertEqual(labels["step_start", "Diagnose", "in_progress"], (False, "In Progress"))
        self.assertEqual(labels["step_done", "Diagnose", "done"], (False, "Done"))
        for event in events:
            self.assertNotIn(event.to_state_label, ("in_progress", "ready", "done"))

    def test_escalation_level_reads_as_its_label(self):
        step = self._step(self.ticket, "Diagnose")
        self.ticket._log_events(
            [
                {
                    "ticket_id": self.ticket.id,
                    "step_id": step.id,
                    "event_type": "escalation",
                    "to_state": "2",
                }
            ]
        )
        escalation = self._events(self.it_manager).filtered(
            lambda event: event.event_type == "escalation"
        )
        self.assertEqual(escalation.to_state_label, "Level 1")

    def test_labels_follow_the_readers_language(self):
        events = self._events(self.it_manager, lang="zh_CN")
        ready = events.filtered(lambda event: event.event_type == "step_ready")
        state = events.filtered(
            lambda event: event.event_type == "state" and event.to_state == "in_progress"
        )
        self.assertEqual(ready.to_state_label, "就绪")
        self.assertEqual(state.to_state_label, "处理中")
        # the keys themselves are unchanged: analytics read them
        self.assertEqual((ready.to_state, state.to_state), ("ready", "in_progress"))

    def test_unknown_key_is_shown_as_stored(self):
        self.ticket._log_events(
            [{"ticket_id": self.ticket.id, "event_type": "state", "to_state": "archived_v1"}]
        )
        event = self._events(self.it_manager).filtered(lambda e: e.to_state == "archived_v1")
        self.assertEqual(event.to_state_label, "archived_v1")
