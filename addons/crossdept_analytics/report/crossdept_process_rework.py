from odoo import fields, models
from odoo.tools import SQL


class CrossdeptProcessRework(models.Model):
    """Rework per flow step, from the event log: a step done more than once on a
    ticket, or a rejection that sent the ticket back to an earlier step. Steps
    archived by a rerun are left out (each ticket counts once per flow step)."""

    _name = "crossdept.process.rework"
    _description = "Process Rework"
    _auto = False
    _order = "rework_ticket_count desc, flow_step_id"
    _rec_name = "flow_step_id"

    flow_id = fields.Many2one("crossdept.flow", "Flow Version", readonly=True)
    flow_step_id = fields.Many2one("crossdept.flow.step", "Step", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    ticket_count = fields.Integer("Tickets", readonly=True)
    rework_ticket_count = fields.Integer("Tickets with Rework", readonly=True)
    extra_done_count = fields.Integer("Extra Executions", readonly=True)
    return_count = fields.Integer("Returns by Rejection", readonly=True)
    rework_rate = fields.Float("Rework Rate (%)", readonly=True, aggregator="avg")

    @property
    def _table_query(self):
        visible = self.env["crossdept.analytics.kpi"]._visible_tickets_condition(SQL("s.ticket_id"))
        return SQL(
            """
            WITH per_step AS (
                SELECT s.id, s.flow_step_id, s.company_id,
                       COUNT(*) FILTER (WHERE e.event_type = 'step_done') AS done_count,
                       COUNT(*) FILTER (WHERE e.event_type = 'step_return') AS return_count
                  FROM crossdept_ticket_step s
                  JOIN crossdept_ticket_event e ON e.step_id = s.id
                 -- the run that stands: a rerun's archived steps are not more tickets
                 WHERE %s AND s.active
              GROUP BY s.id, s.flow_step_id, s.company_id
            )
            SELECT MIN(p.id) AS id,
                   fs.flow_id AS flow_id,
                   p.flow_step_id AS flow_step_id,
                   p.company_id AS company_id,
                   COUNT(*) AS ticket_count,
                   COUNT(*) FILTER (WHERE p.done_count > 1 OR p.return_count > 0)
                       AS rework_ticket_count,
                   SUM(GREATEST(p.done_count - 1, 0)) AS extra_done_count,
                   SUM(p.return_count) AS return_count,
                   100.0 * COUNT(*) FILTER (WHERE p.done_count > 1 OR p.return_count > 0)
                       / COUNT(*) AS rework_rate
              FROM per_step p
              JOIN crossdept_flow_step fs ON fs.id = p.flow_step_id
          GROUP BY fs.flow_id, p.flow_step_id, p.company_id
            """,
            visible,
        )
