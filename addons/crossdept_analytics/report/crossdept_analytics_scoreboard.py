from odoo import fields, models, tools
from odoo.tools import SQL


class CrossdeptAnalyticsScoreboard(models.Model):
    """Monthly recognition scoreboard, per person (group by department for the
    departments' board).

    * steps done, on time (within SLA) and tickets handled come from the step facts;
    * satisfaction: average last rating of the tickets the person worked on;
    * consultations answered: messages (comments, notes or marked-done activities)
      a person posted on a ticket where they hold the Consulted RACI role;
    * score: 3 points per consultation answered plus 1 per step done on time —
      collaboration counts more than one's own queue.
    """

    _name = "crossdept.analytics.scoreboard"
    _description = "Recognition Scoreboard"
    _auto = False
    _order = "month desc, score desc"

    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", "Person", readonly=True)
    department_id = fields.Many2one("hr.department", readonly=True)
    steps_done = fields.Integer(readonly=True)
    steps_on_time = fields.Integer(readonly=True)
    on_time_rate = fields.Float("On-time Rate (%)", readonly=True, aggregator="avg")
    tickets_handled = fields.Integer(readonly=True)
    satisfaction = fields.Float(readonly=True, aggregator="avg")
    consultations = fields.Integer("Consultations Answered", readonly=True)
    score = fields.Integer(readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %s AS (
                    WITH steps AS (
                        SELECT date_trunc('month', s.date_done)::date AS month,
                               s.company_id,
                               s.user_id,
                               count(*) AS steps_done,
                               count(*) FILTER (WHERE s.sla_met) AS steps_on_time,
                               count(DISTINCT s.ticket_id) AS tickets_handled,
                               avg(a.satisfaction) AS satisfaction
                          FROM crossdept_analytics_step s
                     LEFT JOIN crossdept_analytics_ticket a ON a.id = s.ticket_id
                         WHERE s.state = 'done' AND s.active AND s.user_id IS NOT NULL
                         GROUP BY 1, 2, 3
                    ), consult AS (
                        SELECT date_trunc('month', m.date)::date AS month,
                               t.company_id,
                               r.holder_user_id AS user_id,
                               count(DISTINCT m.id) AS consultations
                          FROM mail_message m
                          JOIN crossdept_ticket t ON t.id = m.res_id
                          JOIN crossdept_ticket_raci r
                            ON r.ticket_id = t.id AND r.role = 'consulted'
                          JOIN res_users u
                            ON u.id = r.holder_user_id AND u.partner_id = m.author_id
                         WHERE m.model = 'crossdept.ticket'
                           AND (m.message_type = 'comment' OR m.mail_activity_type_id IS NOT NULL)
                         GROUP BY 1, 2, 3
                    ), board AS (
                        SELECT month, company_id, user_id,
                               COALESCE(steps.steps_done, 0) AS steps_done,
                               COALESCE(steps.steps_on_time, 0) AS steps_on_time,
                               100.0 * steps.steps_on_time / NULLIF(steps.steps_done, 0)
                                   AS on_time_rate,
                               COALESCE(steps.tickets_handled, 0) AS tickets_handled,
                               steps.satisfaction,
                               COALESCE(consult.consultations, 0) AS consultations
                          FROM steps
                     FULL JOIN consult USING (month, company_id, user_id)
                    )
                    SELECT row_number() OVER (ORDER BY b.month, b.company_id, b.user_id) AS id,
                           b.*,
                           e.department_id,
                           3 * b.consultations + b.steps_on_time AS score
                      FROM board b
                 LEFT JOIN LATERAL (
                        SELECT department_id
                          FROM hr_employee
                         WHERE user_id = b.user_id AND company_id = b.company_id AND active
                         ORDER BY id
                         LIMIT 1
                      ) e ON TRUE
                )
                """,
                SQL.identifier(self._table),
            )
        )
