from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# KPI code -> aggregate over crossdept_analytics_ticket
# Rates are percentages of the tickets of the period; handling times are the
# cycle hours of tickets closed in the period.
KPI_SQL = {
    "ticket_count": SQL("count(*)::float"),
    "avg_hours": SQL("avg(a.cycle_hours)"),
    "median_hours": SQL("percentile_cont(0.5) WITHIN GROUP (ORDER BY a.cycle_hours)"),
    "p90_hours": SQL("percentile_cont(0.9) WITHIN GROUP (ORDER BY a.cycle_hours)"),
    "on_time_rate": SQL(
        "100.0 * avg(CASE WHEN a.on_time THEN 1.0 WHEN NOT a.on_time THEN 0.0 END)"
    ),
    "transfer_rate": SQL("100.0 * avg((a.transfer_count > 0)::int)"),
    "reopen_rate": SQL("100.0 * avg((a.reopen_count > 0)::int)"),
    "satisfaction": SQL("avg(a.satisfaction)"),
}
KPIS = [
    "ticket_count",
    "avg_hours",
    "median_hours",
    "p90_hours",
    "on_time_rate",
    "open_overdue",
    "transfer_rate",
    "reopen_rate",
    "satisfaction",
]
# KPI -> column of the monthly KPIs (crossdept.analytics.kpi.month)
MONTHLY_COLUMNS = {
    "ticket_count": "ticket_count",
    "avg_hours": "avg_hours",
    "median_hours": "median_hours",
    "p90_hours": "p90_hours",
    "on_time_rate": "on_time_rate",
    "transfer_rate": "transfer_rate",
    "reopen_rate": "reopen_rate",
    "satisfaction": "satisfaction",
}
HIGHER_IS_BETTER = {"ticket_count", "on_time_rate", "satisfaction"}
# KPI scope -> column of the ticket facts (and of the live ticket table)
SCOPE_COLUMNS = {
    "department": (
        "department_id",
        SQL("COALESCE(t.assigned_department_id, t.department_id)"),
    ),
    "flow": ("flow_id", SQL("t.flow_id")),
    "type": ("type_id", SQL("t.type_id")),
}


