from odoo import Command
from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestAutomation(CrossdeptFlowCase):
    def _messages(self, ticket, partner):
        return self.env["mail.message"].search(
            [
                ("model", "=", "crossdept.ticket"),
                ("res_id", "=", ticket.id),
                ("partner_ids", "in", partner.ids),
            ]
        )

    def test_the_shipped_rule_tells_informed_and_accountable_once_enabled(self):
        rule = self.env.ref("crossdept_ticket.automation_ticket_created")
        self.assertFalse(rule.active, "creating a ticket notifies nobody by default")
        rule.active = True
        ticket = self._make_ticket(
            raci_ids=[
                Command.create({"role": "responsible", "user_id": self.it_user.id}),
                Command.create({"role": "informed", "user_id": self.finance_user.id}),
            ]
        )
        self.env.cr.precommit.run()
        for user in (self.finance_user, self.it_manager):
            note = self._messages(ticket, user.partner_id)
            self.assertEqual(len(note), 1, user.name)
            self.assertIn("New ticket", note.body)
        self.assertFalse(self._messages(ticket, self.it_user.partner_id))

    def test_done_ticket_tells_the_requester(self):
        ticket = self._make_ticket(requester_id=self.finance_user.id)
        self.assertIn(self.finance_user.partner_id, ticket.message_partner_ids)
        ticket.action_open()
        ticket.action_start()
        ticket.action_done()
        done = self.env["mail.notification"].search(
            [
                ("res_partner_id", "=", self.finance_user.partner_id.id),
                ("mail_message_id.res_id", "=", ticket.id),
                ("mail_message_id.model", "=", "crossdept.ticket"),
            ]
        )
        self.assertEqual(len(done), 1)
        self.assertIn("is done", done.mail_message_id.body)

    def test_ready_step_gives_its_assignee_a_to_do(self):
        flow, _steps = self._make_flow([{"name": "First"}, {"name": "Second", "preds": ["First"]}])
        ticket = self._run(flow)
        first = ticket.activity_ids.filtered(lambda a: a.summary == "Step First is yours")
        self.assertEqual(first.user_id, self.it_user)
        self.assertFalse(
            ticket.activity_ids.filtered(lambda a: a.summary == "Step Second is yours")
        )
        self._do(ticket, "First")
        second = ticket.activity_ids.filtered(lambda a: a.summary == "Step Second is yours")
        self.assertEqual(second.user_id, self.it_user)
        self.assertFalse(first.exists(), "the first step's to-do closed with it")

    def test_server_actions(self):
        flow, _steps = self._make_flow([{"name": "Work"}])
        ticket = self._make_ticket(flow_id=flow.id)
        start = self.env.ref("crossdept_ticket.action_server_ticket_start_flow")
        start.with_context(active_model="crossdept.ticket", active_ids=ticket.ids).run()
        self.assertEqual(ticket.state, "in_progress")
        self.assertEqual(ticket.step_ids.state, "ready")
        notify = self.env.ref("crossdept_ticket.action_server_ticket_notify_responsible")
        notify.with_context(active_model="crossdept.ticket", active_ids=ticket.ids).run()
        self.assertTrue(self._messages(ticket, self.it_user.partner_id))
        escalate = self.env.ref("crossdept_ticket.action_server_step_escalate")
        escalate.with_context(
            active_model="crossdept.ticket.step", active_ids=ticket.step_ids.ids
        ).run()
        self.assertNotEqual(ticket.step_ids.escalation_level, "0")
