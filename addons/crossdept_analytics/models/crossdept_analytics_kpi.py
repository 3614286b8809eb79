from datetime import timedelta

from babel.dates import format_skeleton
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import babel_locale_parse, format_date

from odoo.addons.crossdept_ticket.tools.duration import (
    format_hours,
    format_number,
    format_percent,
)

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
# the direction health rules watch for anomalies (a falling ticket count is one)
HIGHER_IS_BETTER = {"ticket_count", "on_time_rate", "satisfaction"}
# How the dashboard reads each KPI: its unit, which way is good (None: neither),
# and the smallest absolute change that matters. A change is coloured only when it
# is at least that large AND at least SIGNIFICANT_CHANGE of the previous value:
# on-time 80% -> 82% (+2.5% relative) stays grey, 80% -> 86% turns green.
KPI_META = {
    "ticket_count": {"unit": "count", "better": None, "min_change": 1.0},
    "avg_hours": {"unit": "hours", "better": "lower", "min_change": 1.0},
    "median_hours": {"unit": "hours", "better": "lower", "min_change": 1.0},
    "p90_hours": {"unit": "hours", "better": "lower", "min_change": 2.0},
    "on_time_rate": {"unit": "percent", "better": "higher", "min_change": 2.0},
    "open_overdue": {"unit": "count", "better": "lower", "min_change": 1.0},
    "transfer_rate": {"unit": "percent", "better": "lower", "min_change": 2.0},
    "reopen_rate": {"unit": "percent", "better": "lower", "min_change": 1.0},
    "satisfaction": {"unit": "score", "better": "higher", "min_change": 0.2},
}
SIGNIFICANT_CHANGE = 0.05
# ticket facts a KPI is measured on, beyond the period and the filters: the
# dashboard opens exactly these; rates open them grouped by what they count
KPI_FACT_DOMAIN = {
    "ticket_count": [],
    "avg_hours": [("state", "=", "done")],
    "median_hours": [("state", "=", "done")],
    "p90_hours": [("state", "=", "done")],
    "on_time_rate": [("state", "=", "done")],
    "transfer_rate": [],
    "reopen_rate": [],
    "satisfaction": [("rated", "=", True)],
}
KPI_FACT_GROUP = {
    "on_time_rate": "on_time",
    "transfer_rate": "transferred",
    "reopen_rate": "reopened",
}
DASHBOARD_PERIODS = ["30d", "90d", "6m", "12m", "custom"]
TREND_CHARTS = ["median_hours", "on_time_rate", "transfer_rate"]
# a period up to this many days is charted per week, a longer one per month
WEEKLY_CHART_DAYS = 62
MAX_PERIOD_DAYS = 3 * 366
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
    period, each computed in one SQL query on the ticket facts, and the process
    dashboard: tiles, charts and tables over a period, a department and a flow
    version, each opening exactly the records it counts."""

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
    def _filter_condition(self, filters, alias="a"):
        """The dashboard's department and flow version filters on facts (ticket
        facts: the handling department; step facts and their daily sums: the
        step's department)."""
        filters = filters or {}
        conditions = [
            SQL("%s = %s", SQL.identifier(alias, column), filters[column])
            for column in ("department_id", "flow_id")
            if filters.get(column)
        ]
        return SQL(" AND ").join(conditions) if conditions else SQL("TRUE")

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
            return {
                (index, scope_id or False): value
                for index, scope_id, value in self.env.cr.fetchall()
            }
        values = self._compute_many([kpi], windows, company_ids, where=where, group=group)
        return {key: row[kpi] for key, row in values.items()}

    @api.model
    def _compute_many(self, kpis, windows, company_ids, where=None, group=None):
        """{(window index, group value or False): {kpi: value}} for KPIs of the
        ticket facts over several windows, in one query; a window (or group)
        without tickets has no key."""
        values = SQL(", ").join(
            SQL("(%s, %s::date, %s::date)", index, date_from, date_to)
            for index, (date_from, date_to) in enumerate(windows)
        )
        columns = SQL(", ").join(KPI_SQL[kpi] for kpi in kpis)
        self.env["crossdept.analytics.ticket"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT w.idx, %(group)s, %(columns)s
                  FROM crossdept_analytics_ticket a
                  JOIN (VALUES %(values)s) AS w(idx, date_from, date_to)
                    ON a.date BETWEEN w.date_from AND w.date_to
                 WHERE a.company_id IN %(companies)s
                   AND %(where)s
                 GROUP BY 1, 2
                """,
                group=group or SQL("NULL::integer"),
                columns=columns,
                values=values,
                companies=tuple(company_ids),
                where=where or SQL("TRUE"),
            )
        )
        return {
            (row[0], row[1] or False): dict(zip(kpis, row[2:], strict=True))
            for row in self.env.cr.fetchall()
        }

    @api.model
    def _kpi_label(self, kpi):
        return dict(self._kpi_selection())[kpi]

    @api.model
    def _kpi_selection(self):
        labels = {
            "ticket_count": self.env._("Tickets"),
            "avg_hours": self.env._("Average handling time"),
            "median_hours": self.env._("Median handling time"),
            "p90_hours": self.env._("90th percentile handling time"),
            "on_time_rate": self.env._("On-time rate"),
            "open_overdue": self.env._("Open overdue tickets"),
            "transfer_rate": self.env._("Transfer rate"),
            "reopen_rate": self.env._("Reopen rate"),
            "satisfaction": self.env._("Satisfaction"),
        }
        return [(kpi, labels[kpi]) for kpi in KPIS]

    @api.model
    def _format_kpi(self, kpi, value):
        """A KPI value as text in the reader's language and the KPI's unit ("52.8 h",
        "85.3%", "12"), an en dash when nothing was measured."""
        unit = KPI_META[kpi]["unit"]
        if unit == "hours":
            return format_hours(self.env, value)
        if unit == "percent":
            return format_percent(self.env, value)
        return format_number(self.env, value, digits=0 if unit == "count" else 1)

    @api.model
    def _trend(self, kpi, value, previous):
        """ "good", "bad" or "neutral": the direction of a change, judged by the
        KPI's direction, and only when the change matters (see KPI_META)."""
        meta = KPI_META[kpi]
        if not meta["better"] or value is None or previous is None:
            return "neutral"
        change = value - previous
        if abs(change) < meta["min_change"] or abs(change) < SIGNIFICANT_CHANGE * abs(previous):
            return "neutral"
        return "good" if (change > 0) == (meta["better"] == "higher") else "bad"

    # ------------------------------------------------------------------
    # Dashboard
    # ------------------------------------------------------------------

    @api.model
    def _dashboard_period(self, period="30d", date_from=None, date_to=None):
        """(date_from, date_to) of a dashboard period, both included."""
        today = fields.Date.context_today(self)
        if period == "custom":
            date_from = fields.Date.to_date(date_from)
            date_to = fields.Date.to_date(date_to)
            if not date_from or not date_to:
                raise UserError(self.env._("A custom period needs a start and an end date."))
            if date_from > date_to:
                raise UserError(
                    self.env._(
                        "The period starts on %(start)s, after its end on %(end)s.",
                        start=format_date(self.env, date_from),
                        end=format_date(self.env, date_to),
                    )
                )
            if (date_to - date_from).days >= MAX_PERIOD_DAYS:
                raise UserError(self.env._("A dashboard period lasts at most three years."))
            return date_from, date_to
        if period == "30d":
            return today - timedelta(days=29), today
        if period == "90d":
            return today - timedelta(days=89), today
        if period in ("6m", "12m"):
            months = 6 if period == "6m" else 12
            return today.replace(day=1) - relativedelta(months=months - 1), today
        raise UserError(self.env._("Unknown dashboard period: %(period)s", period=period))

    @api.model
    def _dashboard_filters(self, department_id=False, flow_id=False):
        filters = {"department_id": False, "flow_id": False}
        if department_id:
            filters["department_id"] = self.env["hr.department"].browse(int(department_id)).id
        if flow_id:
            filters["flow_id"] = self.env["crossdept.flow"].browse(int(flow_id)).id
        return filters

    @api.model
    def _chart_windows(self, date_from, date_to):
        """The bars of the period's charts: its weeks (Monday to Sunday) when it is
        short, else its calendar months, each clipped to the period, with a label."""
        windows = []
        weekly = (date_to - date_from).days < WEEKLY_CHART_DAYS
        locale = babel_locale_parse(self.env.lang or "en_US")
        start = date_from
        while start <= date_to:
            # "Nov 4" / "11月4日", "Nov 2026" / "2026年11月"
            if weekly:
                end = start + timedelta(days=6 - start.weekday())
                label = format_skeleton("MMMd", start, locale=locale)
            else:
                end = start.replace(day=1) + relativedelta(months=1, days=-1)
                label = format_skeleton("yMMM", start, locale=locale)
            end = min(end, date_to)
            windows.append((start, end, label))
            start = end + timedelta(days=1)
        return windows

    @api.model
    @api.readonly
    def get_dashboard(
        self, period="30d", date_from=None, date_to=None, department_id=False, flow_id=False
    ):
        """Everything the process dashboard shows, for a period and optionally a
        department and a flow version, in one call."""
        date_from, date_to = self._dashboard_period(period, date_from, date_to)
        filters = self._dashboard_filters(department_id, flow_id)
        return {
            "period": period,
            "date_from": fields.Date.to_string(date_from),
            "date_to": fields.Date.to_string(date_to),
            "period_label": self.env._(
                "%(start)s to %(end)s",
                start=format_date(self.env, date_from),
                end=format_date(self.env, date_to),
            ),
            "filters": filters,
            "options": self._dashboard_options(),
            "tiles": self._dashboard_tiles(date_from, date_to, filters),
            "charts": self._dashboard_charts(date_from, date_to, filters),
            "bottlenecks": self.get_bottlenecks(date_from, date_to, filters=filters),
            "alerts": self._dashboard_alerts(filters),
        }

    @api.model
    def _dashboard_options(self):
        periods = {
            "30d": self.env._("Last 30 days"),
            "90d": self.env._("Last 90 days"),
            "6m": self.env._("Last 6 months"),
            "12m": self.env._("Last 12 months"),
            "custom": self.env._("Custom"),
        }
        departments = self.env["hr.department"].search_read(
            [("company_id", "in", [*self.env.companies.ids, False])], ["display_name"]
        )
        flows = self.env["crossdept.flow"].search_read(
            [("state", "!=", "draft"), ("company_id", "in", [*self.env.companies.ids, False])],
            ["display_name"],
            order="name, version",
        )
        return {
            "periods": [[key, periods[key]] for key in DASHBOARD_PERIODS],
            "departments": [[row["id"], row["display_name"]] for row in departments],
            "flows": [[row["id"], row["display_name"]] for row in flows],
        }

    @api.model
    def _dashboard_tiles(self, date_from, date_to, filters):
        """Each KPI over the period and over the period of the same length just
        before, with the direction of the change; open overdue tickets are counted
        live among the tickets the reader may open."""
        length = (date_to - date_from).days + 1
        windows = [
            (date_from, date_to),
            (date_from - timedelta(days=length), date_from - timedelta(days=1)),
        ]
        kpis = [kpi for kpi in KPIS if kpi in KPI_SQL]
        values = self._compute_many(
            kpis, windows, self.env.companies.ids, where=self._filter_condition(filters)
        )
        tiles = []
        for kpi in KPIS:
            if kpi == "open_overdue":
                value = float(
                    self.env["crossdept.ticket"].search_count(self._overdue_domain(filters))
                )
                previous = None
            else:
                value, previous = (values.get((index, False), {}).get(kpi) for index in (0, 1))
                if kpi == "ticket_count":
                    value, previous = value or 0.0, previous or 0.0
            tiles.append(
                {
                    "kpi": kpi,
                    "label": self._kpi_label(kpi),
                    "unit": KPI_META[kpi]["unit"],
                    "value": value,
                    "previous": previous,
                    "trend": self._trend(kpi, value, previous),
                }
            )
        return tiles

    @api.model
    def _dashboard_charts(self, date_from, date_to, filters):
        """The trend charts (one bar per week or month of the period) and the
        tickets of each department over the period."""
        windows = self._chart_windows(date_from, date_to)
        companies = self.env.companies.ids
        values = self._compute_many(
            TREND_CHARTS,
            [(start, end) for start, end, _label in windows],
            companies,
            where=self._filter_condition(filters),
        )
        charts = []
        for kpi in TREND_CHARTS:
            bars = [
                {
                    "key": fields.Date.to_string(start),
                    "label": label,
                    "value": values.get((index, False), {}).get(kpi),
                    "date_from": fields.Date.to_string(start),
                    "date_to": fields.Date.to_string(end),
                    "department_id": filters["department_id"],
                }
                for index, (start, end, label) in enumerate(windows)
            ]
            charts.append(
                {
                    "kpi": kpi,
                    "label": self._kpi_label(kpi),
                    "unit": KPI_META[kpi]["unit"],
                    "layout": "columns",
                    "bars": bars,
                }
            )
        per_department = self._compute_many(
            ["ticket_count"],
            [(date_from, date_to)],
            companies,
            where=self._filter_condition(filters),
            group=SQL("a.department_id"),
        )
        departments = self.env["hr.department"].browse([key[1] for key in per_department if key[1]])
        names = {department.id: department.display_name for department in departments}
        names[False] = self.env._("No department")
        bars = sorted(
            (
                {
                    "key": str(department_id),
                    "label": names[department_id],
                    "value": row["ticket_count"],
                    "date_from": fields.Date.to_string(date_from),
                    "date_to": fields.Date.to_string(date_to),
                    "department_id": department_id,
                }
                for (_index, department_id), row in per_department.items()
            ),
            key=lambda bar: (-bar["value"], bar["label"]),
        )
        charts.append(
            {
                "kpi": "ticket_count",
                "label": self.env._("Tickets per department"),
                "unit": "count",
                "layout": "rows",
                "bars": bars,
            }
        )
        return charts

    @api.model
    def _dashboard_alerts(self, filters, limit=8):
        Alert = self.env["crossdept.health.alert"]
        domain = self._alert_domain(filters)
        alerts = Alert.search(domain, limit=limit)
        return {
            "count": Alert.search_count(domain),
            "records": [
                {
                    "id": alert.id,
                    "name": alert.name,
                    "description": alert.description,
                    "unit": KPI_META[alert.kpi]["unit"],
                    "value": alert.value,
                    "limit_value": alert.limit_value,
                }
                for alert in alerts
            ],
        }

    # ------------------------------------------------------------------
    # What the dashboard opens
    # ------------------------------------------------------------------

    @api.model
    def _fact_domain(self, date_from, date_to, filters):
        domain = [
            ("company_id", "in", self.env.companies.ids),
            ("date", ">=", fields.Date.to_string(date_from)),
            ("date", "<=", fields.Date.to_string(date_to)),
        ]
        for column in ("department_id", "flow_id"):
            if filters.get(column):
                domain.append((column, "=", filters[column]))
        return domain

    @api.model
    def _overdue_domain(self, filters):
        domain = [
            ("state", "not in", ("done", "cancelled")),
            ("date_deadline", "<", fields.Datetime.to_string(fields.Datetime.now())),
            ("company_id", "in", self.env.companies.ids),
        ]
        if filters.get("department_id"):
            # the handling department, as in the ticket facts
            domain += [
                "|",
                ("assigned_department_id", "=", filters["department_id"]),
                "&",
                ("assigned_department_id", "=", False),
                ("department_id", "=", filters["department_id"]),
            ]
        if filters.get("flow_id"):
            domain.append(("flow_id", "=", filters["flow_id"]))
        return domain

    @api.model
    def _alert_domain(self, filters):
        domain = [("state", "=", "open")]
        for column in ("department_id", "flow_id"):
            if filters.get(column):
                domain.append((column, "=", filters[column]))
        return domain

    @api.model
    def action_open_kpi(self, kpi, date_from, date_to, department_id=False, flow_id=False):
        """The records a tile or a bar counts: the ticket facts of the window the
        KPI is measured on (grouped by what a rate counts), or, for open overdue
        tickets, the live tickets themselves."""
        self._check_kpis([kpi])
        filters = self._dashboard_filters(department_id, flow_id)
        label = self._kpi_label(kpi)
        if kpi == "open_overdue":
            return {
                "type": "ir.actions.act_window",
                "name": label,
                "res_model": "crossdept.ticket",
                "views": [[False, "list"], [False, "form"]],
                "domain": self._overdue_domain(filters),
                "context": {"create": False},
            }
        date_from, date_to = fields.Date.to_date(date_from), fields.Date.to_date(date_to)
        context = {"create": False}
        if kpi in KPI_FACT_GROUP:
            context["group_by"] = [KPI_FACT_GROUP[kpi]]
        return {
            "type": "ir.actions.act_window",
            "name": self.env._(
                "%(kpi)s: %(start)s to %(end)s",
                kpi=label,
                start=format_date(self.env, date_from),
                end=format_date(self.env, date_to),
            ),
            "res_model": "crossdept.analytics.ticket",
            "views": [
                [
                    self.env.ref("crossdept_analytics.crossdept_analytics_ticket_view_list").id,
                    "list",
                ],
                [False, "pivot"],
                [False, "graph"],
            ],
            "domain": self._fact_domain(date_from, date_to, filters) + KPI_FACT_DOMAIN[kpi],
            "context": context,
        }

    @api.model
    def action_open_bottleneck(
        self, flow_step_id, date_from, date_to, department_id=False, flow_id=False
    ):
        """The finished step instances a bottleneck row sums."""
        filters = self._dashboard_filters(department_id, flow_id)
        step = self.env["crossdept.flow.step"].browse(int(flow_step_id))
        date_from, date_to = fields.Date.to_date(date_from), fields.Date.to_date(date_to)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._(
                "%(step)s: %(start)s to %(end)s",
                step=step.name,
                start=format_date(self.env, date_from),
                end=format_date(self.env, date_to),
            ),
            "res_model": "crossdept.analytics.step",
            "views": [
                [self.env.ref("crossdept_analytics.crossdept_analytics_step_view_list").id, "list"],
                [False, "pivot"],
                [False, "graph"],
            ],
            "domain": [
                ("flow_step_id", "=", step.id),
                ("state", "=", "done"),
                *self._fact_domain(date_from, date_to, filters),
            ],
            "context": {"create": False},
        }

    @api.model
    def action_open_alerts(self, department_id=False, flow_id=False):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crossdept_analytics.crossdept_health_alert_action"
        )
        action["domain"] = self._alert_domain(self._dashboard_filters(department_id, flow_id))
        action["context"] = {}
        return action

    @api.model
    @api.readonly
    def get_bottlenecks(self, date_from=None, date_to=None, limit=5, filters=None):
        """The flow steps taking the largest share of the time spent in steps
        (ready to done) of the period, with their average waiting and working hours.

        Read from the daily sums of the finished steps (crossdept.analytics.step.day):
        the same figures as aggregating the step facts of the period, from a few
        rows per day instead of every step instance. ``filters``: the step's
        department and flow version."""
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
                   AND %(filters)s
                 GROUP BY d.flow_step_id
                 ORDER BY sum(d.total_hours) DESC NULLS LAST, d.flow_step_id
                 LIMIT %(limit)s
                """,
                companies=tuple(self.env.companies.ids),
                date_from=date_from,
                date_to=date_to,
                filters=self._filter_condition(filters, "d"),
                limit=limit,
            )
        )
        rows = self.env.cr.fetchall()
        # the flow step's name in the reader's language (instances keep a copy)
        names = {
            step.id: step.name
            for step in self.env["crossdept.flow.step"].browse([row[0] for row in rows])
        }
        return [
            {
                "flow_step_id": step_id,
                "name": names.get(step_id) or name,
                "count": count,
                "waiting_hours": waiting,
                "working_hours": working,
                "share": share,
            }
            for step_id, name, count, waiting, working, share in rows
        ]
