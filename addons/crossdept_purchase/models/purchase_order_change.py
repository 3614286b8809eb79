from odoo import fields, models
from odoo.tools.misc import formatLang

from .purchase_order import RUNNING_STATES


class PurchaseOrder(models.Model):
    """What an approval covers: the vendor and the amount per product submitted. A
    change beyond the company's tolerance runs the approval flow again, and so does
    a change that makes a confirmed order need an approval it never had.

    Every amount here is taxes included, as the order total that the threshold and
    the submitted amount use: adding or raising a tax spends more money too."""

    _inherit = "purchase.order"

    def _crossdept_line_amounts(self):
        """{product key: total with taxes, in the company currency} of the order's
        lines."""
        self.ensure_one()
        company = self.company_id
        date = self.date_order or fields.Date.context_today(self)
        amounts = {}
        for line in self.order_line.filtered(lambda line: not line.display_type):
            key = f"product,{line.product_id.id}" if line.product_id else f"text,{line.name}"
            amounts[key] = amounts.get(key, 0.0) + self.currency_id._convert(
                line.price_total, company.currency_id, company, date
            )
        return amounts

    def _crossdept_snapshot(self):
        self.ensure_one()
        return {"partner_id": self.partner_id.id, "lines": self._crossdept_line_amounts()}

    def _crossdept_change_beyond_tolerance(self):
        """Why the order's change since it was submitted needs a new approval, or
        False: another vendor, or more money on its lines, taxes included (more of a
        product, another product, another tax), than the company's tolerance allows
        over the submitted amount."""
        self.ensure_one()
        snapshot = self.crossdept_approval_snapshot or {}
        if not snapshot:
            return False
        if snapshot.get("partner_id") != self.partner_id.id:
            return self.env._("The vendor changed.")
        before = snapshot.get("lines", {})
        increase = sum(
            max(0.0, amount - before.get(key, 0.0))
            for key, amount in self._crossdept_line_amounts().items()
        )
        currency = self.company_id.currency_id
        allowed = self.crossdept_approval_amount * self.company_id.crossdept_purchase_tolerance
        if currency.compare_amounts(increase, allowed / 100.0) <= 0:
            return False
        return self.env._(
            "The order lines grew by %(increase)s, taxes included, since the order was "
            "submitted (tolerance %(tolerance)s%% of the submitted total).",
            increase=formatLang(self.env, increase, currency_obj=currency),
            tolerance=formatLang(self.env, self.company_id.crossdept_purchase_tolerance),
        )

    def _crossdept_check_changes(self):
        """Submit again the orders changed beyond the tolerance since submission, and
        submit the confirmed orders that were never submitted but need an approval
        now (a line grew past the threshold, a product of an approval category was
        added): a confirmed order that needs an approval holds one."""
        changed = {}
        for order in self.filtered(lambda o: o.approval_state in ("pending", "approved")):
            reason = order._crossdept_change_beyond_tolerance()
            if reason:
                changed[order] = reason
        unsubmitted = self.filtered(
            lambda o: o.approval_state == "none" and o.state in ("purchase", "done")
        )
        for order_id, reason in unsubmitted._crossdept_approval_reasons().items():
            changed[self.browse(order_id)] = reason
        for order, reason in changed.items():
            order._crossdept_resubmit(reason)

    def _crossdept_resubmit(self, reason):
        """The approval no longer covers the order (or a confirmed order now needs
        one): its running ticket is cancelled and, if the order still needs approval,
        a new ticket runs the flow again (the order waits in To Approve meanwhile)."""
        for order in self:
            ticket = order.crossdept_ticket_id.sudo()
            # an approver deciding on this ticket right now waits, then sees it cancelled
            ticket._lock()
            order._engine().write({"crossdept_ticket_id": False})
            if ticket.state in RUNNING_STATES:
                # the buyer changed the order; its old approval has nothing left to approve
                ticket._set_state("cancelled", reason=reason)
            order._approval_reset()
            body = (
                self.env._(
                    "%(reason)s The approval of ticket %(ticket)s no longer covers the order.",
                    reason=reason,
                    ticket=ticket.name,
                )
                if ticket
                else self.env._(
                    "%(reason)s The order was confirmed without an approval and now needs one.",
                    reason=reason,
                )
            )
            order.message_post(
                body=body,
                partner_ids=order.user_id.partner_id.ids,
                subtype_xmlid="mail.mt_note",
            )
        needing = self._crossdept_needing_approval()
        needing._crossdept_submit()
        # an order that shrank below the threshold while waiting needs no approval now
        (self - needing).filtered(lambda o: o.state == "to approve").button_approve()
