from odoo import Command
from odoo.osv import expression
from odoo.tests import tagged

from .common import MANAGER, USER
from .common_flow import CrossdeptFlowCase

ADMIN = "crossdept_ticket.group_crossdept_ticket_admin"


@tagged("post_install", "-at_install")
class TestVisibilityRules(CrossdeptFlowCase):
    """The record rules read the participants table the engine keeps and join a
    step's ticket: every user sees exactly the tickets and steps the nested rules
    they replace showed (the old domains are written out here and searched as the
    superuser), and the table follows every change of who takes part."""

    # ------------------------------------------------------------------
    # The rules as they were (ticket and step rules nesting every alternative)
    # ------------------------------------------------------------------

    def _old_ticket_alternatives(self, user):
        uid = user.id
        alternatives = [
            # user rule
            [("requester_id", "=", uid)],
            [("user_id", "=", uid)],
            [("raci_ids.holder_user_id", "=", uid)],
            [("step_ids.user_id", "=", uid)],
            [("step_ids.approver_ids", "in", [uid])],
            [("department_id.member_ids.user_id", "=", uid)],
            [("assigned_department_id.member_ids.user_id", "=", uid)],
            # queue, step holders, CC (unchanged rules)
            [
                (
                    "step_ids",
                    "any",
                    [
                        ("state", "=", "ready"),
                        ("user_id", "=", False),
                        ("department_id.member_ids.user_id", "=", uid),
                    ],
                )
            ],
            [("step_holder_ids", "in", [uid])],
            [("cc_user_ids", "in", [uid])],
        ]
        if user.has_group(MANAGER):
            alternatives += [
                [("department_id.manager_id.user_id", "=", uid)],
                [("assigned_department_id.manager_id.user_id", "=", uid)],
                [("department_id.parent_id.manager_id.user_id", "=", uid)],
                [("assigned_department_id.parent_id.manager_id.user_id", "=", uid)],
            ]
        return alternatives

    def _companies(self, user):
        return self.env["crossdept.ticket"].with_user(user).env.companies.ids

    def _old_tickets(self, user):
        Ticket = self.env["crossdept.ticket"].sudo()
        domain = [("company_id", "in", self._companies(user))]
        if not user.has_group(ADMIN):
            domain = expression.AND([domain, expression.OR(self._old_ticket_alternatives(user))])
        return Ticket.search(domain)

    def _old_steps(self, user):
        """The old step rules: the ticket's alternatives searched on every ticket
        (archived ones and their archived steps too, as a sub-search through a
        many2one did), and the step's own queue rule."""
        uid = user.id
        Step = self.env["crossdept.ticket.step"].sudo()
        domain = [("company_id", "in", self._companies(user))]
        if not user.has_group(ADMIN):
            Ticket = self.env["crossdept.ticket"].sudo().with_context(active_test=False)
            # the queue alternative of tickets is the step's own queue rule here
            tickets = Ticket.search(expression.OR(self._old_ticket_alternatives(user)[:7]))
            tickets |= Ticket.search(
                expression.OR(
                    [
                        [("step_holder_ids", "in", [uid])],
                        [("cc_user_ids", "in", [uid])],
                        *self._old_ticket_alternatives(user)[10:],
                    ]
                )
            )
            queue = [
                ("state", "=", "ready"),
                ("user_id", "=", False),
                ("department_id.member_ids.user_id", "=", uid),
            ]
            domain = expression.AND(
                [domain, expression.OR([[("ticket_id", "in", tickets.ids)], queue])]
            )
        return Step.search(domain)

    def _assert_same_visibility(self, users):
        checked = 0
        for user in users:
            with self.subTest(user=user.login):
                tickets = self.env["crossdept.ticket"].with_user(user).search([])
                self.assertEqual(set(tickets.ids), set(self._old_tickets(user).ids))
                steps = self.env["crossdept.ticket.step"].with_user(user).search([])
                self.assertEqual(set(steps.ids), set(self._old_steps(user).ids))
                checked += len(tickets)
        # the comparison saw tickets, not only empty lists
        self.assertTrue(checked)

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------

    def test_every_user_sees_what_the_nested_rules_showed(self):
        """Every CrossDept user (the demo's too, when it is loaded) on tickets the
        engine ran here: one Finance asked IT for, past its check and waiting for
        Finance's approval, and one still at its first step."""
        flow, _steps = self._make_flow(
            [
                {"name": "Check", "user": self.it_user},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "approvers": self.finance_manager,
                    "preds": ["Check"],
                },
            ]
        )
        asked = self._make_ticket(flow_id=flow.id, requester_id=self.finance_user.id)
        waiting = self._make_ticket(flow_id=flow.id, requester_id=self.it_manager.id)
        (asked | waiting).action_start_flow()
        check = self._step(asked, "Check").with_user(self.it_user)
        check.action_start()
        check.action_finish()
        users = self.env["res.users"].search(
            [("groups_id", "in", self.env.ref(USER).id), ("share", "=", False)]
        )
        self.assertGreater(len(users), 3)
        self._assert_same_visibility(users)

    def test_the_participants_follow_every_change(self):
        flow, _steps = self._make_flow(
            [
                {"name": "Check", "user": self.it_user},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "approvers": self.finance_manager,
                    "preds": ["Check"],
                },
            ]
        )
        ticket = self._make_ticket(flow_id=flow.id, requester_id=self.finance_user.id)
        ticket.action_start_flow()
        # requester, step assignee (a Responsible too), Accountable (IT's manager)
        self.assertLessEqual(
            self.finance_user | self.it_user | self.it_manager, ticket.participant_user_ids
        )
        outsider = self._make_user(
            "outsider", USER, self.env["hr.department"].create({"name": "Outside (test)"})
        )
        self.assertFalse(ticket.with_user(outsider).search([("id", "=", ticket.id)]))

        # a RACI line held through a department: its manager takes part, and the
        # department's next manager instead of them
        dept_outside = outsider.employee_ids.department_id
        ticket.write(
            {"raci_ids": [Command.create({"role": "informed", "department_id": dept_outside.id})]}
        )
        self.assertNotIn(outsider, ticket.participant_user_ids)
        dept_outside.manager_id = outsider.employee_ids
        self.assertIn(outsider, ticket.participant_user_ids)
        Ticket = self.env["crossdept.ticket"]
        self.assertEqual(Ticket.with_user(outsider).search([("id", "=", ticket.id)]), ticket)
        dept_outside.manager_id = False
        self.assertNotIn(outsider, ticket.participant_user_ids)
        self.assertFalse(Ticket.with_user(outsider).search([("id", "=", ticket.id)]))
        Step = self.env["crossdept.ticket.step"]
        self.assertFalse(Step.with_user(outsider).search([("ticket_id", "=", ticket.id)]))

        # an approver added to the approval step takes part, with its steps
        check = self._step(ticket, "Check")
        check.with_user(self.it_user).action_start()
        check.with_user(self.it_user).action_finish()
        approve = self._step(ticket, "Approve")
        approve.with_user(self.it_manager).action_add_approvers(outsider, "A second opinion")
        self.assertIn(outsider, ticket.participant_user_ids)
        self.assertEqual(
            Step.with_user(outsider).search([("ticket_id", "=", ticket.id)]), ticket.step_ids
        )
        self._assert_same_visibility(outsider | self.it_user | self.finance_manager)
