from contextlib import contextmanager

from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..tools.histogram import cycle_bucket
from .refresh import (
    KeptFacts,
    added_columns,
    create_fact_table,
    group_condition,
    rebuild_fact_table,
    refresh_work_mem,
    replace_fact_groups,
    replace_fact_rows,
    same_group,
    timed,
)

# the histogram of the cycle working hours, the table's last columns
HISTOGRAM_COLUMNS = ("cycle_working_buckets", "cycle_working_counts")
# the columns a row is grouped by beside its kind (the first two never empty)
GROUP = ("date", "company_id")
GROUP_NULLABLE = ("department_id", "requesting_department_id", "flow_id")
# what the sums (and the monthly KPIs, crossdept.analytics.kpi.month) read of a
# ticket fact; transfers and reopenings only as "at least one"
FACT_COLUMNS = (
    "date",
    "company_id",
    "department_id",
    "requesting_department_id",
    "flow_id",
    "type_id",
    "cycle_hours",
    "cycle_working_hours",
    "on_time",
    "transfer_count",
    "reopen_count",
    "satisfaction",
    "handling_hours",
    "hold_hours",
)


class CrossdeptAnalyticsTicketDay(models.Model):
    """The ticket facts summed per day (``kind`` day) and per month (``kind``
    month), company, handling and requesting department (whose facts these are,
    as the record rules read them) and flow version (the dashboard's filters):
    what the dashboard's tiles and charts are made of, from a few thousand rows a
    year instead of every ticket fact.

    Beside the fields, the table holds (read by SQL only, see
    crossdept.analytics.kpi ``_compute_many_daily``): the row's month
    (``month``, ``month_end``), the counts and exact sums
    of the averaged KPIs (``cycle_working_count``/``cycle_working_hours`` for the
    handling time, ``closed_count``/``cycle_hours`` for its clock hours,
    ``on_time_count``/``on_time_true``, ``transferred_count``, ``reopened_count``,
    ``rated_count``/``satisfaction``, and the working hours beside the clock ones:
    ``handling_count``/``handling_hours``, ``hold_count``/``hold_hours``), and the
    histogram of the cycle working hours (``cycle_working_buckets``,
    ``cycle_working_counts``, see
    tools/histogram.py) for the median and the 90th percentile.

    A period reads the month rows of its whole months and the day rows of the
    others. Refreshed with the ticket facts: whole, or only the (day, company)
    groups of the tickets an incremental refresh replaced, then their months
    from their days. Ids come from a sequence (nothing refers to them)."""

    _name = "crossdept.analytics.ticket.day"
    _description = "Tickets per Day"
    _auto = False
    _order = "date desc, id desc"

    kind = fields.Selection([("day", "Day"), ("month", "Month")], readonly=True)
    date = fields.Date(readonly=True, help="The day, or the first day of the month.")
    date_end = fields.Date("Last Day", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    department_id = fields.Many2one(
        "hr.department",
        readonly=True,
        help="The department handling the tickets (assigned, else requesting).",
    )
    requesting_department_id = fields.Many2one("hr.department", readonly=True)
    flow_id = fields.Many2one("crossdept.flow", "Flow Version", readonly=True)
    ticket_count = fields.Integer("Tickets", readonly=True)

    def _query_days(self, keys=None, facts=None, kind="day"):
        """The day rows; only those of the (date, company) pairs ``keys`` if given,
        or those of ``facts`` (SQL: a FROM clause whose rows, named ``a``, have the
        FACT_COLUMNS) instead of the ticket facts; the month rows of ``facts`` if
        ``kind`` is "month" (the sums a refresh adds to them). Counts of each
        histogram bucket first, then one row per group with its buckets as two
        arrays; sums stay numeric (as the facts' cycle hours are)."""
        where = SQL()
        if keys is not None:
            days = [day for day, _company in keys]
            # the range as constants: an index scan of those days, not of every fact
            where = SQL(
                "AND a.date BETWEEN %s AND %s AND %s",
                min(days, default=None),
                max(days, default=None),
                group_condition([SQL("a.date"), SQL("a.company_id")], ("date", "integer"), keys),
            )
        return SQL(
            """
            SELECT nextval(%(sequence)s) AS id, %(kind)s::varchar AS kind, k.date,
                   %(date_end)s AS date_end, date_trunc('month', k.date)::date AS month,
                   (date_trunc('month', k.date) + interval '1 month - 1 day')::date
                       AS month_end,
                   k.company_id, k.department_id,
                   k.requesting_department_id, k.flow_id, %(columns)s
              FROM (
                SELECT b.date, b.company_id, b.department_id, b.requesting_department_id,
                       b.flow_id,
                       %(sums)s,
                       %(histogram)s
                  FROM (
                    SELECT %(date)s AS date, a.company_id, a.department_id,
                           a.requesting_department_id, a.flow_id, %(bucket)s AS bucket,
                           count(*) AS ticket_count,
                           count(a.cycle_hours) AS closed_count,
                           sum(a.cycle_hours) AS cycle_hours,
                           count(a.cycle_working_hours) AS cycle_working_count,
                           sum(a.cycle_working_hours) AS cycle_working_hours,
                           count(a.on_time) AS on_time_count,
                           count(*) FILTER (WHERE a.on_time) AS on_time_true,
                           count(*) FILTER (WHERE a.transfer_count > 0) AS transferred_count,
                           count(*) FILTER (WHERE a.reopen_count > 0) AS reopened_count,
                           count(a.satisfaction) AS rated_count,
                           sum(a.satisfaction) AS satisfaction,
                           count(a.handling_hours) AS handling_count,
                           sum(a.handling_hours) AS handling_hours,
                           count(a.hold_hours) AS hold_count,
                           sum(a.hold_hours) AS hold_hours
                      FROM %(facts)s
                     GROUP BY 1, 2, 3, 4, 5, 6
                  ) b
                 GROUP BY 1, 2, 3, 4, 5
                 ORDER BY 1, 2, 3, 4, 5
              ) k
            """,
            sequence=f"{self._table}_id_seq",
            columns=self._columns("k"),
            sums=self._sums("b"),
            histogram=self._histogram("b", "cycle_working_count"),
            bucket=cycle_bucket(SQL("a.cycle_working_hours")),
            kind=kind,
            date=SQL("a.date") if kind == "day" else SQL("date_trunc('month', a.date)::date"),
            date_end=SQL("k.date")
            if kind == "day"
            else SQL("(k.date + interval '1 month - 1 day')::date"),
            facts=facts or SQL("crossdept_analytics_ticket a WHERE TRUE %s", where),
        )

    def _query_months(self, keys=None):
        """The month rows, from the day rows of the table (already refreshed);
        only those of the groups ``keys`` if given: (month, company, department,
        requesting department, flow version), 0 for none."""
        where = SQL()
        if keys is not None:
            where = SQL("AND %s", self._month_condition("d", keys))
        return SQL(
            """
            SELECT nextval(%(sequence)s) AS id, 'month'::varchar AS kind, k.date,
                   (k.date + interval '1 month - 1 day')::date AS date_end, k.date AS month,
                   (k.date + interval '1 month - 1 day')::date AS month_end, k.company_id,
                   k.department_id, k.requesting_department_id, k.flow_id, %(columns)s
              FROM (
                SELECT b.date, b.company_id, b.department_id, b.requesting_department_id,
                       b.flow_id,
                       %(sums)s,
                       %(histogram)s
                  FROM (
                    -- the days' sums (no bucket), then their buckets' counts
                    SELECT date_trunc('month', d.date)::date AS date, d.company_id,
                           d.department_id, d.requesting_department_id, d.flow_id,
                           NULL::integer AS bucket, NULL::bigint AS bucket_count,
                           %(day_sums)s
                      FROM %(table)s d
                     WHERE d.kind = 'day' %(where)s
                     GROUP BY 1, 2, 3, 4, 5
                     UNION ALL
                    SELECT date_trunc('month', d.date)::date, d.company_id,
                           d.department_id, d.requesting_department_id, d.flow_id,
                           h.bucket, sum(h.n)::bigint, %(no_sums)s
                      FROM %(table)s d,
                           unnest(d.cycle_working_buckets, d.cycle_working_counts) h(bucket, n)
                     WHERE d.kind = 'day' %(where)s
                     GROUP BY 1, 2, 3, 4, 5, 6
                  ) b
                 GROUP BY 1, 2, 3, 4, 5
                 ORDER BY 1, 2, 3, 4, 5
              ) k
            """,
            sequence=f"{self._table}_id_seq",
            table=SQL.identifier(self._table),
            columns=self._columns("k"),
            sums=self._sums("b"),
            histogram=self._histogram("b", "bucket_count"),
            day_sums=self._sums("d"),
            no_sums=SQL(", ").join(
                SQL("NULL::%s", SQL(type_)) for _column, type_ in self._sum_columns()
            ),
            where=where,
        )

    @api.model
    def _sum_columns(self):
        """(column, SQL type) of the counts and sums, in the table's order."""
        return [
            ("ticket_count", "bigint"),
            ("closed_count", "bigint"),
            ("cycle_hours", "numeric"),
            ("cycle_working_count", "bigint"),
            ("cycle_working_hours", "numeric"),
            ("on_time_count", "bigint"),
            ("on_time_true", "bigint"),
            ("transferred_count", "bigint"),
            ("reopened_count", "bigint"),
            ("rated_count", "bigint"),
            ("satisfaction", "float8"),
            ("handling_count", "bigint"),
            ("handling_hours", "float8"),
            ("hold_count", "bigint"),
            ("hold_hours", "float8"),
        ]

    @api.model
    def _columns(self, alias):
        """The counts and sums, then the histogram's two arrays, of ``alias``: the
        table's columns after the group's."""
        columns = [column for column, _type in self._sum_columns()] + list(HISTOGRAM_COLUMNS)
        return SQL(", ").join(SQL.identifier(alias, column) for column in columns)

    @api.model
    def _histogram(self, alias, count_column):
        """The histogram of the cycle working hours of a group of rows of ``alias``
        (one per bucket, its count in ``count_column``): its buckets and their
        counts as two arrays in the buckets' order, empty if no row has a bucket."""
        buckets, counts = (SQL.identifier(column) for column in HISTOGRAM_COLUMNS)
        bucket = SQL.identifier(alias, "bucket")
        return SQL(
            """
            COALESCE(array_agg(%(bucket)s ORDER BY %(bucket)s)
                         FILTER (WHERE %(bucket)s IS NOT NULL), '{}') AS %(buckets)s,
            COALESCE(array_agg(%(count)s::integer ORDER BY %(bucket)s)
                         FILTER (WHERE %(bucket)s IS NOT NULL), '{}') AS %(counts)s
            """,
            bucket=bucket,
            count=SQL.identifier(alias, count_column),
            buckets=buckets,
            counts=counts,
        )

    @api.model
    def _sums(self, alias):
        return SQL(", ").join(
            SQL(
                "sum(%s)::%s AS %s",
                SQL.identifier(alias, column),
                SQL(type_),
                SQL.identifier(column),
            )
            for column, type_ in self._sum_columns()
        )

    def init(self):
        cr = self.env.cr
        cr.execute(SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(f"{self._table}_id_seq")))
        create_fact_table(cr, self._table, self._query_days())
        cr.execute(SQL("INSERT INTO %s (%s)", SQL.identifier(self._table), self._query_months()))
        tools.create_unique_index(cr, f"{self._table}_id_uniq", self._table, ["id"])
        tools.create_index(cr, f"{self._table}_date_idx", self._table, ["date", "company_id"])

    @api.model
    def _refresh(self, concurrently=True):
        """Compute every row again from the ticket facts."""
        cr = self.env.cr
        rebuild_fact_table(cr, self._table, self._query_days(), concurrently)
        cr.execute(SQL("INSERT INTO %s (%s)", SQL.identifier(self._table), self._query_months()))
        self.invalidate_model()

    @api.model
    def _month_condition(self, alias, keys):
        """SQL: the rows of ``alias`` in the month groups ``keys`` (as _query_months);
        the range of their months as constants, for the index by date."""
        months = [key[0] for key in keys]
        return SQL(
            "%s BETWEEN %s AND (%s::date + interval '1 month - 1 day')::date AND %s",
            SQL.identifier(alias, "date"),
            min(months, default=None),
            max(months, default=None),
            self._groups_condition(alias, keys),
        )

    @api.model
    def _groups_condition(self, alias, keys):
        return group_condition(
            [
                SQL("date_trunc('month', %s)::date", SQL.identifier(alias, "date")),
                SQL.identifier(alias, "company_id"),
            ]
            + [SQL("COALESCE(%s, 0)", SQL.identifier(alias, column)) for column in GROUP_NULLABLE],
            ("date", "integer", "integer", "integer", "integer"),
            keys,
        )

    @api.model
    @contextmanager
    def _follow_facts(self):
        """Keep the sums right while the facts of some tickets are replaced inside
        the ``with`` block, by crossdept.analytics.ticket ``_refresh_tickets`` given
        the yielded :class:`KeptFacts` (as crossdept.analytics.step.day
        ``_follow_facts`` does for the step facts): on the way out, the day rows of
        the (day, company) pairs that lost or changed a fact (a ticket closed,
        reopened or cancelled since) are computed again from the facts; those that
        only gained facts have the new facts' counts, sums and histogram added; the
        month rows likewise: summed again from their day rows (31 at most each)
        for the groups that lost a fact, added to for the others. The (month,
        company) pairs of the changed facts are added to ``kept.months``: the
        monthly KPIs to compute again."""
        cr = self.env.cr
        kept = KeptFacts(
            cr,
            "crossdept_analytics_ticket_day_facts",
            "crossdept_analytics_ticket",
            FACT_COLUMNS,
            SQL(", ").join(
                # a second transfer or reopening changes no sum
                SQL("LEAST(%s, 1) AS %s", SQL.identifier("f", column), SQL.identifier(column))
                if column in ("transfer_count", "reopen_count")
                else SQL.identifier("f", column)
                for column in FACT_COLUMNS
            ),
            SQL("TRUE"),
        )
        kept.months = set()
        yield kept
        with timed("ticket sums: the ticket facts changed"):
            added, removed = kept.changed_rows()
        with timed("ticket sums: groups of the changed facts"):
            cr.execute(
                SQL(
                    """SELECT DISTINCT f.removed, f.date, date_trunc('month', f.date)::date,
                              f.company_id, COALESCE(f.department_id, 0),
                              COALESCE(f.requesting_department_id, 0), COALESCE(f.flow_id, 0)
                         FROM (SELECT TRUE AS removed, * FROM (%s) r
                               UNION ALL
                               SELECT FALSE, * FROM (%s) a) f""",
                    removed,
                    added,
                )
            )
            changed = cr.fetchall()
        recomputed = {(row[1], row[3]) for row in changed if row[0]}
        with timed(f"daily ticket sums: {len(recomputed)} days that lost facts"):
            replace_fact_groups(
                cr,
                self._table,
                ("kind", "date", "company_id"),
                ("varchar", "date", "integer"),
                [("day", date, company) for date, company in recomputed],
                self._query_days(recomputed),
            )
        with timed("daily ticket sums: the new facts added"):
            self._add_days(
                SQL(
                    "(%s) a WHERE NOT %s",
                    added,
                    group_condition(
                        [SQL("a.date"), SQL("a.company_id")], ("date", "integer"), recomputed
                    ),
                )
            )
        # the month rows: summed again from the day rows where a group lost facts,
        # else added the new facts' sums as the day rows were
        groups = {row[2:] for row in changed}
        lost = {row[2:] for row in changed if row[0]}
        if lost:
            with timed(f"monthly ticket sums: {len(lost)} groups that lost facts"):
                replace_fact_rows(
                    cr,
                    self._table,
                    SQL("kind = 'month' AND %s", self._month_condition(self._table, lost)),
                    self._query_months(lost),
                )
        with timed("monthly ticket sums: the new facts added"):
            self._add_days(
                SQL("(%s) a WHERE NOT %s", added, self._groups_condition("a", lost)), "month"
            )
        kept.drop()
        self.invalidate_model()
        kept.months.update((month, company) for month, company, *_group in groups)

    @api.model
    def _add_days(self, facts, kind="day"):
        """Add to the rows of ``kind`` (day or month) those of ``facts`` (SQL, as
        ``_query_days`` reads them): rows of the same group get the counts, sums and
        histogram counts added, the others are inserted."""
        table = SQL.identifier(self._table)
        columns = SQL(
            """id, kind, date, date_end, month, month_end, company_id, department_id,
               requesting_department_id, flow_id, %s, cycle_working_buckets,
               cycle_working_counts""",
            SQL(", ").join(SQL.identifier(column) for column, _type in self._sum_columns()),
        )
        counts = [column for column, type_ in self._sum_columns() if type_ == "bigint"]
        sums = [column for column, type_ in self._sum_columns() if type_ != "bigint"]
        with refresh_work_mem(self.env.cr, jit=False):
            self.env.cr.execute(
                SQL(
                    """
                    WITH d AS (
                        SELECT row_number() OVER () AS n, k.* FROM (%(days)s) k
                    ), updated AS (
                        UPDATE %(table)s t
                           SET %(added)s,
                               (cycle_working_buckets, cycle_working_counts) = (
                                   SELECT COALESCE(array_agg(h.bucket ORDER BY h.bucket), '{}'),
                                          COALESCE(array_agg(h.n::integer ORDER BY h.bucket), '{}')
                                     FROM (SELECT u.bucket, sum(u.n) AS n
                                             FROM (SELECT * FROM unnest(t.cycle_working_buckets,
                                                                        t.cycle_working_counts)
                                                   UNION ALL
                                                   SELECT * FROM unnest(d.cycle_working_buckets,
                                                                        d.cycle_working_counts)
                                                  ) u(bucket, n)
                                            GROUP BY u.bucket) h
                               )
                          FROM d
                         WHERE t.kind = %(kind)s AND %(same)s
                     RETURNING d.n
                    )
                    INSERT INTO %(table)s (%(columns)s)
                    SELECT %(columns)s FROM d WHERE d.n NOT IN (SELECT n FROM updated)
                    """,
                    days=self._query_days(facts=facts, kind=kind),
                    table=table,
                    added=added_columns("t", "d", counts, sums),
                    same=same_group("t", "d", GROUP, GROUP_NULLABLE),
                    kind=kind,
                    columns=columns,
                )
            )
