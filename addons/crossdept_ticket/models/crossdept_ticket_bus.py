from odoo import models


class CrossdeptTicket(models.Model):
    """A ticket is a bus channel: its open diagrams hear when its steps change
    (crossdept.ticket.step's ``_queue_ticket_notification``)."""

    _name = "crossdept.ticket"
    _inherit = ["crossdept.ticket", "bus.listener.mixin"]
