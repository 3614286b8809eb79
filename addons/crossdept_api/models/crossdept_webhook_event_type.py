from odoo import fields, models


class CrossdeptWebhookEventType(models.Model):
    """What a webhook subscription can listen to. The records ship as data: the
    code is the ``type`` of the JSON payload and must not change."""

    _name = "crossdept.webhook.event.type"
    _description = "Webhook Event Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, readonly=True)
    sequence = fields.Integer(default=10)
    description = fields.Char(translate=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "A webhook event type code is unique."),
    ]
