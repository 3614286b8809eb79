from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models

from odoo.addons.rating.models.rating_data import RATING_LIMIT_MIN

SALESMAN = "sales_team.group_sale_salesman"

# states whose reaching is told in the chatter of the ticket's lead
MILESTONE_STATES = ("in_progress", "done", "cancelled")


class CrossdeptTicket(models.Model):
    _inherit = "crossdept.ticket"

    lead_id = fields.Many2one(
        "crm.lead",
        "Lead/Opportunity",
        index="btree_not_null",
        tracking=True,
        copy=False,
        check_company=True,
        help="The lead or opportunity this ticket was raised from; the ticket's "
        "milestones are logged in its chatter.",
    )
    handling_hours = fields.Float(
        "Handling Time (h)",
        compute="_compute_handling_hours",
        help="Hours from the ticket's creation to its closing.",
    )
    # customer history: what the current user may see of the customer's other records
    customer_ticket_ids = fields.Many2many(
        "crossdept.ticket",
        string="Earlier Tickets",
        compute="_compute_customer_history",
        help="Tickets of the same customer (company and contacts) created before this one.",
    )
    customer_ticket_count = fields.Integer(
        "Earlier Tickets Count", compute="_compute_customer_history"
    )
    customer_closed_count = fields.Integer("Closed Tickets", compute="_compute_customer_history")
    customer_avg_handling_hours = fields.Float(
        "Average Handling Time (h)",
        compute="_compute_customer_history",
        help="Average hours from creation to closing of the customer's earlier tickets "
        "that are done.",
    )
    customer_rating_ids = fields.Many2many(
        "rating.rating",
        string="Customer Ratings",
        compute="_compute_customer_history",
        help="Ratings the customer gave on their earlier tickets.",
    )
    customer_rating_count = fields.Integer(
        "Customer Ratings Count", compute="_compute_customer_history"
    )
    customer_rating_avg = fields.Float(
        "Customer Average Rating", compute="_compute_customer_history"
    )
    customer_lead_ids = fields.Many2many(
        "crm.lead",
        string="Open Leads/Opportunities",
        compute="_compute_customer_lead_ids",
        groups=SALESMAN,
        help="Leads and opportunities of the customer that are neither won nor lost.",
    )
    customer_lead_count = fields.Integer(
        "Open Leads/Opportunities Count", compute="_compute_customer_lead_ids", groups=SALESMAN
    )

    @api.depends("create_date", "date_closed")
    def _compute_handling_hours(self):
        for ticket in self:
            if ticket.create_date and ticket.date_closed:
                delta = ticket.date_closed - ticket.create_date
                ticket.handling_hours = delta.total_seconds() / 3600
            else:
                ticket.handling_hours = 0.0

    @api.depends("partner_id")
    @api.depends_context("uid")
    def _compute_customer_history(self):
        """Earlier tickets and their ratings, for all tickets at once: one search for
        the tickets of every customer involved, one for their ratings. Both searches
        run as the current user, so the panel shows no more than the core's rules."""
        customer_of = self._customer_contacts()
        by_customer = defaultdict(lambda: self.browse())
        ratings_by_ticket = defaultdict(lambda: self.env["rating.rating"])
        if customer_of:
            history = self.search_fetch(
                [("partner_id", "in", list(customer_of))],
                # active: x2many values are filtered on it when read
                ["partner_id", "create_date", "date_closed", "state", "active"],
                order="create_date desc, id desc",
            )
            for ticket in history:
                by_customer[customer_of[ticket.partner_id.id]] |= ticket
            ratings = self.env["rating.rating"].search_fetch(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", history.ids),
                    ("partner_id", "in", list(customer_of)),
                    ("consumed", "=", True),
                    ("rating", ">=", RATING_LIMIT_MIN),
                ],
                ["res_id", "rating"],
                order="create_date desc, id desc",
            )
            for rating in ratings:
                ratings_by_ticket[rating.res_id] |= rating
        for ticket in self:
            earlier = by_customer[customer_of.get(ticket.partner_id.id)]
            origin = ticket._origin
            if origin.id:
                earlier = earlier.filtered(
                    lambda other, o=origin: (other.create_date, other.id) < (o.create_date, o.id)
                )
            closed = earlier.filtered(lambda other: other.state == "done" and other.date_closed)
            ratings = self.env["rating.rating"].union(
                *(ratings_by_ticket[other.id] for other in earlier)
            )
            ticket.customer_ticket_ids = earlier
            ticket.customer_ticket_count = len(earlier)
            ticket.customer_closed_count = len(closed)
            ticket.customer_avg_handling_hours = (
                sum(closed.mapped("handling_hours")) / len(closed) if closed else 0.0
            )
            ticket.customer_rating_ids = ratings
            ticket.customer_rating_count = len(ratings)
            ticket.customer_rating_avg = (
                sum(ratings.mapped("rating")) / len(ratings) if ratings else 0.0
            )

    @api.depends("partner_id")
    @api.depends_context("uid")
    def _compute_customer_lead_ids(self):
        """Open leads and opportunities of the customers, in one search (as the
        current user, so CRM's own rules apply)."""
        customer_of = self._customer_contacts()
        by_customer = defaultdict(lambda: self.env["crm.lead"])
        if customer_of:
            leads = self.env["crm.lead"].search_fetch(
                [
                    ("partner_id", "in", list(customer_of)),
                    "|",
                    ("stage_id", "=", False),
                    ("stage_id.is_won", "=", False),
                ],
                ["partner_id", "active"],
            )
            for lead in leads:
                by_customer[customer_of[lead.partner_id.id]] |= lead
        for ticket in self:
            leads = by_customer[customer_of.get(ticket.partner_id.id)]
            ticket.customer_lead_ids = leads
            ticket.customer_lead_count = len(leads)

    def _customer_contacts(self):
        """{partner id: commercial partner id} of the customers of these tickets and
        of all their contacts, read in one query."""
        commercial = self.partner_id.commercial_partner_id
        if not commercial:
            return {}
        contacts = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search_fetch(
                [("commercial_partner_id", "in", commercial.ids)], ["commercial_partner_id"]
            )
        )
        return {contact.id: contact.commercial_partner_id.id for contact in contacts}

    @api.onchange("lead_id")
    def _onchange_lead_id(self):
        """Linking a lead fills what is still empty from it."""
        if not self.lead_id:
            return
        for name, value in self._prepare_values_from_lead(self.lead_id).items():
            if not self[name]:
                self[name] = value

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model
    def default_get(self, fields_list):
        """A ticket opened for a lead (``default_lead_id``) starts as a copy of it; one
        opened for a customer (``default_partner_id``) is requested by the department
        of the customer's salesperson."""
        defaults = super().default_get(fields_list)
        context = self.env.context
        if context.get("default_lead_id"):
            lead = self.env["crm.lead"].browse(defaults.get("lead_id"))
            prefill = self._prepare_values_from_lead(lead) if lead else {}
        elif context.get("default_partner_id"):
            partner = self.env["res.partner"].browse(defaults.get("partner_id"))
            prefill = {"department_id": self._salesperson_department(partner.user_id).id}
        else:
            return defaults
        # what the lead or customer says beats the general defaults (the requesting
        # department of the user's employee), not the caller's explicit defaults
        for name, value in prefill.items():
            if name in fields_list and value and f"default_{name}" not in context:
                defaults[name] = value
        return defaults

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets.filtered("lead_id")._log_lead_milestones("create")
        return tickets

    def write(self, vals):
        linked = moved = self.browse()
        if vals.get("lead_id"):
            linked = self.filtered(lambda ticket: ticket.lead_id.id != vals["lead_id"])
        if vals.get("state") in MILESTONE_STATES:
            moved = self.filtered(lambda ticket: ticket.state != vals["state"]) - linked
        res = super().write(vals)
        linked._log_lead_milestones("link")
        moved.filtered("lead_id")._log_lead_milestones("state")
        return res

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    @api.model
    def _prepare_values_from_lead(self, lead):
        """Values of a ticket raised from ``lead``."""
        company = lead.company_id or self.env.company
        values = {
            "lead_id": lead.id,
            "title": lead.name,
            "partner_id": lead.partner_id.id,
            "description": lead.description,
            "department_id": self._salesperson_department(lead.user_id, company).id,
        }
        if lead.company_id:
            values["company_id"] = lead.company_id.id
        return values

    @api.model
    def _salesperson_department(self, user, company=None):
        """Department of ``user``'s employee in ``company`` (else of the current user's),
        read from the public employee profiles every internal user may read."""
        company = company or self.env.company
        users = user | self.env.user
        employees = self.env["hr.employee.public"].search_fetch(
            [("user_id", "in", users.ids), ("company_id", "=", company.id)],
            ["user_id", "department_id"],
        )
        for candidate in users:
            employee = employees.filtered(lambda e, u=candidate: e.user_id == u)[:1]
            if employee.department_id:
                return employee.department_id
        return self.env["hr.department"]

    def _log_lead_milestones(self, milestone):
        """Log on each ticket's lead that it was created or linked, or reached one of
        ``MILESTONE_STATES``: one note per lead, for all these tickets at once."""
        lines = defaultdict(list)
        for ticket in self:
            link = ticket._get_html_link()
            if milestone == "create":
                line = self.env._("Ticket %(ticket)s was created.", ticket=link)
            elif milestone == "link":
                line = self.env._("Ticket %(ticket)s was linked to this lead.", ticket=link)
            else:
                line = self.env._(
                    "Ticket %(ticket)s is now %(state)s.",
                    ticket=link,
                    state=ticket._state_label(ticket.state),
                )
            lines[ticket.lead_id.id].append(line)
        if not lines:
            return
        # the person moving a ticket often has no rights on its lead: the note is a
        # consequence of their change on the ticket, not an edit of the lead
        leads = self.env["crm.lead"].sudo().browse(list(lines))
        leads._message_log_batch(
            {lead_id: Markup("<br/>").join(body) for lead_id, body in lines.items()},
            author_id=self.env.user.partner_id.id,
        )

    @api.model
    def _crm_action_new(self, defaults):
        """A form for a new ticket pre-filled from ``defaults`` (a lead or a customer):
        default_get fills in the rest."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Ticket"),
            "res_model": "crossdept.ticket",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {f"default_{field}": value for field, value in defaults.items()},
        }

    @api.model
    def _crm_action_list(self, name, domain, defaults):
        """The ticket list of a lead or a customer."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crossdept_ticket.crossdept_ticket_action"
        )
        action.update(
            {
                "name": name,
                "domain": domain,
                "context": {f"default_{field}": value for field, value in defaults.items()},
            }
        )
        return action
