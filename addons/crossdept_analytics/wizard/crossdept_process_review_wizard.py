from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError


def previous_quarter(today):
    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    start = first - relativedelta(months=3)
    return start, first - relativedelta(days=1)


class CrossdeptProcessReviewWizard(models.TransientModel):
    _name = "crossdept.process.review.wizard"
    _description = "Print the Quarterly Process Review"

    date_from = fields.Date(
        required=True, default=lambda self: previous_quarter(fields.Date.context_today(self))[0]
    )
    date_to = fields.Date(
        required=True, default=lambda self: previous_quarter(fields.Date.context_today(self))[1]
    )
    run_in_background = fields.Boolean(
        "Run in Background",
        default=True,
        help="Print in the background: the PDF arrives in your inbox (and under "
        "Analytics > Jobs) when it is ready.",
    )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise ValidationError(self.env._("The review period ends before it starts."))

    def action_print(self):
        self.ensure_one()
        if self.run_in_background:
            Job = self.env["crossdept.analytics.job"]
            return Job._queue(
                [
                    {
                        "kind": "review_pdf",
                        "name": Job._review_name(self.date_from, self.date_to),
                        "params": {
                            "date_from": fields.Date.to_string(self.date_from),
                            "date_to": fields.Date.to_string(self.date_to),
                        },
                    }
                ]
            )._queued_notification()
        return self.env.ref("crossdept_analytics.action_report_process_review").report_action(
            self.env.company,
            data={
                "date_from": fields.Date.to_string(self.date_from),
                "date_to": fields.Date.to_string(self.date_to),
            },
        )
