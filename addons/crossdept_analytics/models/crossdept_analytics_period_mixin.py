import re

from odoo import api, fields, models
from odoo.exceptions import UserError

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class CrossdeptAnalyticsPeriodMixin(models.AbstractModel):
    """Facts searched by a range of their ``date``, written "2026-11-07 ~ 2026-12-06"
    (one date: that day): what a dashboard tile, bar or row opens shows its period
    as a search facet the reader sees and may remove, not as a hidden domain."""

    _name = "crossdept.analytics.period.mixin"
    _description = "CrossDept Facts Searched by Date Range"

    date_range = fields.Char(
        compute="_compute_date_range",
        search="_search_date_range",
        help="The fact's day; searched as two dates, 2026-11-07 ~ 2026-12-06.",
    )

    @api.depends("date")
    def _compute_date_range(self):
        for fact in self:
            fact.date_range = fields.Date.to_string(fact.date) if fact.date else False

    def _search_date_range(self, operator, value):
        if operator not in ("=", "ilike"):
            raise UserError(self.env._("A date range can only be searched for, not excluded."))
        days = ISO_DATE.findall(value or "")
        if not days or len(days) > 2:
            raise UserError(
                self.env._(
                    "Type a date range as two dates, e.g. 2026-11-07 ~ 2026-12-06, not %(value)s.",
                    value=value,
                )
            )
        try:
            date_from, date_to = (fields.Date.to_date(day) for day in (days[0], days[-1]))
        except ValueError as error:
            raise UserError(
                self.env._("%(value)s is not a date range: %(error)s", value=value, error=error)
            ) from error
        if date_from > date_to:
            raise UserError(
                self.env._(
                    "The date range starts on %(start)s, after its end on %(end)s.",
                    start=days[0],
                    end=days[-1],
                )
            )
        return [("date", ">=", date_from), ("date", "<=", date_to)]

    @api.model
    def _date_range_value(self, date_from, date_to):
        """The search value of the days from ``date_from`` to ``date_to`` (both included)."""
        return f"{fields.Date.to_string(date_from)} ~ {fields.Date.to_string(date_to)}"
