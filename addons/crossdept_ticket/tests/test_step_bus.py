import json

from odoo.tests import tagged

from .common import USER
from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestStepBus(CrossdeptFlowCase):
    """Steps tell the people they concern through Odoo's bus, once per user and
    transaction (the web client then reloads their step lists and open ticket
    forms). The wire test, through /websocket of a server with workers, is
    tests/test_live_workers.py."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_user = cls._make_user("other_user", USER, cls.dept_it)
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Check A", "user": cls.it_user},
                {"name": "Check B", "user": cls.it_user},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Check A", "Check B"],
                    "approvers": cls.approver_1 | cls.approver_2,
                },
            ]
        )

    def _committed(self):
        """Run what commit runs first, and return {user: payload} of the step
        notifications the bus then holds, checking there is one per user."""
        Bus = self.env["bus.bus"].sudo()
        last = Bus.search([], order="id desc", limit=1).id
        self.env.cr.precommit.run()
        sent = {}
        for note in Bus.search([("id", ">", last)], order="id"):
            message = json.loads(note.message)
            if message["type"] != "crossdept.step/updated":
                continue
            _db, model, partner_id = json.loads(note.channel)
            self.assertEqual(model, "res.partner")
            user = self.env["res.partner"].browse(partner_id).user_ids
            self.assertNotIn(user, sent, "one notification per user and transaction")
            sent[user] = message["payload"]
        return sent

    def test_ready_steps_reach_their_assignee_once(self):
        self._committed()
        ticket = self._run(self.flow)
        sent = self._committed()
        ready = ticket.step_ids.filtered(lambda s: s.state == "ready")
        self.assertEqual(len(ready), 2)
        self.assertEqual(sent[self.it_user]["step_ids"], sorted(ready.ids))
        self.assertEqual(sent[self.it_user]["ticket_ids"], ticket.ids)
        self.assertNotIn(self.approver_1, sent, "the approval is still pending")

    def test_approvers_hear_when_their_step_is_ready(self):
        ticket = self._run(self.flow)
        self._do(ticket, "Check A")
        self._do(ticket, "Check B")
        approve = self._step(ticket, "Approve")
        self.assertEqual(approve.state, "ready")
        sent = self._committed()
        for approver in (self.approver_1, self.approver_2):
            self.assertEqual(sent[approver]["step_ids"], approve.ids)
        self.assertNotIn(self.other_user, sent)

    def test_reassignment_reaches_old_and_new_assignee(self):
        ticket = self._run(self.flow)
        step = self._step(ticket, "Check A")
        self._committed()
        step.with_user(self.it_manager).action_reassign(self.other_user, "Holiday")
        sent = self._committed()
        self.assertEqual(sent[self.other_user]["step_ids"], step.ids)
        self.assertEqual(sent[self.it_user]["step_ids"], step.ids, "it leaves their list")

    def test_escalation_reaches_the_manager(self):
        ticket = self._run(self.flow)
        step = self._step(ticket, "Check A")
        self._committed()
        step._engine().escalation_level = "2"  # as the escalation cron sets it
        sent = self._committed()
        self.assertEqual(sent[self.it_manager]["step_ids"], step.ids)
        self.assertEqual(sent[self.it_user]["step_ids"], step.ids)

    def test_unrelated_writes_send_nothing(self):
        ticket = self._run(self.flow)
        self._committed()
        self._step(ticket, "Check A").with_user(self.it_user).action_start()
        self.assertEqual(self._committed(), {}, "starting a step puts it in nobody's list")
