import re

from odoo import models

TICKET_CHANNEL = re.compile(r"crossdept\.ticket_(\d+)")


class IrWebsocket(models.AbstractModel):
    """An internal user may listen to the channel of a ticket they can read
    ("crossdept.ticket_<id>"), the way Discuss admits members to a channel."""

    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        channels = list(channels)  # the caller's list stays as it was
        ticket_ids = []
        for channel in list(channels):
            match = isinstance(channel, str) and TICKET_CHANNEL.fullmatch(channel)
            if match:
                channels.remove(channel)
                ticket_ids.append(int(match[1]))
        if ticket_ids and self.env.user._is_internal():
            # as the user: the record rules decide which tickets they may hear about
            channels.extend(self.env["crossdept.ticket"].search([("id", "in", ticket_ids)]))
        return super()._build_bus_channel_list(channels)
