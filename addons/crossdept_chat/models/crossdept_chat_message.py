import logging
import threading
import time
from datetime import timedelta

import requests

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import platforms
from .crossdept_chat_route import EVENTS

_logger = logging.getLogger(__name__)

# first retry after this many minutes, then twice as long each time
BACKOFF_MINUTES = 1
RESPONSE_EXCERPT = 1000
# sent and failed messages are kept this many days unless configured otherwise
RETENTION_DAYS = 30


class CrossdeptChatMessage(models.Model):
    """The outbox: one message to one chat channel, queued in the transaction of the
    ticket event it tells of and sent by a cron after the commit, with its attempts'
    outcome. A message is never dropped: it is sent, or it fails after its channel's
    attempts and waits to be retried by hand."""

    _name = "crossdept.chat.message"
    _description = "Chat Message"
    _inherit = ["crossdept.engine.mixin"]
    _order = "id desc"
    _rec_name = "event"

    channel_id = fields.Many2one(
        "crossdept.chat.channel", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    route_id = fields.Many2one("crossdept.chat.route", readonly=True, ondelete="set null")
    event = fields.Selection(EVENTS, required=True, readonly=True)
    ticket_id = fields.Many2one(
        "crossdept.ticket", readonly=True, ondelete="cascade", index="btree_not_null"
    )
    step_id = fields.Many2one("crossdept.ticket.step", readonly=True, ondelete="set null")
    payload = fields.Text("Payload (JSON)", required=True, readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("done", "Sent"), ("failed", "Failed")],
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
        # messages are queued by ticket events and sent by the cron
        return self._engine_all_fields(self.env._("Retry now"))

    def init(self):
        # the cron looks for the pending messages that are due
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crossdept_chat_message_due_idx "
                "ON crossdept_chat_message (next_attempt, id) WHERE state = 'pending'"
            )
        )

    @api.autovacuum
    def _gc_messages(self):
        """Forget the messages sent long ago (failed ones stay until retried)."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crossdept_chat.message_retention_days", RETENTION_DAYS)
        )
        limit = fields.Datetime.now() - timedelta(days=days)
        self.sudo().search([("state", "=", "done"), ("write_date", "<", limit)]).unlink()

    def action_retry(self):
        """Send again now, even a message that used up its attempts (it gets one more)."""
        retry = self.filtered(lambda m: m.state != "done")
        retry._engine().write({"state": "pending", "next_attempt": fields.Datetime.now()})
        retry._send()
        return True

    def _due_domain(self):
        return [
            ("state", "=", "pending"),
            ("next_attempt", "<=", fields.Datetime.now()),
            # an archived channel keeps its queue until it is active again
            ("channel_id.active", "=", True),
        ]

    @api.model
    def _cron_send(self, batch_size=200):
        """Send the due messages, committing after each one (outside tests) so that
        a slow chat server never holds back the others' results; the cron is
        triggered again while messages remain."""
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        domain = self._due_domain()
        messages = self.search(domain, order="next_attempt, id", limit=batch_size)
        with requests.Session() as session:
            # one record at a time: a commit empties the cache, and a message read in
            # the batch's prefetch would read the whole batch again after each one
            for message_id in messages.ids:
                message = self.browse(message_id)
                message._send(session)
                if auto_commit:
                    # a cron batch: keep each outcome even if a later server hangs the job
                    self.env.cr.commit()  # pylint: disable=invalid-commit
        remaining = self.search_count(domain) if len(messages) == batch_size else 0
        self.env["ir.cron"]._notify_progress(done=len(messages), remaining=remaining)
        return messages

    def _send(self, session=None):
        """POST each message once, signed as its platform wants, and record the
        outcome; failures are retried later with exponential backoff until the
        channel's attempts run out."""
        http = session or requests
        for message in self:
            # the URL and secrets are read as the system that sends (admins only see them)
            channel = message.channel_id.sudo()
            url, body, headers = platforms.signed_request(
                channel.platform, channel.url, channel.secret, message.payload, time.time()
            )
            status, error, excerpt = 0, False, False
            start = time.monotonic()
            try:
                response = http.post(
                    url, data=body, headers=headers, timeout=channel.timeout, allow_redirects=False
                )
                status = response.status_code
                excerpt = response.text[:RESPONSE_EXCERPT]
                error = platforms.platform_error(channel.platform, status, response.text)
            except requests.RequestException as exc:
                error = str(exc)
            duration = int((time.monotonic() - start) * 1000)
            now = fields.Datetime.now()
            attempts = message.attempt_count + 1
            vals = {
                "attempt_count": attempts,
                "last_attempt": now,
                "last_status": status,
                "last_error": error[:255] if error else False,
                "response_excerpt": excerpt,
                "duration_ms": duration,
            }
            if not error:
                vals.update(state="done", next_attempt=False)
            elif attempts >= channel.max_attempts:
                vals.update(state="failed", next_attempt=False)
                _logger.info(
                    "Chat message %s to channel %s failed after %s attempts: %s",
                    message.id,
                    channel.name,
                    attempts,
                    error,
                )
            else:
                delay = BACKOFF_MINUTES * 2 ** (attempts - 1)
                vals.update(state="pending", next_attempt=now + timedelta(minutes=delay))
            message._engine().write(vals)
