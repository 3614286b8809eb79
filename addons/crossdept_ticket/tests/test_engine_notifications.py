from ast import literal_eval
from collections import Counter

from odoo import Command
from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase

# the Chinese messages' colon
COLON = "\N{FULLWIDTH COLON}"


@tagged("post_install", "-at_install")
class TestEngineNotifications(CrossdeptFlowCase):
    """Nothing piles up, nobody is spammed: over a ticket's whole life each person
    gets exactly their notifications and no to-do outlives its step."""

    def _notifications(self, ticket):
        notifications = self.env["mail.notification"].search(
            [
                ("mail_message_id.model", "=", "crossdept.ticket"),
                ("mail_message_id.res_id", "=", ticket.id),
            ]
        )
        return Counter(notification.res_partner_id.name for notification in notifications)

    def _story(self, ticket):
        """The ticket's messages and who they notified, for failure messages."""
        return "\n".join(
            f"{m.subtype_id.name}: {m.body[:60]} -> {m.notified_partner_ids.mapped('name')}"
            for m in ticket.message_ids.sorted("id")
        )

    def _todos(self, ticket):
        return self.env["mail.activity"].search(
            [("res_model", "=", "crossdept.ticket"), ("res_id", "=", ticket.id)]
        )

    def _draft_sign_flow(self, approvers=None, activate=True):
        """A flow of two steps: Draft, the finance user's, then Sign, approved by
        ``approvers`` (the first approver by default)."""
        return self._make_flow(
            [
                {"name": "Draft", "user": self.finance_user},
                {
                    "name": "Sign",
                    "kind": "approval",
                    "preds": ["Draft"],
                    "approvers": approvers or self.approver_1,
                },
            ],
            activate=activate,
        )

    def test_a_ticket_life_notifies_each_person_once_per_milestone(self):
        flow, steps = self._draft_sign_flow(self.approver_1 | self.approver_2, activate=False)
        steps["Sign"].write({"reject_action": "return", "reject_return_step_id": steps["Draft"].id})
        flow.action_activate()
        ticket = self._make_ticket(
            flow_id=flow.id,
            raci_ids=[
                Command.create({"role": "responsible", "user_id": self.it_user.id}),
                Command.create({"role": "informed", "user_id": self.approver_3.id}),
            ],
        )
        self.assertFalse(self._notifications(ticket), "creating a ticket notifies nobody")
        ticket.with_user(self.it_user).action_start_flow()
        self.assertFalse(self._notifications(ticket))
        self.assertEqual(self._todos(ticket).user_id, self.finance_user)

        self._do(ticket, "Draft", self.finance_user)
        # step done: requester and Informed follower; approvers asked
        self.assertEqual(
            self._notifications(ticket),
            Counter({"It User": 1, "Approver 3": 1, "Approver 1": 1, "Approver 2": 1}),
        )
        self.assertEqual(self._todos(ticket).user_id, self.approver_1 | self.approver_2)
        sign = self._step(ticket, "Sign")
        sign.with_user(self.approver_1).action_reject("Wrong amount")
        # the refusal: requester, Informed, the person who takes the work back, and the
        # other approver (people given a to-do follow the ticket, as in Odoo)
        self.assertEqual(
            self._notifications(ticket),
            Counter(
                {"It User": 2, "Approver 3": 2, "Approver 1": 1, "Approver 2": 2, "Finance User": 1}
            ),
            self._story(ticket),
        )
        refusal = ticket.message_ids.filtered(lambda m: "Wrong amount" in (m.body or ""))
        self.assertIn("Back to Draft (Finance User)", refusal.body)
        self.assertEqual(self._step(ticket, "Draft").user_id, self.finance_user)
        self.assertEqual(self._todos(ticket).user_id, self.finance_user, "no stale to-do")

        self._do(ticket, "Draft", self.finance_user)
        sign.with_user(self.approver_1).action_approve()
        sign.with_user(self.approver_2).action_approve()
        self.assertEqual(ticket.state, "done")
        self.assertFalse(self._todos(ticket), "every to-do closed with its step")
        # one notification per person and milestone they follow, none twice: the
        # requester and the Informed get every milestone; approvers and the holder,
        # followers since their to-do, get the milestones after it (not their own)
        self.assertEqual(
            self._notifications(ticket),
            Counter(
                {
                    # Draft done, Sign refused, Draft done, Sign done, ticket done
                    "It User": 5,
                    "Approver 3": 5,
                    # asked twice; Draft done again, Sign done, ticket done
                    "Approver 1": 5,
                    # asked twice, the refusal, Draft done again (Sign done is theirs)
                    "Approver 2": 4,
                    # the work back; Sign done, ticket done
                    "Finance User": 3,
                }
            ),
            self._story(ticket),
        )

    def _run_without_holder_addresses(self):
        """A two-step ticket finished and approved by staff without an e-mail address;
        its "Step Draft is done" message."""
        self.finance_user.partner_id.email = False
        self.approver_1.partner_id.email = False
        flow, _steps = self._draft_sign_flow()
        ticket = self._run(flow)
        self._do(ticket, "Draft", self.finance_user)
        self._step(ticket, "Sign").with_user(self.approver_1).action_approve()
        self.assertEqual(ticket.state, "done")
        return ticket.message_ids.filtered(lambda m: "Step Draft is done" in m.body)

    def test_holders_without_an_email_address_work_all_the_same(self):
        """Staff without an e-mail address finish and approve: the engine's messages
        go out with the company's address as sender, under their name."""
        # the test's own address, not demo data's: a company may have none (below)
        self.env.company.email = "work-orders@example.com"
        done = self._run_without_holder_addresses()
        self.assertEqual(done.author_id, self.finance_user.partner_id)
        self.assertEqual(done.email_from, self.env.company.partner_id.email_formatted)
        self.assertIn("work-orders@example.com", done.email_from)

    def test_without_a_company_address_the_engine_sends_as_odoobot(self):
        """A company without an e-mail address (a fresh database has none): the
        engine's messages still go out, with OdooBot's address as sender."""
        self.env.company.email = False
        done = self._run_without_holder_addresses()
        self.assertEqual(done.author_id, self.finance_user.partner_id)
        self.assertEqual(done.email_from, self.env.ref("base.partner_root").email_formatted)
        self.assertTrue(done.email_from)

    def _sign_flow(self):
        """A one-step approval flow whose refusal cancels the ticket (the default)."""
        flow, _steps = self._make_flow(
            [{"name": "Sign", "kind": "approval", "approvers": self.approver_1}]
        )
        return self._run(flow)

    def _refusal_messages(self, ticket):
        refused = self.env.ref("crossdept_ticket.mt_ticket_step_refused")
        return ticket.message_ids.filtered(lambda m: m.subtype_id == refused)

    def _load_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["crossdept_ticket"], ["zh_CN"], overwrite=True
        )

    def test_a_refusal_that_ends_a_ticket_tells_the_requester_in_their_language(self):
        """The approver refuses in English; the requester, who reads Chinese, gets a
        message of their own in Chinese and a to-do on the cancelled ticket, closed
        when they reset it to draft to submit it again."""
        self._load_chinese()
        requester = self.it_user
        requester.lang = "zh_CN"
        ticket = self._sign_flow()
        sign = self._step(ticket, "Sign")
        sign.with_user(self.approver_1).with_context(lang="en_US").action_reject("Wrong amount.")
        self.assertEqual(ticket.state, "cancelled")
        refusal = self._refusal_messages(ticket)
        self.assertEqual(len(refusal), 1)
        self.assertIn(
            "Approver 1 refused step Sign: Wrong amount. The ticket is cancelled.",
            refusal.body,
        )
        self.assertNotIn("..", refusal.body)
        self.assertNotIn(requester.partner_id, refusal.notified_partner_ids, self._story(ticket))
        # the requester's own message, in Chinese, with the reason as it was written
        own = ticket.message_ids.filtered(lambda m: requester.partner_id in m.partner_ids)
        self.assertEqual(len(own), 1, self._story(ticket))
        self.assertIn(
            f"Approver 1 驳回了您的工单 {ticket.display_name} 的步骤 Sign{COLON}Wrong amount。"
            "工单已取消",
            own.body,
        )
        self.assertEqual(own.notified_partner_ids, requester.partner_id)
        # their to-do, as they see it
        todo = (
            self.env["mail.activity"]
            .with_user(requester)
            .search([("user_id", "=", requester.id), ("res_id", "=", ticket.id)])
        )
        self.assertEqual(len(todo), 1)
        self.assertEqual(todo.res_model, "crossdept.ticket")
        self.assertEqual(todo.summary, f"已驳回{COLON}{ticket.display_name}")
        ticket.with_user(requester).action_draft()
        self.assertFalse(todo.exists(), "reset to draft: the to-do is done with")

    def test_a_chinese_refusal_ends_its_sentence_once(self):
        """A reason ending with 。 gets no second full stop; the English requester
        reads their message in English."""
        self._load_chinese()
        ticket = self._sign_flow()
        self._step(ticket, "Sign").with_user(self.approver_1).with_context(
            lang="zh_CN"
        ).action_reject("金额错误。")
        refusal = self._refusal_messages(ticket)
        self.assertIn(f"Approver 1 驳回了步骤 Sign{COLON}金额错误。工单已取消。", refusal.body)
        self.assertNotIn("。。", refusal.body)
        own = ticket.message_ids.filtered(lambda m: self.it_user.partner_id in m.partner_ids)
        self.assertIn("refused step Sign of your ticket", own.body)
        self.assertIn("金额错误. The ticket is cancelled;", own.body)

    def test_an_archived_ticket_closes_the_requesters_to_do(self):
        ticket = self._sign_flow()
        self._step(ticket, "Sign").with_user(self.approver_1).action_reject("No budget")
        todos = self._todos(ticket)
        self.assertEqual(todos.user_id, self.it_user)
        self.assertIn("No budget. The ticket is cancelled;", todos.note)
        # the requester may not archive a ticket; a manager of its department may
        ticket.with_user(self.it_manager).action_archive()
        self.assertFalse(todos.exists())

    def test_a_returned_step_says_who_returned_it_from_where_and_why(self):
        flow, steps = self._draft_sign_flow(activate=False)
        steps["Sign"].write({"reject_action": "return", "reject_return_step_id": steps["Draft"].id})
        flow.action_activate()
        ticket = self._run(flow)
        self._do(ticket, "Draft", self.finance_user)
        draft = self._step(ticket, "Draft").with_user(self.finance_user)
        self.assertFalse(draft.is_returned)
        sign = self._step(ticket, "Sign")
        sign.with_user(self.approver_1).action_reject("Wrong amount.")
        # the holder reads their step on the ticket's card and in My Steps
        card = ticket.with_user(self.finance_user).current_step_ids
        self.assertEqual(card, draft)
        self.assertEqual(
            (card.is_returned, card.returned_by_id, card.returned_from_step_id, card.return_reason),
            (True, self.approver_1, sign, "Wrong amount."),
        )
        # My Steps: the action's domain, read as the holder
        my_steps = self.env.ref("crossdept_ticket.crossdept_ticket_step_action_my")
        rows = (
            self.env["crossdept.ticket.step"]
            .with_user(self.finance_user)
            .search_read(literal_eval(my_steps.domain), ["returned_by_id", "return_reason"])
        )
        self.assertIn(
            {
                "id": draft.id,
                "returned_by_id": (self.approver_1.id, "Approver 1"),
                "return_reason": "Wrong amount.",
            },
            rows,
        )
        # done again, it is no longer a returned step
        self._do(ticket, "Draft", self.finance_user)
        self.assertFalse(draft.is_returned)

    def _draft_then_sign(self):
        """A ticket whose Draft step is the finance user's, with its to-do."""
        flow, _steps = self._draft_sign_flow()
        ticket = self._run(flow)
        todo = self._todos(ticket)
        self.assertEqual(todo.user_id, self.finance_user)
        return ticket, todo

    def test_a_finish_is_one_message_that_also_marks_the_holders_to_do_done(self):
        """The message saying the step is done records its holder's to-do as done, as
        Odoo's "mark as done" would: no second message about the to-do."""
        ticket, todo = self._draft_then_sign()
        todo_type = todo.activity_type_id
        before = ticket.message_ids
        self._do(ticket, "Draft", self.finance_user)
        new = ticket.message_ids - before
        done = new.filtered(lambda m: "Step Draft is done" in m.body)
        self.assertEqual(len(done), 1, self._story(ticket))
        self.assertEqual(done.mail_activity_type_id, todo_type)
        self.assertEqual(done.author_id, self.finance_user.partner_id)
        activities = self.env.ref("mail.mt_activities")
        self.assertFalse(new.filtered(lambda m: m.subtype_id == activities), self._story(ticket))
        self.assertFalse(todo.exists(), "the to-do is closed")

    def test_a_to_do_holding_a_file_is_marked_done_as_odoo_does(self):
        """A file put on the holder's to-do goes to Odoo's own "done" message, as
        Odoo's "mark as done" moves it; the step's message then records no to-do."""
        ticket, todo = self._draft_then_sign()
        attachment = self.env["ir.attachment"].create(
            {"name": "notes.txt", "raw": b"checked", "res_model": todo._name, "res_id": todo.id}
        )
        before = ticket.message_ids
        self._do(ticket, "Draft", self.finance_user)
        new = ticket.message_ids - before
        activities = self.env.ref("mail.mt_activities")
        todo_done = new.filtered(lambda m: m.subtype_id == activities)
        self.assertEqual(todo_done.attachment_ids, attachment, self._story(ticket))
        done = new.filtered(lambda m: "Step Draft is done" in m.body)
        self.assertFalse(done.mail_activity_type_id)
        self.assertFalse(todo.exists())

    def test_the_emails_of_a_step_done_wait_in_the_mail_queue(self):
        """Nobody's finish waits for a mail server: the requester's e-mail about the
        step done is queued for Odoo's mail cron, not sent during the request."""
        self.it_user.notification_type = "email"
        ticket, _todo = self._draft_then_sign()
        queue = self.env.ref("mail.ir_cron_mail_scheduler_action")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", queue.id)])
        self._do(ticket, "Draft", self.finance_user)
        done = ticket.message_ids.filtered(lambda m: "Step Draft is done" in m.body)
        mails = self.env["mail.mail"].search([("mail_message_id", "=", done.id)])
        self.assertIn(self.it_user.partner_id, mails.recipient_ids)
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        # and the queue's cron is woken to send it now, not at its hourly run
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", queue.id)]) - triggers,
            "the mail queue's cron was not triggered for the queued e-mail",
        )
