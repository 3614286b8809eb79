from datetime import timedelta

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.tools import SQL

# a callback's timestamp may be this many seconds away from the server's clock
WINDOW_SECONDS = 300


class CrossdeptChatNonce(models.Model):
    """The nonces of the chat callbacks accepted within the timestamp window: a
    request repeated with the same nonce is a replay and is refused."""

    _name = "crossdept.chat.nonce"
    _description = "Chat Callback Nonce"
    _log_access = False

    channel_id = fields.Many2one(
        "crossdept.chat.channel", required=True, ondelete="cascade", index=True
    )
    nonce = fields.Char(required=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)

    _sql_constraints = [
        ("nonce_uniq", "unique(channel_id, nonce)", "A callback nonce is used once."),
    ]

    @api.autovacuum
    def _gc_nonces(self):
        """Nonces older than twice the window can no longer come back: their
        timestamps would be refused first."""
        limit = fields.Datetime.now() - timedelta(seconds=2 * WINDOW_SECONDS)
        self.sudo().search([("date", "<", limit)]).unlink()

    @api.model
    def _claim(self, channel, nonce):
        """Record ``nonce`` as used on ``channel``; False when it was used already (a
        replay). A request with the same nonce running at the same time waits for
        this transaction on the unique index; once this one commits, the other one's
        insert conflicts with a row its snapshot cannot see, which PostgreSQL
        reports as a serialization failure: that too is a replay."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "INSERT INTO crossdept_chat_nonce (channel_id, nonce, date) "
                        "VALUES (%s, %s, %s) ON CONFLICT (channel_id, nonce) DO NOTHING "
                        "RETURNING id",
                        channel.id,
                        nonce,
                        fields.Datetime.now(),
                    ),
                    log_exceptions=False,
                )
                return bool(self.env.cr.fetchone())
        except SerializationFailure:
            return False
