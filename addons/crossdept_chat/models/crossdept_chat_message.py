import time

from odoo import fields, models

from ..tools import platforms
from .crossdept_chat_route import EVENTS


class CrossdeptChatMessage(models.Model):
    """The outbox: one message to one chat channel, queued in the transaction of the
    ticket event it tells of and sent by a cron after the commit, with its attempts'
    outcome. A message is never dropped: it is sent, or it fails after its channel's
    attempts and waits to be retried by hand."""

    _name = "crossdept.chat.message"
    _description = "Chat Message"
    _inherit = ["crossdept.outbox.mixin"]
    _order = "id desc"
    _rec_name = "event"
    _outbox_target = "channel_id"
    _outbox_retention_param = "crossdept_chat.message_retention_days"

    channel_id = fields.Many2one(
        "crossdept.chat.channel", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    route_id = fields.Many2one("crossdept.chat.route", readonly=True, ondelete="set null")
    event = fields.Selection(EVENTS, required=True, readonly=True)
    step_id = fields.Many2one("crossdept.ticket.step", readonly=True, ondelete="set null")

    def _outbox_request(self):
        """Signed as the channel's platform wants it."""
        self.ensure_one()
        channel = self.channel_id.sudo()
        return platforms.signed_request(
            channel.platform, channel.url, channel.secret, self.payload, time.time()
        )

    def _outbox_error(self, response):
        """The platform's own error in a 200 answer counts too (DingTalk, Feishu and
        WeCom answer errors with status 200)."""
        return platforms.platform_error(
            self.channel_id.sudo().platform, response.status_code, response.text
        )
