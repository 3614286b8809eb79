import logging

from odoo import api, models

from .crossdept_ticket_mail import is_automatic_mail

_logger = logging.getLogger(__name__)


class MailThread(models.AbstractModel):
    """Routing of incoming mail to tickets. Odoo checks the route of a reply on
    mail.thread itself (not on the target model), so the check is made here for the
    routes to crossdept.ticket only."""

    _inherit = "mail.thread"

    @api.model
    def _routing_check_route(self, message, message_dict, route, raise_exception=True):
        if route and route[0] == "crossdept.ticket" and is_automatic_mail(message):
            # no ticket, no reopening and no bounce: an answer could start a loop
            _logger.info(
                "Ignored automatic mail from %s to %s with Message-Id %s: no ticket",
                message_dict.get("email_from"),
                message_dict.get("to"),
                message_dict.get("message_id"),
            )
            return False
        checked = super()._routing_check_route(
            message, message_dict, route, raise_exception=raise_exception
        )
        if checked and checked[0] == "crossdept.ticket" and checked[1]:
            return self.env["crossdept.ticket"]._mail_route_reply(message_dict, checked)
        return checked
