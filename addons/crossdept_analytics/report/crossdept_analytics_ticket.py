import logging

from psycopg2 import errors

from odoo import api, fields, models, tools
from odoo.tools import SQL, str2bool

from odoo.addons.crossdept_ticket.models.crossdept_ticket import PRIORITIES, STATES

from ..tools.durations import ticket_cycle_query
from ..tools.histogram import cycle_bucket
from .refresh import (
    STATE_TABLE,
    create_fact_table,
    create_state_table,
    rebuild_fact_table,
    replace_fact_rows,
    timed,
)

_logger = logging.getLogger(__name__)

# A ticket written by a transaction open for longer than this before an incremental
# refresh read the log may be seen only by the full rebuild (see _since_bound).
SINCE_MARGIN = "10 minutes"


# every table of facts, in the order a full rebuild fills them (each from those
# before it): the repair path and the background rebuild job both follow it
FACT_MODELS = (
    "crossdept.analytics.step",
    "crossdept.analytics.step.day",
    "crossdept.analytics.ticket",
    "crossdept.analytics.ticket.day",
    "crossdept.analytics.kpi.month",
)


class CrossdeptAnalyticsTicket(models.Model):
    """One row per ticket: cycle time, punctuality, transfers, skipped steps,
    reopenings and the customer's satisfaction.

    * cycle hours: clock hours (elapsed time) from creation to closing, for done
      tickets only;
    * cycle working hours: for done tickets, the handling working hours along the
      critical path of their steps (tools/durations.py, README "Durations"): what
      the handling-time KPIs and the pilots read;
    * on time: a done ticket closed at or before its deadline; without a deadline,
      one whose done steps all finished within their SLA;
    * reopen count: state events leaving "done";
    * handling and on-hold hours: for done tickets, the sums of the working hours
      its finished steps of the current run took (crossdept.analytics.step);
    * satisfaction: the last rating the customer gave on the ticket (the core's
      rating mixin: consumed ``rating.rating`` rows of the ticket, 0 = no rating).

    A table like ``crossdept.analytics.step`` (same reason, same cron). This model
    also runs the refreshes of every table of facts: ``_refresh_incremental`` (the
    cron) and ``_refresh_full`` (the repair path).
    """

    _name = "crossdept.analytics.ticket"
    _description = "Ticket Analysis"
    _inherit = ["crossdept.analytics.period.mixin"]
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "name"

    ticket_id = fields.Many2one("crossdept.ticket", readonly=True)
    name = fields.Char("Number", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    department_id = fields.Many2one(
        "hr.department",
        readonly=True,
        help="The department handling the ticket (assigned, else requesting).",
    )
    requesting_department_id = fields.Many2one("hr.department", readonly=True)
    user_id = fields.Many2one("res.users", "Assigned to", readonly=True)
    type_id = fields.Many2one("crossdept.ticket.type", "Ticket Type", readonly=True)
    flow_id = fields.Many2one("crossdept.flow", "Flow Version", readonly=True)
    flow_code = fields.Char("Flow", readonly=True)
    priority = fields.Selection(PRIORITIES, readonly=True)
    state = fields.Selection(STATES, readonly=True)
    date = fields.Date(
        "Period", readonly=True, help="Day the ticket was closed (or created, if still open)."
    )
    date_open = fields.Datetime("Created on", readonly=True)
    date_closed = fields.Datetime("Closed on", readonly=True)
    date_deadline = fields.Datetime("Deadline", readonly=True)
    cycle_hours = fields.Float(
        "Cycle (clock h)",
        readonly=True,
        aggregator="avg",
        help="Done tickets: the elapsed clock hours from creation to closing.",
    )
    cycle_working_hours = fields.Float(
        "Cycle (working h)",
        readonly=True,
        aggregator="avg",
        help="Done tickets: the handling working hours along the critical path of their "
        "steps, each on its own calendar, on hold left out (see the Durations of the "
        "analytics README).",
    )
    cycle_measured = fields.Boolean(
        "Working Hours",
        readonly=True,
        help="Every finished step of the ticket was measured in working hours (else "
        "unmeasured steps, or a ticket without steps, count clock hours).",
    )
    on_time = fields.Boolean(readonly=True)
    step_count = fields.Integer("Steps", readonly=True)
    skipped_count = fields.Integer("Skipped Steps", readonly=True)
    transfer_count = fields.Integer("Transfers", readonly=True)
    escalation_count = fields.Integer("Escalations", readonly=True)
    reopen_count = fields.Integer("Reopenings", readonly=True)
    transferred = fields.Boolean(readonly=True, help="Transferred at least once.")
    reopened = fields.Boolean(readonly=True, help="Reopened at least once.")
    satisfaction = fields.Float(readonly=True, aggregator="avg")
    rated = fields.Boolean(readonly=True, help="The customer rated the ticket.")
    handling_hours = fields.Float(
        "Handling (working h)",
        readonly=True,
        aggregator="avg",
        help="Done tickets: the working hours their finished steps were handled, on hold left out.",
    )
    hold_hours = fields.Float(
        "On Hold (working h)",
        readonly=True,
        aggregator="avg",
        help="Done tickets: the working hours their finished steps were on hold.",
    )

    def _query(self, ticket_ids=None):
        """The facts; only those of ``ticket_ids`` if given."""
        ids = list(ticket_ids) if ticket_ids is not None else None
        return SQL(
            """
            WITH ev AS (
                SELECT ticket_id,
                       count(*) FILTER (WHERE event_type = 'transfer') AS transfer_count,
                       count(*) FILTER (WHERE event_type = 'escalation') AS escalation_count,
                       count(*) FILTER (WHERE event_type = 'state' AND from_state = 'done')
                           AS reopen_count
                  FROM crossdept_ticket_event
                 WHERE event_type IN ('transfer', 'escalation', 'state') %(events)s
                 GROUP BY ticket_id
            ), st AS (
                SELECT ticket_id,
                       count(*) AS step_count,
                       count(*) FILTER (WHERE state = 'skipped') AS skipped_count,
                       bool_and(date_deadline IS NULL OR date_done <= date_deadline)
                           FILTER (WHERE state = 'done') AS steps_on_time,
                       sum(handling_hours) FILTER (
                           WHERE state = 'done' AND date_measured IS NOT NULL
                       ) AS handling_hours,
                       sum(hold_hours) FILTER (
                           WHERE state = 'done' AND date_measured IS NOT NULL
                       ) AS hold_hours
                  FROM crossdept_ticket_step
                 -- the steps of the current run: a rerun's archived steps once only
                 WHERE active %(steps)s
                 GROUP BY ticket_id
            ), rt AS (
                SELECT DISTINCT ON (res_id) res_id AS ticket_id, rating
                  FROM rating_rating
                 WHERE res_model = 'crossdept.ticket' AND consumed AND rating > 0 %(ratings)s
                 ORDER BY res_id, write_date DESC, id DESC
            )
            SELECT t.id,
                   t.id AS ticket_id,
                   t.name,
                   t.company_id,
                   COALESCE(t.assigned_department_id, t.department_id) AS department_id,
                   t.department_id AS requesting_department_id,
                   t.user_id,
                   t.type_id,
                   t.flow_id,
                   f.code AS flow_code,
                   t.priority,
                   t.state,
                   COALESCE(t.date_closed, t.create_date)::date AS date,
                   t.create_date AS date_open,
                   t.date_closed,
                   t.date_deadline,
                   CASE WHEN t.state = 'done'
                        THEN EXTRACT(EPOCH FROM t.date_closed - t.create_date) / 3600.0
                   END AS cycle_hours,
                   CASE WHEN t.state = 'done' THEN
                        CASE WHEN t.date_deadline IS NOT NULL
                             THEN t.date_closed <= t.date_deadline
                             ELSE COALESCE(st.steps_on_time, TRUE)
                        END
                   END AS on_time,
                   COALESCE(st.step_count, 0) AS step_count,
                   COALESCE(st.skipped_count, 0) AS skipped_count,
                   COALESCE(ev.transfer_count, 0) AS transfer_count,
                   COALESCE(ev.escalation_count, 0) AS escalation_count,
                   COALESCE(ev.reopen_count, 0) AS reopen_count,
                   COALESCE(ev.transfer_count, 0) > 0 AS transferred,
                   COALESCE(ev.reopen_count, 0) > 0 AS reopened,
                   rt.rating::float AS satisfaction,
                   rt.rating IS NOT NULL AS rated,
                   CASE WHEN t.state = 'done' THEN st.handling_hours END AS handling_hours,
                   CASE WHEN t.state = 'done' THEN st.hold_hours END AS hold_hours,
                   CASE WHEN t.state = 'done'
                        THEN COALESCE(cy.hours,
                                      EXTRACT(EPOCH FROM t.date_closed - t.create_date) / 3600.0)
                   END AS cycle_working_hours,
                   CASE WHEN t.state = 'done' THEN COALESCE(cy.measured, FALSE)
                   END AS cycle_measured
              FROM crossdept_ticket t
         LEFT JOIN crossdept_flow f ON f.id = t.flow_id
         LEFT JOIN ev ON ev.ticket_id = t.id
         LEFT JOIN st ON st.ticket_id = t.id
         LEFT JOIN rt ON rt.ticket_id = t.id
         LEFT JOIN (%(cycle)s) AS cy(ticket_id, hours, measured) ON cy.ticket_id = t.id
             WHERE TRUE %(tickets)s
             -- stored in period order (column "date"): a period's rows share pages
             ORDER BY 13
            """,
            events=SQL("AND ticket_id = ANY(%s)", ids) if ids is not None else SQL(),
            steps=SQL("AND ticket_id = ANY(%s)", ids) if ids is not None else SQL(),
            ratings=SQL("AND res_id = ANY(%s)", ids) if ids is not None else SQL(),
            tickets=SQL("AND t.id = ANY(%s)", ids) if ids is not None else SQL(),
            cycle=ticket_cycle_query(
                SQL("t.id = ANY(%s)", ids) if ids is not None else SQL("TRUE")
            ),
        )

    def init(self):
        cr = self.env.cr
        create_fact_table(cr, self._table, self._query())
        tools.create_unique_index(cr, f"{self._table}_id_uniq", self._table, ["id"])
        tools.create_index(cr, f"{self._table}_date_idx", self._table, ["date"])
        # the dashboard's medians and percentiles read the facts of one bucket of
        # the cycle hours' histograms (tools/histogram.py), from the index only
        cr.execute(
            SQL(
                """CREATE INDEX IF NOT EXISTS %s ON %s (%s, date)
                   INCLUDE (company_id, department_id, requesting_department_id, flow_id,
                            cycle_working_hours)""",
                SQL.identifier(f"{self._table}_cycle_working_bucket_idx"),
                SQL.identifier(self._table),
                cycle_bucket(SQL.identifier("cycle_working_hours")),
            )
        )
        # the record rules read the handling and the requesting department
        for field in ("department_id", "requesting_department_id", "flow_id", "type_id"):
            tools.create_index(cr, f"{self._table}_{field}_date_idx", self._table, [field, "date"])
        # the incremental refresh finds the tickets and steps written since its last run
        for table in ("crossdept_ticket", "crossdept_ticket_step"):
            tools.create_index(cr, f"{table}_write_date_idx", table, ["write_date"])
        # the tables are full now (the step facts and their daily sums were made just
        # before, in the same transaction; the monthly KPIs come next)
        create_state_table(cr)
        self._mark_refreshed()

    @api.model
    def _refresh(self, concurrently=True):
        """Rebuild every ticket fact; concurrently keeps the old ones readable meanwhile."""
        self.env.flush_all()
        rebuild_fact_table(self.env.cr, self._table, self._query(), concurrently)
        self.invalidate_model()

    @api.model
    def _refresh_tickets(self, ticket_ids, kept=None):
        """Replace the facts of ``ticket_ids`` (their daily and monthly sums follow
        them: crossdept.analytics.ticket.day ``_follow_facts``)."""
        replace_fact_rows(
            self.env.cr,
            self._table,
            SQL("id = ANY(%s)", list(ticket_ids)),
            self._query(ticket_ids),
            kept,
        )
        self.invalidate_model()

    @api.model
    def _cron_refresh(self):
        """The scheduled refresh of the facts: incremental (see _refresh_incremental)."""
        self._refresh_incremental()

    @api.model
    def _refresh_full(self):
        """The repair path: rebuild the step facts, their daily sums, the ticket
        facts, their daily and monthly sums and the monthly KPIs whole, and move
        every company's watermark.

        Concurrently by default: readers keep the old facts until the commit, but at
        5 million steps it takes several times as long. Setting
        ``crossdept_analytics.refresh_concurrently`` to ``False`` truncates the
        tables instead, faster, while the analytics screens wait for the commit."""
        # a technical setting the repair only reads
        concurrently = str2bool(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crossdept_analytics.refresh_concurrently", "True")
        )
        companies = self._all_companies()
        self._lock_watermarks(companies, wait=True)
        for model in FACT_MODELS:
            self.env[model]._refresh(concurrently)
        self._mark_refreshed(companies)

    @api.model
    def _refresh_incremental(self, companies=None):
        """Apply to the facts what happened since the last refresh, per company:
        the tickets that have an event past the company's watermark (an event id),
        or that were written, or one of whose steps was written, since the time
        recorded with it (not every change logs an event: a deadline, a priority,
        the working hours measured on a step, a rating), lose their facts and get
        them again from the same SELECTs as the full rebuild, restricted to them;
        the daily step sums and the tickets' daily and monthly sums follow the
        facts that changed (added the new facts' sums where a group only gained
        facts, computed again where one lost or changed: see the ``_follow_facts``
        of crossdept.analytics.step.day and crossdept.analytics.ticket.day), and
        the monthly KPIs of the (month, company) pairs of the changed ticket facts
        are computed again (medians and percentiles need every fact of the month).
        All in the current transaction: readers see the old facts or the new,
        never half of them.

        Two refreshes of a company at once: the second finds the company's
        watermark locked, leaves that company to the first and logs it. Returns the
        number of tickets refreshed (None when another refresh holds the lock)."""
        self.env.flush_all()
        cr = self.env.cr
        watermarks = self._lock_watermarks(companies or self._all_companies(), wait=False)
        if not watermarks:
            return None
        cr.execute(SQL("SELECT COALESCE(max(id), 0) FROM crossdept_ticket_event"))
        last_event = cr.fetchone()[0]
        since = self._since_bound()
        # each company's bounds as constants, so that PostgreSQL plans the short
        # index scans past them (as parameters of a join it hashed every ticket)
        parts = [
            SQL(
                """
                SELECT e.ticket_id FROM crossdept_ticket_event e
                 WHERE e.id > %(event)s AND e.company_id = %(company)s
                 UNION
                SELECT t.id FROM crossdept_ticket t
                 WHERE t.write_date >= %(since)s AND t.company_id = %(company)s
                 UNION
                SELECT s.ticket_id FROM crossdept_ticket_step s
                 WHERE s.write_date >= %(since)s AND s.company_id = %(company)s
                """,
                company=company_id,
                event=event_id,
                since=date_since,
            )
            for company_id, (event_id, date_since) in watermarks.items()
        ]
        # no ticket is ever deleted (crossdept.ticket refuses it but for the module's
        # uninstallation), so the facts are not compared with the tickets on every
        # run: a million-row anti-join; a full rebuild repairs rows removed in SQL
        with timed("tickets to refresh"):
            cr.execute(SQL(" UNION ").join(parts))
            ticket_ids = sorted(row[0] for row in cr.fetchall())
        if ticket_ids:
            with self.env["crossdept.analytics.step.day"]._follow_facts() as kept:
                with timed(f"step facts of {len(ticket_ids)} tickets"):
                    self.env["crossdept.analytics.step"]._refresh_tickets(ticket_ids, kept)
            with self.env["crossdept.analytics.ticket.day"]._follow_facts() as kept:
                with timed("ticket facts"):
                    self._refresh_tickets(ticket_ids, kept)
            with timed(f"monthly KPIs of {len(kept.months)} (month, company) pairs"):
                self.env["crossdept.analytics.kpi.month"]._refresh_groups(kept.months)
        self._mark_refreshed(self.env["res.company"].browse(watermarks), last_event, since)
        return len(ticket_ids)

    # ------------------------------------------------------------------
    # Watermarks
    # ------------------------------------------------------------------

    @api.model
    def _all_companies(self):
        # the facts cover every company, whichever user or cron runs the refresh
        return self.env["res.company"].sudo().with_context(active_test=False).search([])

    @api.model
    def _lock_watermarks(self, companies, wait):
        """Lock the watermarks of ``companies`` (made first for a company without
        one: from the start of its log) for the transaction; return the bounds the
        lock read, ``{company id: (event id, date since)}``, or {} when another
        refresh holds one of them and ``wait`` is False (or moved one since this
        transaction began)."""
        cr = self.env.cr
        query = SQL(
            """
            -- (no ON CONFLICT: it would wait for a refresh holding the row)
            INSERT INTO %(state)s (company_id, event_id, date_since)
            SELECT c.id, 0, '1970-01-01'
              FROM res_company c
             WHERE c.id = ANY(%(companies)s)
               AND NOT EXISTS (SELECT FROM %(state)s w WHERE w.company_id = c.id);
            SELECT company_id, event_id, date_since
              FROM %(state)s
             WHERE company_id = ANY(%(companies)s)
             ORDER BY company_id
               FOR NO KEY UPDATE %(nowait)s
            """,
            state=SQL.identifier(STATE_TABLE),
            companies=companies.ids,
            nowait=SQL() if wait else SQL("NOWAIT"),
        )
        if wait:
            cr.execute(query)
            rows = cr.fetchall()
        else:
            try:
                with cr.savepoint(flush=False):
                    cr.execute(query, log_exceptions=False)
                    # read before the savepoint's release
                    rows = cr.fetchall()
            except (errors.LockNotAvailable, errors.SerializationFailure):
                _logger.info(
                    "Analytics facts: another refresh is applying the events of companies %s",
                    companies.ids,
                )
                return {}
        return {company_id: (event_id, since) for company_id, event_id, since in rows}

    @api.model
    def _since_bound(self):
        """The time from which the next refresh looks for written tickets and steps.
        A write this transaction cannot see was made by a transaction still open
        (its writes are dated when it began) or one that began after this one: so,
        the start of the oldest transaction open on the database now, or of this
        one, less a margin for a transaction that ended between this one's start
        and this query.

        The same bound covers an event this transaction cannot see although its id
        is below the last one it sees (ids are given at insert, not at commit):
        every event that changes a fact (a state, a step done or returned, a
        transfer, an escalation) is logged with a write of its ticket or step."""
        self.env.cr.execute(
            SQL(
                """
                SELECT LEAST(now() AT TIME ZONE 'UTC',
                             min(xact_start) AT TIME ZONE 'UTC') - %s::interval
                  FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                """,
                SINCE_MARGIN,
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _mark_refreshed(self, companies=None, last_event=None, since=None):
        """Record that the facts of ``companies`` (all) hold every event up to
        ``last_event`` (the last one) and every write since ``since`` (now)."""
        cr = self.env.cr
        if last_event is None:
            cr.execute(SQL("SELECT COALESCE(max(id), 0) FROM crossdept_ticket_event"))
            last_event = cr.fetchone()[0]
        since = since or self._since_bound()
        cr.execute(
            SQL(
                """
                INSERT INTO %s (company_id, event_id, date_since)
                SELECT id, %s, %s FROM res_company WHERE id = ANY(%s)
                    ON CONFLICT (company_id)
                    DO UPDATE SET event_id = EXCLUDED.event_id, date_since = EXCLUDED.date_since
                """,
                SQL.identifier(STATE_TABLE),
                last_event,
                since,
                (companies or self._all_companies()).ids,
            )
        )
