from datetime import datetime, time, timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

# the kinds of tools/conformance.py
KIND_SELECTION = [
    ("out_of_order", "Out of order"),
    ("skipped_without_reason", "Skipped without reason"),
    ("approval_bypassed", "Approval bypassed"),
    ("rework_loop", "Rework loop"),
]


class CrossdeptProcessConformanceWizard(models.TransientModel):
    _name = "crossdept.process.conformance.wizard"
    _description = "Check Conformance of Closed Tickets"

    flow_id = fields.Many2one("crossdept.flow", help="Tickets of every version of this flow.")
    flow_code = fields.Char(related="flow_id.code")
    version_id = fields.Many2one(
        "crossdept.flow",
        "Flow Version",
        domain="[('code', '=', flow_code)]",
        help="Tickets of this version of the flow only.",
    )
    date_from = fields.Date("From", help="Tickets closed on or after this day (UTC).")
    date_to = fields.Date("To", help="Tickets closed on or before this day (UTC).")
    checked_count = fields.Integer("Checked Tickets", readonly=True)
    conforming_count = fields.Integer("Conforming Tickets", readonly=True)
    conformance_rate = fields.Float(
        "Conformance Rate (%)",
        readonly=True,
        help="Share of the checked tickets whose trace follows their flow version's graph.",
    )
    line_ids = fields.One2many(
        "crossdept.process.conformance.line", "wizard_id", "Deviations", readonly=True
    )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from and wizard.date_to and wizard.date_from > wizard.date_to:
                raise ValidationError(self.env._("The checked period ends before it starts."))

    def _ticket_domain(self):
        domain = []
        if self.flow_id:
            domain += [
                ("flow_id.code", "=", self.flow_id.code),
                ("flow_id.company_id", "=", self.flow_id.company_id.id),
            ]
        if self.version_id:
            domain.append(("flow_id", "=", self.version_id.id))
        if self.date_from:
            domain.append(("date_closed", ">=", datetime.combine(self.date_from, time.min)))
        if self.date_to:
            end = datetime.combine(self.date_to, time.min) + timedelta(days=1)
            domain.append(("date_closed", "<", end))
        return domain

    def action_check(self):
        self.ensure_one()
        result = self.env["crossdept.process.conformance"]._check(self._ticket_domain())
        lines = [Command.clear()]
        for ticket_id, found in result["steps"].items():
            for kind in dict.fromkeys(kind for kind, _step in found):
                names = ", ".join(step.name for k, step in found if k == kind)
                lines.append(Command.create({"kind": kind, "ticket_id": ticket_id, "steps": names}))
        self.write(
            {
                "checked_count": result["checked"],
                "conforming_count": result["conforming"],
                "conformance_rate": 100.0 * result["rate"] if result["rate"] is not None else 0.0,
                "line_ids": lines,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Conformance"),
        }
