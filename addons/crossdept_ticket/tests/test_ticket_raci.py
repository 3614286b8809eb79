from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CrossdeptTicketCase


@tagged("post_install", "-at_install")
class TestTicketRaci(CrossdeptTicketCase):
    def test_default_accountable_is_requesting_department_manager(self):
        ticket = self._make_ticket()
        accountable = ticket.raci_ids.filtered(lambda raci: raci.role == "accountable")
        self.assertEqual(len(accountable), 1)
        self.assertEqual(ticket.accountable_user_id, self.it_manager)

    def test_default_accountable_from_ticket_type(self):
        self.ticket_type.accountable_user_id = self.finance_manager
        self.assertEqual(self._make_ticket().accountable_user_id, self.finance_manager)

    def test_two_accountables_refused(self):
        with self.assertRaisesRegex(ValidationError, "exactly one Accountable"):
            self._make_ticket(
                raci_ids=[
                    Command.create({"role": "accountable", "user_id": self.it_user.id}),
                    Command.create({"role": "accountable", "user_id": self.it_manager.id}),
                ]
            )
        ticket = self._make_ticket()
        with self.assertRaises(ValidationError) as error:
            ticket.write(
                {"raci_ids": [Command.create({"role": "accountable", "user_id": self.it_user.id})]}
            )
        self.assertIn(ticket.name, str(error.exception))
        self.assertEqual(len(ticket.raci_ids), 2, "the refused line was not saved")

    def test_removing_the_accountable_refused(self):
        ticket = self._make_ticket()
        accountable = ticket.raci_ids.filtered(lambda raci: raci.role == "accountable")
        with self.assertRaisesRegex(ValidationError, "exactly one Accountable; it has 0"):
            accountable.unlink()
        with self.assertRaisesRegex(ValidationError, "exactly one Accountable; it has 0"):
            accountable.role = "consulted"

    def test_responsible_required_once_work_starts(self):
        ticket = self._make_ticket(raci_ids=[])
        ticket.action_open()
        with self.assertRaises(ValidationError) as error:
            ticket.action_start()
        self.assertIn("Responsible", str(error.exception))
        self.assertIn(ticket.name, str(error.exception))
        ticket.invalidate_recordset()
        self.assertEqual(ticket.state, "open")
        ticket.raci_ids = [Command.create({"role": "responsible", "user_id": self.it_user.id})]
        ticket.action_start()
        responsible = ticket.raci_ids.filtered(lambda raci: raci.role == "responsible")
        with self.assertRaisesRegex(ValidationError, "at least one Responsible"):
            responsible.unlink()

    def test_holder_is_user_or_department(self):
        ticket = self._make_ticket()
        with self.assertRaisesRegex(ValidationError, "either a user or a department"):
            ticket.raci_ids = [Command.create({"role": "consulted"})]
        with self.assertRaisesRegex(ValidationError, "either a user or a department"):
            ticket.raci_ids = [
                Command.create(
                    {
                        "role": "consulted",
                        "user_id": self.it_user.id,
                        "department_id": self.dept_it.id,
                    }
                )
            ]

    def test_department_holder_resolves_to_manager(self):
        ticket = self._make_ticket(
            raci_ids=[
                Command.create({"role": "responsible", "department_id": self.dept_finance.id})
            ]
        )
        line = ticket.raci_ids.filtered(lambda raci: raci.role == "responsible")
        self.assertEqual(line.holder_user_id, self.finance_manager)
        self.dept_finance.manager_id = self.finance_user.employee_ids
        self.assertEqual(line.holder_user_id, self.finance_user)

    def test_informed_follow_and_consulted_get_activity(self):
        ticket = self._make_ticket(
            raci_ids=[
                Command.create({"role": "responsible", "user_id": self.it_user.id}),
                Command.create({"role": "informed", "department_id": self.dept_finance.id}),
                Command.create({"role": "consulted", "user_id": self.finance_user.id}),
            ]
        )
        self.assertIn(self.finance_manager.partner_id, ticket.message_partner_ids)
        activity = ticket.activity_ids.filtered(lambda act: act.user_id == self.finance_user)
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("crossdept_ticket.mail_activity_crossdept_consult"),
        )
