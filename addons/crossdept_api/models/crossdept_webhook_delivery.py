import hashlib
import hmac
import time

from odoo import fields, models


class CrossdeptWebhookDelivery(models.Model):
    """One event sent (or to send) to one subscription, with its attempts' outcome."""

    _name = "crossdept.webhook.delivery"
    _description = "Webhook Delivery"
    _inherit = ["crossdept.outbox.mixin"]
    _order = "id desc"
    _rec_name = "event_type"
    _outbox_target = "webhook_id"
    _outbox_retention_param = "crossdept_api.delivery_retention_days"
    # deliveries that ended, delivered or failed, are forgotten after the retention
    _outbox_forget_states = ("done", "failed")

    webhook_id = fields.Many2one(
        "crossdept.webhook", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="webhook_id.company_id", store=True, index=True)
    event_type = fields.Char("Event", required=True, readonly=True)
    event_uid = fields.Char("Event ID", required=True, readonly=True, index=True)
    state = fields.Selection([("pending", "Pending"), ("done", "Delivered"), ("failed", "Failed")])

    def _signature(self, body):
        self.ensure_one()
        secret = self.webhook_id.sudo().secret.encode()
        return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()

    def _outbox_request(self):
        self.ensure_one()
        body = self.payload.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "CrossDept-Webhook/1.0",
            "X-CrossDept-Event": self.event_type,
            "X-CrossDept-Event-Id": self.event_uid,
            "X-CrossDept-Delivery": str(self.id),
            "X-CrossDept-Timestamp": str(int(time.time())),
            "X-CrossDept-Signature": self._signature(body),
        }
        return self.webhook_id.sudo().url, body, headers
