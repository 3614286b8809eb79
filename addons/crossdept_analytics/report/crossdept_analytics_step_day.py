from contextlib import contextmanager

from odoo import api, fields, models, tools
from odoo.tools import SQL

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

# the columns a row of daily sums is grouped by (the first three never empty), its
# counts and its sums
GROUP = ("date", "company_id", "flow_step_id")
GROUP_NULLABLE = ("flow_id", "department_id", "ticket_department_id", "requesting_department_id")
COUNTS = ("step_count", "waiting_count", "working_count", "measured_count")
SUMS = (
    "waiting_hours",
    "working_hours",
    "total_hours",
    "handling_hours",
    "hold_hours",
    "handling_time",
)
# the counts and sums in the table's order (as _sum_rows selects them)
COLUMNS = (
    "step_count",
    "waiting_count",
    "waiting_hours",
    "working_count",
    "working_hours",
    "total_hours",
    "measured_count",
    "handling_hours",
    "hold_hours",
    "handling_time",
)
# what the sums read of a step fact (the finished steps of the current run only)
FACT_COLUMNS = (
    GROUP
    + GROUP_NULLABLE
    + (
        "id",
        "name",
        "waiting_hours",
        "working_hours",
        "total_hours",
        "handling_hours",
        "hold_hours",
    )
)


