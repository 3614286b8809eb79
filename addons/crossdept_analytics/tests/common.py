from datetime import datetime, timedelta

from lxml import etree

from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from odoo.addons.crossdept_ticket.tests.common_flow import CrossdeptFlowCase

# fields the web client searches with "ilike" when a search default names them
ILIKE_TYPES = ("char", "text", "html", "many2many", "one2many")


def drill_domain(env, action):
    """The domain of the list ``action`` opens for ``env``'s user, as the web client
    builds it: the action's domain and, for each ``search_default_<name>`` of its
    context, the search view's filter of that name or a facet on that field. A
    default the search view does not offer fails: the list would not show it."""
    Model = env[action["res_model"]]
    arch = Model.get_views([(False, "search")])["views"]["search"]["arch"]
    search = etree.fromstring(arch)
    domain = list(action.get("domain") or [])
    for key, value in action.get("context", {}).items():
        name = key.removeprefix("search_default_")
        if name == key or not value:
            continue
        node = search.find(f".//filter[@name='{name}']")
        if node is not None:
            domain += safe_eval(node.get("domain"), {"uid": env.uid, "context": env.context})
            continue
        node = search.find(f".//field[@name='{name}']")
        if node is None:
            raise AssertionError(f"{Model._name}'s search view has no {name} to show")
        operator = "ilike" if Model._fields[name].type in ILIKE_TYPES else "="
        domain.append((name, operator, value))
    return domain


def drilled(env, action):
    """The records the list ``action`` opens shows to ``env``'s user."""
    return env[action["res_model"]].search(drill_domain(env, action))


class CrossdeptAnalyticsCase(CrossdeptFlowCase):
    """Builds ticket histories with exact dates: tickets are created through the
    ORM, their events through the core's log API, then their dates are set in SQL
    (the ORM stamps creation and log dates with the current time)."""

    @classmethod
    def _closed_tickets(cls, department, opened, hours, deadlines=None, **vals):
        """Done tickets of a department, created at `opened` (a datetime or a list
        of them) and closed `hours` later; deadlines: hours after opening (None
        for no deadline)."""
        count = len(hours)
        opened = opened if isinstance(opened, list) else [opened] * count
        deadlines = deadlines or [None] * count
        tickets = cls.env["crossdept.ticket"].create(
            [
                {
                    "title": f"History {index}",
                    "type_id": cls.ticket_type.id,
                    "department_id": department.id,
                    "assigned_department_id": department.id,
                    "requester_id": cls.it_user.id,
                    **vals,
                }
                for index in range(count)
            ]
        )
        cls._set_dates(tickets, opened, hours, deadlines)
        return tickets

    @classmethod
    def _set_dates(cls, tickets, opened, hours, deadlines):
        cls.env.flush_all()
        for ticket, start, duration, deadline in zip(
            tickets, opened, hours, deadlines, strict=True
        ):
            cls.env.cr.execute(
                SQL(
                    """
                    UPDATE crossdept_ticket
                       SET state = 'done', create_date = %s, date_closed = %s, date_deadline = %s
                     WHERE id = %s
                    """,
                    start,
                    start + timedelta(hours=duration),
                    start + timedelta(hours=deadline) if deadline is not None else None,
                    ticket.id,
                )
            )
        tickets.invalidate_recordset()

    @classmethod
    def _log(cls, tickets, event_type, **vals):
        tickets._log_events(
            [{"ticket_id": t.id, "event_type": event_type, **vals} for t in tickets]
        )

    @classmethod
    def _refresh(cls):
        cls.env["crossdept.analytics.ticket"]._cron_refresh()

    @staticmethod
    def _at(day, hour=9):
        return datetime(2020, 3, day, hour)
