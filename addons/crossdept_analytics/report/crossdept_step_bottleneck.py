from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.durations import step_handling_time


class CrossdeptStepBottleneck(models.Model):
    """Time spent in each step of a flow version, over its finished steps: the
    step's share of the handling time of all the version's steps and its rank by it
    (handling time: working hours on the step's calendar, on hold left out; clock
    hours for steps the engine did not measure, tools/durations.py), the average
    handling and on-hold working hours the engine measured, and the elapsed clock
    hours from ready to started and started to done. Steps archived by a rerun are
    left out (counted once, in the run that stands)."""

    _name = "crossdept.step.bottleneck"
    _description = "Step Bottleneck Analysis"
    _auto = False
    _order = "flow_id, share desc, flow_step_id"
    _rec_name = "flow_step_id"

    flow_id = fields.Many2one("crossdept.flow", "Flow Version", readonly=True)
    flow_step_id = fields.Many2one("crossdept.flow.step", "Step", readonly=True)
    department_id = fields.Many2one("hr.department", readonly=True)
    kind = fields.Selection([("task", "Task"), ("approval", "Approval")], readonly=True)
    value_adding = fields.Boolean(readonly=True)
    sample_count = fields.Integer("Finished Steps", readonly=True)
    wait_hours = fields.Float(
        "Ready to Started (clock h)",
        readonly=True,
        aggregator="avg",
        help="Elapsed clock hours from ready to started, per finished step.",
    )
    work_hours = fields.Float(
        "Started to Done (clock h)",
        readonly=True,
        aggregator="avg",
        help="Elapsed clock hours from started to done, per finished step.",
    )
    total_hours = fields.Float(
        "Ready to Done (clock h)",
        readonly=True,
        aggregator="avg",
        help="Elapsed clock hours from ready to done, per finished step.",
    )
    total_hours_sum = fields.Float(
        "Handling Time (h)",
        readonly=True,
        help="The handling time of the finished steps, summed: working hours on the "
        "step's calendar, on hold left out (clock hours for steps not measured).",
    )
    measured_count = fields.Integer("Steps with Working Hours", readonly=True)
    handling_hours = fields.Float("Handling (working h)", readonly=True, aggregator="avg")
    hold_hours = fields.Float("On Hold (working h)", readonly=True, aggregator="avg")
    share = fields.Float(
        "Share of Handling Time (%)",
        readonly=True,
        help="The step's handling time over that of all the flow version's steps.",
    )
    bottleneck_rank = fields.Integer("Rank", readonly=True, aggregator=False)
    # touch against waiting time, per finished step (crossdept.analytics.effort)
    touch_hours = fields.Float(
        "Touch Time (h)",
        compute="_compute_touch_hours",
        help="Effort logged per finished step, at most its lead time.",
    )
    touch_wait_hours = fields.Float(
        "Waiting Time (h)",
        compute="_compute_touch_hours",
        help="Lead time per finished step (working hours where measured) less its touch time.",
    )
    flow_efficiency = fields.Float("Flow Efficiency (%)", compute="_compute_touch_hours")

    @api.depends("flow_step_id")
    def _compute_touch_hours(self):
        figures = self.env["crossdept.analytics.effort"]._figures(
            "flow_step_id", [("flow_step_id", "in", self.flow_step_id.ids)]
        )
        for line in self:
            count, _lead, touch, wait, efficiency = figures.get(
                line.flow_step_id, (0, 0.0, 0.0, 0.0, None)
            )
            line.touch_hours = touch / count if count else 0.0
            line.touch_wait_hours = wait / count if count else 0.0
            line.flow_efficiency = efficiency or 0.0

    @property
    def _table_query(self):
        visible = self.env["crossdept.analytics.kpi"]._visible_tickets_condition(
            SQL("ts.ticket_id")
        )
        return SQL(
            """
            WITH durations AS (
                SELECT ts.flow_step_id,
                       EXTRACT(EPOCH FROM COALESCE(ts.date_started, ts.date_ready)
                                          - ts.date_ready) / 3600.0 AS wait,
                       EXTRACT(EPOCH FROM ts.date_done
                                          - COALESCE(ts.date_started, ts.date_ready)) / 3600.0
                           AS work,
                       CASE WHEN ts.date_measured IS NOT NULL THEN ts.handling_hours END
                           AS handling,
                       CASE WHEN ts.date_measured IS NOT NULL THEN ts.hold_hours END AS hold,
                       %s AS handling_time
                  FROM crossdept_ticket_step ts
                 WHERE ts.state = 'done'
                   AND ts.active
                   AND ts.date_ready IS NOT NULL
                   AND ts.date_done IS NOT NULL
                   AND %s
            ), per_step AS (
                SELECT flow_step_id,
                       COUNT(*) AS sample_count,
                       AVG(wait) AS wait,
                       AVG(work) AS work,
                       SUM(handling_time) AS total_sum,
                       COUNT(handling) AS measured_count,
                       AVG(handling) AS handling,
                       AVG(hold) AS hold
                  FROM durations
              GROUP BY flow_step_id
            )
            SELECT fs.id AS id,
                   fs.flow_id AS flow_id,
                   fs.id AS flow_step_id,
                   fs.department_id AS department_id,
                   fs.kind AS kind,
                   fs.value_adding AS value_adding,
                   COALESCE(p.sample_count, 0) AS sample_count,
                   COALESCE(p.wait, 0) AS wait_hours,
                   COALESCE(p.work, 0) AS work_hours,
                   COALESCE(p.wait + p.work, 0) AS total_hours,
                   COALESCE(p.total_sum, 0) AS total_hours_sum,
                   COALESCE(p.measured_count, 0) AS measured_count,
                   p.handling AS handling_hours,
                   p.hold AS hold_hours,
                   COALESCE(100.0 * p.total_sum
                            / NULLIF(SUM(p.total_sum) OVER (PARTITION BY fs.flow_id), 0), 0)
                       AS share,
                   RANK() OVER (PARTITION BY fs.flow_id
                                ORDER BY COALESCE(p.total_sum, 0) DESC) AS bottleneck_rank
              FROM crossdept_flow_step fs
         LEFT JOIN per_step p ON p.flow_step_id = fs.id
            """,
            step_handling_time("ts"),
            visible,
        )
