from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.tools import plaintext2html

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager


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
                "page_name": "crossdept_ticket",
            },
            "my_crossdept_tickets_history",
            False,
            **kw,
        )
        return request.render("crossdept_ticket.portal_my_crossdept_ticket", values)

    def _portal_steps(self, ticket):
        """The steps the customer follows. The ticket may come sudo-ed from an access
        token check, so the steps are filtered here as their record rule does."""
        return ticket.step_ids.filtered("portal_visible")

    @http.route(["/my/tickets/new"], type="http", auth="user", website=True)
    def portal_new_crossdept_ticket(self, **post):
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "crossdept_ticket_new", "error": "", "post": post})
        if request.httprequest.method == "POST":
            title = (post.get("title") or "").strip()
            if not title:
                values["error"] = request.env._("Please give your request a title.")
            else:
                ticket = self._create_portal_ticket(title, post.get("description") or "")
                return request.redirect(ticket.access_url)
        return request.render("crossdept_ticket.portal_new_crossdept_ticket", values)

    def _create_portal_ticket(self, title, description):
        user = request.env.user
        # portal users have no create right on tickets: the ticket is created here,
        # with the customer forced to the portal user's own partner
        return (
            request.env["crossdept.ticket"]
            .sudo()
            .create(
                {
                    "title": title,
                    "description": plaintext2html(description),
                    "partner_id": user.partner_id.id,
                    "requester_id": user.id,
                    "state": "open",
                }
            )
        )
