from odoo import api, fields, models
from odoo.exceptions import UserError

from .crossdept_ticket import CLOSED_STATES


class CrossdeptTicket(models.Model):
    """Withdraw (撤回): the requester takes back a request nobody has decided on
    yet; the ticket is cancelled through the engine, its open steps with it."""

    _inherit = "crossdept.ticket"

    can_withdraw = fields.Boolean(
        compute="_compute_can_withdraw", help="Whether the current user may withdraw it."
    )

    @api.depends_context("uid")
    @api.depends("requester_id", "state")
    def _compute_can_withdraw(self):
        user = self.env.user
        for ticket in self:
            ticket.can_withdraw = ticket.requester_id == user and ticket.state not in CLOSED_STATES

    def action_withdraw_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Withdraw (撤回)"),
            "res_model": "crossdept.ticket.withdraw",
            "view_mode": "form",
            "target": "new",
            "context": {"default_ticket_id": self.id},
        }

    def action_withdraw(self, reason):
        """The requester withdraws the ticket while no approver has decided on the
        current run of its flow."""
        self.ensure_one()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Withdrawing a request needs a reason."))
        if self.env.user != self.requester_id:
            raise UserError(
                self.env._(
                    "Only the requester of %(ticket)s (%(requester)s) can withdraw it.",
                    ticket=self.display_name,
                    requester=self.requester_id.name or "-",
                )
            )
        self._lock()
        if self.state in CLOSED_STATES:
            raise UserError(
                self.env._(
                    "%(ticket)s is %(state)s: there is nothing to withdraw.",
                    ticket=self.display_name,
                    state=self._state_label(self.state),
                )
            )
        # sudo: the requester may not read the decisions of every step; only the
        # names of who decided are shown. Decisions of a returned step (archived)
        # count too: they were taken on this run.
        decided = (
            self.env["crossdept.ticket.step.decision"]
            .sudo()
            .with_context(active_test=False)
            .search([("step_id", "in", self.step_ids.ids)])
            .user_id
        )
        if decided:
            raise UserError(
                self.env._(
                    "%(ticket)s cannot be withdrawn: %(who)s already decided on it.",
                    ticket=self.display_name,
                    who=", ".join(decided.mapped("name")),
                )
            )
        message = self.env._("Withdrawn by the requester: %(reason)s", reason=reason)
        self._log_events([{"ticket_id": self.id, "event_type": "withdraw", "reason": message}])
        return self._set_state("cancelled", reason=message)
