from odoo import api, fields, models

from ..wizard.crossdept_process_review_wizard import previous_quarter

REVIEW_KPIS = [
    "ticket_count",
    "avg_hours",
    "median_hours",
    "p90_hours",
    "on_time_rate",
    "transfer_rate",
    "reopen_rate",
    "satisfaction",
]


class ReportCrossdeptProcessReview(models.AbstractModel):
    """Quarterly process review: KPIs overall and per department, the steps
    taking most of the time, the open health alerts, and optional sections other
    addons add through ``_process_review_sections``."""

    _name = "report.crossdept_analytics.report_process_review"
    _description = "Quarterly Process Review"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        today = fields.Date.context_today(self)
        default_from, default_to = previous_quarter(today)
        date_from = fields.Date.to_date(data.get("date_from")) or default_from
        date_to = fields.Date.to_date(data.get("date_to")) or default_to
        Kpi = self.env["crossdept.analytics.kpi"]
        labels = dict(Kpi._kpi_selection())
        overall = Kpi.compute(REVIEW_KPIS, date_from=date_from, date_to=date_to)
        departments = (
            self.env["crossdept.analytics.ticket"]
            .search([("date", ">=", date_from), ("date", "<=", date_to)])
            .department_id
        )
        per_department = [
            (department, Kpi.compute(REVIEW_KPIS, "department", department.id, date_from, date_to))
            for department in departments.sorted("name")
        ]
        return {
            "doc_ids": docids,
            "doc_model": "res.company",
            "docs": self.env["res.company"].browse(docids) or self.env.company,
            "date_from": date_from,
            "date_to": date_to,
            "kpis": REVIEW_KPIS,
            "labels": labels,
            "overall": overall,
            "per_department": per_department,
            "bottlenecks": Kpi.get_bottlenecks(date_from, date_to, limit=10),
            "alerts": self.env["crossdept.health.alert"].search([("state", "=", "open")]),
            "sections": self._process_review_sections(date_from, date_to),
            "fmt": lambda value: "-" if value is None else f"{value:,.1f}",
        }

    @api.model
    def _process_review_sections(self, date_from, date_to):
        """Extra sections: a list of {"title": str, "headers": [str], "rows": [[str]]}.
        Addons extend it (recommendations, pilot results) with super()."""
        return []
