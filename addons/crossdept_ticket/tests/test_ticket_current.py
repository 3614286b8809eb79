from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common_dispatch import MONDAY_9AM, CrossdeptDispatchCase
from .common_flow import CrossdeptFlowCase
from .test_step_queue import SATURDAY


def _ticket_moves(ticket):
    """The ticket's own assignment events (not those of its steps)."""
    return ticket.event_ids.filtered(
        lambda e: e.event_type in ("assign", "transfer") and not e.step_id
    )


@tagged("post_install", "-at_install")
class TestTicketFollowsCurrentStep(CrossdeptFlowCase):
    """While a flow runs, the ticket's assignee, handling department and deadline are
    those of its current step, written by the engine without transfer events."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, cls.flow_steps = cls._make_flow(
            [
                {"name": "Collect", "user": cls.it_user, "sla": 8},
                {
                    "name": "Check",
                    "preds": ["Collect"],
                    "user": cls.finance_user,
                    "department_id": cls.dept_finance.id,
                    "sla": 16,
                },
                {"name": "Quote", "preds": ["Collect"], "user": cls.it_manager, "sla": 4},
                {
                    "name": "Sign",
                    "kind": "approval",
                    "preds": ["Check", "Quote"],
                    "approvers": cls.approver_1 | cls.approver_2,
                    "approval_policy": "all",
                    "department_id": cls.dept_finance.id,
                },
            ]
        )

    def _assert_follows(self, ticket, step, user):
        self.assertEqual(ticket.user_id, user)
        self.assertEqual(ticket.assigned_department_id, step.department_id)
        self.assertEqual(ticket.date_deadline, step.date_deadline)

    def test_the_ticket_follows_its_steps_without_transfer_events(self):
        ticket = self._make_ticket(flow_id=self.flow.id, assigned_department_id=False)
        ticket.with_user(self.it_user).action_submit()
        self.assertEqual(ticket.state, "in_progress")
        self._assert_follows(ticket, self._step(ticket, "Collect"), self.it_user)

        self._do(ticket, "Collect", self.it_user)
        # parallel steps: the one due first is current
        quote, check = self._step(ticket, "Quote"), self._step(ticket, "Check")
        self.assertLess(quote.date_deadline, check.date_deadline)
        self._assert_follows(ticket, quote, self.it_manager)
        self.assertEqual(ticket.current_step_ids, quote | check)
        self.assertEqual(ticket.current_step_label, "Quote, Check")
        self.assertEqual(ticket.waiting_on_user_ids, self.it_manager | self.finance_user)

        self._do(ticket, "Quote", self.it_manager)
        self._assert_follows(ticket, check, self.finance_user)
        self._do(ticket, "Check", self.finance_user)

        # an approval waits on the approvers who have not decided yet
        sign = self._step(ticket, "Sign")
        self._assert_follows(ticket, sign, self.approver_1)
        sign.with_user(self.approver_1).action_approve()
        self._assert_follows(ticket, sign, self.approver_2)
        self.assertEqual(ticket.waiting_on_user_ids, self.approver_2)
        sign.with_user(self.approver_2).action_approve()
        self.assertEqual(ticket.state, "done")
        self.assertEqual(ticket.user_id, self.approver_2, "the last holder stays")

        self.assertFalse(_ticket_moves(ticket), "no ticket transfer: analytics count those")
        self.assertFalse(
            ticket.message_ids.filtered(lambda m: m.message_type == "user_notification"),
            "holders hear of their step through its to-do, not an assignment mail",
        )

    def test_the_list_names_whom_the_ticket_waits_on_as_odoo_reads_them(self):
        # the avatar widget of the list and the form asks the users' names alone: they
        # are read as a many2one's record is named, the same values as Odoo's read of
        # the many2many (asked with one more field, it reads them its own way)
        ticket = self._make_ticket(flow_id=self.flow.id, assigned_department_id=False)
        ticket.with_user(self.it_user).action_submit()
        self._do(ticket, "Collect", self.it_user)
        holders = self.it_manager | self.finance_user
        reader = ticket.with_user(self.it_manager)
        for limit in (40, 1):
            with self.subTest(limit=limit):
                names = reader.web_read(
                    {"waiting_on_user_ids": {"fields": {"display_name": {}}, "limit": limit}}
                )
                self.env.invalidate_all()
                odoo = reader.web_read(
                    {
                        "waiting_on_user_ids": {
                            "fields": {"display_name": {}, "id": {}},
                            "limit": limit,
                        }
                    }
                )
                self.assertEqual(names, odoo)
                shown = names[0]["waiting_on_user_ids"]
                self.assertEqual({value["id"] for value in shown}, set(holders.ids))
                self.assertEqual(
                    [value["display_name"] for value in shown if "display_name" in value],
                    reader.waiting_on_user_ids[:limit].mapped("name"),
                )

    def test_my_steps_finds_what_each_holder_can_do(self):
        # the search of My Steps (the holder's open steps found first) finds the steps
        # whose can_act is true for the reader: assignee or Responsible holder
        flow, _steps = self._make_flow(
            [
                {"name": "Review", "user": self.it_user | self.it_manager},
                {"name": "Count", "user": self.finance_user},
            ]
        )
        ticket = self._run(flow)
        review, count = self._step(ticket, "Review"), self._step(ticket, "Count")
        self.assertEqual(review.user_id, self.it_user)
        self.assertIn(self.it_manager, review.responsible_ids)
        Step = self.env["crossdept.ticket.step"]
        expected = {self.it_user: review, self.it_manager: review, self.finance_user: count}
        for user, steps in expected.items():
            with self.subTest(user=user.login):
                reader = Step.with_user(user)
                mine = reader.search([("can_act", "=", True), ("ticket_id", "=", ticket.id)])
                self.assertEqual(mine, steps)
                # the same as the field computed for them (sudo: whatever they may read)
                self.assertEqual(mine, ticket.step_ids.with_user(user).sudo().filtered("can_act"))
                others = reader.search([("can_act", "!=", True), ("ticket_id", "=", ticket.id)])
                self.assertFalse(mine & others)
                self.assertEqual(mine | others, reader.search([("ticket_id", "=", ticket.id)]))
        # a finished step is no longer in the holder's list
        self._do(ticket, "Review", self.it_user)
        self.assertFalse(
            Step.with_user(self.it_manager).search(
                [("can_act", "=", True), ("ticket_id", "=", ticket.id)]
            )
        )

    def test_a_reassigned_step_takes_the_ticket_along(self):
        ticket = self._run(self.flow)
        collect = self._step(ticket, "Collect")
        collect.with_user(self.it_user).action_reassign(self.it_manager, "On holiday tomorrow")
        self.assertEqual(ticket.user_id, self.it_manager)
        self.assertFalse(_ticket_moves(ticket))
        transfer = ticket.event_ids.filtered(lambda e: e.event_type == "transfer")
        self.assertEqual(transfer.step_id, collect, "the step's own transfer is logged")

    def test_the_ticket_form_transfers_the_current_steps(self):
        ticket = self._run(self.flow)
        action = ticket.with_user(self.it_user).action_transfer()
        self.assertEqual(action["res_model"], "crossdept.ticket.step.transfer")
        self.assertEqual(action["context"]["default_step_ids"], self._step(ticket, "Collect").ids)
        draft = self._make_ticket()
        action = draft.with_user(self.it_user).action_transfer()
        self.assertEqual(action["res_model"], "crossdept.ticket.transfer")

    def test_a_ticket_reopened_follows_its_steps_again(self):
        flow, _steps = self._make_flow([{"name": "Only", "user": self.finance_user}])
        ticket = self._run(flow)
        self._do(ticket, "Only", self.finance_user)
        self.assertEqual(ticket.state, "done")
        ticket.with_user(self.it_manager).action_reopen()
        only = self._step(ticket, "Only")
        self.assertEqual(only.state, "ready")
        self._assert_follows(ticket, only, self.finance_user)

    def test_a_ticket_without_flow_keeps_its_assignee(self):
        no_flow = self.env["crossdept.ticket.type"].create({"name": "No flow (test)"})
        ticket = self._make_ticket(type_id=no_flow.id, user_id=self.finance_user.id)
        ticket.with_user(self.it_user).action_submit()
        self.assertEqual(ticket.state, "open")
        self.assertEqual(ticket.user_id, self.finance_user)
        self.assertFalse(ticket.current_step_ids)


@tagged("post_install", "-at_install")
class TestTicketFollowsQueue(CrossdeptDispatchCase):
    def test_a_queued_step_is_held_by_its_department_manager_until_taken(self):
        # nobody holds the step as its Responsible either: only the queue
        self.steps["Handle"].raci_ids = [Command.clear()]
        step = self._start(when=SATURDAY)
        ticket = step.ticket_id
        self.assertFalse(step.user_id | step.responsible_ids)
        self.assertEqual(ticket.user_id, self.support_manager, "never blank while work goes on")
        self.assertEqual(ticket.assigned_department_id, self.support)
        self.assertFalse(ticket.waiting_on_user_ids)
        agent = self.agents[2]
        self.assertTrue(ticket.with_user(agent).waiting_on_me)
        self.assertEqual(
            ticket.with_user(agent).next_action,
            [
                {
                    "step_id": step.id,
                    "what": "take",
                    "label": "Take: Handle",
                    "primary": True,
                    "blocked": False,
                }
            ],
        )
        with freeze_time(MONDAY_9AM):
            ticket.with_user(agent).action_next_step(step.id, "take")
        self.assertEqual(step.user_id, agent)
        self.assertEqual(ticket.user_id, agent)
        self.assertFalse(_ticket_moves(ticket))


@tagged("post_install", "-at_install")
class TestTicketNextAction(CrossdeptFlowCase):
    """The header offers the reader exactly what the engine lets them do now."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner_field = cls.env["ir.model.fields"]._get("crossdept.ticket", "partner_id")
        cls.flow, cls.flow_steps = cls._make_flow(
            [
                {
                    "name": "Draft the offer",
                    "user": cls.it_user,
                    "required_field_ids": [Command.set(cls.partner_field.ids)],
                    "deliverable_ids": [
                        Command.create({"name": "Offer"}),
                        Command.create({"name": "Price list"}),
                    ],
                },
                {
                    "name": "Approve the offer",
                    "kind": "approval",
                    "preds": ["Draft the offer"],
                    "approvers": cls.approver_1 | cls.approver_2,
                },
            ]
        )

    def _actions(self, ticket, user):
        ticket.invalidate_recordset(["next_action"])
        return [
            (action["what"], action["label"], action["blocked"])
            for action in ticket.with_user(user).next_action or []
        ]

    def test_each_reader_is_offered_what_they_may_do(self):
        ticket = self._make_ticket(flow_id=self.flow.id)
        self.assertEqual(self._actions(ticket, self.it_user), [("submit", "Submit", False)])
        self.assertEqual(self._actions(ticket, self.finance_user), [], "not theirs to submit")

        ticket.with_user(self.it_user).action_next_step(False, "submit")
        draft = self._step(ticket, "Draft the offer")
        self.assertEqual(
            self._actions(ticket, self.it_user), [("start", "Start: Draft the offer", False)]
        )
        for user in (self.finance_user, self.approver_1, self.it_manager):
            self.assertEqual(self._actions(ticket, user), [], user.name)

        ticket.with_user(self.it_user).action_next_step(draft.id, "start")
        self.assertEqual(
            self._actions(ticket, self.it_user),
            [
                (
                    "finish",
                    "Finish: Draft the offer",
                    "Still missing: input: Customer; deliverable: Offer; deliverable: Price list",
                )
            ],
        )
        ticket.partner_id = self.customer_a
        draft.deliverable_ids.with_user(self.it_user).write({"done": True})
        self.assertEqual(
            self._actions(ticket, self.it_user), [("finish", "Finish: Draft the offer", False)]
        )
        ticket.with_user(self.it_user).action_next_step(draft.id, "finish")
        self.assertEqual(draft.state, "done")

        sign = self._step(ticket, "Approve the offer")
        self.assertEqual(
            self._actions(ticket, self.approver_1),
            [("approve", "Approve: Approve the offer", False), ("refuse", "Refuse", False)],
        )
        self.assertEqual(self._actions(ticket, self.it_user), [])
        action = ticket.with_user(self.approver_1).action_next_step(sign.id, "refuse")
        self.assertEqual(action["res_model"], "crossdept.ticket.step.reject")
        ticket.with_user(self.approver_1).action_next_step(sign.id, "approve")
        self.assertEqual(self._actions(ticket, self.approver_1), [], "decided: nothing left")
        self.assertEqual(
            [a[0] for a in self._actions(ticket, self.approver_2)], ["approve", "refuse"]
        )

    def test_the_step_action_checks_again(self):
        ticket = self._run(self.flow)
        draft = self._step(ticket, "Draft the offer")
        with self.assertRaisesRegex(UserError, "Only the assignee or a Responsible of step"):
            ticket.with_user(self.it_manager).action_next_step(draft.id, "start")
        with self.assertRaisesRegex(UserError, "cannot be finished yet. Missing:"):
            ticket.with_user(self.it_user).action_next_step(draft.id, "finish")
        with self.assertRaisesRegex(UserError, "Unknown action on a step: delete"):
            ticket.with_user(self.it_user).action_next_step(draft.id, "delete")
        other = self._run(self.flow)
        with self.assertRaisesRegex(UserError, "has no such step"):
            ticket.with_user(self.it_user).action_next_step(
                self._step(other, "Draft the offer").id, "start"
            )
        with self.assertRaisesRegex(UserError, "Only a draft is submitted"):
            ticket.with_user(self.it_user).action_next_step(False, "submit")

    def test_the_holder_ticks_off_deliverables_on_the_ticket_form(self):
        ticket = self._run(self.flow, partner_id=self.customer_a.id)
        draft = self._step(ticket, "Draft the offer")
        form = Form(ticket.with_user(self.it_user))
        self.assertEqual(form.next_action[0]["what"], "start")
        ticket.with_user(self.it_user).action_next_step(draft.id, "start")
        form = Form(ticket.with_user(self.it_user))
        self.assertEqual(
            form.next_action[0]["blocked"],
            "Still missing: deliverable: Offer; deliverable: Price list",
        )
        for index in range(2):
            with form.current_deliverable_ids.edit(index) as line:
                line.done = True
        # the button follows the ticks before they are saved
        self.assertFalse(form.next_action[0]["blocked"])
        form.save()
        self.assertEqual(draft.deliverable_ids.mapped("done"), [True, True])
        ticket.with_user(self.it_user).action_next_step(draft.id, "finish")
        self.assertEqual(draft.state, "done")

    def test_only_the_holder_ticks_off_on_the_ticket(self):
        ticket = self._run(self.flow)
        line = ticket.current_deliverable_ids[:1]
        self.assertFalse(line.with_user(self.it_manager).can_tick)
        self.assertTrue(line.with_user(self.it_user).can_tick)
        with self.assertRaisesRegex(UserError, "Only the holder of step .* ticks off"):
            ticket.with_user(self.it_manager).write(
                {"current_deliverable_ids": [Command.update(line.id, {"done": True})]}
            )
        with self.assertRaisesRegex(UserError, "can be ticked off, not added, renamed"):
            ticket.with_user(self.it_user).write(
                {"current_deliverable_ids": [Command.update(line.id, {"name": "Nothing"})]}
            )
        ticket.with_user(self.it_user).write(
            {"current_deliverable_ids": [Command.update(line.id, {"done": True})]}
        )
        self.assertTrue(line.done)


