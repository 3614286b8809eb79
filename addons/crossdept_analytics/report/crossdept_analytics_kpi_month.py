from odoo import api, fields, models, tools
from odoo.tools import SQL

from .refresh import refresh_materialized_view


class CrossdeptAnalyticsKpiMonth(models.Model):
    """KPIs by month for all tickets, each department, each flow version, each
    ticket type, and each (department, flow, type), over the ticket facts (one
    grouping set per scope). Medians and percentiles are exact per row; the pivot
    averages them when rows are grouped together, so read them per row.

    Materialized and refreshed with the facts: sorting a million tickets for the
    percentiles takes seconds, the pivot reads a few thousand rows instead."""

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
    avg_hours = fields.Float("Average Hours", readonly=True, aggregator="avg")
    median_hours = fields.Float(readonly=True, aggregator="avg")
    p90_hours = fields.Float("90th Percentile Hours", readonly=True, aggregator="avg")
    on_time_rate = fields.Float("On-time Rate (%)", readonly=True, aggregator="avg")
    transfer_rate = fields.Float("Transfer Rate (%)", readonly=True, aggregator="avg")
    reopen_rate = fields.Float("Reopen Rate (%)", readonly=True, aggregator="avg")
    satisfaction = fields.Float(readonly=True, aggregator="avg")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE MATERIALIZED VIEW %s AS (
                    SELECT row_number() OVER (ORDER BY k.month, k.company_id, k.scope,
                                              k.department_id, k.flow_id, k.type_id) AS id,
                           k.*
                      FROM (
                        SELECT date_trunc('month', a.date)::date AS month,
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
                               avg(a.cycle_hours) AS avg_hours,
                               percentile_cont(0.5) WITHIN GROUP (ORDER BY a.cycle_hours)
                                   AS median_hours,
                               percentile_cont(0.9) WITHIN GROUP (ORDER BY a.cycle_hours)
                                   AS p90_hours,
                               100.0 * avg(CASE WHEN a.on_time THEN 1.0
                                                WHEN NOT a.on_time THEN 0.0 END) AS on_time_rate,
                               100.0 * avg((a.transfer_count > 0)::int) AS transfer_rate,
                               100.0 * avg((a.reopen_count > 0)::int) AS reopen_rate,
                               avg(a.satisfaction) AS satisfaction
                          FROM crossdept_analytics_ticket a
                         GROUP BY GROUPING SETS (
                             (1, 2),
                             (1, 2, a.department_id),
                             (1, 2, a.flow_id),
                             (1, 2, a.type_id),
                             (1, 2, a.department_id, a.flow_id, a.type_id)
                         )
                      ) k
                )
                """,
                SQL.identifier(self._table),
            )
        )
        tools.create_unique_index(self.env.cr, f"{self._table}_id_uniq", self._table, ["id"])
        tools.create_index(self.env.cr, f"{self._table}_month_idx", self._table, ["month"])

    @api.model
    def _refresh(self, concurrently=True):
        refresh_materialized_view(self.env, self._table, concurrently)
        self.invalidate_model()
