from odoo import models


class CrossdeptTicketEvent(models.Model):
    _inherit = "crossdept.ticket.event"

    def _on_logged(self):
        res = super()._on_logged()
        # the whole batch of a ticket operation is queued at once, in its transaction
        self.env["crossdept.chat.channel"]._enqueue_events(self)
        return res
