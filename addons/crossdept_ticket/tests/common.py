from odoo import Command
from odoo.tests import TransactionCase, new_test_user
from odoo.tools import SQL

USER = "crossdept_ticket.group_crossdept_ticket_user"
MANAGER = "crossdept_ticket.group_crossdept_ticket_manager"


def delete_committed_ticket_type(cr, type_id):
    """Delete a ticket type that a test committed, with SQL as the tests clean up
    their committed data, and its mail alias, which the ORM's unlink would have
    removed: an alias left behind names a type that no longer exists, and Odoo
    reads its owner when it sets up an alias domain."""
    cr.execute(SQL("DELETE FROM crossdept_ticket_type WHERE id = %s RETURNING alias_id", type_id))
    alias_ids = tuple(alias_id for (alias_id,) in cr.fetchall() if alias_id)
    if alias_ids:
        cr.execute(SQL("DELETE FROM mail_alias WHERE id IN %s", alias_ids))


class CrossdeptTicketCase(TransactionCase):
    """Two departments (IT and Finance) with a manager and a member each, two
    customers with a portal user each."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        Department = cls.env["hr.department"]
        cls.dept_it = Department.create({"name": "IT (test)"})
        cls.dept_finance = Department.create({"name": "Finance (test)"})
        cls.it_manager = cls._make_user("it_manager", MANAGER, cls.dept_it, manager=True)
        cls.it_user = cls._make_user("it_user", USER, cls.dept_it)
        cls.finance_manager = cls._make_user(
            "finance_manager", MANAGER, cls.dept_finance, manager=True
        )
        cls.finance_user = cls._make_user("finance_user", USER, cls.dept_finance)
        cls.customer_a = cls.env["res.partner"].create({"name": "Customer A"})
        cls.customer_b = cls.env["res.partner"].create({"name": "Customer B"})
        cls.portal_a = new_test_user(
            cls.env, "portal_a", groups="base.group_portal", partner_id=cls.customer_a.id
        )
        cls.portal_b = new_test_user(
            cls.env, "portal_b", groups="base.group_portal", partner_id=cls.customer_b.id
        )
        cls.ticket_type = cls.env["crossdept.ticket.type"].create({"name": "Incident (test)"})

    @classmethod
    def _make_user(cls, login, group, department, manager=False):
        user = new_test_user(cls.env, login, groups=group, name=login.replace("_", " ").title())
        employee = cls.env["hr.employee"].create(
            {"name": user.name, "user_id": user.id, "department_id": department.id, "tz": "UTC"}
        )
        if manager:
            department.manager_id = employee
        return user

    @classmethod
    def _make_ticket(cls, **vals):
        values = {
            "title": "Printer on fire",
            "type_id": cls.ticket_type.id,
            "department_id": cls.dept_it.id,
            "assigned_department_id": cls.dept_it.id,
            "requester_id": cls.it_user.id,
            "raci_ids": [Command.create({"role": "responsible", "user_id": cls.it_user.id})],
        }
        values.update(vals)
        return cls.env["crossdept.ticket"].create(values)
