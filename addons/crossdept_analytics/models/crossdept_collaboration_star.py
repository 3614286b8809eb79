from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models


class CrossdeptCollaborationStar(models.Model):
    """The person of the month with the best scoreboard score, one per company."""

    _name = "crossdept.collaboration.star"
    _description = "Collaboration Star"
    _inherit = ["crossdept.engine.mixin", "mail.thread"]
    _order = "month desc"
    _rec_name = "user_id"

    month = fields.Date(required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    user_id = fields.Many2one("res.users", "Star", required=True, readonly=True)
    department_id = fields.Many2one("hr.department", readonly=True)
    score = fields.Integer(readonly=True)
    consultations = fields.Integer("Consultations Answered", readonly=True)
    steps_done = fields.Integer(readonly=True)
    on_time_rate = fields.Float("On-time Rate (%)", readonly=True)

    def _engine_fields(self):
        return self._engine_all_fields(self.env._("the monthly collaboration star"))

    _sql_constraints = [
        ("month_company_uniq", "UNIQUE (month, company_id)", "One collaboration star a month."),
    ]

    @api.model
    def _pick(self, month=None):
        """Choose the star of `month` (first day; default: last month) for every
        company that has none yet; returns the new stars."""
        if not month:
            today = fields.Date.context_today(self)
            month = date(today.year, today.month, 1) - relativedelta(months=1)
        done = self.search([("month", "=", month)]).company_id
        self.env.flush_all()
        lines = self.env["crossdept.analytics.scoreboard"].search(
            [("month", "=", month), ("score", ">", 0), ("company_id", "not in", done.ids)],
            order="score desc, consultations desc, on_time_rate desc, user_id",
        )
        best = {}
        for line in lines:
            best.setdefault(line.company_id, line)
        stars = self._engine().create(
            [
                {
                    "month": month,
                    "company_id": company.id,
                    "user_id": line.user_id.id,
                    "department_id": line.department_id.id,
                    "score": line.score,
                    "consultations": line.consultations,
                    "steps_done": line.steps_done,
                    "on_time_rate": line.on_time_rate,
                }
                for company, line in best.items()
            ]
        )
        for star in stars:
            star.message_post(
                body=self.env._(
                    "%(user)s is the collaboration star of %(month)s: %(consultations)s "
                    "consultations answered, %(steps)s steps done, %(rate)s%% on time.",
                    user=star.user_id.name,
                    month=star.month.strftime("%Y-%m"),
                    consultations=star.consultations,
                    steps=star.steps_done,
                    rate=round(star.on_time_rate or 0.0),
                ),
                partner_ids=star.user_id.partner_id.ids,
                subtype_xmlid="mail.mt_note",
            )
        return stars

    @api.model
    def _cron_pick(self):
        self.env["crossdept.analytics.ticket"]._cron_refresh()
        self._pick()
