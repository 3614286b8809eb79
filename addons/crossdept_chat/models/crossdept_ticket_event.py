from odoo import api, models


class CrossdeptTicketEvent(models.Model):
    _inherit = "crossdept.ticket.event"

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        # the whole batch of a ticket operation is queued at once, in its transaction
        self.env["crossdept.chat.channel"]._enqueue_events(events)
        return events