@tagged("post_install", "-at_install")
class TestTicketSubmit(CrossdeptFlowCase):
    """Creating a ticket: the user's department, the flow Submit will run, one Submit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [{"name": "Collect"}, {"name": "Decide", "preds": ["Collect"], "sla": 4}]
        )
        cls.urgent_flow, _steps = cls._make_flow(
            [{"name": "Firefight", "sla": 2}], domain="[('priority', '=', '3')]"
        )

    def test_the_requesting_department_is_the_users(self):
        form = Form(self.env["crossdept.ticket"].with_user(self.finance_user))
        self.assertEqual(form.department_id, self.dept_finance)
        self.assertEqual(form.requester_id, self.finance_user)
        nobody = self.env["crossdept.ticket"].with_user(self.portal_a)._default_department_id()
        self.assertFalse(nobody, "no employee, no default")

    def test_the_form_shows_the_flow_submit_will_run(self):
        form = Form(self.env["crossdept.ticket"].with_user(self.it_user))
        form.title = "Broken badge reader"
        self.assertFalse(form.flow_preview_id)
        form.type_id = self.ticket_type
        self.assertEqual(form.flow_preview_id, self.flow)
        self.assertEqual([step.name for step in form.flow_preview_step_ids], ["Collect", "Decide"])
        # the same matching as Submit: the most specific flow, on the values typed
        form.priority = "3"
        self.assertEqual(form.flow_preview_id, self.urgent_flow)
        self.assertEqual(form.next_action[0]["what"], "submit")
        ticket = form.save()
        ticket.with_user(self.it_user).action_next_step(False, "submit")
        self.assertEqual(ticket.flow_id, self.urgent_flow)
        self.assertEqual(ticket.state, "in_progress")
        self.assertFalse(ticket.flow_preview_id, "no preview once the flow runs")

    def test_submit_is_for_the_requester_and_drafts_only(self):
        ticket = self._make_ticket()
        with self.assertRaisesRegex(UserError, "You cannot submit ticket .*: only"):
            ticket.with_user(self.finance_user).action_submit()
        ticket.with_user(self.it_user).action_submit()
        self.assertEqual(ticket.state, "in_progress")
        with self.assertRaisesRegex(UserError, "Only a draft is submitted"):
            ticket.with_user(self.it_user).action_submit()

    def test_ticket_types_come_in_their_sequence(self):
        Type = self.env["crossdept.ticket.type"]
        last = Type.create({"name": "AAA last (test)", "sequence": 900})
        first = Type.create({"name": "ZZZ first (test)", "sequence": 0})
        found = Type.with_user(self.it_user).name_search("(test)")
        ids = [type_id for type_id, _name in found]
        self.assertLess(ids.index(first.id), ids.index(last.id))
