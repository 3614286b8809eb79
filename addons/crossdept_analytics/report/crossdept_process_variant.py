from odoo import fields, models
from odoo.tools import SQL


class CrossdeptProcessVariant(models.Model):
    """The paths finished tickets really followed: the names of their steps in the
    order the event log saw them done (a step done twice appears twice), in the
    run that stands (the steps a rerun archived are left out)."""

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
    # elapsed time, rework passes included: the engine's working hours of a step
    # are those of its last pass only (README, "Durations")
    median_hours = fields.Float(
        "Median Elapsed Time (clock h)",
        readonly=True,
        aggregator="avg",
        help="Clock hours from the first step ready to the last step done, every pass "
        "of the path included.",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            WITH paths AS (%s)
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
            """,
            self._paths_query(),
        )

    def _paths_query(self):
        """One row per finished ticket: its flow, company, path and cycle time."""
        return SQL(
            """
                SELECT t.id AS ticket_id, t.flow_id, t.company_id,
                       STRING_AGG(
                           COALESCE(s.name->>%s, s.name->>'en_US'), ' → '
                           ORDER BY e.event_date, e.id
                       )
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
                 -- the run that stands: a rerun's archived steps are not on the path
                 WHERE t.state = 'done' AND t.flow_id IS NOT NULL AND s.active
                   AND %s
              GROUP BY t.id, t.flow_id, t.company_id
            """,
            # the path in the reader's language
            self.env.lang or "en_US",
            # the tickets the reader may count
            self.env["crossdept.analytics.kpi"]._visible_tickets_condition(SQL("t.id")),
        )

    def action_open_tickets(self):
        """The finished tickets that followed this path, as a list of tickets
        (whose own access rules then apply)."""
        self.ensure_one()
        paths = self._paths_query()
        self.env.cr.execute(
            SQL(
                """
                SELECT p.ticket_id
                  FROM (%s) p
                 WHERE p.flow_id = %s AND p.company_id = %s AND p.variant = %s
              ORDER BY p.ticket_id
                """,
                paths,
                self.flow_id.id,
                self.company_id.id,
                self.variant,
            )
        )
        ticket_ids = [row[0] for row in self.env.cr.fetchall()]
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Tickets of the path %(path)s", path=self.variant),
            "res_model": "crossdept.ticket",
            "views": [[False, "list"], [False, "form"]],
            "domain": [("id", "in", ticket_ids)],
            "context": {"create": False},
        }