class CrossdeptAnalyticsKpi(models.AbstractModel):
    """KPIs of a scope (all, a department, a flow version or a ticket type) over a
    period, each computed in one SQL query on the ticket facts."""

    _name = "crossdept.analytics.kpi"
    _description = "CrossDept KPI Service"

    @api.model
    def _check_kpis(self, kpis):
        unknown = set(kpis) - set(KPIS)
        if unknown:
            raise UserError(self.env._("Unknown KPI: %(kpis)s", kpis=", ".join(sorted(unknown))))

    @api.model
    def _scope_condition(self, scope, scope_id, alias):
        if not scope or scope == "all":
            return SQL("TRUE")
        if scope not in SCOPE_COLUMNS:
            raise UserError(self.env._("Unknown KPI scope: %(scope)s", scope=scope))
        column, live = SCOPE_COLUMNS[scope]
        if not scope_id:
            return SQL("TRUE")
        if alias == "t":
            return SQL("%s = %s", live, scope_id)
        return SQL("%s = %s", SQL.identifier(alias, column), scope_id)

    @api.model
    def compute(
        self, kpis=None, scope="all", scope_id=False, date_from=None, date_to=None, company_ids=None
    ):
        """Return {kpi: value} for the tickets of the scope whose period day is in
        [date_from, date_to] (both included). Open overdue is a live count, not
        bound to the period. Values are None where there is nothing to measure."""
        kpis = list(kpis or KPIS)
        self._check_kpis(kpis)
        date_to = fields.Date.to_date(date_to) or fields.Date.context_today(self)
        date_from = fields.Date.to_date(date_from) or date_to - timedelta(days=29)
        company_ids = company_ids or self.env.companies.ids
        columns = [
            SQL(
                "%s AS %s",
                self._overdue_subquery(scope, scope_id, company_ids),
                SQL.identifier(kpi),
            )
            if kpi == "open_overdue"
            else SQL("%s AS %s", KPI_SQL[kpi], SQL.identifier(kpi))
            for kpi in kpis
        ]
        self.env["crossdept.analytics.ticket"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT %(columns)s
                  FROM crossdept_analytics_ticket a
                 WHERE a.company_id IN %(companies)s
                   AND a.date BETWEEN %(date_from)s AND %(date_to)s
                   AND %(scope)s
                """,
                # the count keeps the query an aggregate even for live KPIs only
                columns=SQL(", ").join([SQL("count(*)"), *columns]),
                companies=tuple(company_ids),
                date_from=date_from,
                date_to=date_to,
                scope=self._scope_condition(scope, scope_id, "a"),
            )
        )
        return dict(zip(kpis, self.env.cr.fetchone()[1:], strict=True))

    @api.model
    def _overdue_subquery(self, scope, scope_id, company_ids):
        return SQL(
            """
            (SELECT count(*)::float
               FROM crossdept_ticket t
              WHERE t.state NOT IN ('done', 'cancelled')
                AND t.active
                AND t.date_deadline < now() AT TIME ZONE 'UTC'
                AND t.company_id IN %s
                AND %s)
            """,
            tuple(company_ids),
            self._scope_condition(scope, scope_id, "t"),
        )

    @api.model
    def compute_windows(self, kpi, scope, windows, company_ids, scope_ids=None):
        """Return {(window index, scope id): value} for one KPI over several
        periods, grouped by the scope's records (False for scope "all"), in one
        query. windows: list of (date_from, date_to), both included."""
        self._check_kpis([kpi])
        if not windows:
            return {}
        group = (
            SQL.identifier("a", SCOPE_COLUMNS[scope][0])
            if scope in SCOPE_COLUMNS
            else SQL("NULL::integer")
        )
        where = SQL("TRUE")
        if scope_ids and scope in SCOPE_COLUMNS:
            where = SQL("%s IN %s", group, tuple(scope_ids))
        if kpi == "open_overdue":
            # a live count: only the current window means something
            live = SCOPE_COLUMNS[scope][1] if scope in SCOPE_COLUMNS else SQL("NULL::integer")
            live_where = (
                SQL("%s IN %s", live, tuple(scope_ids))
                if scope_ids and scope in SCOPE_COLUMNS
                else SQL("TRUE")
            )
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT 0, %(live)s, count(*)::float
                      FROM crossdept_ticket t
                     WHERE t.state NOT IN ('done', 'cancelled')
                       AND t.active
                       AND t.date_deadline < now() AT TIME ZONE 'UTC'
                       AND t.company_id IN %(companies)s
                       AND %(where)s
                     GROUP BY 2
                    """,
                    live=live,
                    companies=tuple(company_ids),
                    where=live_where,
                )
            )
        else:
            values = SQL(", ").join(
                SQL("(%s, %s::date, %s::date)", index, date_from, date_to)
                for index, (date_from, date_to) in enumerate(windows)
            )
            self.env.cr.execute(
                SQL(
                    """
                    SELECT w.idx, %(group)s, %(aggregate)s
                      FROM crossdept_analytics_ticket a
                      JOIN (VALUES %(values)s) AS w(idx, date_from, date_to)
                        ON a.date BETWEEN w.date_from AND w.date_to
                     WHERE a.company_id IN %(companies)s
                       AND %(where)s
                     GROUP BY 1, 2
                    """,
                    group=group,
                    aggregate=KPI_SQL[kpi],
                    values=values,
                    companies=tuple(company_ids),
                    where=where,
                )
            )
        return {
            (index, scope_id or False): value for index, scope_id, value in self.env.cr.fetchall()
        }

    @api.model
    @api.readonly
    def get_dashboard_tile(self, kpi, date_from=None, date_to=None, scope="all", scope_id=False):
        """One dashboard tile: the KPI over the period and over the period before."""
        date_to = fields.Date.to_date(date_to) or fields.Date.context_today(self)
        date_from = fields.Date.to_date(date_from) or date_to - timedelta(days=29)
        length = (date_to - date_from).days + 1
        windows = [
            (date_from, date_to),
            (date_from - timedelta(days=length), date_from - timedelta(days=1)),
        ]
        values = self.compute_windows(
            kpi, scope, windows, self.env.companies.ids, scope_ids=[scope_id] if scope_id else None
        )
        return {
            "kpi": kpi,
            "label": self._kpi_label(kpi),
            "value": values.get((0, scope_id or False)),
            "previous": values.get((1, scope_id or False)),
            "higher_is_better": kpi in HIGHER_IS_BETTER,
        }

    @api.model
    def _kpi_label(self, kpi):
        return dict(self._kpi_selection())[kpi]

    @api.model
    def _kpi_selection(self):
        labels = {
            "ticket_count": self.env._("Tickets"),
            "avg_hours": self.env._("Average handling time (h)"),
            "median_hours": self.env._("Median handling time (h)"),
            "p90_hours": self.env._("90th percentile handling time (h)"),
            "on_time_rate": self.env._("On-time rate (%)"),
            "open_overdue": self.env._("Open overdue tickets"),
            "transfer_rate": self.env._("Transfer rate (%)"),
            "reopen_rate": self.env._("Reopen rate (%)"),
            "satisfaction": self.env._("Satisfaction"),
        }
        return [(kpi, labels[kpi]) for kpi in KPIS]

    @api.model
    @api.readonly
    def get_dashboard_series(self, kpi, months=6, group="month"):
        """Monthly series of a KPI for the dashboard charts (one query)."""
        today = fields.Date.context_today(self)
        first = date(today.year, today.month, 1)
        windows = []
        for _index in range(months):
            last = first + timedelta(days=32)
            last = date(last.year, last.month, 1) - timedelta(days=1)
            windows.insert(0, (first, last))
            first = date((first - timedelta(days=1)).year, (first - timedelta(days=1)).month, 1)
        companies = self.env.companies
        if kpi in MONTHLY_COLUMNS and len(companies) == 1:
            # the monthly KPIs hold every month's exact figures for all tickets
            rows = self.env["crossdept.analytics.kpi.month"].search_read(
                [
                    ("scope", "=", "all"),
                    ("company_id", "=", companies.id),
                    ("month", ">=", windows[0][0]),
                ],
                ["month", MONTHLY_COLUMNS[kpi]],
            )
            by_month = {row["month"]: row[MONTHLY_COLUMNS[kpi]] for row in rows}
            values = {
                (index, False): by_month.get(start) for index, (start, _end) in enumerate(windows)
            }
        else:
            values = self.compute_windows(kpi, "all", windows, companies.ids)
        return {
            "labels": [start.strftime("%Y-%m") for start, _end in windows],
            "values": [values.get((index, False)) for index in range(len(windows))],
            "label": self._kpi_label(kpi),
        }

    @api.model
    @api.readonly
    def get_bottlenecks(self, date_from=None, date_to=None, limit=5):
        """The flow steps taking the largest share of the time spent in steps
        (ready to done) of the period, with their average waiting and working hours.

        Read from the daily sums of the finished steps (crossdept.analytics.step.day):
        the same figures as aggregating the step facts of the period, from a few
        rows per day instead of every step instance."""
        date_to = fields.Date.to_date(date_to) or fields.Date.context_today(self)
        date_from = fields.Date.to_date(date_from) or date_to - timedelta(days=89)
        self.env.cr.execute(
            SQL(
                """
                SELECT d.flow_step_id,
                       min(d.name),
                       sum(d.step_count)::bigint,
                       sum(d.waiting_hours) / NULLIF(sum(d.waiting_count), 0),
                       sum(d.working_hours) / NULLIF(sum(d.working_count), 0),
                       100.0 * sum(d.total_hours) / NULLIF(sum(sum(d.total_hours)) OVER (), 0)
                  FROM crossdept_analytics_step_day d
                 WHERE d.company_id IN %(companies)s
                   AND d.date BETWEEN %(date_from)s AND %(date_to)s
                 GROUP BY d.flow_step_id
                 ORDER BY sum(d.total_hours) DESC NULLS LAST, d.flow_step_id
                 LIMIT %(limit)s
                """,
                companies=tuple(self.env.companies.ids),
                date_from=date_from,
                date_to=date_to,
                limit=limit,
            )
        )
        return [
            {
                "flow_step_id": step_id,
                "name": name,
                "count": count,
                "waiting_hours": waiting,
                "working_hours": working,
                "share": share,
            }
            for step_id, name, count, waiting, working, share in self.env.cr.fetchall()
        ]
