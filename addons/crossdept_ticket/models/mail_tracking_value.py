from odoo import models


class MailTrackingValue(models.Model):
    """The tracking values of a batch of tickets (a thousand flows started at once)
    share their defaults (``crossdept_ticket_notify._message_track``)."""

    _name = "mail.tracking.value"
    _inherit = ["mail.tracking.value", "crossdept.shared.defaults.mixin"]
