from werkzeug.urls import url_encode

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrossdeptProcessMiningExportWizard(models.TransientModel):
    _name = "crossdept.process.mining.export.wizard"
    _description = "Export the Event Log for Process Mining"

    export_format = fields.Selection(
        [
            ("ocel_json", "OCEL 2.0 (JSON)"),
            ("ocel_sqlite", "OCEL 2.0 (SQLite)"),
            ("xes", "XES"),
        ],
        required=True,
        default="ocel_json",
    )
    flow_id = fields.Many2one("crossdept.flow", help="Tickets of every version of this flow.")
    flow_code = fields.Char(related="flow_id.code")
    version_id = fields.Many2one(
        "crossdept.flow",
        "Flow Version",
        domain="[('code', '=', flow_code)]",
        help="Tickets of this version of the flow only.",
    )
    department_id = fields.Many2one(
        "hr.department",
        help="Tickets requested by, assigned to or with a step in this department "
        "(or one under it).",
    )
    date_from = fields.Date("From", help="Events on or after this day (UTC).")
    date_to = fields.Date("To", help="Events on or before this day (UTC).")
    run_in_background = fields.Boolean(
        "Run in Background",
        default=True,
        help="Export in the background: the file arrives in your inbox (and under "
        "Analytics > Jobs) when it is ready. Otherwise it is downloaded now.",
    )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from and wizard.date_to and wizard.date_from > wizard.date_to:
                raise ValidationError(self.env._("The export period ends before it starts."))

    @api.onchange("flow_id")
    def _onchange_flow_id(self):
        if self.version_id and self.version_id.code != self.flow_id.code:
            self.version_id = False

    def action_export(self):
        self.ensure_one()
        self.env["crossdept.process.mining.export"]._check_export_access()
        params = {
            "flow_id": self.flow_id.id,
            "version_id": self.version_id.id,
            "department_id": self.department_id.id,
            "date_from": self.date_from and fields.Date.to_string(self.date_from),
            "date_to": self.date_to and fields.Date.to_string(self.date_to),
        }
        if self.run_in_background:
            Job = self.env["crossdept.analytics.job"]
            filters = {key: value for key, value in params.items() if value}
            # checked now: a refusal is the answer, not a failed job
            self.env["crossdept.process.mining.export"]._parse_filters(filters)
            return Job._queue(
                [
                    {
                        "kind": "process_mining",
                        "name": Job._export_name(self.export_format, filters),
                        "params": {"export_format": self.export_format, **filters},
                    }
                ]
            )._queued_notification()
        query = url_encode({key: value for key, value in params.items() if value})
        return {
            "type": "ir.actions.act_url",
            "url": f"/crossdept_analytics/process_mining/{self.export_format}?{query}",
            "target": "self",
        }
