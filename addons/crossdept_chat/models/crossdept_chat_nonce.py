from datetime import timedelta

from odoo import api, fields, models

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
