from odoo import fields, models
from odoo.tools import SQL


class CrossdeptProcessVariant(models.Model):
    """The paths finished tickets really followed: the names of their steps in the
    order the event log saw them done (a step done twice appears twice)."""

    _name = "crossdept.process.variant"
    _description = "Process Variant"
    _auto = False
    _order = "flow_id, ticket_count desc, variant"
    _rec_name = "variant"

    flow_id = fields.Many2one("crossdept.flow", "Flow Version", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    variant = fields.Char("Path", readonly=True)
    step_count = fields.Integer("Steps Done", readonly=True, aggregator="max")
    ticket_count = fields.Integer("Tickets", readonly=True)
    frequency = fields.Float("Frequency (%)", readonly=True)
    median_hours = fields.Float("Median Cycle Time (h)", readonly=True, aggregator="avg")

    @property
    def _table_query(self):
        return SQL(
            """
            WITH paths AS (
                SELECT t.id AS ticket_id, t.flow_id, t.company_id,
                       STRING_AGG(s.name, ' → ' ORDER BY e.event_date, e.id)
                           FILTER (WHERE e.event_type = 'step_done') AS variant,
                       COUNT(*) FILTER (WHERE e.event_type = 'step_done') AS step_count,
                       EXTRACT(EPOCH FROM
                           MAX(e.event_date) FILTER (WHERE e.event_type = 'step_done')
                           - MIN(e.event_date) FILTER (WHERE e.event_type = 'step_ready')
                       ) / 3600.0 AS hours
                  FROM crossdept_ticket t
                  JOIN crossdept_ticket_event e
                    ON e.ticket_id = t.id AND e.event_type IN ('step_ready', 'step_done')
                  JOIN crossdept_ticket_step s ON s.id = e.step_id
                 WHERE t.state = 'done' AND t.flow_id IS NOT NULL
              GROUP BY t.id, t.flow_id, t.company_id
            )
            SELECT MIN(p.ticket_id) AS id,
                   p.flow_id AS flow_id,
                   p.company_id AS company_id,
                   p.variant AS variant,
                   MAX(p.step_count) AS step_count,
                   COUNT(*) AS ticket_count,
                   100.0 * COUNT(*)
                       / SUM(COUNT(*)) OVER (PARTITION BY p.flow_id, p.company_id) AS frequency,
                   PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY p.hours) AS median_hours
              FROM paths p
             WHERE p.variant IS NOT NULL
          GROUP BY p.flow_id, p.company_id, p.variant
            """
        )
