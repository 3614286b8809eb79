from odoo import api, fields, models, tools
from odoo.tools import SQL, str2bool

from odoo.addons.crossdept_ticket.models.crossdept_ticket import PRIORITIES, STATES

from .refresh import refresh_materialized_view


class CrossdeptAnalyticsTicket(models.Model):
    """One row per ticket: cycle time, punctuality, transfers, skipped steps,
    reopenings and the customer's satisfaction.

    * cycle hours: creation to closing, for done tickets only;
    * on time: a done ticket closed at or before its deadline; without a deadline,
      one whose done steps all finished within their SLA;
    * reopen count: state events leaving "done";
    * handling and on-hold hours: for done tickets, the sums of the working hours
      its finished steps of the current run took (crossdept.analytics.step);
    * satisfaction: the last rating the customer gave on the ticket (the core's
      rating mixin: consumed ``rating.rating`` rows of the ticket, 0 = no rating).

    A materialized view like ``crossdept.analytics.step`` (same reason, same cron).
    """

    _name = "crossdept.analytics.ticket"
    _description = "Ticket Analysis"
    _inherit = ["crossdept.analytics.period.mixin"]
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "name"

    ticket_id = fields.Many2one("crossdept.ticket", readonly=True)
    name = fields.Char("Number", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    department_id = fields.Many2one(
        "hr.department",
        readonly=True,
        help="The department handling the ticket (assigned, else requesting).",
    )
    requesting_department_id = fields.Many2one("hr.department", readonly=True)
    user_id = fields.Many2one("res.users", "Assigned to", readonly=True)
    type_id = fields.Many2one("crossdept.ticket.type", "Ticket Type", readonly=True)
    flow_id = fields.Many2one("crossdept.flow", "Flow Version", readonly=True)
    flow_code = fields.Char("Flow", readonly=True)
    priority = fields.Selection(PRIORITIES, readonly=True)
    state = fields.Selection(STATES, readonly=True)
    date = fields.Date(
        "Period", readonly=True, help="Day the ticket was closed (or created, if still open)."
    )
    date_open = fields.Datetime("Created on", readonly=True)
    date_closed = fields.Datetime("Closed on", readonly=True)
    date_deadline = fields.Datetime("Deadline", readonly=True)
    cycle_hours = fields.Float(readonly=True, aggregator="avg")
    on_time = fields.Boolean(readonly=True)
    step_count = fields.Integer("Steps", readonly=True)
    skipped_count = fields.Integer("Skipped Steps", readonly=True)
    transfer_count = fields.Integer("Transfers", readonly=True)
    escalation_count = fields.Integer("Escalations", readonly=True)
    reopen_count = fields.Integer("Reopenings", readonly=True)
    transferred = fields.Boolean(readonly=True, help="Transferred at least once.")
    reopened = fields.Boolean(readonly=True, help="Reopened at least once.")
    satisfaction = fields.Float(readonly=True, aggregator="avg")
    rated = fields.Boolean(readonly=True, help="The customer rated the ticket.")
    handling_hours = fields.Float(
        "Handling (working h)",
        readonly=True,
        aggregator="avg",
        help="Done tickets: the working hours their finished steps were handled, on hold left out.",
    )
    hold_hours = fields.Float(
        "On Hold (working h)",
        readonly=True,
        aggregator="avg",
        help="Done tickets: the working hours their finished steps were on hold.",
    )

    def _query(self):
        return SQL(
            """
            WITH ev AS (
                SELECT ticket_id,
                       count(*) FILTER (WHERE event_type = 'transfer') AS transfer_count,
                       count(*) FILTER (WHERE event_type = 'escalation') AS escalation_count,
                       count(*) FILTER (WHERE event_type = 'state' AND from_state = 'done')
                           AS reopen_count
                  FROM crossdept_ticket_event
                 WHERE event_type IN ('transfer', 'escalation', 'state')
                 GROUP BY ticket_id
            ), st AS (
                SELECT ticket_id,
                       count(*) AS step_count,
                       count(*) FILTER (WHERE state = 'skipped') AS skipped_count,
                       bool_and(date_deadline IS NULL OR date_done <= date_deadline)
                           FILTER (WHERE state = 'done') AS steps_on_time,
                       sum(handling_hours) FILTER (
                           WHERE state = 'done' AND date_measured IS NOT NULL
                       ) AS handling_hours,
                       sum(hold_hours) FILTER (
                           WHERE state = 'done' AND date_measured IS NOT NULL
                       ) AS hold_hours
                  FROM crossdept_ticket_step
                 -- the steps of the current run: a rerun's archived steps once only
                 WHERE active
                 GROUP BY ticket_id
            ), rt AS (
                SELECT DISTINCT ON (res_id) res_id AS ticket_id, rating
                  FROM rating_rating
                 WHERE res_model = 'crossdept.ticket' AND consumed AND rating > 0
                 ORDER BY res_id, write_date DESC, id DESC
            )
            SELECT t.id,
                   t.id AS ticket_id,
                   t.name,
                   t.company_id,
                   COALESCE(t.assigned_department_id, t.department_id) AS department_id,
                   t.department_id AS requesting_department_id,
                   t.user_id,
                   t.type_id,
                   t.flow_id,
                   f.code AS flow_code,
                   t.priority,
                   t.state,
                   COALESCE(t.date_closed, t.create_date)::date AS date,
                   t.create_date AS date_open,
                   t.date_closed,
                   t.date_deadline,
                   CASE WHEN t.state = 'done'
                        THEN EXTRACT(EPOCH FROM t.date_closed - t.create_date) / 3600.0
                   END AS cycle_hours,
                   CASE WHEN t.state = 'done' THEN
                        CASE WHEN t.date_deadline IS NOT NULL
                             THEN t.date_closed <= t.date_deadline
                             ELSE COALESCE(st.steps_on_time, TRUE)
                        END
                   END AS on_time,
                   COALESCE(st.step_count, 0) AS step_count,
                   COALESCE(st.skipped_count, 0) AS skipped_count,
                   COALESCE(ev.transfer_count, 0) AS transfer_count,
                   COALESCE(ev.escalation_count, 0) AS escalation_count,
                   COALESCE(ev.reopen_count, 0) AS reopen_count,
                   COALESCE(ev.transfer_count, 0) > 0 AS transferred,
                   COALESCE(ev.reopen_count, 0) > 0 AS reopened,
                   rt.rating::float AS satisfaction,
                   rt.rating IS NOT NULL AS rated,
                   CASE WHEN t.state = 'done' THEN st.handling_hours END AS handling_hours,
                   CASE WHEN t.state = 'done' THEN st.hold_hours END AS hold_hours
              FROM crossdept_ticket t
         LEFT JOIN crossdept_flow f ON f.id = t.flow_id
         LEFT JOIN ev ON ev.ticket_id = t.id
         LEFT JOIN st ON st.ticket_id = t.id
         LEFT JOIN rt ON rt.ticket_id = t.id
             -- stored in period order (column "date"): a period's rows share pages
             ORDER BY 13
            """
        )

    def init(self):
        cr = self.env.cr
        tools.drop_view_if_exists(cr, self._table)
        cr.execute(
            SQL(
                "CREATE MATERIALIZED VIEW %s AS (%s)",
                SQL.identifier(self._table),
                self._query(),
            )
        )
        tools.create_unique_index(cr, f"{self._table}_id_uniq", self._table, ["id"])
        tools.create_index(cr, f"{self._table}_date_idx", self._table, ["date"])
        # the live "open overdue" KPI reads the few open tickets, not the closed ones
        tools.create_index(
            cr,
            "crossdept_ticket_open_deadline_idx",
            "crossdept_ticket",
            ["date_deadline"],
            where="state NOT IN ('done', 'cancelled')",
        )
        # the record rules read the handling and the requesting department
        for field in ("department_id", "requesting_department_id", "flow_id", "type_id"):
            tools.create_index(cr, f"{self._table}_{field}_date_idx", self._table, [field, "date"])

    @api.model
    def _refresh(self, concurrently=True):
        self.env.flush_all()
        refresh_materialized_view(self.env, self._table, concurrently)
        self.invalidate_model()

    @api.model
    def _cron_refresh(self):
        """Refresh the step facts (and their daily sums), the ticket facts and the
        monthly KPIs.

        Concurrently by default: readers are never blocked, but at 5 million steps
        it takes about 3.5 times as long and spills gigabytes of temporary files.
        Setting ``crossdept_analytics.refresh_concurrently`` to ``False`` refreshes
        faster while blocking the analytics screens for the duration."""
        # a technical setting the cron (or a manager's history button) only reads
        concurrently = str2bool(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crossdept_analytics.refresh_concurrently", "True")
        )
        self.env["crossdept.analytics.step"]._refresh(concurrently)
        self.env["crossdept.analytics.step.day"]._refresh(concurrently)
        self._refresh(concurrently)
        self.env["crossdept.analytics.kpi.month"]._refresh(concurrently)
