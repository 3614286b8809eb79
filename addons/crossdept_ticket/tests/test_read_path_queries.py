from freezegun import freeze_time
from lxml import etree

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import MANAGER
from .common_dispatch import CrossdeptDispatchCase

SATURDAY = "2026-11-21 10:00:00"
# the web client's page size of lists and of x2many lists in a form
LIST_LIMIT = 80
X2MANY_LIMIT = 40
# queries of each screen, whatever its number of rows or steps (measured; the rules
# compare a ticket's departments with the reader's as ids: no read of members; whom a
# ticket waits on is named without the users' rule reading their companies). Over
# HTTP a request adds the statement timeout's SET LOCAL and Odoo's registry
# signalling check (bench/bench_visibility.py counts those too: aim 15)
BUDGET = {
    "my_steps": 11,
    "my_approvals": 13,
    "queue": 11,
    "form": 34,
    "overdue": 11,
}
# a Monday long past: tickets started then are overdue now
LONG_AGO = "2026-11-02 09:00:00"


def arch_specification(model, node):
    """The fields the web client reads for ``node`` of a view arch, as the
    ``specification`` of ``web_read``/``web_search_read``: every field of the node
    (not of its x2many sub-views), a many2one or a tag widget with its display name,
    an x2many with the fields of its inline list or kanban view."""
    spec = {}
    for child in node.iterchildren(tag=etree.Element):
        if child.tag != "field":
            spec.update(arch_specification(model, child))
            continue
        field = model._fields[child.get("name")]
        if field.type == "many2one":
            spec[field.name] = {"fields": {"display_name": {}}}
        elif field.type in ("one2many", "many2many"):
            mode = child.get("mode", "list").split(",")[0]
            subviews = [sub for sub in child.iterchildren(tag=etree.Element) if sub.tag == mode]
            comodel = model.env[field.comodel_name]
            if subviews:
                spec[field.name] = {
                    "fields": arch_specification(comodel, subviews[0]),
                    "limit": X2MANY_LIMIT,
                }
            else:
                spec[field.name] = {"fields": {"display_name": {}}}
        else:
            spec[field.name] = {}
    return spec


