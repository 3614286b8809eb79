import calendar
from collections import Counter, defaultdict
from datetime import timedelta
from itertools import pairwise

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.query import Query

from odoo.addons.crossdept_ticket.tools.duration import (
    format_hours,
    format_number,
    format_percent,
)

from ..tools.histogram import cycle_bucket, interpolate, percentile_positions

ALL_DEPARTMENTS_GROUP = "crossdept_analytics.group_crossdept_analytics_all"

# KPI code -> aggregate over crossdept_analytics_ticket
# Rates are percentages of the tickets of the period; handling times are the
# cycle working hours of tickets closed in the period (README, "Durations").
KPI_SQL = {
    "ticket_count": SQL("count(*)::float"),
    "avg_hours": SQL("avg(a.cycle_working_hours)"),
    "median_hours": SQL("percentile_cont(0.5) WITHIN GROUP (ORDER BY a.cycle_working_hours)"),
    "p90_hours": SQL("percentile_cont(0.9) WITHIN GROUP (ORDER BY a.cycle_working_hours)"),
    "on_time_rate": SQL(
        "100.0 * avg(CASE WHEN a.on_time THEN 1.0 WHEN NOT a.on_time THEN 0.0 END)"
    ),
    "transfer_rate": SQL("100.0 * avg((a.transfer_count > 0)::int)"),
    "reopen_rate": SQL("100.0 * avg((a.reopen_count > 0)::int)"),
    "satisfaction": SQL("avg(a.satisfaction)"),
    # working hours on the steps' calendars (README, "Durations")
    "handling_hours": SQL("avg(a.handling_hours)"),
    "hold_hours": SQL("avg(a.hold_hours)"),
}
# KPI code -> the same aggregate over the daily sums of the ticket facts
# (crossdept.analytics.ticket.day): sums of counts and of exact sums give the
# same values as the facts (avg() of a numeric is its sum divided by its count;
# 1.0/0.0 and 0/1 averages are counts); the working hours (float) may differ in
# their last bits, summed in another order. The median and the 90th percentile
# come from the histograms (None here, see _compute_many_daily).
KPI_DAILY_SQL = {
    "ticket_count": SQL("sum(g.ticket_count)::float"),
    "avg_hours": SQL("sum(g.cycle_working_hours) / NULLIF(sum(g.cycle_working_count), 0)"),
    "median_hours": None,
    "p90_hours": None,
    "on_time_rate": SQL("100.0 * ((sum(g.on_time_true) + 0.0) / NULLIF(sum(g.on_time_count), 0))"),
    "transfer_rate": SQL("100.0 * (sum(g.transferred_count) / NULLIF(sum(g.ticket_count), 0))"),
    "reopen_rate": SQL("100.0 * (sum(g.reopened_count) / NULLIF(sum(g.ticket_count), 0))"),
    "satisfaction": SQL("sum(g.satisfaction) / NULLIF(sum(g.rated_count), 0)::float8"),
    "handling_hours": SQL("sum(g.handling_hours) / NULLIF(sum(g.handling_count), 0)::float8"),
    "hold_hours": SQL("sum(g.hold_hours) / NULLIF(sum(g.hold_count), 0)::float8"),
}
PERCENTILES = {"median_hours": 0.5, "p90_hours": 0.9}
# computed in Python by the conformance check, not in SQL
CONFORMANCE = "conformance_rate"
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
    "handling_hours",
    "hold_hours",
    CONFORMANCE,
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
HIGHER_IS_BETTER = {"ticket_count", "on_time_rate", "satisfaction", CONFORMANCE}
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
    "handling_hours": {"unit": "hours", "better": "lower", "min_change": 1.0},
    "hold_hours": {"unit": "hours", "better": "lower", "min_change": 1.0},
    CONFORMANCE: {"unit": "percent", "better": "higher", "min_change": 2.0},
}
SIGNIFICANT_CHANGE = 0.05
# ticket facts a KPI is measured on, beyond the period and the filters: the
# filter of the ticket facts' search view the dashboard opens them with (a facet
# the reader sees); rates open them grouped by what they count
KPI_FACT_FILTER = {
    "ticket_count": False,
    "avg_hours": "closed",
    "median_hours": "closed",
    "p90_hours": "closed",
    "on_time_rate": "closed",
    "transfer_rate": False,
    "reopen_rate": False,
    "satisfaction": "rated",
    "handling_hours": "closed",
    "hold_hours": "closed",
    # the conformance check reads the closed tickets that ran a flow
    CONFORMANCE: "closed",
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
    period, each computed in one SQL query on the ticket facts. The process
    dashboard built on them is in crossdept_analytics_dashboard.py, what its tiles,
    bars and rows open in crossdept_analytics_drilldown.py."""

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
    def _rule_condition(self, model, alias):
        """What the record rules of ``model`` let the reader see, as a condition on
        the rows of its table under ``alias``: the raw SQL of the dashboard, the
        reports and the review counts exactly the facts (or tickets) the reader
        may open. A reader without read access to ``model`` is refused."""
        records = self.env[model]
        records.check_access("read")
        if self.env.su:
            return SQL("TRUE")
        # the rules as _apply_ir_rules writes them, on the raw query's alias
        domain = self.env["ir.rule"]._compute_domain(model, "read")
        if not domain:
            return SQL("TRUE")
        query = Query(self.env, alias, SQL.identifier(records._table))
        expression.expression(domain, records.sudo(), alias, query)
        if query._joins:
            # a rule reaching another table through a join: filter by its ids
            return SQL("%s IN %s", SQL.identifier(alias, "id"), records._search([]).subselect())
        return query.where_clause

    @api.model
    def _visible_tickets_condition(self, column):
        """A condition on a column of ticket ids: the tickets the process views
        (variants, rework, ping-pong, bottlenecks) count for the reader. Every
        ticket with "Analytics: all departments", else those the ticket rules let
        the reader open, archived ones included."""
        if self.env.su or self.env.user.has_group(ALL_DEPARTMENTS_GROUP):
            return SQL("TRUE")
        tickets = self.env["crossdept.ticket"].with_context(active_test=False)
        return SQL("%s IN %s", column, tickets._search([]).subselect())

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
        [date_from, date_to] (both included), among those the reader may see (the
        facts' and the tickets' record rules). Open overdue is a live count, not
        bound to the period. Values are None where there is nothing to measure."""
        kpis = list(kpis or KPIS)
        self._check_kpis(kpis)
        date_to = fields.Date.to_date(date_to) or fields.Date.context_today(self)
        date_from = fields.Date.to_date(date_from) or date_to - timedelta(days=29)
        company_ids = company_ids or self.env.companies.ids
        if CONFORMANCE in kpis:
            sql_kpis = [kpi for kpi in kpis if kpi != CONFORMANCE]
            values = (
                self.compute(sql_kpis, scope, scope_id, date_from, date_to, company_ids)
                if sql_kpis
                else {}
            )
            rates = self._conformance_windows(
                scope, [(date_from, date_to)], company_ids, [scope_id] if scope_id else None
            )
            values[CONFORMANCE] = rates.get((0, scope_id or False))
            return {kpi: values[kpi] for kpi in kpis}
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
                   AND %(rules)s
                """,
                # the count keeps the query an aggregate even for live KPIs only
                columns=SQL(", ").join([SQL("count(*)"), *columns]),
                companies=tuple(company_ids),
                date_from=date_from,
                date_to=date_to,
                scope=self._scope_condition(scope, scope_id, "a"),
                rules=self._rule_condition("crossdept.analytics.ticket", "a"),
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
                AND %s
                AND %s)
            """,
            tuple(company_ids),
            self._scope_condition(scope, scope_id, "t"),
            # the tickets the reader may open, as the dashboard's live count
            self._rule_condition("crossdept.ticket", "t"),
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
                       AND %(rules)s
                     GROUP BY 2
                    """,
                    live=live,
                    companies=tuple(company_ids),
                    where=live_where,
                    rules=self._rule_condition("crossdept.ticket", "t"),
                )
            )
            return {
                (index, scope_id or False): value
                for index, scope_id, value in self.env.cr.fetchall()
            }
        if kpi == CONFORMANCE:
            return self._conformance_windows(scope, windows, company_ids, scope_ids)
        values = self._compute_many([kpi], windows, company_ids, where=where, group=group)
        return {key: row[kpi] for key, row in values.items()}

    @api.model
    def _conformance_windows(self, scope, windows, company_ids, scope_ids=None, filters=None):
        """{(window index, scope id or False): conformance rate in %} of the tickets
        closed in each window (the day of their closing, as the ticket facts date
        them) that ran a flow, grouped by the scope's records; a window or scope
        without such tickets has no key. The check is the one of Analytics >
        Process > Conformance, read as the current user (record rules apply)."""
        Ticket = self.env["crossdept.ticket"]
        column = SCOPE_COLUMNS[scope][0] if scope in SCOPE_COLUMNS else None
        base = [
            ("company_id", "in", list(company_ids)),
            ("state", "=", "done"),
            ("flow_id", "!=", False),
        ]
        for field, value in (filters or {}).items():
            if value and field == "department_id":
                base += self._department_domain(value)
            elif value:
                base.append((field, "=", value))
        result = {}
        for index, (date_from, date_to) in enumerate(windows):
            domain = [
                *base,
                ("date_closed", ">=", fields.Datetime.to_datetime(date_from)),
                ("date_closed", "<", fields.Datetime.to_datetime(date_to + timedelta(days=1))),
            ]
            tickets = Ticket.search_fetch(
                domain, ["department_id", "assigned_department_id", "flow_id", "type_id"]
            )
            if not tickets:
                continue
            deviating = set(
                self.env["crossdept.process.conformance"]._check([("id", "in", tickets.ids)])[
                    "steps"
                ]
            )
            counts = {}
            for ticket in tickets:
                if column == "department_id":
                    key = (ticket.assigned_department_id or ticket.department_id).id
                elif column:
                    key = ticket[column].id
                else:
                    key = False
                if scope_ids and key not in scope_ids:
                    continue
                total, good = counts.get(key, (0, 0))
                counts[key] = (total + 1, good + (ticket.id not in deviating))
            for key, (total, good) in counts.items():
                result[(index, key or False)] = 100.0 * good / total
        return result

    @api.model
    def _department_domain(self, department_id):
        """Tickets handled by the department (assigned, else requesting)."""
        return [
            "|",
            ("assigned_department_id", "=", department_id),
            "&",
            ("assigned_department_id", "=", False),
            ("department_id", "=", department_id),
        ]

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
                   AND %(rules)s
                 GROUP BY 1, 2
                """,
                group=group or SQL("NULL::integer"),
                columns=columns,
                values=values,
                companies=tuple(company_ids),
                where=where or SQL("TRUE"),
                # the facts the reader may read: their departments' (record rules)
                rules=self._rule_condition("crossdept.analytics.ticket", "a"),
            )
        )
        return {
            (row[0], row[1] or False): dict(zip(kpis, row[2:], strict=True))
            for row in self.env.cr.fetchall()
        }

    @api.model
    def _compute_many_daily(self, kpis, windows, company_ids, filters=None, group=None):
        """As _compute_many (the same values), from the daily and monthly sums of
        the ticket facts (crossdept.analytics.ticket.day) instead of every fact: a
        window reads the month rows of its whole months and the day rows of its
        other days. ``filters``: the dashboard's department and flow version;
        ``group``: a column of the sums (the handling department) or None."""
        totals, grouped = self._daily_figures(kpis, windows, company_ids, filters, group)
        return grouped if group else totals

    @api.model
    def _daily_figures(
        self,
        kpis,
        windows,
        company_ids,
        filters=None,
        group=None,
        group_kpis=None,
        percentile_windows=None,
    ):
        """(totals, grouped) of the KPIs ``kpis`` over each window, from the daily
        and monthly sums of the ticket facts, in three queries whatever the windows
        (the sums, then the percentiles' histograms and slices): totals {(window
        index, False): {kpi: value}}, and with ``group`` (a column of the sums)
        grouped {(window index, group value or False): {kpi: value}} of
        ``group_kpis`` (default: ``kpis``), from the same rows. A window (or
        group) without tickets has no key. ``percentile_windows``: {percentile KPI:
        indexes of the windows it is wanted for} (default: every window; None for
        the others)."""
        group_kpis = list(kpis if group_kpis is None else group_kpis) if group else []
        if not windows:
            return {}, {}
        # the sums of the ticket facts are for those who may read the facts (and
        # the percentiles read some facts): their rules, and their refusal first
        fact_rules = self._rule_condition("crossdept.analytics.ticket", "a")
        Days = self.env["crossdept.analytics.ticket.day"]
        Days.flush_model()
        self.env["crossdept.analytics.ticket"].flush_model()
        where = SQL(
            """
               g.company_id IN %(companies)s
               AND %(filters)s
               AND %(rules)s
            """,
            companies=tuple(company_ids),
            filters=self._filter_condition(filters, "g"),
            # the sums the reader may read: their departments' (record rules)
            rules=self._rule_condition(Days._name, "g"),
        )
        sums = [kpi for kpi in dict.fromkeys([*kpis, *group_kpis]) if KPI_DAILY_SQL[kpi]]
        column = SQL.identifier("g", group) if group else SQL("NULL::integer")
        spans, span_rows = self._daily_spans(windows)
        self.env.cr.execute(
            SQL(
                """
                SELECT w.idx, %(is_grouped)s, %(column)s, %(sums)s
                  FROM crossdept_analytics_ticket_day g
                  JOIN (VALUES %(spans)s) AS w(idx, kind, date_from, date_to)
                    ON g.kind = w.kind AND g.date BETWEEN w.date_from AND w.date_to
                 WHERE %(where)s AND %(span_rows)s
                 GROUP BY %(grouping)s
                """,
                is_grouped=SQL("GROUPING(%s) = 0", column) if group else SQL("FALSE"),
                column=column,
                sums=SQL(", ").join([SQL("count(*)"), *(KPI_DAILY_SQL[kpi] for kpi in sums)]),
                spans=spans,
                span_rows=span_rows,
                where=where,
                # the totals and, with a group, its groups: one reading of the rows
                grouping=(
                    SQL("GROUPING SETS ((w.idx), (w.idx, %s))", column) if group else SQL("w.idx")
                ),
            )
        )
        totals, grouped = {}, {}
        for index, is_grouped, value, _count, *values in self.env.cr.fetchall():
            row = dict(zip(sums, values, strict=True))
            if is_grouped:
                grouped[(index, value or False)] = {kpi: row.get(kpi) for kpi in group_kpis}
            else:
                totals[(index, False)] = {kpi: row.get(kpi) for kpi in kpis}
        for result, result_kpis, result_group in (
            (totals, kpis, None),
            (grouped, group_kpis, group),
        ):
            wanted = [
                (index, kpi)
                for kpi in result_kpis
                if kpi in PERCENTILES
                for index in (percentile_windows or {}).get(kpi, range(len(windows)))
            ]
            if wanted and result:
                for key, values in self._daily_percentiles(
                    wanted, windows, where, result_group, filters, company_ids, fact_rules
                ).items():
                    result[key].update(values)
        return totals, grouped

    @api.model
    def _windows_values(self, windows):
        return SQL(", ").join(
            SQL("(%s, %s::date, %s::date)", index, date_from, date_to)
            for index, (date_from, date_to) in enumerate(windows)
        )

    @api.model
    def _daily_spans(self, windows):
        """(VALUES (window index, kind, first day, last day), condition on alias g)
        of the rows of the daily and monthly sums that make up each window: a month
        row for each of its whole months (read by the day it is dated, the month's
        first), the day rows of its other days, a range in each month."""
        spans = []
        for index, (date_from, date_to) in enumerate(windows):
            start = date_from
            while start <= date_to:
                # the month's last day (faster than relativedelta(day=31): 14 windows
                # of 12 months in 0.4 ms instead of 1.0)
                month_end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
                if start.day == 1 and month_end <= date_to:
                    spans.append((index, "month", start, start))
                else:
                    spans.append((index, "day", start, min(month_end, date_to)))
                start = month_end + timedelta(days=1)
        # the same rows as a condition the index of the sums by day serves: the
        # months' first days and the other days' ranges, not every row between
        months = sorted({first for _index, kind, first, _last in spans if kind == "month"})
        ranges = []
        days = sorted((first, last) for _index, kind, first, last in spans if kind == "day")
        for first, last in days:
            if ranges and first <= ranges[-1][1] + timedelta(days=1):
                ranges[-1][1] = max(ranges[-1][1], last)
            else:
                ranges.append([first, last])
        rows = [SQL("g.kind = 'month' AND g.date = ANY(%s::date[])", months)] if months else []
        rows += [SQL("g.kind = 'day' AND g.date BETWEEN %s AND %s", *span) for span in ranges]
        return (
            SQL(", ").join(
                SQL("(%s, %s, %s::date, %s::date)", index, kind, first, last)
                for index, kind, first, last in spans
            ),
            # no rows for a period that ends before it starts
            SQL("(%s)", SQL(" OR ").join(rows)) if rows else SQL("FALSE"),
        )

    @api.model
    def _daily_percentiles(self, wanted, windows, where, group, filters, company_ids, fact_rules):
        """{(window index, group value or False): {kpi: value}} of the percentiles
        ``wanted`` [(window index, kpi)], exactly as percentile_cont gives them over
        the facts, in two queries: the histograms of the cycle working hours
        (tools/histogram.py) of each piece of the windows that want one (the
        periods between their bounds, each unnested once however many windows
        hold it), summed in Python into each window's histogram; its cumulative
        counts tell the bucket of each value a percentile is made of and the
        value's rank there; those values alone are then read from the bucket's
        facts (index by bucket and day of the ticket facts), one sorted slice per
        bucket."""
        day = timedelta(days=1)
        indexes = sorted({index for index, _kpi in wanted})
        bounds = sorted(
            {day_ for index in indexes for day_ in (windows[index][0], windows[index][1] + day)}
        )
        pieces = [
            (start, end - day)
            for start, end in pairwise(bounds)
            if any(
                windows[index][0] <= start and end - day <= windows[index][1] for index in indexes
            )
        ]
        piece_spans, piece_rows = self._daily_spans(pieces)
        # group values as integers, 0 for none
        column = SQL("COALESCE(%s, 0)", SQL.identifier("g", group)) if group else SQL("0")
        self.env.cr.execute(
            SQL(
                """
                SELECT h.piece, h.value, h.bucket, sum(h.n)::bigint
                  FROM (
                    -- both arrays in step in the select list: streamed, about
                    -- twice as fast as unnest(a, b) in FROM (a tuple store per row)
                    SELECT p.idx AS piece, %(column)s AS value,
                           unnest(g.cycle_working_buckets) AS bucket,
                           unnest(g.cycle_working_counts) AS n
                      FROM crossdept_analytics_ticket_day g
                      JOIN (VALUES %(pieces)s) AS p(idx, kind, date_from, date_to)
                        ON g.kind = p.kind AND g.date BETWEEN p.date_from AND p.date_to
                     WHERE %(where)s AND %(piece_rows)s
                  ) h
                 GROUP BY 1, 2, 3
                """,
                column=column,
                pieces=piece_spans,
                piece_rows=piece_rows,
                where=where,
            )
        )
        piece_histograms = defaultdict(dict)  # (piece, value) -> {bucket: count}
        for piece, value, bucket, count in self.env.cr.fetchall():
            piece_histograms[piece, value][bucket] = count
        values = sorted({value for _piece, value in piece_histograms})
        kpis = defaultdict(list)  # window index -> percentile KPIs wanted
        for index, kpi in wanted:
            kpis[index].append(kpi)
        # (index, value) -> (total, {rank: (bucket, offset in the bucket)})
        located = {}
        # (index, value, bucket) -> [first, last offset]: the slice of the bucket to read
        slices = {}
        for index in indexes:
            date_from, date_to = windows[index]
            members = [
                piece
                for piece, (start, end) in enumerate(pieces)
                if date_from <= start and end <= date_to
            ]
            for value in values:
                # the window's histogram: the sum of its pieces' (a bar's: its piece's)
                parts = [
                    piece_histograms[piece, value]
                    for piece in members
                    if (piece, value) in piece_histograms
                ]
                if len(parts) == 1:
                    histogram = parts[0]
                else:
                    histogram = Counter()
                    for part in parts:
                        histogram.update(part)
                total = sum(histogram.values())
                if not total:
                    continue
                # percentile_cont's two neighbouring ranks (from 0) of each KPI, each
                # in the bucket where the cumulative counts pass it
                pending = sorted(
                    {
                        rank
                        for kpi in kpis[index]
                        for rank in percentile_positions(total, PERCENTILES[kpi])[1:]
                    }
                )
                ranks = {}
                upto = 0
                for bucket in sorted(histogram):
                    upto += histogram[bucket]
                    while pending and pending[0] < upto:
                        offset = pending[0] - (upto - histogram[bucket])
                        ranks[pending.pop(0)] = (bucket, offset)
                        span = slices.setdefault((index, value, bucket), [offset, offset])
                        span[1] = offset
                    if not pending:
                        break
                located[index, value] = (total, ranks)
        if not slices:
            return {}
        grouped = (
            SQL("COALESCE(%s, 0) = k.value", SQL.identifier("a", group)) if group else SQL("TRUE")
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT k.idx, k.value, k.bucket,
                       ARRAY(
                           SELECT a.cycle_working_hours::float8
                             FROM crossdept_analytics_ticket a
                            WHERE %(bucket)s = k.bucket
                              AND a.date BETWEEN k.date_from AND k.date_to
                              AND %(grouped)s
                              AND a.company_id IN %(companies)s
                              AND %(filters)s
                              AND %(rules)s
                            -- as percentile_cont sorts them: as float8 (faster
                            -- than comparing the numerics)
                            ORDER BY 1
                           OFFSET k.first
                            LIMIT k.last - k.first + 1
                       )
                  FROM (VALUES %(slices)s)
                       AS k(idx, value, bucket, first, last, date_from, date_to)
                """,
                bucket=cycle_bucket(SQL.identifier("a", "cycle_working_hours")),
                grouped=grouped,
                companies=tuple(company_ids),
                filters=self._filter_condition(filters, "a"),
                rules=fact_rules,
                slices=SQL(", ").join(
                    SQL(
                        "(%s, %s, %s, %s, %s, %s::date, %s::date)",
                        *key,
                        first,
                        last,
                        *windows[key[0]],
                    )
                    for key, (first, last) in slices.items()
                ),
            )
        )
        hours = {
            (index, value, bucket): row for index, value, bucket, row in self.env.cr.fetchall()
        }
        result = {}
        for (index, value), (total, ranks) in located.items():

            def value_at(rank, index=index, value=value, ranks=ranks):
                bucket, offset = ranks[rank]
                return hours[index, value, bucket][offset - slices[index, value, bucket][0]]

            for kpi in kpis[index]:
                position, first, second = percentile_positions(total, PERCENTILES[kpi])
                result.setdefault((index, value or False), {})[kpi] = interpolate(
                    value_at(first),
                    value_at(second) if second != first else None,
                    position,
                    first,
                )
        return result

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
            "handling_hours": self.env._("Handling working hours"),
            "hold_hours": self.env._("On-hold working hours"),
            CONFORMANCE: self.env._("Conformance rate"),
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
