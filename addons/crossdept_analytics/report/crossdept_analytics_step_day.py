from odoo import api, fields, models, tools
from odoo.tools import SQL

from .refresh import create_fact_table, group_condition, rebuild_fact_table, replace_fact_groups


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
              FROM crossdept_analytics_step s
             -- a rerun's archived steps are not counted a second time
             WHERE s.state = 'done' AND s.active %s
             GROUP BY s.date, s.company_id, s.flow_step_id, s.flow_id, s.department_id,
                      s.ticket_department_id, s.requesting_department_id
             ORDER BY s.date
            """,
            where,
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
