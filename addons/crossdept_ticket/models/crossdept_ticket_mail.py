import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools.mail import email_normalize, parse_contact_from_email

_logger = logging.getLogger(__name__)

# days after which a reply to a done ticket opens a new ticket instead of reopening it
REOPEN_DAYS_PARAM = "crossdept_ticket.mail_reopen_days"
REOPEN_DAYS_DEFAULT = 7
# Precedence values of mail that nobody typed (RFC 3834 and common practice)
AUTOMATIC_PRECEDENCE = {"auto_reply", "bulk", "junk", "list"}


def is_automatic_mail(message):
    """Whether ``message`` (an ``email.message.Message``) was sent by a machine:
    an auto-reply, a vacation notice, a mailing list or a delivery report. Answering
    it, or making a ticket of it, invites a mail loop (RFC 3834)."""
    auto_submitted = str(message.get("Auto-Submitted") or "no").split(";")[0].strip().lower()
    if auto_submitted != "no":
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return True
    if str(message.get("Precedence") or "").strip().lower() in AUTOMATIC_PRECEDENCE:
        return True
    content_type = message.get_content_type()
    return content_type == "multipart/report" or "report-type=delivery-status" in str(
        message.get("Content-Type") or ""
    )


class CrossdeptTicket(models.Model):
    """Tickets from email: a mail to a type's or a department's alias is a ticket
    created and submitted as the form does; a reply goes to the ticket's chatter,
    resumes a ticket waiting on the customer and reopens a recently done one."""

    _inherit = "crossdept.ticket"

    previous_ticket_id = fields.Many2one(
        "crossdept.ticket",
        "Follows Ticket",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The done ticket whose customer wrote again after it had been closed too "
        "long to reopen it.",
    )

    def _engine_fields(self):
        return {
            **super()._engine_fields(),
            "previous_ticket_id": self.env._("a reply by email to a ticket done long ago"),
        }

    # ------------------------------------------------------------------
    # Mail gateway
    # ------------------------------------------------------------------

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A new ticket from an incoming mail, created and submitted as the form
        does. mail.thread's default puts the subject into the record's name, which
        for a ticket is its number: the sequence's, that nobody writes (the engine
        refuses it). The subject is the ticket's title here, and the number comes
        from the sequence as for any ticket."""
        vals = dict(custom_values or {})
        previous = self.browse(vals.pop("previous_ticket_id", False))
        company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
        partner = self._mail_sender_partner(msg_dict, company)
        if partner:
            # the message posted next is the customer's
            msg_dict["author_id"] = partner.id
        vals.update(
            {
                "title": (msg_dict.get("subject") or "").strip() or self.env._("(no subject)"),
                "description": msg_dict.get("body") or False,
                "partner_id": partner.id,
                "company_id": company.id,
            }
        )
        if self.env.user == self.env.ref("base.user_root"):
            # nobody in the company asked: the gateway is no requester
            vals.setdefault("requester_id", False)
        ticket = self.with_company(company).create(vals)
        if previous:
            ticket._engine().write({"previous_ticket_id": previous.id})
        ticket.action_submit()
        return ticket

    @api.model
    def _mail_sender_partner(self, msg_dict, company):
        """The contact of the mail's sender: the one found while routing, else one
        found by email, else a new contact of ``company``."""
        if msg_dict.get("author_id"):
            return self.env["res.partner"].browse(msg_dict["author_id"])
        email_from = msg_dict.get("email_from")
        if not email_normalize(email_from or "", strict=False):
            return self.env["res.partner"]
        partner = self._mail_find_partner_from_emails([email_from])[0]
        if partner:
            return partner
        name, email = parse_contact_from_email(email_from)
        return self.env["res.partner"].create(
            {"name": name or email, "email": email, "company_id": company.id}
        )

    def message_update(self, msg_dict, update_vals=None):
        """A reply from the customer or the requester resumes a ticket waiting on
        them and reopens a done one (one done too long ago is routed to a new ticket
        before it gets here, see ``_mail_route_reply``)."""
        res = super().message_update(msg_dict, update_vals=update_vals)
        author_id = msg_dict.get("author_id")
        for ticket in self:
            if (
                not author_id
                or author_id not in (ticket.partner_id | ticket.requester_id.partner_id).ids
            ):
                continue
            if ticket.state == "waiting":
                ticket.with_context(
                    crossdept_reason=self.env._("The customer replied by email.")
                ).action_start()
            elif ticket.state == "done":
                ticket.with_context(
                    crossdept_reason=self.env._("The customer replied by email.")
                ).action_reopen()
        return res

    @api.model
    def _mail_reopen_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param(REOPEN_DAYS_PARAM)
        try:
            return int(value) if value not in (None, False, "") else REOPEN_DAYS_DEFAULT
        except ValueError:
            _logger.warning("%s is not a number of days: %r", REOPEN_DAYS_PARAM, value)
            return REOPEN_DAYS_DEFAULT

    @api.model
    def _mail_route_reply(self, message_dict, route):
        """``route`` (model, thread id, custom values, user id, alias) for a mail to
        a ticket; a reply to a ticket done more than the configured number of days
        ago goes to a new ticket following it instead."""
        ticket = self.browse(route[1]).exists() if route[1] else self.browse()
        if not ticket or ticket.state != "done" or not ticket.date_closed:
            return route
        limit = fields.Datetime.now() - timedelta(days=self._mail_reopen_days())
        if ticket.date_closed >= limit:
            return route
        _logger.info(
            "Mail %s replies to %s, done since %s: it opens a new ticket",
            message_dict.get("message_id"),
            ticket.name,
            ticket.date_closed,
        )
        # the reply is not a reply to the old ticket's messages any more
        message_dict.pop("parent_id", None)
        custom_values = {
            "type_id": ticket.type_id.id,
            "assigned_department_id": ticket.assigned_department_id.id,
            "department_id": ticket.department_id.id,
            "company_id": ticket.company_id.id,
            "priority": ticket.priority,
            "previous_ticket_id": ticket.id,
        }
        return (route[0], False, custom_values, route[3], route[4])

    @api.model
    def _detect_loop_sender_domain(self, email_from_normalized):
        """Tickets have no email field: a sender's tickets are those of their
        contact, so that a sender flooding an alias is ignored as Odoo's gateway
        ignores any looping sender (``mail.gateway.loop.minutes``/``threshold``)."""
        return [("partner_id.email_normalized", "=", email_from_normalized)]
