from odoo import api, fields, models


class PurchaseOrder(models.Model):
    """Urge (催办) from the purchase order: its buyer, the requester of its approval
    ticket, urges the approvers who have not decided yet."""

    _inherit = "purchase.order"

    crossdept_can_urge = fields.Boolean(
        "Can Urge Approvers",
        compute="_compute_crossdept_can_urge",
        help="Whether the current user may urge the approvers of the order's approval.",
    )

    @api.depends_context("uid")
    @api.depends("crossdept_ticket_id", "approval_state")
    def _compute_crossdept_can_urge(self):
        for order in self:
            # read as superuser (the same user, who may lack CrossDept rights): the
            # ticket tells whether they requested it and whether an approval waits
            ticket = order.crossdept_ticket_id.sudo()
            order.crossdept_can_urge = (
                order.approval_state == "pending" and bool(ticket) and ticket.can_urge
            )

    def action_crossdept_urge(self, note=None):
        """The buyer urges the approvers of the order's approval ticket."""
        self.ensure_one()
        self._approval_check_open()
        # the buyer needs no CrossDept rights to urge their own order's approvers; as
        # superuser, the current user stays the buyer, and the ticket refuses anybody
        # but its requester
        return self.crossdept_ticket_id.sudo().action_urge(note)
