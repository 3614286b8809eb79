from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.tools import plaintext2html

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

# files a customer may attach to a new ticket
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024


class CrossdeptPortal(CustomerPortal):
    _items_per_page = 20

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "crossdept_ticket_count" in counters:
            Ticket = request.env["crossdept.ticket"]
            values["crossdept_ticket_count"] = (
                Ticket.search_count([]) if Ticket.has_access("read") else 0
            )
        return values

    @http.route(
        ["/my/tickets", "/my/tickets/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_crossdept_tickets(self, page=1, **kw):
        Ticket = request.env["crossdept.ticket"]
        count = Ticket.search_count([])
        pager = portal_pager(url="/my/tickets", total=count, page=page, step=self._items_per_page)
        tickets = Ticket.search(
            [], order="id desc", limit=self._items_per_page, offset=pager["offset"]
        )
        values = self._prepare_portal_layout_values()
        values.update({"tickets": tickets, "pager": pager, "page_name": "crossdept_tickets"})
        return request.render("crossdept_ticket.portal_my_crossdept_tickets", values)

    @http.route(["/my/tickets/<int:ticket_id>"], type="http", auth="public", website=True)
    def portal_my_crossdept_ticket(self, ticket_id, access_token=None, **kw):
        try:
            ticket = self._document_check_access(
                "crossdept.ticket", ticket_id, access_token=access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._get_page_view_values(
            ticket,
            access_token,
            {
                "ticket": ticket,
                "steps": self._portal_steps(ticket),
                "step_names": self._portal_step_names(ticket),
                "page_name": "crossdept_ticket",
                # right after the customer sent it: what happens next
                "just_created": kw.get("created") == "1",
                "expected_reply": self._portal_expected_reply(ticket),
            },
            "my_crossdept_tickets_history",
            False,
            **kw,
        )
        return request.render("crossdept_ticket.portal_my_crossdept_ticket", values)

    def _portal_expected_reply(self, ticket):
        """When the customer can expect an answer: the earliest deadline of the steps
        being worked on, else the ticket's own deadline."""
        current = ticket.sudo().step_ids.filtered(
            lambda step: step.state in ("ready", "in_progress") and step.date_deadline
        )
        return min(current.mapped("date_deadline"), default=ticket.date_deadline)

    def _portal_ticket_types(self):
        """The types a customer may choose on the portal, in their company."""
        return request.env["crossdept.ticket.type"].search(
            [
                ("portal_available", "=", True),
                ("company_id", "in", [False, request.env.user.company_id.id]),
            ]
        )

    def _portal_steps(self, ticket):
        """The steps the customer follows. The ticket may come sudo-ed from an access
        token check, so the steps are filtered here as their record rule does."""
        return ticket.step_ids.filtered("portal_visible")

    def _portal_step_names(self, ticket):
        """The steps' names in the customer's language (a step holds its flow step's
        name in every language)."""
        steps = self._portal_steps(ticket).with_context(lang=request.env.lang)
        return {step.id: step.name for step in steps}

    @http.route(["/my/tickets/new"], type="http", auth="user", website=True)
    def portal_new_crossdept_ticket(self, **post):
        """The customer's new ticket: a title, a description (plain text, kept as
        escaped HTML) and files, which arrive in the ticket's chatter as the
        customer's first message."""
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "crossdept_ticket_new",
                "error": "",
                "post": post,
                "max_attachments": MAX_ATTACHMENTS,
                "max_attachment_mb": MAX_ATTACHMENT_SIZE // (1024 * 1024),
                "ticket_types": self._portal_ticket_types().with_context(lang=request.env.lang),
            }
        )
        if request.httprequest.method == "POST":
            title = (post.get("title") or "").strip()
            files = [
                upload
                for upload in request.httprequest.files.getlist("attachments")
                if upload.filename
            ]
            error = self._check_portal_ticket(title, files)
            ticket_type = self._portal_ticket_type(post.get("type_id"))
            if not error and ticket_type is None:
                error = request.env._("Choose one of the listed request types.")
            if error:
                values["error"] = error
            else:
                ticket = self._create_portal_ticket(
                    title, post.get("description") or "", files, ticket_type=ticket_type
                )
                return request.redirect(f"{ticket.access_url}?created=1")
        return request.render("crossdept_ticket.portal_new_crossdept_ticket", values)

    def _check_portal_ticket(self, title, files):
        _ = request.env._
        if not title:
            return _("Please give your request a title.")
        if len(files) > MAX_ATTACHMENTS:
            return _("Attach at most %(count)s files.", count=MAX_ATTACHMENTS)
        for upload in files:
            if self._upload_size(upload) > MAX_ATTACHMENT_SIZE:
                return _(
                    "%(file)s is larger than %(size)s MB.",
                    file=upload.filename,
                    size=MAX_ATTACHMENT_SIZE // (1024 * 1024),
                )
        return ""

    def _portal_ticket_type(self, type_id):
        """The type the customer chose: an empty record when they chose none, None
        when it is not one they may choose."""
        types = self._portal_ticket_types()
        if not type_id:
            return types.browse()
        try:
            chosen = types.browse(int(type_id))
        except ValueError:
            return None
        return chosen if chosen in types else None

    @staticmethod
    def _upload_size(upload):
        stream = upload.stream
        position = stream.tell()
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(position)
        return size

    def _create_portal_ticket(self, title, description, files=(), ticket_type=None):
        user = request.env.user
        # portal users have no create right on tickets: the ticket is created here,
        # with the customer forced to the portal user's own partner
        ticket = (
            request.env["crossdept.ticket"]
            .sudo()
            .create(
                {
                    "title": title,
                    "description": plaintext2html(description) if description.strip() else False,
                    "partner_id": user.partner_id.id,
                    "requester_id": user.id,
                    "type_id": ticket_type.id if ticket_type else False,
                }
            )
        )
        if files:
            self._post_portal_attachments(ticket, files)
        # submitted as the form and the mail gateway submit: a flow that matches runs
        ticket.action_submit()
        return ticket

    def _post_portal_attachments(self, ticket_sudo, files):
        """The customer's files, posted as their message on the ticket they just
        created, the way the portal chatter posts uploads: pending attachments of
        the customer (with access tokens), which posting links to this ticket only."""
        user = request.env.user
        # sudo: portal users cannot create attachments; these are the customer's
        # own files, created by them (create_uid) and bound to their new ticket below
        attachments = (
            request.env["ir.attachment"]
            .sudo()
            .create(
                [
                    {
                        "name": upload.filename,
                        "raw": upload.read(),
                        "res_model": "mail.compose.message",
                        "res_id": 0,
                        "access_token": request.env["ir.attachment"]._generate_access_token(),
                    }
                    for upload in files
                ]
            )
        )
        ticket_sudo.with_context(mail_create_nosubscribe=True).message_post(
            author_id=user.partner_id.id,
            attachment_ids=attachments.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
