from odoo import api, fields, models
from odoo.exceptions import UserError


class CrossdeptTicket(models.Model):
    """Urge (催办): the requester urges the approvers of the ticket's approval steps
    waiting for decisions (see ``crossdept.approval.mixin._approval_urge``)."""

    _inherit = "crossdept.ticket"

    can_urge = fields.Boolean(
        compute="_compute_can_urge", help="Whether the current user may urge the approvers."
    )

    @api.depends_context("uid")
    @api.depends("requester_id", "state", "step_ids.approval_state", "step_ids.state")
    def _compute_can_urge(self):
        user = self.env.user
        for ticket in self:
            ticket.can_urge = (
                ticket.requester_id == user
                and ticket.state == "in_progress"
                and bool(ticket._urge_steps())
            )

    def _urge_steps(self):
        """The approval steps of the ticket that wait for decisions now."""
        self.ensure_one()
        return self.step_ids.filtered(
            lambda step: (
                step.kind == "approval"
                and step.approval_state == "pending"
                and step._approval_is_open()
            )
        )

    def action_urge(self, note=None):
        """The requester urges the approvers of every approval step that waits for
        decisions (催办)."""
        self.ensure_one()
        if self.env.user != self.requester_id:
            raise UserError(
                self.env._(
                    "Only the requester of %(ticket)s (%(requester)s) can urge its approvers.",
                    ticket=self.display_name,
                    requester=self.requester_id.name or "-",
                )
            )
        self._lock()
        steps = self._urge_steps()
        if not steps:
            raise UserError(
                self.env._(
                    "%(ticket)s has no approval waiting for a decision: there is nobody to urge.",
                    ticket=self.display_name,
                )
            )
        for step in steps:
            step._approval_urge(note)
        return True
