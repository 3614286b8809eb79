import hashlib
import hmac
import logging
import threading
import time
from datetime import timedelta

import requests

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# first retry after this many minutes, then twice as long each time
BACKOFF_MINUTES = 1
RESPONSE_EXCERPT = 1000
# delivered and failed deliveries are kept this many days unless configured otherwise
RETENTION_DAYS = 30


class CrossdeptWebhookDelivery(models.Model):
    """One event sent (or to send) to one subscription, with its attempts' outcome."""

    _name = "crossdept.webhook.delivery"
    _description = "Webhook Delivery"
    _inherit = ["crossdept.engine.mixin"]
    _order = "id desc"
    _rec_name = "event_type"

    webhook_id = fields.Many2one(
        "crossdept.webhook", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="webhook_id.company_id", store=True, index=True)
    event_type = fields.Char("Event", required=True, readonly=True)
    event_uid = fields.Char("Event ID", required=True, readonly=True, index=True)
    ticket_id = fields.Many2one(
        "crossdept.ticket", readonly=True, ondelete="cascade", index="btree_not_null"
    )
    payload = fields.Text("Payload (JSON)", required=True, readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("done", "Delivered"), ("failed", "Failed")],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    attempt_count = fields.Integer("Attempts", readonly=True)
    next_attempt = fields.Datetime(readonly=True)
    last_attempt = fields.Datetime(readonly=True)
    last_status = fields.Integer("Last HTTP Status", readonly=True)
    last_error = fields.Char(readonly=True)
    response_excerpt = fields.Text("Response (excerpt)", readonly=True)
    duration_ms = fields.Integer("Duration (ms)", readonly=True)

    def _engine_fields(self):
        # deliveries are queued by ticket events and sent by the cron
        return self._engine_all_fields(self.env._("Retry now"))

    def init(self):
        # the cron looks for the pending deliveries that are due
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crossdept_webhook_delivery_due_idx "
                "ON crossdept_webhook_delivery (next_attempt) WHERE state = 'pending'"
            )
        )

    @api.autovacuum
    def _gc_deliveries(self):
        """Forget the deliveries that ended (delivered or failed) long ago."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crossdept_api.delivery_retention_days", RETENTION_DAYS)
        )
        limit = fields.Datetime.now() - timedelta(days=days)
        self.sudo().search([("state", "!=", "pending"), ("write_date", "<", limit)]).unlink()

    def action_retry(self):
        """Send again now, even a delivery that used up its attempts (it gets one more)."""
        retry = self.filtered(lambda d: d.state != "done")
        retry._engine().write({"state": "pending", "next_attempt": fields.Datetime.now()})
        retry._send()
        return True

    def _cron_send(self, batch_size=100):
        """Send the due deliveries, committing after each one (outside tests) so
        that a slow receiver never holds back the others' results."""
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        domain = [
            ("state", "=", "pending"),
            ("next_attempt", "<=", fields.Datetime.now()),
            # an archived subscription keeps its queue until it is active again
            ("webhook_id.active", "=", True),
        ]
        deliveries = self.search(domain, order="next_attempt, id", limit=batch_size)
        for delivery in deliveries:
            delivery._send()
            if auto_commit:
                # a cron batch: keep each outcome even if a later receiver hangs the job
                self.env.cr.commit()  # pylint: disable=invalid-commit
        remaining = self.search_count(domain) if len(deliveries) == batch_size else 0
        self.env["ir.cron"]._notify_progress(done=len(deliveries), remaining=remaining)
        return deliveries

    def _signature(self, body):
        self.ensure_one()
        secret = self.webhook_id.sudo().secret.encode()
        return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()

    def _send(self):
        """POST each delivery's payload once and record the outcome; failures are
        retried later with exponential backoff until the attempts run out."""
        for delivery in self:
            webhook = delivery.webhook_id
            body = delivery.payload.encode()
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "CrossDept-Webhook/1.0",
                "X-CrossDept-Event": delivery.event_type,
                "X-CrossDept-Event-Id": delivery.event_uid,
                "X-CrossDept-Delivery": str(delivery.id),
                "X-CrossDept-Timestamp": str(int(time.time())),
                "X-CrossDept-Signature": delivery._signature(body),
            }
            status, error, excerpt = 0, False, False
            start = time.monotonic()
            try:
                response = requests.post(
                    webhook.url,
                    data=body,
                    headers=headers,
                    timeout=webhook.timeout,
                    allow_redirects=False,
                )
                status = response.status_code
                excerpt = response.text[:RESPONSE_EXCERPT]
                if not 200 <= status < 300:
                    error = self.env._("HTTP status %(status)s", status=status)
            except requests.RequestException as exc:
                error = str(exc)[:255]
            duration = int((time.monotonic() - start) * 1000)
            now = fields.Datetime.now()
            attempts = delivery.attempt_count + 1
            vals = {
                "attempt_count": attempts,
                "last_attempt": now,
                "last_status": status,
                "last_error": error,
                "response_excerpt": excerpt,
                "duration_ms": duration,
            }
            if not error:
                vals.update(state="done", next_attempt=False)
            elif attempts >= webhook.max_attempts:
                vals.update(state="failed", next_attempt=False)
                _logger.info(
                    "Webhook delivery %s to %s failed after %s attempts: %s",
                    delivery.id,
                    webhook.url,
                    attempts,
                    error,
                )
            else:
                delay = BACKOFF_MINUTES * 2 ** (attempts - 1)
                vals.update(state="pending", next_attempt=now + timedelta(minutes=delay))
            delivery._engine().write(vals)
