from datetime import datetime, timedelta

from odoo.tools import SQL

from odoo.addons.crossdept_ticket.tests.common_flow import CrossdeptFlowCase


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
