from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from .common import USER, CrossdeptTicketCase
from .refusal import acl_refusal, rule_refusal


@tagged("post_install", "-at_install")
class TestTicketAccess(CrossdeptTicketCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.it_ticket = cls._make_ticket(title="Router down")

    def _visible(self, user, ticket):
        return bool(ticket.with_user(user).search([("id", "=", ticket.id)]))

    def test_same_department_reads_holders_write(self):
        colleague = self._make_user("it_colleague", USER, self.dept_it)
        ticket = self.it_ticket.with_user(colleague)
        self.assertEqual(ticket.title, "Router down")
        # a colleague who holds no role on the ticket reads it, follows it, but does
        # not rewrite it
        with self.assertRaisesRegex(UserError, "You cannot change Title of ticket"):
            ticket.title = "Router down in building B"
        self.it_ticket.with_user(self.it_user).title = "Router down in building B"
        self.assertEqual(self.it_ticket.title, "Router down in building B")

    def test_other_department_cannot_read_or_write(self):
        self.assertFalse(self._visible(self.finance_user, self.it_ticket))
        ticket = self.it_ticket.with_user(self.finance_user)
        with self.assertRaisesRegex(AccessError, rule_refusal("read", "crossdept.ticket")):
            ticket.read(["title"])
        with self.assertRaisesRegex(AccessError, rule_refusal("write", "crossdept.ticket")):
            ticket.write({"title": "Hijacked"})
        with self.assertRaisesRegex(AccessError, rule_refusal("read", "crossdept.ticket.event")):
            self.env["crossdept.ticket.event"].with_user(self.finance_user).browse(
                self.it_ticket.event_ids.ids
            ).read(["event_type"])
        self.assertEqual(self.it_ticket.title, "Router down")

    def test_raci_holder_and_requester_can_read(self):
        self.assertFalse(self._visible(self.finance_user, self.it_ticket))
        self.it_ticket.raci_ids = [
            Command.create({"role": "consulted", "user_id": self.finance_user.id})
        ]
        self.assertTrue(self._visible(self.finance_user, self.it_ticket))
        outsider = new_test_user(self.env, "outsider", groups=USER)
        requested = self._make_ticket(requester_id=outsider.id)
        self.assertTrue(self._visible(outsider, requested))
        self.assertFalse(self._visible(outsider, self.it_ticket))

    def test_manager_sees_managed_departments(self):
        self.assertTrue(self._visible(self.it_manager, self.it_ticket))
        self.assertFalse(self._visible(self.finance_manager, self.it_ticket))
        sub_department = self.env["hr.department"].create(
            {"name": "Payroll (test)", "parent_id": self.dept_finance.id}
        )
        payroll_ticket = self._make_ticket(
            department_id=sub_department.id, assigned_department_id=sub_department.id
        )
        self.assertTrue(self._visible(self.finance_manager, payroll_ticket))
        self.assertFalse(self._visible(self.finance_user, payroll_ticket))

    def test_users_cannot_delete_or_configure(self):
        with self.assertRaisesRegex(AccessError, acl_refusal("unlink", "crossdept.ticket")):
            self.it_ticket.with_user(self.it_user).unlink()
        with self.assertRaisesRegex(AccessError, acl_refusal("create", "crossdept.ticket.type")):
            self.env["crossdept.ticket.type"].with_user(self.it_manager).create({"name": "X"})
        admin = new_test_user(
            self.env, "cd_admin", groups="crossdept_ticket.group_crossdept_ticket_admin"
        )
        self.env["crossdept.ticket.type"].with_user(admin).create({"name": "Audit"})
        self.assertTrue(self._visible(admin, self.it_ticket))
        with self.assertRaisesRegex(
            UserError, "Tickets cannot be deleted, so that their history stays complete"
        ):
            self.it_ticket.with_user(admin).unlink()

    def _overdue_neighbours(self, late):
        """Tickets beside the IT user's late ones: Finance's late ticket, an archived
        late ticket and an IT ticket due in the future."""
        finance_late = self._make_ticket(
            date_deadline=late,
            department_id=self.dept_finance.id,
            assigned_department_id=self.dept_finance.id,
            requester_id=self.finance_user.id,
            raci_ids=[Command.create({"role": "responsible", "user_id": self.finance_user.id})],
        )
        archived = self._make_ticket(date_deadline=late)
        archived.active = False
        on_time = self._make_ticket(date_deadline="2099-01-01 10:00:00")
        return finance_late, archived, on_time

    def test_overdue_search_follows_the_readers_rules(self):
        # the Overdue filter finds the late open tickets in a sub-select of their ids:
        # the reader's rules and the archived filter still decide what is listed
        late = "2020-01-01 10:00:00"
        it_late = self._make_ticket(date_deadline=late)
        finance_late, archived, on_time = self._overdue_neighbours(late)
        tickets = it_late | finance_late | archived | on_time

        def search(user, overdue=True, **context):
            Ticket = self.env["crossdept.ticket"].with_user(user).with_context(**context)
            domain = [("is_overdue", "=", overdue), ("id", "in", tickets.ids)]
            return Ticket.search(domain), Ticket.search_count(domain)

        self.assertEqual(search(self.it_user), (it_late, 1))
        self.assertEqual(search(self.finance_user), (finance_late, 1))
        self.assertEqual(search(self.it_manager), (it_late, 1))
        self.assertEqual(search(self.it_user, active_test=False), (it_late | archived, 2))
        self.assertEqual(search(self.it_user, overdue=False), (on_time, 1))

    def test_overdue_list_counts_in_its_one_search(self):
        # the Overdue list reads its page and its pager's count from one search of
        # the late tickets: the same page and number as Odoo's search and count,
        # under the reader's rules (Finance's and the archived late ticket are out)
        late = "2020-01-01 10:00:00"
        mine = self._make_ticket(date_deadline=late, priority="3")
        mine |= self._make_ticket(date_deadline=late, priority="2")
        mine |= self._make_ticket(date_deadline=late)
        finance_late, archived, on_time = self._overdue_neighbours(late)
        ids = (mine | finance_late | archived | on_time).ids
        Ticket = self.env["crossdept.ticket"].with_user(self.it_user)
        domain = [("id", "in", ids), ("is_overdue", "=", True)]
        self.assertTrue(Ticket._finds_late_only(domain))

        def listed(offset=0, limit=2, count_limit=10001):
            result = Ticket.web_search_read(
                domain,
                {"title": {}, "is_overdue": {}},
                offset=offset,
                limit=limit,
                count_limit=count_limit,
            )
            return [values["id"] for values in result["records"]], result["length"]

        self.assertEqual(listed(), (Ticket.search(domain, limit=2).ids, 3))
        self.assertEqual(listed()[0], mine.ids[:2])
        self.assertEqual(listed(offset=2), (mine.ids[2:], 3))
        self.assertEqual(listed(offset=4), ([], 0))
        # as Odoo's pager: counted up to count_limit
        self.assertEqual(listed(limit=1, count_limit=2), (mine.ids[:1], 2))
        self.assertEqual(Ticket.search_count(domain, limit=2), 2)
        # the pager's count costs no second search: a full page (counted) runs the
        # queries of a page that holds every late ticket (not counted)
        queries = {}
        for limit in (1, 80):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            listed(limit=limit)
            queries[limit] = self.env.cr.sql_log_count - before
        self.assertEqual(queries[1], queries[80])
        # the late tickets the reader may not open are not read, even by their id
        self.assertEqual(
            Ticket.web_search_read(
                [("id", "=", finance_late.id), ("is_overdue", "=", True)],
                {"title": {}},
                limit=80,
                count_limit=10001,
            ),
            {"length": 0, "records": []},
        )

    def test_overdue_filter_under_or_and_not(self):
        # the filter combined with other terms, and through the RACI lines' ticket:
        # the same late tickets, read by their row addresses; only a
        # filter every listed ticket meets lists them in one query
        late = self._make_ticket(date_deadline="2020-01-01 10:00:00")
        on_time = self._make_ticket(date_deadline="2099-01-01 10:00:00")
        draft = self._make_ticket()
        ids = (late | on_time | draft).ids
        Ticket = self.env["crossdept.ticket"].with_user(self.it_user)
        either = ["|", ("is_overdue", "=", True), ("date_deadline", "=", False)]
        self.assertEqual(Ticket.search([("id", "in", ids), *either]), late | draft)
        self.assertEqual(
            Ticket.search([("id", "in", (late | on_time).ids), "!", ("is_overdue", "=", True)]),
            on_time,
        )
        self.assertEqual(Ticket.search([("id", "in", ids), ("is_overdue", "!=", False)]), late)
        # not overdue, as computed: the ticket without a deadline too
        self.assertFalse(draft.is_overdue)
        for not_overdue in (
            [("is_overdue", "=", False)],
            [("is_overdue", "!=", True)],
            ["!", ("is_overdue", "=", True)],
        ):
            self.assertEqual(
                Ticket.search([("id", "in", ids), *not_overdue]), on_time | draft, not_overdue
            )
        self.assertFalse(Ticket._finds_late_only([("id", "in", ids), *either]))
        self.assertFalse(Ticket._finds_late_only(["!", ("is_overdue", "=", True)]))
        self.assertFalse(Ticket._finds_late_only([("is_overdue", "=", False)]))
        self.assertTrue(Ticket._finds_late_only(["&", ("is_overdue", "!=", False), *either]))
        self.assertEqual(
            Ticket.web_search_read(
                [("id", "in", ids), *either], {"title": {}}, limit=1, count_limit=10001
            )["length"],
            2,
        )
        Raci = self.env["crossdept.ticket.raci"].with_user(self.it_user)
        lines = Raci.search([("ticket_id", "in", ids), ("ticket_id.is_overdue", "=", True)])
        self.assertEqual(lines.ticket_id, late)

    def test_overdue_filter_starts_from_the_late_open_tickets_index(self):
        # the partial index the Overdue filter and the dashboard's tile rely on
        [(definition,)] = self.env.execute_query(
            SQL(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                "crossdept_ticket_open_deadline_idx",
            )
        )
        self.assertIn("(date_deadline) WHERE", definition)
        self.assertIn("'done'", definition)
        self.assertIn("'cancelled'", definition)

    def test_portal_customers_are_isolated(self):
        ticket_a = self._make_ticket(partner_id=self.customer_a.id)
        ticket_b = self._make_ticket(partner_id=self.customer_b.id)
        Ticket = self.env["crossdept.ticket"]
        self.assertEqual(
            Ticket.with_user(self.portal_a).search([("id", "in", (ticket_a | ticket_b).ids)]),
            ticket_a,
        )
        self.assertEqual(
            Ticket.with_user(self.portal_b).search([("id", "in", (ticket_a | ticket_b).ids)]),
            ticket_b,
        )
        with self.assertRaisesRegex(AccessError, rule_refusal("read", "crossdept.ticket")):
            ticket_b.with_user(self.portal_a).read(["title"])
        with self.assertRaisesRegex(AccessError, acl_refusal("write", "crossdept.ticket")):
            ticket_a.with_user(self.portal_a).write({"title": "changed"})
        with self.assertRaisesRegex(AccessError, acl_refusal("read", "crossdept.ticket.raci")):
            ticket_a.with_user(self.portal_a).raci_ids.read(["role"])

    def test_multi_company_isolation(self):
        other_company = self.env["res.company"].create({"name": "Other Co (test)"})
        other_ticket = self._make_ticket(
            company_id=other_company.id,
            department_id=False,
            assigned_department_id=False,
            requester_id=self.it_user.id,
        )
        # the requester may see their own tickets, but not in a company they cannot access
        self.assertNotIn(other_company, self.it_user.company_ids)
        self.assertFalse(self._visible(self.it_user, other_ticket))
        admin = new_test_user(
            self.env, "cd_admin_mc", groups="crossdept_ticket.group_crossdept_ticket_admin"
        )
        self.assertFalse(self._visible(admin, other_ticket))
        admin.write({"company_ids": [Command.link(other_company.id)]})
        self.assertTrue(
            other_ticket.with_user(admin)
            .with_context(allowed_company_ids=[other_company.id])
            .search([("id", "=", other_ticket.id)])
        )
        self.assertFalse(
            self.env["crossdept.ticket.event"]
            .with_user(self.it_user)
            .search([("ticket_id", "=", other_ticket.id)])
        )
