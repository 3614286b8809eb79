from odoo import api, fields, models
from odoo.tools import SQL


class CrossdeptAnalyticsEffort(models.Model):
    """Touch time against waiting time of each finished step of the run that
    stands, and flow efficiency (touch / lead time) for any grouping: flow, flow
    version, department, step, month.

    * Lead time: the step's working hours from ready to done (handling plus on
      hold, measured by the engine on its calendar); clock hours for steps the
      engine did not measure (finished before the measure existed, or the demo's
      generated history).
    * Touch time: the effort logged on the step (running timers left out), at most
      its lead time: people working on a step side by side count the time once.
    * Waiting time: lead time less touch time (queueing, on hold, nobody on it).

    Read when asked (a view on the tickets the reader may see), not refreshed."""

    _name = "crossdept.analytics.effort"
    _description = "Touch Time and Flow Efficiency"
    _auto = False
    _order = "date desc, step_id"
    _rec_name = "step_id"

    step_id = fields.Many2one("crossdept.ticket.step", readonly=True)
    ticket_id = fields.Many2one("crossdept.ticket", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    flow_id = fields.Many2one("crossdept.flow", "Flow Version", readonly=True)
    flow_code = fields.Char("Flow", readonly=True)
    flow_step_id = fields.Many2one("crossdept.flow.step", readonly=True)
    department_id = fields.Many2one("hr.department", "Step's Department", readonly=True)
    user_id = fields.Many2one("res.users", "Assignee", readonly=True)
    kind = fields.Selection([("task", "Task"), ("approval", "Approval")], readonly=True)
    value_adding = fields.Boolean(readonly=True)
    date = fields.Date("Finished on", readonly=True)
    measured = fields.Boolean(
        "Working Hours", readonly=True, help="Lead time in working hours (else clock hours)."
    )
    step_count = fields.Integer("Finished Steps", readonly=True)
    logged_hours = fields.Float("Logged (h)", readonly=True)
    lead_hours = fields.Float("Lead Time (h)", readonly=True)
    touch_hours = fields.Float("Touch Time (h)", readonly=True)
    wait_hours = fields.Float("Waiting Time (h)", readonly=True)
    flow_efficiency = fields.Float(
        "Flow Efficiency (%)",
        readonly=True,
        aggregator="avg",
        help="Touch time over lead time; a group's is its touch time over its lead time.",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            WITH lead AS (
                SELECT s.*,
                       CASE WHEN s.date_measured IS NOT NULL
                            THEN s.handling_hours + s.hold_hours
                            ELSE EXTRACT(EPOCH FROM s.date_done - s.date_ready) / 3600.0
                       END AS lead
                  FROM crossdept_ticket_step s
                 WHERE s.state = 'done'
                   AND s.active
                   AND s.date_ready IS NOT NULL
                   AND s.date_done IS NOT NULL
                   AND %(visible)s
            )
            SELECT l.id AS id,
                   l.id AS step_id,
                   l.ticket_id,
                   l.company_id,
                   fs.flow_id,
                   f.code AS flow_code,
                   l.flow_step_id,
                   l.department_id,
                   l.user_id,
                   l.kind,
                   fs.value_adding,
                   l.date_done::date AS date,
                   l.date_measured IS NOT NULL AS measured,
                   1 AS step_count,
                   COALESCE(l.effort_hours, 0) AS logged_hours,
                   l.lead AS lead_hours,
                   LEAST(COALESCE(l.effort_hours, 0), l.lead) AS touch_hours,
                   l.lead - LEAST(COALESCE(l.effort_hours, 0), l.lead) AS wait_hours,
                   100.0 * LEAST(COALESCE(l.effort_hours, 0), l.lead) / NULLIF(l.lead, 0)
                       AS flow_efficiency
              FROM lead l
              JOIN crossdept_flow_step fs ON fs.id = l.flow_step_id
              JOIN crossdept_flow f ON f.id = fs.flow_id
            """,
            # the tickets the reader may count (their rules, or every department)
            visible=self.env["crossdept.analytics.kpi"]._visible_tickets_condition(
                SQL("s.ticket_id")
            ),
        )

    def _read_group_select(self, aggregate_spec, query):
        # a group's efficiency is its touch time over its lead time, not the mean
        # of its steps' ratios
        if aggregate_spec == "flow_efficiency:avg":
            return SQL(
                "100.0 * SUM(%s) / NULLIF(SUM(%s), 0)",
                self._field_to_sql(self._table, "touch_hours", query),
                self._field_to_sql(self._table, "lead_hours", query),
            )
        return super()._read_group_select(aggregate_spec, query)

    @api.model
    def _figures(self, groupby, domain=()):
        """{group key: (finished steps, lead, touch, waiting hours, efficiency %)}
        of the steps the reader may count, grouped by one field."""
        rows = self._read_group(
            list(domain),
            [groupby],
            [
                "step_count:sum",
                "lead_hours:sum",
                "touch_hours:sum",
                "wait_hours:sum",
                "flow_efficiency:avg",
            ],
        )
        return {key: tuple(values) for key, *values in rows}
