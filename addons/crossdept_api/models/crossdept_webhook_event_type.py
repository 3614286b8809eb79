from odoo import fields, models


class CrossdeptWebhookEventType(models.Model):
    """What a webhook subscription can listen to. The records ship as data: the
    code is the ``type`` of the JSON payload and must not change."""

    _name = "crossdept.webhook.event.type"
    _description = "Webhook Event Type"
    _inherit = ["crossdept.engine.mixin"]
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, readonly=True)
    sequence = fields.Integer(default=10)
    description = fields.Char(translate=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "A webhook event type code is unique."),
    ]

    def _engine_fields(self):
        return {**super()._engine_fields(), "code": self.env._("the module's data")}

    def _check_engine_create(self, vals_list):
        """The types are created by the module's data files; afterwards their code,
        which clients read in the payloads, never changes."""
