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
    """The finished step instances (of the current run) summed per day, company, flow step, the
    step's department and its ticket's departments (whose facts these are, as the
    record rules read them): the sums
    and counts the averages and shares of the bottleneck tile are made of.

    A table over the step facts, refreshed right after them: whole, or only the
    (day, flow step) groups of the steps an incremental refresh replaced. At 5 million
    step instances, 90 days are a few thousand rows here instead of 1.5 million
    step facts (see bench/bench_analytics.py)."""

    _name = "crossdept.analytics.step.day"
    _description = "Finished Steps per Day"
    _auto = False
    _order = "date desc, id desc"

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
        """The daily sums; only those of the (date, flow step) pairs ``keys`` if given."""
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
    def _sum_rows(self, facts):
        """The daily sums of ``facts`` (SQL: a FROM clause whose rows, named ``s``,
        have the FACT_COLUMNS of the finished steps of the current run)."""
        # sums stay numeric (as the facts' hours are): no rounding on the way
        return SQL(
            """
            SELECT min(s.id) AS id,
                   s.date,
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
              FROM %s
             GROUP BY s.date, s.company_id, s.flow_step_id, s.flow_id, s.department_id,
                      s.ticket_department_id, s.requesting_department_id
             ORDER BY s.date
            """,
            facts,
        )

    def init(self):
        cr = self.env.cr
        create_fact_table(cr, self._table, self._query())
        tools.create_unique_index(cr, f"{self._table}_id_uniq", self._table, ["id"])
        tools.create_index(cr, f"{self._table}_date_idx", self._table, ["date", "flow_step_id"])
        for field in ("ticket_department_id", "requesting_department_id"):
            tools.create_index(cr, f"{self._table}_{field}_date_idx", self._table, [field, "date"])

    @api.model
    def _refresh(self, concurrently=True):
        """Compute every daily sum again from the step facts."""
        rebuild_fact_table(self.env.cr, self._table, self._query(), concurrently)
        self.invalidate_model()

    @api.model
    def _refresh_groups(self, keys):
        """Compute again the sums of the (date, flow step) pairs ``keys``."""
        replace_fact_groups(
            self.env.cr,
            self._table,
            ("date", "flow_step_id"),
            ("date", "integer"),
            keys,
            self._query(keys),
        )
        self.invalidate_model()

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
        pairs' other facts. Both give the rows a full rebuild gives: counts,
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
        kept.drop()
        self.invalidate_model()

    @api.model
    def _add_sums(self, facts):
        """Add to the daily sums those of ``facts`` (SQL, as ``_sum_rows`` reads
        it): rows of the same group get the counts and sums added (their id the
        smaller), the others are inserted."""
        table = SQL.identifier(self._table)
        columns = ("id", *GROUP, *GROUP_NULLABLE, "name", *COUNTS, *SUMS)
        with refresh_work_mem(self.env.cr, jit=False):
            self.env.cr.execute(
                SQL(
                    """
                    WITH d AS (
                        SELECT row_number() OVER () AS n, k.* FROM (%(sums)s) k
                    ), updated AS (
                        UPDATE %(table)s t
                           SET id = LEAST(t.id, d.id), %(added)s
                          FROM d
                         WHERE %(same)s
                     RETURNING d.n
                    )
                    INSERT INTO %(table)s (%(columns)s)
                    SELECT %(columns)s FROM d WHERE d.n NOT IN (SELECT n FROM updated)
                    """,
                    sums=self._sum_rows(facts),
                    table=table,
                    added=added_columns("t", "d", COUNTS, SUMS),
                    same=same_group("t", "d", GROUP, GROUP_NULLABLE),
                    columns=SQL(", ").join(SQL.identifier(column) for column in columns),
                )
            )
