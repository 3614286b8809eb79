import uuid

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from .common import MANAGER, USER, CrossdeptTicketCase, delete_committed_ticket_type
from .common_dispatch import CrossdeptDispatchCase

TICKET = "crossdept.ticket"
STEP = "crossdept.ticket.step"
REFUSED = "doesn't have 'read' access"
SATURDAY = "2026-11-21 10:00:00"


@tagged("post_install", "-at_install")
class TestVisibilityDepartments(CrossdeptTicketCase):
    """The record rules read a user's departments as lists of ids, cached with the
    rules' domains: whoever changes department, or starts or stops managing one,
    sees accordingly at once, through a search and through Odoo's check of records
    already fetched."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mover = cls._make_user("mover", USER, cls.dept_it)
        # requested and held by Finance's user: the mover takes part in neither
        cls.ticket_it = cls._make_ticket(
            requester_id=cls.finance_user.id,
            raci_ids=[Command.create({"role": "responsible", "user_id": cls.finance_user.id})],
        )
        cls.ticket_finance = cls._make_ticket(
            department_id=cls.dept_finance.id,
            assigned_department_id=cls.dept_finance.id,
            requester_id=cls.finance_user.id,
            raci_ids=[Command.create({"role": "responsible", "user_id": cls.finance_user.id})],
        )
        cls.tickets = cls.ticket_it | cls.ticket_finance

    def _visible(self, user):
        return self.env[TICKET].with_user(user).search([("id", "in", self.tickets.ids)])

    def _assert_sees(self, user, ticket):
        """``user`` finds ``ticket`` alone of the two, reads it, and is refused the
        other one (Odoo's check of records in Python)."""
        self.assertEqual(self._visible(user), ticket)
        ticket.with_user(user).check_access("read")
        self.assertTrue(ticket.with_user(user).title)
        with self.assertRaisesRegex(AccessError, REFUSED):
            (self.tickets - ticket).with_user(user).check_access("read")

    def test_a_moved_employee_sees_the_new_department_at_once(self):
        self._assert_sees(self.mover, self.ticket_it)
        self.mover.employee_ids.department_id = self.dept_finance
        self._assert_sees(self.mover, self.ticket_finance)

    def test_an_archived_employee_no_longer_sees_the_department(self):
        self._assert_sees(self.mover, self.ticket_it)
        employee = self.mover.employee_ids
        employee.action_archive()
        self.assertFalse(self._visible(self.mover))
        with self.assertRaisesRegex(AccessError, REFUSED):
            self.ticket_it.with_user(self.mover).check_access("read")
        employee.action_unarchive()
        self._assert_sees(self.mover, self.ticket_it)

    def test_an_employee_given_to_another_user(self):
        self._assert_sees(self.mover, self.ticket_it)
        newcomer = new_test_user(self.env, "newcomer", groups=USER)
        self.assertFalse(self._visible(newcomer))
        self.mover.employee_ids.user_id = newcomer
        self.assertFalse(self._visible(self.mover))
        self._assert_sees(newcomer, self.ticket_it)

    def test_a_new_manager_sees_the_department_and_its_direct_children(self):
        helpdesk = self.env["hr.department"].create(
            {"name": "IT Helpdesk (test)", "parent_id": self.dept_it.id}
        )
        desk = self.env["hr.department"].create(
            {"name": "IT Desk (test)", "parent_id": helpdesk.id}
        )
        in_helpdesk = self._make_ticket(
            department_id=helpdesk.id,
            assigned_department_id=helpdesk.id,
            requester_id=self.finance_user.id,
            raci_ids=[Command.create({"role": "responsible", "user_id": self.finance_user.id})],
        )
        at_desk = in_helpdesk.copy({"department_id": desk.id, "assigned_department_id": desk.id})
        self.tickets |= in_helpdesk | at_desk
        lead = self._make_user("lead", MANAGER, self.dept_finance)
        self.assertEqual(self._visible(lead), self.ticket_finance)
        self.assertEqual(self._visible(self.it_manager), self.ticket_it | in_helpdesk)

        self.dept_it.manager_id = lead.employee_ids
        # IT and its sub-department; not the sub-department's own sub-department
        self.assertEqual(self._visible(lead), self.ticket_finance | self.ticket_it | in_helpdesk)
        in_helpdesk.with_user(lead).check_access("read")
        with self.assertRaisesRegex(AccessError, REFUSED):
            at_desk.with_user(lead).check_access("read")
        # the former manager stays a member of IT: its tickets, not the sub-department's
        self.assertEqual(self._visible(self.it_manager), self.ticket_it)

        # a department moved under the managed one
        desk.parent_id = self.dept_it
        self.assertIn(at_desk, self._visible(lead))
        self.dept_it.manager_id = False
        self.assertEqual(self._visible(lead), self.ticket_finance)


@tagged("post_install", "-at_install")
class TestVisibilityDepartmentsQueue(CrossdeptDispatchCase):
    def test_a_moved_employee_takes_the_new_department_queue(self):
        # on a Saturday nobody of Support works: the step waits in its queue
        step = self._start(when=SATURDAY)
        self.assertEqual((step.state, step.user_id), ("ready", self.env["res.users"]))
        mover = self._make_user("queue_mover", USER, self.dept_finance)
        Step = self.env[STEP].with_user(mover)
        self.assertFalse(Step.search([("id", "=", step.id)]))
        mover.employee_ids.department_id = self.support
        self.assertEqual(Step.search([("id", "=", step.id)]), step)
        self.assertEqual(step.with_user(mover).ticket_id.title, step.ticket_id.title)
        self.assertTrue(step.with_user(mover).can_take)
        mover.employee_ids.department_id = self.dept_finance
        self.assertFalse(Step.search([("id", "=", step.id)]))
        with self.assertRaisesRegex(AccessError, REFUSED):
            step.ticket_id.with_user(mover).check_access("read")


@tagged("post_install", "-at_install")
class TestVisibilityDepartmentsCommitted(TransactionCase):
    """The rules' cached domains are the process's, shared by every transaction: a
    move committed by one is seen by the next, whose user's domain was cached
    before the move. The data is committed for the other transactions to see it
    (nothing is made in the test's own transaction, which they would wait for)."""

    def setUp(self):
        super().setUp()
        suffix = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            Department = env["hr.department"]
            first = Department.create({"name": f"First {suffix}"})
            second = Department.create({"name": f"Second {suffix}"})
            user = new_test_user(env, f"mover_{suffix}", groups=USER)
            employee = env["hr.employee"].create(
                {"name": user.name, "user_id": user.id, "department_id": first.id}
            )
            requester = new_test_user(env, f"requester_{suffix}", groups=USER)
            ticket_type = env[TICKET + ".type"].create({"name": f"Moves {suffix}"})
            tickets = env[TICKET].create(
                [
                    {
                        "title": "Moves",
                        "type_id": ticket_type.id,
                        "department_id": department.id,
                        "assigned_department_id": department.id,
                        "requester_id": requester.id,
                    }
                    for department in (first, second)
                ]
            )
            self.ids = {
                "user": user.id,
                "requester": requester.id,
                "employee": employee.id,
                "first": first.id,
                "second": second.id,
                "tickets": tickets.ids,
                "type": ticket_type.id,
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        ids = self.ids
        with self.registry.cursor() as cr:
            cr.execute(SQL("DELETE FROM crossdept_ticket WHERE id IN %s", tuple(ids["tickets"])))
            delete_committed_ticket_type(cr, ids["type"])
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["hr.employee"].browse(ids["employee"]).unlink()
            env["hr.department"].browse([ids["first"], ids["second"]]).unlink()
            env["res.users"].browse([ids["user"], ids["requester"]]).write({"active": False})

    def _seen(self):
        """The tickets the user sees, in a transaction of their own."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, self.ids["user"], {})
            return env[TICKET].search([("id", "in", self.ids["tickets"])]).ids

    def test_a_move_committed_is_seen_by_the_next_transaction(self):
        first, second = self.ids["tickets"]
        self.assertEqual(self._seen(), [first])
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["hr.employee"].browse(self.ids["employee"]).department_id = self.ids["second"]
        self.assertEqual(self._seen(), [second])