@tagged("post_install", "-at_install")
class TestReadPathQueries(CrossdeptDispatchCase):
    """The screens the web client reads on every visit (the ticket form with its current
    steps and header action, My Steps, My Approvals, the department queue, the overdue
    tickets) cost as many queries for 50 items as for 1, for a staff member and a
    department manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.support_lead = cls._make_user("support_lead", MANAGER, cls.support, manager=True)
        cls.support_lead.employee_ids.resource_calendar_id = cls.calendar
        cls.staff = {"staff": cls.it_user, "manager": cls.it_manager}

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _count(self, call):
        """Queries of ``call`` with empty record caches, once the registry's caches
        (views, rules, access rights) are warm, as on a second visit to the screen."""
        # the record cache is shared by every environment of the transaction
        self.env.invalidate_all()
        call()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        result = call()
        count = self.env.cr.sql_log_count - before
        self.env.invalidate_all()
        return count, result

    def _list_call(self, xmlid, reader, extra=()):
        """web_search_read of the action ``xmlid`` as ``reader`` opens it: the action's
        domain (and the ``extra`` terms of a search filter) and the fields of its list
        view."""
        action = self.env.ref(xmlid)
        Model = self.env[action.res_model].with_user(reader)
        view_id = next((view for view, mode in action.views if mode == "list"), False)
        views = Model.get_views([(view_id, "list")])
        spec = arch_specification(Model, etree.fromstring(views["views"]["list"]["arch"]))
        domain = safe_eval(action.domain or "[]", {"uid": reader.id}) + list(extra)

        def call():
            return Model.web_search_read(
                domain, spec, limit=LIST_LIMIT, count_limit=10001, order=None
            )

        return call

    def _form_call(self, ticket, reader):
        """web_read of the ticket's form as ``reader`` opens it."""
        Ticket = ticket.with_user(reader)
        views = Ticket.get_views([(False, "form")])
        spec = arch_specification(Ticket, etree.fromstring(views["views"]["form"]["arch"]))

        def call():
            return Ticket.web_read(spec)

        return call

    def _assert_flat(self, call, add, budget):
        """Queries of ``call`` after ``add(1)`` and after ``add(49)`` more: the same,
        and within ``budget``."""
        base = call()["length"]
        counts = {}
        for total, new in ((1, 1), (50, 49)):
            add(new)
            counts[total], result = self._count(call)
            self.assertEqual(result["length"], base + total)
            self.assertEqual(len(result["records"]), base + total)
        self.assertEqual(
            counts[50], counts[1], f"{counts[1]} queries for 1 item, {counts[50]} for 50"
        )
        self.assertLessEqual(counts[1], budget)

    def _tickets(self, count, flow):
        tickets = self.env["crossdept.ticket"].browse()
        for _index in range(count):
            # requested by someone else: a requester does not approve their own ticket
            tickets |= self._make_ticket(flow_id=flow.id, requester_id=self.finance_user.id)
        tickets.action_start_flow()
        return tickets

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------

    def test_my_steps(self):
        for role, reader in self.staff.items():
            with self.subTest(role=role):
                flow, _steps = self._make_flow([{"name": "Check", "user": reader}])
                self._assert_flat(
                    self._list_call("crossdept_ticket.crossdept_ticket_step_action_my", reader),
                    lambda count, flow=flow: self._tickets(count, flow),
                    BUDGET["my_steps"],
                )

    def test_my_approvals(self):
        for role, reader in self.staff.items():
            with self.subTest(role=role):
                flow, _steps = self._make_flow(
                    [{"name": "Approve", "kind": "approval", "approvers": reader}]
                )
                self._assert_flat(
                    self._list_call(
                        "crossdept_ticket.crossdept_ticket_step_action_approval", reader
                    ),
                    lambda count, flow=flow: self._tickets(count, flow),
                    BUDGET["my_approvals"],
                )

    def test_overdue_tickets(self):
        # the ticket list with its Overdue filter, as the dashboard's tile opens it,
        # and a facet on the flow (the manager sees the staff's tickets too)
        for role, reader in self.staff.items():
            with self.subTest(role=role):
                flow, _steps = self._make_flow([{"name": "Check", "user": reader}])

                def overdue(count, flow=flow):
                    with freeze_time(LONG_AGO):
                        self._tickets(count, flow)

                self._assert_flat(
                    self._list_call(
                        "crossdept_ticket.crossdept_ticket_action",
                        reader,
                        [("is_overdue", "=", True), ("flow_id", "=", flow.id)],
                    ),
                    overdue,
                    BUDGET["overdue"],
                )

    def _assert_queue_flat(self, reader):
        # on a Saturday nobody of Support works: the started steps wait in its queue
        self.flow.action_activate()

        def queue(count):
            with freeze_time(SATURDAY):
                self._tickets(count, self.flow)

        self._assert_flat(
            self._list_call("crossdept_ticket.crossdept_ticket_step_action_queue", reader),
            queue,
            BUDGET["queue"],
        )

    def test_department_queue_as_staff(self):
        self._assert_queue_flat(self.agents[0])

    def test_department_queue_as_manager(self):
        self._assert_queue_flat(self.support_lead)

    def test_ticket_form_with_its_current_steps(self):
        for role, reader in self.staff.items():
            with self.subTest(role=role):
                counts = {}
                for total in (1, 50):
                    flow, _steps = self._make_flow(
                        [{"name": f"Part {index}", "user": reader} for index in range(total)]
                    )
                    ticket = self._tickets(1, flow)
                    counts[total], result = self._count(self._form_call(ticket, reader))
                    self.assertEqual(len(result[0]["current_step_ids"]), total)
                    self.assertTrue(result[0]["next_action"])
                self.assertEqual(
                    counts[50],
                    counts[1],
                    f"{role}: {counts[1]} queries for 1 step, {counts[50]} for 50",
                )
                self.assertLessEqual(counts[1], BUDGET["form"])
