from odoo.tests import new_test_user
from odoo.tools import SQL

from odoo.addons.crossdept_ticket.tests.common import USER, CrossdeptTicketCase

SALESMAN = "sales_team.group_sale_salesman"
ALL_LEADS = "sales_team.group_sale_salesman_all_leads"


class CrossdeptCrmCase(CrossdeptTicketCase):
    """The core's departments and users, plus a Sales department whose salesman is a
    CrossDept user, a salesman without CrossDept rights, a contact of Customer A and
    an opportunity of that contact."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dept_sales = cls.env["hr.department"].create({"name": "Sales (test)"})
        cls.salesman = cls._make_user("crm_salesman", f"{USER},{ALL_LEADS}", cls.dept_sales)
        cls.crm_only = new_test_user(
            cls.env, "crm_only", groups=SALESMAN, name="CRM Only", tz="UTC"
        )
        cls.contact_a = cls.env["res.partner"].create(
            {"name": "Alice of Customer A", "parent_id": cls.customer_a.id}
        )
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Complaint: chairs delivered broken",
                "type": "opportunity",
                "partner_id": cls.contact_a.id,
                "user_id": cls.salesman.id,
                "description": "<p>Three of the ten chairs arrived broken.</p>",
            }
        )

    def _set_create_date(self, tickets, create_date):
        """Tickets are created now; history tests need them created at known times."""
        self.env.cr.execute(
            SQL(
                "UPDATE crossdept_ticket SET create_date = %s WHERE id IN %s",
                create_date,
                tuple(tickets.ids),
            )
        )
        tickets.invalidate_recordset(["create_date"])

    @classmethod
    def _rate(cls, ticket, partner, value, consumed=True, feedback=False):
        return cls.env["rating.rating"].create(
            {
                "res_model_id": cls.env["ir.model"]._get_id("crossdept.ticket"),
                "res_id": ticket.id,
                "partner_id": partner.id,
                "rating": value,
                "consumed": consumed,
                "feedback": feedback,
            }
        )
