from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

# ticket states in which the approval is still under way
RUNNING_STATES = ("draft", "open", "in_progress", "waiting")


class PurchaseOrder(models.Model):
    """Purchase orders pass CrossDept's approval gate: an order that needs approval
    is confirmed only once the flow of its approval ticket approved it, and a
    change after submission beyond the company's tolerance (more money, taxes
    included, another vendor, other lines), or an unlock, resets the approval and
    runs the flow again. A confirmed order that a change makes need an approval
    (past the threshold, a product of an approval category) goes to approval the
    same way. A done approval ticket is final (see ``crossdept.ticket``).
    """

    _name = "purchase.order"
    _inherit = ["purchase.order", "crossdept.approval.mixin"]

    crossdept_ticket_id = fields.Many2one(
        "crossdept.ticket",
        "Approval Ticket",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The CrossDept ticket of the order's current approval.",
    )
    # read as superuser, so that buyers without CrossDept rights see how their
    # approval is going (its state only)
    crossdept_ticket_state = fields.Selection(
        related="crossdept_ticket_id.state", string="Approval Status"
    )
    crossdept_approval_amount = fields.Monetary(
        "Submitted Amount",
        currency_field="company_currency_id",
        readonly=True,
        copy=False,
        help="Order total, taxes included, in the company currency, when the order was "
        "submitted for approval: an approval covers the order as long as its total stays "
        "within it.",
    )
    crossdept_approval_snapshot = fields.Json(
        "Submitted Lines",
        readonly=True,
        copy=False,
        help="Vendor and amount per product, taxes included, in the company currency, when "
        "the order was submitted: a later change beyond the tolerance needs a new approval.",
    )
    crossdept_ticket_ids = fields.One2many(
        "crossdept.ticket", "purchase_id", "Approval Tickets", readonly=True
    )
    crossdept_ticket_count = fields.Integer(
        "Approval Ticket Count", compute="_compute_crossdept_ticket_count"
    )

    @api.depends("crossdept_ticket_ids")
    def _compute_crossdept_ticket_count(self):
        # a count only, which the buyer may know without CrossDept rights
        counts = {
            order.id: count
            for order, count in self.env["crossdept.ticket"]
            .sudo()
            ._read_group([("purchase_id", "in", self.ids)], ["purchase_id"], ["__count"])
        }
        for order in self:
            order.crossdept_ticket_count = counts.get(order.id, 0)

    def _engine_fields(self):
        # only CrossDept's own fields: the rest of the order is Purchase's
        submit = self.env._("Confirm Order (it submits the order for approval)")
        return {
            "approval_state": submit,
            "crossdept_ticket_id": submit,
            "crossdept_approval_amount": submit,
            "crossdept_approval_snapshot": submit,
            # the approval tickets point to their order when it is submitted
            "crossdept_ticket_ids": submit,
        }

    def write(self, vals):
        if vals.get("state") in ("purchase", "done"):
            # whatever path sets the state (a button, RPC, an import), an order that
            # needs approval is confirmed or locked only once approved
            self._crossdept_check_approved()
        res = super().write(vals)
        if {"partner_id", "currency_id", "order_line"} & vals.keys():
            self._crossdept_check_changes()
        return res

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def button_confirm(self):
        self._crossdept_check_not_pending()
        to_submit = self.filtered(
            lambda order: (
                order.state in ("draft", "sent", "to approve")
                and not order._crossdept_is_approved()
            )
        )._crossdept_needing_approval()
        if to_submit:
            to_submit._crossdept_submit()
        return super(PurchaseOrder, self - to_submit).button_confirm()

    def button_approve(self, force=False):
        self._crossdept_check_approved()
        return super().button_approve(force=force)

    def button_done(self):
        self._crossdept_check_approved()
        return super().button_done()

    def button_unlock(self):
        """An unlocked order may change again: its approval no longer holds and its
        flow runs again before it is confirmed."""
        res = super().button_unlock()
        approved = self.filtered(lambda order: order.approval_state == "approved")
        approved._crossdept_resubmit(self.env._("The order was unlocked."))
        return res

    def button_draft(self):
        res = super().button_draft()
        # a draft order is submitted afresh when it is confirmed again
        self.filtered(lambda order: order.approval_state != "none")._approval_set("none")
        return res

    def button_cancel(self):
        res = super().button_cancel()
        running = self.filtered(lambda order: order.crossdept_ticket_state in RUNNING_STATES)
        if running:
            # the buyer may cancel their order without CrossDept rights; its approval
            # ticket has nothing left to approve
            running.crossdept_ticket_id.sudo().with_context(
                crossdept_reason=self.env._("The purchase order was cancelled.")
            ).action_cancel()
        # a cancelled order needs a new approval if it is confirmed again
        self.filtered("crossdept_ticket_id")._engine().write(
            {"crossdept_ticket_id": False, "approval_state": "none"}
        )
        return res

    def _approval_allowed(self):
        # an approved CrossDept flow replaces Odoo's own double validation
        if self._crossdept_is_approved():
            return True
        return super()._approval_allowed()

    def action_view_crossdept_tickets(self):
        self.ensure_one()
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Approval Tickets"),
            "res_model": "crossdept.ticket",
            "view_mode": "list,form",
            "domain": [("purchase_id", "=", self.id)],
            "context": {"create": False},
        }
        if self.crossdept_ticket_count == 1:
            action.update(view_mode="form", res_id=self.crossdept_ticket_ids.id)
        return action

    # ------------------------------------------------------------------
    # Approval
    # ------------------------------------------------------------------

    def _crossdept_needing_approval(self):
        """The orders of this recordset that need an approval ticket under their
        company's settings: a product of an approval category, or a total (in the
        company currency) that reaches the threshold."""
        return self.browse(list(self._crossdept_approval_reasons()))

    def _crossdept_approval_reasons(self):
        """{order id: why it needs an approval} for the orders of this recordset that
        need one (see ``_crossdept_needing_approval``)."""
        reasons = {}
        categories = {}  # company -> approval categories and their subcategories
        for order in self:
            company = order.company_id
            if not company.crossdept_purchase_approval:
                continue
            if company not in categories:
                categories[company] = (
                    self.env["product.category"]
                    .sudo()
                    .search([("id", "child_of", company.crossdept_purchase_categ_ids.ids)])
                    if company.crossdept_purchase_categ_ids
                    else self.env["product.category"]
                )
            products = order.order_line.product_id.filtered(
                lambda product, company=company: product.categ_id in categories[company]
            )
            if products:
                reasons[order.id] = self.env._(
                    "The order has products of an approval category: %(products)s.",
                    products=", ".join(products.mapped("display_name")),
                )
                continue
            amount = order._crossdept_company_amount()
            currency = company.currency_id
            if currency.compare_amounts(amount, company.crossdept_purchase_threshold) >= 0:
                reasons[order.id] = self.env._(
                    "The order total, %(amount)s, reaches the approval threshold of %(threshold)s.",
                    amount=formatLang(self.env, amount, currency_obj=currency),
                    threshold=formatLang(
                        self.env, company.crossdept_purchase_threshold, currency_obj=currency
                    ),
                )
        return reasons

    def _crossdept_company_amount(self):
        """The order total, taxes included, in the company currency at the order
        date: the amount the threshold, the submitted amount and the tolerance use."""
        self.ensure_one()
        return self.currency_id._convert(
            self.amount_total,
            self.company_id.currency_id,
            self.company_id,
            self.date_order or fields.Date.context_today(self),
        )

    def _crossdept_is_approved(self):
        """Whether the order passed its approval gate (and still does: a change
        beyond the tolerance resets it)."""
        self.ensure_one()
        return self.approval_state == "approved"

    def _crossdept_flow_approved(self):
        return self.crossdept_ticket_state == "done" and (
            self.crossdept_ticket_id.sudo()._crossdept_flow_approved()
        )

    def _crossdept_check_not_pending(self):
        for order in self:
            if order.crossdept_ticket_state in RUNNING_STATES:
                order._crossdept_raise_pending()

    def _crossdept_check_approved(self):
        """Only orders that need no approval, or whose approval is granted, can be
        confirmed or locked."""
        self._crossdept_check_not_pending()
        unapproved = self.filtered(lambda order: not order._crossdept_is_approved())
        for order in unapproved._crossdept_needing_approval():
            raise UserError(
                self.env._(
                    "Purchase order %(order)s needs a CrossDept approval: use Confirm Order "
                    "to submit it for approval.",
                    order=order.display_name,
                )
            )

    def _crossdept_raise_pending(self):
        self.ensure_one()
        ticket = self.crossdept_ticket_id.sudo()
        raise UserError(
            self.env._(
                "Purchase order %(order)s cannot be confirmed before its approval ticket "
                "%(ticket)s is done; the ticket is %(state)s.",
                order=self.display_name,
                ticket=ticket.name,
                state=dict(ticket._fields["state"]._description_selection(self.env))[ticket.state],
            )
        )

    def _crossdept_submit(self):
        """Create one approval ticket per order, start its flow and put the order
        in To Approve."""
        vals_list = [order._crossdept_prepare_ticket_vals() for order in self]
        # the buyer needs no CrossDept rights to submit an order: the ticket is created
        # and started as superuser, and the buyer only sees its number and state
        tickets = (
            self.env["crossdept.ticket"]
            .sudo()
            ._engine()
            .create(vals_list)
            .with_env(self.env["crossdept.ticket"].sudo().env)
        )
        tickets.action_start_flow()
        for order, ticket in zip(self, tickets, strict=True):
            order._engine().write(
                {
                    "state": "to approve",
                    "approval_state": "pending",
                    "crossdept_ticket_id": ticket.id,
                    "crossdept_approval_amount": order._crossdept_company_amount(),
                    "crossdept_approval_snapshot": order._crossdept_snapshot(),
                }
            )
            if order.partner_id not in order.message_partner_ids:
                order.message_subscribe([order.partner_id.id])
            order.message_post(
                body=self.env._(
                    "Submitted for approval: ticket %(ticket)s runs the flow %(flow)s. "
                    "The order is confirmed once the ticket is done.",
                    ticket=ticket.name,
                    flow=ticket.flow_id.display_name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return tickets

    def _crossdept_prepare_ticket_vals(self):
        self.ensure_one()
        company = self.company_id
        flow = company._crossdept_purchase_flow()
        user = self.user_id or self.env.user
        employee = user.sudo().employee_ids.filtered(
            lambda e: e.company_id == company and e.department_id
        )[:1]
        return {
            "title": self.env._(
                "Approve purchase order %(order)s (%(vendor)s, %(amount)s)",
                order=self.name,
                vendor=self.partner_id.display_name,
                amount=formatLang(self.env, self.amount_total, currency_obj=self.currency_id),
            ),
            "description": self._crossdept_ticket_description(),
            "type_id": company.crossdept_purchase_type_id.id,
            "flow_id": flow.id,
            # an urgent order is a high-priority ticket, not an urgent one, which
            # would skip the steps marked as skippable when urgent
            "priority": "2" if self.priority == "1" else "1",
            "requester_id": user.id,
            "department_id": employee.department_id.id,
            "company_id": company.id,
            "purchase_id": self.id,
        }

    def _crossdept_ticket_description(self):
        self.ensure_one()
        company = self.company_id
        amount = formatLang(self.env, self.amount_total, currency_obj=self.currency_id)
        if self.currency_id != company.currency_id:
            converted = self.currency_id._convert(
                self.amount_total,
                company.currency_id,
                company,
                self.date_order or fields.Date.context_today(self),
            )
            amount = (
                f"{amount} ({formatLang(self.env, converted, currency_obj=company.currency_id)})"
            )
        rows = Markup("").join(
            Markup("<li>%s: %s</li>") % (label, value)
            for label, value in (
                (self.env._("Purchase order"), self.name),
                (self.env._("Vendor"), self.partner_id.display_name),
                (self.env._("Total"), amount),
                (self.env._("Buyer"), (self.user_id or self.env.user).name),
            )
        )
        lines = Markup("").join(
            Markup("<li>%s: %s %s, %s</li>")
            % (
                line.name,
                formatLang(self.env, line.product_qty),
                line.product_uom.name,
                formatLang(self.env, line.price_subtotal, currency_obj=self.currency_id),
            )
            for line in self.order_line
            if not line.display_type
        )
        return Markup("<ul>%s</ul><p>%s</p><ul>%s</ul>") % (
            rows,
            self.env._("Order lines:"),
            lines,
        )

    def _crossdept_approve(self):
        """Confirm the orders whose approval ticket is done; an order whose ticket
        was closed without its flow being approved returns to draft instead."""
        refused = self.filtered(lambda order: not order._crossdept_flow_approved())
        for order in refused:
            order.button_draft()
            order.message_post(
                body=self.env._(
                    "Approval ticket %(ticket)s was closed without its flow being approved. "
                    "The order is back to draft.",
                    ticket=order.crossdept_ticket_id.name,
                ),
                partner_ids=order.user_id.partner_id.ids,
                subtype_xmlid="mail.mt_note",
            )
        approved = self - refused
        approved._approval_set("approved")
        approved.button_approve()
        for order in approved:
            order.message_post(
                body=self.env._(
                    "Approval ticket %(ticket)s is done: the order is confirmed.",
                    ticket=order.crossdept_ticket_id.name,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _crossdept_return_to_draft(self, reason):
        """Return the orders whose approval ticket was cancelled to draft."""
        self.button_draft()
        for order in self:
            ticket = order.crossdept_ticket_id.name
            body = (
                self.env._(
                    "Approval ticket %(ticket)s was rejected: %(reason)s. "
                    "The order is back to draft.",
                    ticket=ticket,
                    reason=reason,
                )
                if reason
                else self.env._(
                    "Approval ticket %(ticket)s was cancelled. The order is back to draft.",
                    ticket=ticket,
                )
            )
            order.message_post(
                body=body,
                partner_ids=order.user_id.partner_id.ids,
                subtype_xmlid="mail.mt_note",
            )
