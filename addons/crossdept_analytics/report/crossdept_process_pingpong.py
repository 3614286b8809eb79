from odoo import fields, models
from odoo.tools import SQL


class CrossdeptProcessPingpong(models.Model):
    """Ping-pong between two departments: a transfer A -> B on a ticket directly
    followed, among its transfers, by B -> A."""

    _name = "crossdept.process.pingpong"
    _description = "Department Ping-pong"
    _auto = False
    _order = "pingpong_count desc, id"

    department_a_id = fields.Many2one("hr.department", "Department", readonly=True)
    department_b_id = fields.Many2one("hr.department", "Other Department", readonly=True)
    flow_id = fields.Many2one("crossdept.flow", "Flow Version", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    pingpong_count = fields.Integer("Back-and-forths", readonly=True)
    ticket_count = fields.Integer("Tickets", readonly=True)

    @property
    def _table_query(self):
        visible = self.env["crossdept.analytics.kpi"]._visible_tickets_condition(SQL("e.ticket_id"))
        return SQL(
            """
            WITH transfers AS (
                SELECT e.id, e.ticket_id, e.company_id,
                       e.from_department_id AS from_id, e.to_department_id AS to_id,
                       LAG(e.from_department_id) OVER w AS prev_from,
                       LAG(e.to_department_id) OVER w AS prev_to
                  FROM crossdept_ticket_event e
                 WHERE e.event_type = 'transfer'
                   AND e.from_department_id IS NOT NULL
                   AND e.to_department_id IS NOT NULL
                   AND e.from_department_id <> e.to_department_id
                   AND %s
                WINDOW w AS (PARTITION BY e.ticket_id ORDER BY e.event_date, e.id)
            )
            SELECT MIN(tr.id) AS id,
                   LEAST(tr.from_id, tr.to_id) AS department_a_id,
                   GREATEST(tr.from_id, tr.to_id) AS department_b_id,
                   t.flow_id AS flow_id,
                   tr.company_id AS company_id,
                   COUNT(*) AS pingpong_count,
                   COUNT(DISTINCT tr.ticket_id) AS ticket_count
              FROM transfers tr
              JOIN crossdept_ticket t ON t.id = tr.ticket_id
             WHERE tr.prev_from = tr.to_id AND tr.prev_to = tr.from_id
          GROUP BY LEAST(tr.from_id, tr.to_id), GREATEST(tr.from_id, tr.to_id),
                   t.flow_id, tr.company_id
            """,
            visible,
        )
