from datetime import datetime, time, timedelta

from odoo import api, fields, models

from odoo.addons.crossdept_ticket.tools.duration import (
    EMPTY,
    format_hours,
    format_number,
    format_percent,
)

from ..models.crossdept_analytics_kpi import ALL_DEPARTMENTS_GROUP
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
    "handling_hours",
    "hold_hours",
]


class ReportCrossdeptProcessReview(models.AbstractModel):
    """Quarterly process review: KPIs overall and per department, the steps
    taking most of the time, the open health alerts, and optional sections other
    addons add through ``_process_review_sections``. Every figure is read as the
    reader: the facts of the departments whose tickets they see, of every
    department with "Analytics: all departments"."""

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
            # the figures are those of the departments the reader may see
            "all_departments": self.env.user.has_group(ALL_DEPARTMENTS_GROUP),
            "bottlenecks": Kpi.get_bottlenecks(date_from, date_to, limit=10),
            "alerts": self.env["crossdept.health.alert"].search([("state", "=", "open")]),
            "sections": self._process_review_sections(date_from, date_to),
            "format_kpi": Kpi._format_kpi,
            "format_hours": lambda value: format_hours(self.env, value),
            "format_percent": lambda value: format_percent(self.env, value),
        }

    @api.model
    def _process_review_sections(self, date_from, date_to):
        """Extra sections: a list of {"title": str, "headers": [str], "rows": [[str]],
        "empty": str (shown when there is no row)}. Addons add theirs with super()."""
        return [
            self._review_recommendation_section(date_from, date_to),
            self._review_pilot_section(date_from, date_to),
        ]

    @api.model
    def _review_recommendation_section(self, date_from, date_to):
        """The redundant-approval recommendations still open at printing time, and
        those applied or dismissed during the period."""
        _ = self.env._
        start = datetime.combine(date_from, time.min)
        end = datetime.combine(date_to + timedelta(days=1), time.min)
        recommendations = self.env["crossdept.approval.recommendation"].search(
            [
                "|",
                ("state", "=", "new"),
                "&",
                ("write_date", ">=", start),
                ("write_date", "<", end),
            ]
        )
        states = dict(recommendations._fields["state"]._description_selection(self.env))
        return {
            "title": _("Approval recommendations"),
            "headers": [
                _("Recommendation"),
                _("Flow"),
                _("Tickets"),
                _("Saving"),
                _("Status"),
                _("Evidence"),
            ],
            "rows": [
                [
                    rec.display_name,
                    rec.flow_id.display_name,
                    str(rec.ticket_count),
                    format_hours(self.env, rec.saving_hours),
                    states[rec.state],
                    rec.evidence,
                ]
                for rec in recommendations
            ],
            "empty": _("No approval recommendation for the period."),
        }

    @api.model
    def _review_pilot_section(self, date_from, date_to):
        """The pilots that ran during the period: one line per arm, the verdict on
        the variant's."""
        _ = self.env._
        pilots = self.env["crossdept.pilot"].search(
            [
                ("state", "!=", "draft"),
                ("date_start", "<=", date_to),
                "|",
                ("date_end", "=", False),
                ("date_end", ">=", date_from),
            ],
            order="date_start, id",
        )
        arms = (("control", _("Control")), ("variant", _("Variant")))
        rows = []
        for pilot in pilots:
            for arm, label in arms:
                flow = pilot[f"{arm}_flow_id"]
                # an arm without finished tickets (or ratings) has nothing to show
                finished = pilot[f"{arm}_count"]
                satisfaction = pilot[f"{arm}_satisfaction"]
                rows.append(
                    [
                        pilot.name,
                        f"{label}: {flow.display_name}",
                        str(finished),
                        format_hours(self.env, pilot[f"{arm}_median_hours"]) if finished else EMPTY,
                        format_percent(self.env, pilot[f"{arm}_on_time_rate"])
                        if finished
                        else EMPTY,
                        format_number(self.env, satisfaction) if satisfaction else EMPTY,
                        pilot.verdict if arm == "variant" else "",
                    ]
                )
        return {
            "title": _("Pilots"),
            "headers": [
                _("Pilot"),
                _("Arm"),
                _("Finished Tickets"),
                _("Median"),
                _("On Time"),
                _("Satisfaction"),
                _("Verdict"),
            ],
            "rows": rows,
            "empty": _("No pilot ran in the period."),
        }
