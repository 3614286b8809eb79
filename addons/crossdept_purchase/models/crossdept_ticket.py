from odoo import fields, models
from odoo.exceptions import UserError


class CrossdeptTicket(models.Model):
    _inherit = "crossdept.ticket"

    purchase_id = fields.Many2one(
        "purchase.order",
        "Purchase Order",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The purchase order this ticket approves.",
    )
    # related fields are read as superuser: approvers see what they approve
    # without needing Purchase rights
    purchase_partner_id = fields.Many2one(related="purchase_id.partner_id", string="Vendor")
    purchase_amount_total = fields.Monetary(
        related="purchase_id.amount_total",
        string="Order Total",
        currency_field="purchase_currency_id",
    )
    purchase_currency_id = fields.Many2one(
        related="purchase_id.currency_id", string="Order Currency"
    )

    def _engine_fields(self):
        return {
            **super()._engine_fields(),
            "purchase_id": self.env._("Confirm Order on the purchase order"),
        }

    def _check_transition(self, new_state):
        """A done approval ticket is final: its decision was applied to its purchase
        order (confirmed it, or returned it to draft), which a reopened ticket could
        not take back. Whoever wants the order changed goes through the order: an
        unlock, a change beyond the tolerance or a new confirmation runs a new
        approval."""
        res = super()._check_transition(new_state)
        for ticket in self.filtered(lambda t: t.state == "done" and new_state != "done"):
            # the order's state explains the refusal to approvers without Purchase rights
            order = ticket.sudo().purchase_id
            if not order:
                continue
            if order.crossdept_ticket_id == ticket and order.state in ("purchase", "done"):
                raise UserError(
                    self.env._(
                        "Approval ticket %(ticket)s cannot be reopened or refused: purchase "
                        "order %(order)s is confirmed on its approval. To change the order, "
                        "unlock it or cancel it; confirming it again runs a new approval.",
                        ticket=ticket.name,
                        order=order.display_name,
                    )
                )
            raise UserError(
                self.env._(
                    "Approval ticket %(ticket)s cannot be reopened: it no longer decides "
                    "purchase order %(order)s (%(state)s). Confirming the order runs a new "
                    "approval when one is needed.",
                    ticket=ticket.name,
                    order=order.display_name,
                    state=dict(order._fields["state"]._description_selection(self.env))[
                        order.state
                    ],
                )
            )
        return res

    def write(self, vals):
        res = super().write(vals)
        if vals.get("state") in ("done", "cancelled") and self.filtered("purchase_id"):
            self._crossdept_update_purchase_orders()
        return res

    def _crossdept_update_purchase_orders(self):
        """A finished approval confirms its order; a cancelled one (a rejection)
        returns it to draft with the reason in its chatter."""
        # the approvers decide in CrossDept and need no Purchase rights: confirming or
        # resetting the order is the outcome of their decision
        reason = self.env.context.get("crossdept_reason")
        for ticket in self:
            order = ticket.sudo().purchase_id.with_company(ticket.company_id)
            if order.state != "to approve" or order.crossdept_ticket_id != ticket:
                continue
            if ticket.state == "done":
                order._crossdept_approve()
            else:
                order._crossdept_return_to_draft(reason)

    def _crossdept_flow_approved(self):
        """Whether the ticket is done because its flow went through: every step
        done or skipped (a ticket closed by hand after a rejection is not)."""
        self.ensure_one()
        steps = self.sudo().step_ids
        return (
            self.state == "done"
            and bool(steps)
            and all(step.state in ("done", "skipped") for step in steps)
        )

    def action_view_purchase_order(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "purchase.order",
            "res_id": self.purchase_id.id,
            "view_mode": "form",
        }
