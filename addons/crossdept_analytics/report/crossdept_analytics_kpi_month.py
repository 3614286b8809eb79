from odoo import api, fields, models, tools
from odoo.tools import SQL, date_utils

from .refresh import create_fact_table, rebuild_fact_table, replace_fact_groups


class CrossdeptAnalyticsKpiMonth(models.Model):
    """KPIs by month for all tickets, each department, each flow version, each
    ticket type, and each (department, flow, type), over the ticket facts (one
    grouping set per scope). Medians and percentiles are exact per row; the pivot
    averages them when rows are grouped together, so read them per row.

    A table refreshed with the facts: sorting a million tickets for the percentiles
    takes seconds, the pivot reads a few thousand rows instead. The incremental
    refresh computes again only the (month, company) groups of the tickets it
    replaced; ids come from a sequence, so they are not the same after a full
    rebuild (nothing refers to them)."""

    _name = "crossdept.analytics.kpi.month"
    _description = "Monthly KPIs"
    _auto = False
    _order = "month desc"

    month = fields.Date(readonly=True)
    scope = fields.Selection(
        [
            ("all", "All tickets"),
            ("department", "Department"),
            ("flow", "Flow version"),
            ("type", "Ticket type"),
            ("detail", "Department, flow and type"),
        ],
        readonly=True,
        help="What a row aggregates: rows of different scopes must not be added up.",
    )
    company_id = fields.Many2one("res.company", readonly=True)
    department_id = fields.Many2one("hr.department", readonly=True)
    flow_id = fields.Many2one("crossdept.flow", "Flow Version", readonly=True)
    type_id = fields.Many2one("crossdept.ticket.type", "Ticket Type", readonly=True)
    ticket_count = fields.Integer("Tickets", readonly=True)
    closed_count = fields.Integer("Closed", readonly=True)
    rated_count = fields.Integer("Rated", readonly=True)
    # the closed tickets' cycle working hours (README, "Durations")
    avg_hours = fields.Float("Average Handling (working h)", readonly=True, aggregator="avg")
    median_hours = fields.Float("Median Handling (working h)", readonly=True, aggregator="avg")
    p90_hours = fields.Float(
        "90th Percentile Handling (working h)", readonly=True, aggregator="avg"
    )
    on_time_rate = fields.Float("On-time Rate (%)", readonly=True, aggregator="avg")
    transfer_rate = fields.Float("Transfer Rate (%)", readonly=True, aggregator="avg")
    reopen_rate = fields.Float("Reopen Rate (%)", readonly=True, aggregator="avg")
    satisfaction = fields.Float(readonly=True, aggregator="avg")

    def _query(self, keys=None):
        """The KPIs; only those of the (month, company) pairs ``keys`` if given."""
        where = SQL()
        if keys is not None:
            # each month's range of days as constants: the index by date reads them
            where = SQL(
                "WHERE %s",
                SQL(" OR ").join(
                    SQL(
                        "(f.company_id = %s AND f.date >= %s AND f.date < %s)",
                        company,
                        month,
                        date_utils.add(month, months=1),
                    )
                    for month, company in sorted(keys)
                ),
            )
        return SQL(
            """
            SELECT nextval(%(sequence)s) AS id, k.*
              FROM (
                SELECT a.month,
                       a.company_id,
                       CASE GROUPING(a.department_id, a.flow_id, a.type_id)
                            WHEN 7 THEN 'all'
                            WHEN 3 THEN 'department'
                            WHEN 5 THEN 'flow'
                            WHEN 6 THEN 'type'
                            ELSE 'detail'
                       END AS scope,
                       a.department_id,
                       a.flow_id,
                       a.type_id,
                       count(*) AS ticket_count,
                       count(a.cycle_hours) AS closed_count,
                       count(a.satisfaction) AS rated_count,
                       -- cycle working hours (README, "Durations")
                       avg(a.cycle_working_hours) AS avg_hours,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY a.cycle_working_float)
                           AS median_hours,
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY a.cycle_working_float)
                           AS p90_hours,
                       100.0 * avg(CASE WHEN a.on_time THEN 1.0
                                        WHEN NOT a.on_time THEN 0.0 END) AS on_time_rate,
                       100.0 * avg((a.transfer_count > 0)::int) AS transfer_rate,
                       100.0 * avg((a.reopen_count > 0)::int) AS reopen_rate,
                       avg(a.satisfaction) AS satisfaction
                  -- the columns read, the month (without time zone) and the hours as
                  -- the percentiles sort them (float8), each computed once per fact
                  -- rather than once per grouping set
                  FROM (
                    SELECT date_trunc('month', f.date::timestamp)::date AS month,
                           f.company_id, f.department_id, f.flow_id, f.type_id,
                           f.cycle_hours, f.cycle_working_hours,
                           f.cycle_working_hours::float8 AS cycle_working_float, f.on_time,
                           f.transfer_count, f.reopen_count, f.satisfaction
                      FROM crossdept_analytics_ticket f
                      %(where)s
                  ) a
                 GROUP BY GROUPING SETS (
                     (1, 2),
                     (1, 2, a.department_id),
                     (1, 2, a.flow_id),
                     (1, 2, a.type_id),
                     (1, 2, a.department_id, a.flow_id, a.type_id)
                 )
                 ORDER BY 1, 2, 3, 4, 5, 6
              ) k
            """,
            sequence=f"{self._table}_id_seq",
            where=where,
        )

    def init(self):
        cr = self.env.cr
        cr.execute(SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(f"{self._table}_id_seq")))
        create_fact_table(cr, self._table, self._query())
        tools.create_unique_index(cr, f"{self._table}_id_uniq", self._table, ["id"])
        tools.create_index(cr, f"{self._table}_month_idx", self._table, ["month", "company_id"])

    @api.model
    def _refresh(self, concurrently=True):
        """Compute every monthly KPI again from the ticket facts."""
        rebuild_fact_table(self.env.cr, self._table, self._query(), concurrently)
        self.invalidate_model()

    @api.model
    def _refresh_groups(self, keys):
        """Compute again the KPIs of the (month, company) pairs ``keys``."""
        replace_fact_groups(
            self.env.cr,
            self._table,
            ("month", "company_id"),
            ("date", "integer"),
            keys,
            self._query(keys),
        )
        self.invalidate_model()
