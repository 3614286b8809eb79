from collections import Counter

from odoo import Command
from odoo.tests import tagged

from .common_flow import CrossdeptFlowCase


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

    def test_a_ticket_life_notifies_each_person_once_per_milestone(self):
        flow, steps = self._make_flow(
            [
                {"name": "Draft", "user": self.finance_user},
                {
                    "name": "Sign",
                    "kind": "approval",
                    "preds": ["Draft"],
                    "approvers": self.approver_1 | self.approver_2,
                },
            ],
            activate=False,
        )
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
        flow, _steps = self._make_flow(
            [
                {"name": "Draft", "user": self.finance_user},
                {
                    "name": "Sign",
                    "kind": "approval",
                    "preds": ["Draft"],
                    "approvers": self.approver_1,
                },
            ]
        )
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