class CrossdeptAnalyticsStepDay(models.Model):
    """The finished step instances (of the current run) summed per day (``kind``
    day) and per month (``kind`` month, dated the month's first day), company, flow
    step, the step's department and its ticket's departments (whose facts these
    are, as the record rules read them): the sums and counts the averages and
    shares of the bottleneck tile are made of; a period reads the month rows of
    its whole months and the day rows of its other days (as the ticket sums,
    crossdept.analytics.ticket.day). A day row's id is the smallest id of its
    facts, a month row's the same of its facts, negated (unique beside the day
    rows').

    A table over the step facts, refreshed right after them: whole, or only the
    (day, flow step) groups of the steps an incremental refresh replaced. At 5 million
    step instances, 90 days are a few thousand rows here instead of 1.5 million
    step facts (see bench/bench_analytics.py)."""

    _name = "crossdept.analytics.step.day"
    _description = "Finished Steps per Day"
    _auto = False
    _order = "date desc, id desc"

    kind = fields.Selection([("day", "Day"), ("month", "Month")], readonly=True)
    date = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    flow_step_id = fields.Many2one("crossdept.flow.step", "Step", readonly=True)
    flow_id = fields.Many2one("crossdept.flow", "Flow Version", readonly=True)
    department_id = fields.Many2one(
        "hr.department", readonly=True, help="The department of the steps."
    )
    ticket_department_id = fields.Many2one(
        "hr.department",
        "Ticket's Department",
        readonly=True,
        help="The department handling the steps' tickets (assigned, else requesting).",
    )
    requesting_department_id = fields.Many2one(
        "hr.department", "Ticket's Requesting Department", readonly=True
    )
    name = fields.Char("Step Name", readonly=True, translate=True)
    step_count = fields.Integer("Steps", readonly=True)
    waiting_count = fields.Integer("Steps with Waiting Time", readonly=True)
    waiting_hours = fields.Float("Waiting Hours (sum)", readonly=True)
    working_count = fields.Integer("Steps with Working Time", readonly=True)
    working_hours = fields.Float("Working Hours (sum)", readonly=True)
    total_hours = fields.Float("Step Hours (sum)", readonly=True)
    measured_count = fields.Integer("Steps with Working Hours", readonly=True)
    handling_hours = fields.Float("Handling Working Hours (sum)", readonly=True)
    hold_hours = fields.Float("On Hold Working Hours (sum)", readonly=True)
    handling_time = fields.Float(
        "Handling Time (sum)",
        readonly=True,
        help="Working hours handled, on hold left out; clock hours for the steps the "
        "engine did not measure (what the bottleneck share is made of).",
    )

    def _query(self, keys=None):
        """The day rows; only those of the (date, flow step) pairs ``keys`` if given."""
        where = SQL()
        if keys is not None:
            # the days and the flow steps also as lists of values: PostgreSQL reads
            # the pairs' facts by the (flow step, date) index with estimates of its
            # own, instead of merging every fact of the table by date (5 million)
            where = SQL(
                "AND %s AND s.flow_step_id = ANY(%s) AND s.date = ANY(%s::date[])",
                group_condition([SQL("s.date"), SQL("s.flow_step_id")], ("date", "integer"), keys),
                sorted({flow_step for _date, flow_step in keys}),
                sorted({date for date, _flow_step in keys}),
            )
        # a rerun's archived steps are not counted a second time
        return self._sum_rows(
            SQL("crossdept_analytics_step s WHERE s.state = 'done' AND s.active %s", where)
        )

    @api.model
    def _query_months(self, keys=None):
        """The month rows, from the day rows of the table (already refreshed); only
        those of the (month, flow step) pairs ``keys`` if given."""
        where = SQL()
        if keys is not None:
            months = [month for month, _flow_step in keys]
            where = SQL(
                "AND d.date BETWEEN %s AND (%s::date + interval '1 month - 1 day')::date AND %s",
                min(months, default=None),
                max(months, default=None),
                self._months_condition("d", keys),
            )
        return SQL(
            """
            SELECT -min(d.id) AS id, 'month'::varchar AS kind,
                   date_trunc('month', d.date)::date AS date, d.company_id, d.flow_step_id,
                   d.flow_id, d.department_id, d.ticket_department_id,
                   d.requesting_department_id, (array_agg(d.name ORDER BY d.id))[1] AS name,
                   %(sums)s
              FROM %(table)s d
             WHERE d.kind = 'day' %(where)s
             GROUP BY 3, 4, 5, 6, 7, 8, 9
             ORDER BY 3
            """,
            # the types of the day rows' (the floating-point hours stay float8)
            sums=SQL(", ").join(
                SQL(
                    "sum(%s)::%s AS %s",
                    SQL.identifier("d", column),
                    SQL(
                        "bigint"
                        if column in COUNTS
                        else "float8"
                        if column in ("handling_hours", "hold_hours")
                        else "numeric"
                    ),
                    SQL.identifier(column),
                )
                for column in COLUMNS
            ),
            table=SQL.identifier(self._table),
            where=where,
        )

    @api.model
    def _months_condition(self, alias, keys):
        """SQL: the rows of ``alias`` in the (month, flow step) pairs ``keys``."""
        return group_condition(
            [
                SQL("date_trunc('month', %s)::date", SQL.identifier(alias, "date")),
                SQL.identifier(alias, "flow_step_id"),
            ],
            ("date", "integer"),
            keys,
        )

    @api.model
    def _sum_rows(self, facts, kind="day"):
        """The day rows (or with ``kind`` month, the month rows) of ``facts`` (SQL:
        a FROM clause whose rows, named ``s``, have the FACT_COLUMNS of the finished
        steps of the current run)."""
        # sums stay numeric (as the facts' hours are): no rounding on the way
        return SQL(
            """
            SELECT %(id)s AS id,
                   %(kind)s::varchar AS kind,
                   %(date)s AS date,
                   s.company_id,
                   s.flow_step_id,
                   s.flow_id,
                   s.department_id,
                   s.ticket_department_id,
                   s.requesting_department_id,
                   (array_agg(s.name))[1] AS name,
                   count(*) AS step_count,
                   count(s.waiting_hours) AS waiting_count,
                   sum(s.waiting_hours) AS waiting_hours,
                   count(s.working_hours) AS working_count,
                   sum(s.working_hours) AS working_hours,
                   sum(s.total_hours) AS total_hours,
                   count(s.handling_hours) AS measured_count,
                   sum(s.handling_hours) AS handling_hours,
                   sum(s.hold_hours) AS hold_hours,
                   -- handling time (tools/durations.py): clock hours where not measured
                   -- numeric, as the clock hours: the sum does not depend on row order
                   sum(COALESCE(s.handling_hours::numeric, s.total_hours)) AS handling_time
              FROM %(facts)s
             GROUP BY 3, s.company_id, s.flow_step_id, s.flow_id, s.department_id,
                      s.ticket_department_id, s.requesting_department_id
             ORDER BY 3
            """,
            id=SQL("min(s.id)") if kind == "day" else SQL("-min(s.id)"),
            kind=kind,
            date=SQL("s.date") if kind == "day" else SQL("date_trunc('month', s.date)::date"),
            facts=facts,
        )

    def init(self):
        cr = self.env.cr
        create_fact_table(cr, self._table, self._query())
        cr.execute(SQL("INSERT INTO %s (%s)", SQL.identifier(self._table), self._query_months()))
        tools.create_unique_index(cr, f"{self._table}_id_uniq", self._table, ["id"])
        tools.create_index(cr, f"{self._table}_date_idx", self._table, ["date", "flow_step_id"])
        for field in ("ticket_department_id", "requesting_department_id"):
            tools.create_index(cr, f"{self._table}_{field}_date_idx", self._table, [field, "date"])

    @api.model
    def _refresh(self, concurrently=True):
        """Compute every day row again from the step facts, then the month rows."""
        cr = self.env.cr
        rebuild_fact_table(cr, self._table, self._query(), concurrently)
        cr.execute(SQL("INSERT INTO %s (%s)", SQL.identifier(self._table), self._query_months()))
        self.invalidate_model()

    @api.model
    def _refresh_groups(self, keys):
        """Compute again the day rows of the (date, flow step) pairs ``keys``."""
        replace_fact_groups(
            self.env.cr,
            self._table,
            ("kind", "date", "flow_step_id"),
            ("varchar", "date", "integer"),
            [("day", date, flow_step) for date, flow_step in keys],
            self._query(keys),
        )
        self.invalidate_model()

    @api.model
    def _refresh_months(self, keys):
        """Compute again the month rows of the (month, flow step) pairs ``keys``
        from the day rows."""
        if keys:
            replace_fact_rows(
                self.env.cr,
                self._table,
                SQL("kind = 'month' AND %s", self._months_condition(self._table, keys)),
                self._query_months(keys),
            )

    @api.model
    @contextmanager
    def _follow_facts(self):
        """Keep the sums right while the step facts of some tickets are replaced
        inside the ``with`` block, by crossdept.analytics.step ``_refresh_tickets``
        given the yielded :class:`KeptFacts` (the facts it deletes and inserts, as
        the sums read them). On the way out, the (day, flow step) pairs of the
        facts the replacement took away or changed (a ticket reopened, a step
        archived by a rerun or moved to another department) are computed again
        from the step facts, and the pairs that only gained facts (steps finished
        since the last refresh) are added the new facts' sums, without reading the
        pairs' other facts. The month rows likewise: those of the (month, flow
        step) pairs that lost facts are summed again from their day rows (once
        these are), the others are added the new facts' sums. Both give the rows a
        full rebuild gives: counts,
        numeric sums and the smallest fact id are exact; the sums of floating-point
        hours (handling and hold) are added in another order, as two rebuilds
        reading the facts in another order would."""
        cr = self.env.cr
        kept = KeptFacts(
            cr,
            "crossdept_analytics_step_day_facts",
            "crossdept_analytics_step",
            FACT_COLUMNS,
            SQL(", ").join(SQL.identifier("f", column) for column in FACT_COLUMNS),
            SQL("f.state = 'done' AND f.active"),
        )
        yield kept
        with timed("daily step sums: the step facts changed"):
            added, removed = kept.changed_rows()
        with timed("daily step sums: pairs that lost facts"):
            cr.execute(SQL("SELECT DISTINCT s.date, s.flow_step_id FROM (%s) s", removed))
            recomputed = cr.fetchall()
            self._refresh_groups(recomputed)
        with timed("daily step sums: the new facts added"):
            self._add_sums(
                SQL(
                    "(%s) s WHERE NOT %s",
                    added,
                    group_condition(
                        [SQL("s.date"), SQL("s.flow_step_id")], ("date", "integer"), recomputed
                    ),
                )
            )
        months = {(date.replace(day=1), flow_step) for date, flow_step in recomputed}
        with timed(f"monthly step sums: {len(months)} pairs that lost facts"):
            self._refresh_months(months)
        with timed("monthly step sums: the new facts added"):
            self._add_sums(
                SQL("(%s) s WHERE NOT %s", added, self._months_condition("s", months)), "month"
            )
        kept.drop()
        self.invalidate_model()

    @api.model
    def _add_sums(self, facts, kind="day"):
        """Add to the rows of ``kind`` (day or month) those of ``facts`` (SQL, as
        ``_sum_rows`` reads it): rows of the same group get the counts and sums
        added (their id that of the smaller fact id), the others are inserted."""
        table = SQL.identifier(self._table)
        columns = ("id", "kind", *GROUP, *GROUP_NULLABLE, "name", *COUNTS, *SUMS)
        with refresh_work_mem(self.env.cr, jit=False):
            self.env.cr.execute(
                SQL(
                    """
                    WITH d AS (
                        SELECT row_number() OVER () AS n, k.* FROM (%(sums)s) k
                    ), updated AS (
                        UPDATE %(table)s t
                           SET id = %(id)s, %(added)s
                          FROM d
                         WHERE t.kind = %(kind)s AND %(same)s
                     RETURNING d.n
                    )
                    INSERT INTO %(table)s (%(columns)s)
                    SELECT %(columns)s FROM d WHERE d.n NOT IN (SELECT n FROM updated)
                    """,
                    sums=self._sum_rows(facts, kind),
                    # a month row's id is negated: the greater is the smaller fact id
                    id=SQL("LEAST(t.id, d.id)" if kind == "day" else "GREATEST(t.id, d.id)"),
                    kind=kind,
                    table=table,
                    added=added_columns("t", "d", COUNTS, SUMS),
                    same=same_group("t", "d", GROUP, GROUP_NULLABLE),
                    columns=SQL(", ").join(SQL.identifier(column) for column in columns),
                )
            )
