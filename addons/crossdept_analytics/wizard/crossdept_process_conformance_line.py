from odoo import fields, models

from .crossdept_process_conformance_wizard import KIND_SELECTION


class CrossdeptProcessConformanceLine(models.TransientModel):
    _name = "crossdept.process.conformance.line"
    _description = "Conformance Deviation"
    _order = "kind, ticket_id"

    wizard_id = fields.Many2one(
        "crossdept.process.conformance.wizard", required=True, ondelete="cascade"
    )
    kind = fields.Selection(KIND_SELECTION, required=True)
    ticket_id = fields.Many2one("crossdept.ticket", required=True, ondelete="cascade")
    steps = fields.Char(help="The steps of the flow where the ticket deviated.")
