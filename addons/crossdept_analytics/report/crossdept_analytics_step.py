from odoo import api, fields, models, tools
from odoo.tools import SQL

from odoo.addons.crossdept_ticket.models.crossdept_ticket_step import STEP_STATES

from .refresh import create_fact_table, rebuild_fact_table, replace_fact_rows


class CrossdeptAnalyticsStep(models.Model):
    """One row per step instance, with its working hours (handling and on hold,
    measured by the engine on the step's calendar when the step ended), its clock
    hours, and the transfers and escalations the event log recorded for it.

    Steps archived by a rerun (a cancelled ticket reset to draft and started again)
    are inactive rows: hidden and left out of every sum, so that a step is not
    counted once per run.

    A table filled from ``_query`` (at 5 million step instances the aggregation of
    the event log takes seconds, too slow for a plain view behind every dashboard
    tile, see bench/bench_analytics.py): rebuilt whole by ``_refresh``, and by the
    cron only for the tickets touched since its last run (``_refresh_tickets``,
    called by crossdept.analytics.ticket's ``_refresh_incremental``).
    """

    _name = "crossdept.analytics.step"
    _description = "Step Analysis"
    _inherit = ["crossdept.analytics.period.mixin"]
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "name"

    step_id = fields.Many2one("crossdept.ticket.step", "Step Instance", readonly=True)
    ticket_id = fields.Many2one("crossdept.ticket", readonly=True)
    flow_step_id = fields.Many2one("crossdept.flow.step", "Step", readonly=True)
    name = fields.Char("Step Name", readonly=True, translate=True)
    state = fields.Selection(STEP_STATES, readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    department_id = fields.Many2one(
        "hr.department", readonly=True, help="The department of the step."
    )
    # whose facts these are: the ticket's departments, as the ticket rules read them
    ticket_department_id = fields.Many2one(
        "hr.department",
        "Ticket's Department",
        readonly=True,
        help="The department handling the step's ticket (assigned, else requesting).",
    )
    requesting_department_id = fields.Many2one(
        "hr.department", "Ticket's Requesting Department", readonly=True
    )
    user_id = fields.Many2one("res.users", "Assignee", readonly=True)
    flow_id = fields.Many2one("crossdept.flow", "Flow Version", readonly=True)
    flow_code = fields.Char("Flow", readonly=True)
    flow_version = fields.Integer("Version", readonly=True, aggregator=None)
    type_id = fields.Many2one("crossdept.ticket.type", "Ticket Type", readonly=True)
    date = fields.Date(
        "Period", readonly=True, help="Day the step was done (or became ready, if still open)."
    )
    date_ready = fields.Datetime("Ready on", readonly=True)
    date_started = fields.Datetime("Started on", readonly=True)
    date_done = fields.Datetime("Finished on", readonly=True)
    waiting_hours = fields.Float(
        readonly=True, aggregator="avg", help="Clock hours from ready to started."
    )
    working_hours = fields.Float(
        readonly=True, aggregator="avg", help="Clock hours from started to done."
    )
    total_hours = fields.Float(
        "Step Hours", readonly=True, aggregator="avg", help="Clock hours from ready to done."
    )
    handling_hours = fields.Float(
        "Handling (working h)",
        readonly=True,
        aggregator="avg",
        help="Working hours on the step's calendar from ready to done, on hold left out "
        "(empty for steps finished before it was measured).",
    )
    hold_hours = fields.Float(
        "On Hold (working h)",
        readonly=True,
        aggregator="avg",
        help="Working hours on the step's calendar its ticket waited for the requester "
        "or the customer.",
    )
    active = fields.Boolean(
        readonly=True, help="False for the steps of an earlier run of the flow (a rerun)."
    )
    sla_met = fields.Boolean(
        "SLA Met", readonly=True, help="Done at or before its deadline (or without deadline)."
    )
    transfer_count = fields.Integer("Transfers", readonly=True)
    escalation_count = fields.Integer("Escalations", readonly=True)
    rework_count = fields.Integer(
        "Rework",
        readonly=True,
        help="Times the step was done again after its first completion, plus the returns "
        "to an earlier step its refusals caused.",
    )
    value_adding = fields.Boolean(readonly=True)

    def _query(self, ticket_ids=None):
        """The facts; only those of the steps of ``ticket_ids`` if given."""
        ids = list(ticket_ids) if ticket_ids is not None else None
        tickets = SQL("AND ticket_id = ANY(%s)", ids) if ids is not None else SQL()
        return SQL(
            """
            WITH ev AS (
                SELECT step_id,
                       count(*) FILTER (WHERE event_type = 'transfer') AS transfer_count,
                       count(*) FILTER (WHERE event_type = 'escalation') AS escalation_count,
                       count(*) FILTER (WHERE event_type = 'step_done') AS done_count,
                       count(*) FILTER (WHERE event_type = 'step_return') AS return_count
                  FROM crossdept_ticket_event
                 WHERE step_id IS NOT NULL
                   AND event_type IN ('transfer', 'escalation', 'step_done', 'step_return')
                   %(tickets)s
                 GROUP BY step_id
            )
            SELECT s.id,
                   s.id AS step_id,
                   s.ticket_id,
                   s.flow_step_id,
                   s.name,
                   s.state,
                   t.company_id,
                   s.department_id,
                   s.user_id,
                   fs.flow_id,
                   f.code AS flow_code,
                   f.version AS flow_version,
                   t.type_id,
                   COALESCE(s.date_done, s.date_ready, t.create_date)::date AS date,
                   s.date_ready,
                   s.date_started,
                   s.date_done,
                   EXTRACT(EPOCH FROM s.date_started - s.date_ready) / 3600.0 AS waiting_hours,
                   EXTRACT(EPOCH FROM s.date_done - s.date_started) / 3600.0 AS working_hours,
                   EXTRACT(EPOCH FROM s.date_done - s.date_ready) / 3600.0 AS total_hours,
                   CASE WHEN s.state = 'done'
                        THEN s.date_deadline IS NULL OR s.date_done <= s.date_deadline
                   END AS sla_met,
                   COALESCE(ev.transfer_count, 0) AS transfer_count,
                   COALESCE(ev.escalation_count, 0) AS escalation_count,
                   COALESCE(fs.value_adding, FALSE) AS value_adding,
                   COALESCE(t.assigned_department_id, t.department_id) AS ticket_department_id,
                   t.department_id AS requesting_department_id,
                   -- as crossdept.process.rework counts it: extra executions and returns
                   GREATEST(COALESCE(ev.done_count, 0) - 1, 0) + COALESCE(ev.return_count, 0)
                       AS rework_count,
                   CASE WHEN s.date_measured IS NOT NULL THEN s.handling_hours END
                       AS handling_hours,
                   CASE WHEN s.date_measured IS NOT NULL THEN s.hold_hours END AS hold_hours,
                   s.active
              FROM crossdept_ticket_step s
              JOIN crossdept_ticket t ON t.id = s.ticket_id
              JOIN crossdept_flow_step fs ON fs.id = s.flow_step_id
              JOIN crossdept_flow f ON f.id = fs.flow_id
         LEFT JOIN ev ON ev.step_id = s.id
             WHERE TRUE %(steps)s
             -- stored in period order (column "date"): a period's rows share pages
             ORDER BY 14
            """,
            tickets=tickets,
            # the tickets too by their ids: joined by key, not hashed whole (a
            # million-row scan for a day's 5,000 tickets)
            steps=SQL("AND s.ticket_id = ANY(%s) AND t.id = ANY(%s)", ids, ids)
            if ticket_ids is not None
            else SQL(),
        )

    def init(self):
        cr = self.env.cr
        create_fact_table(cr, self._table, self._query())
        tools.create_unique_index(cr, f"{self._table}_id_uniq", self._table, ["id"])
        tools.create_index(cr, f"{self._table}_date_idx", self._table, ["date"])
        # the incremental refresh replaces a ticket's rows
        tools.create_index(cr, f"{self._table}_ticket_idx", self._table, ["ticket_id"])
        tools.create_index(
            cr, f"{self._table}_department_date_idx", self._table, ["department_id", "date"]
        )
        tools.create_index(
            cr, f"{self._table}_flow_step_idx", self._table, ["flow_step_id", "date"]
        )
        # the record rules read the ticket's departments
        for field in ("ticket_department_id", "requesting_department_id"):
            tools.create_index(cr, f"{self._table}_{field}_date_idx", self._table, [field, "date"])

    @api.model
    def _refresh(self, concurrently=True):
        """Rebuild every fact; concurrently keeps the old ones readable meanwhile."""
        self.env.flush_all()
        rebuild_fact_table(self.env.cr, self._table, self._query(), concurrently)
        self.invalidate_model()

    @api.model
    def _refresh_tickets(self, ticket_ids, kept=None):
        """Replace the facts of the steps of ``ticket_ids`` (their daily sums follow
        them: crossdept.analytics.step.day ``_follow_facts``)."""
        replace_fact_rows(
            self.env.cr,
            self._table,
            SQL("ticket_id = ANY(%s)", list(ticket_ids)),
            self._query(ticket_ids),
            kept,
        )
        self.invalidate_model()
