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
# sent messages are kept this many days unless configured otherwise
RETENTION_DAYS = 30


class CrossdeptOutboxMixin(models.AbstractModel):
    """An outbox of HTTP POSTs (webhook deliveries, chat messages): each is queued in
    the transaction of the ticket event it tells of and sent by a cron after the
    commit, with its attempts' outcome. Failures are retried with exponential
    backoff until the target's attempts run out; nothing is dropped, a failed one
    waits to be retried by hand.

    A model using it names its target (``_outbox_target``: a record with ``active``,
    ``max_attempts`` and ``timeout``) and builds its request (``_outbox_request``)."""

    _name = "crossdept.outbox.mixin"
    _description = "Outbox of Outgoing Requests"
    _inherit = ["crossdept.engine.mixin"]

    # the Many2one to the target (subscription, chat channel)
    _outbox_target = None
    # system parameter of the retention of sent ones, in days
    _outbox_retention_param = None
    # the states forgotten after the retention (failed ones may be kept to be retried)
    _outbox_forget_states = ("done",)

    ticket_id = fields.Many2one(
        "crossdept.ticket", readonly=True, ondelete="cascade", index="btree_not_null"
    )
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
        # queued by ticket events and sent by the cron
        return self._engine_all_fields(self.env._("Retry now"))

    def init(self):
        if self._abstract:
            return
        # the cron looks for the pending ones that are due
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS %s ON %s (next_attempt, id) WHERE state = 'pending'",
                SQL.identifier(f"{self._table}_due_idx"),
                SQL.identifier(self._table),
            )
        )

    @api.autovacuum
    def _gc_outbox(self):
        """Forget what was sent (and, where configured, failed) long ago."""
        if self._abstract:
            return
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(self._outbox_retention_param, RETENTION_DAYS)
        )
        limit = fields.Datetime.now() - timedelta(days=days)
        domain = [("state", "in", self._outbox_forget_states), ("write_date", "<", limit)]
        self.sudo().search(domain).unlink()

    def _outbox_request(self):
        """(url, body bytes, headers) of one record's POST, signed for its target."""
        raise NotImplementedError

    def _outbox_error(self, response):
        """What went wrong with a response, or False when it was accepted."""
        if not 200 <= response.status_code < 300:
            return self.env._("HTTP status %(status)s", status=response.status_code)
        return False

    def action_retry(self):
        """Send again now, even one that used up its attempts (it gets one more)."""
        retry = self.filtered(lambda record: record.state != "done")
        retry._engine().write({"state": "pending", "next_attempt": fields.Datetime.now()})
        retry._send()
        return True

    def _due_domain(self):
        return [
            ("state", "=", "pending"),
            ("next_attempt", "<=", fields.Datetime.now()),
            # an archived target keeps its queue until it is active again
            (f"{self._outbox_target}.active", "=", True),
        ]

    @api.model
    def _cron_send(self, batch_size=200):
        """Send the due ones, committing after each (outside tests) so that a slow
        receiver never holds back the others' results; the cron is triggered again
        while some remain."""
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        domain = self._due_domain()
        records = self.search(domain, order="next_attempt, id", limit=batch_size)
        with requests.Session() as session:
            # one record at a time: a commit empties the cache, and a record read in
            # the batch's prefetch would read the whole batch again after each one
            for record_id in records.ids:
                self.browse(record_id)._send(session)
                if auto_commit:
                    # a cron batch: keep each outcome even if a later receiver hangs the job
                    self.env.cr.commit()  # pylint: disable=invalid-commit
        remaining = self.search_count(domain) if len(records) == batch_size else 0
        self.env["ir.cron"]._notify_progress(done=len(records), remaining=remaining)
        return records

    def _send(self, session=None):
        """POST each one once and record the outcome; a failure is retried later
        with exponential backoff until the target's attempts run out."""
        http = session or requests
        for record in self:
            # the URL and secrets are read as the system that sends (admins only see them)
            target = record[self._outbox_target].sudo()
            url, body, headers = record._outbox_request()
            status, error, excerpt = 0, False, False
            start = time.monotonic()
            try:
                response = http.post(
                    url, data=body, headers=headers, timeout=target.timeout, allow_redirects=False
                )
                status = response.status_code
                excerpt = response.text[:RESPONSE_EXCERPT]
                error = record._outbox_error(response)
            except requests.RequestException as exc:
                error = str(exc)
            duration = int((time.monotonic() - start) * 1000)
            now = fields.Datetime.now()
            attempts = record.attempt_count + 1
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
            elif attempts >= target.max_attempts:
                vals.update(state="failed", next_attempt=False)
                _logger.info(
                    "%s %s to %s failed after %s attempts: %s",
                    self._description,
                    record.id,
                    target.display_name,
                    attempts,
                    error,
                )
            else:
                delay = BACKOFF_MINUTES * 2 ** (attempts - 1)
                vals.update(state="pending", next_attempt=now + timedelta(minutes=delay))
            record._engine().write(vals)
