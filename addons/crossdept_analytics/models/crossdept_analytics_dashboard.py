from datetime import timedelta

from babel.dates import format_skeleton
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import babel_locale_parse, format_date

from .crossdept_analytics_kpi import (
    CONFORMANCE,
    DASHBOARD_PERIODS,
    KPI_META,
    KPI_SQL,
    KPIS,
    MAX_PERIOD_DAYS,
    PERCENTILES,
    TREND_CHARTS,
    WEEKLY_CHART_DAYS,
)


class CrossdeptAnalyticsKpi(models.AbstractModel):
    """The process dashboard: its period, filters, tiles, charts and alerts."""

    _inherit = "crossdept.analytics.kpi"

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
        # its queries are short: compiling one (PostgreSQL's JIT, for a query
        # planned as costly, such as the live overdue count under the ticket
        # rules) takes longer than running it; for this transaction only
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        # the tiles and charts from the same rows of the sums, read once
        figures = self._dashboard_figures(date_from, date_to, filters)
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
            "scopes": self._dashboard_scopes(filters),
            "options": self._dashboard_options(),
            "tiles": self._dashboard_tiles(date_from, date_to, filters, figures),
            "charts": self._dashboard_charts(date_from, date_to, filters, figures),
            "bottlenecks": self.get_bottlenecks(date_from, date_to, filters=filters),
            "alerts": self._dashboard_alerts(filters),
        }

    @api.model
    def _dashboard_scopes(self, filters):
        """What "department" means in each block: the tiles and charts count tickets
        in the department handling them, the bottlenecks steps in the department
        working them (on any department's tickets)."""
        department = self.env["hr.department"].browse(filters["department_id"])
        if not department:
            return {
                "tickets": self.env._("Tickets, each in the department handling it"),
                "steps": self.env._("Steps, each in the department working it"),
            }
        return {
            "tickets": self.env._(
                "Tickets handled by %(department)s", department=department.display_name
            ),
            "steps": self.env._(
                "Steps worked by %(department)s, on any department's tickets",
                department=department.display_name,
            ),
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
    def _dashboard_tile_windows(self, date_from, date_to):
        """The period and the period of the same length just before it."""
        length = (date_to - date_from).days + 1
        return [
            (date_from, date_to),
            (date_from - timedelta(days=length), date_from - timedelta(days=1)),
        ]

    @api.model
    def _dashboard_figures(self, date_from, date_to, filters):
        """What the tiles and charts show of the ticket facts, from their daily and
        monthly sums in three queries (see _daily_figures): {"tiles": {(0 for the
        period or 1 for the one before, False): {kpi: value}}, "bars": {(bar
        index, False): {kpi: value}} of the trend charts' bars, "departments":
        {handling department or False: tickets of the period}}."""
        tile_windows = self._dashboard_tile_windows(date_from, date_to)
        bars = [(start, end) for start, end, _label in self._chart_windows(date_from, date_to)]
        kpis = [kpi for kpi in KPIS if kpi in KPI_SQL]
        totals, grouped = self._daily_figures(
            kpis,
            tile_windows + bars,
            self.env.companies.ids,
            filters,
            group="department_id",
            group_kpis=["ticket_count"],
            # the charts show the median only
            percentile_windows={
                kpi: range(len(tile_windows)) for kpi in PERCENTILES if kpi not in TREND_CHARTS
            },
        )
        offset = len(tile_windows)
        return {
            "tiles": {key: row for key, row in totals.items() if key[0] < offset},
            "bars": {
                (index - offset, value): {kpi: row[kpi] for kpi in TREND_CHARTS}
                for (index, value), row in totals.items()
                if index >= offset
            },
            "departments": {
                department_id: row["ticket_count"]
                for (index, department_id), row in grouped.items()
                if index == 0
            },
        }

    @api.model
    def _dashboard_tiles(self, date_from, date_to, filters, figures=None):
        """Each KPI over the period and over the period of the same length just
        before, with the direction of the change, from the daily sums of the
        ticket facts (see _dashboard_figures); open overdue tickets are counted
        live among the tickets the reader may open."""
        figures = figures or self._dashboard_figures(date_from, date_to, filters)
        values = figures["tiles"]
        tiles = []
        # the conformance rate is no tile: it checks every closed ticket's trace in
        # Python, which a page opened many times a day cannot afford on a large
        # history (health rules watch it from their cron; Process > Conformance)
        for kpi in (kpi for kpi in KPIS if kpi != CONFORMANCE):
            if kpi == "open_overdue":
                value = float(self._open_overdue_count(filters))
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
    def _dashboard_charts(self, date_from, date_to, filters, figures=None):
        """The trend charts (one bar per week or month of the period) and the
        tickets of each department over the period (see _dashboard_figures)."""
        figures = figures or self._dashboard_figures(date_from, date_to, filters)
        windows = self._chart_windows(date_from, date_to)
        values = figures["bars"]
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
        per_department = figures["departments"]
        departments = self.env["hr.department"].browse([key for key in per_department if key])
        names = {department.id: department.display_name for department in departments}
        names[False] = self.env._("No department")
        bars = sorted(
            (
                {
                    "key": str(department_id),
                    "label": names[department_id],
                    "value": count,
                    "date_from": fields.Date.to_string(date_from),
                    "date_to": fields.Date.to_string(date_to),
                    "department_id": department_id,
                    # the facts without a department, not all of them
                    "without_department": not department_id,
                }
                for department_id, count in per_department.items()
            ),
            key=lambda bar: (-bar["value"], bar["label"]),
        )
        charts.append(
            {
                "kpi": "ticket_count",
                "label": self.env._("Tickets per handling department"),
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
