from odoo import api, fields, models, tools
from odoo.exceptions import UserError

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from ..tools.bulk_create import create_overrides, insert_rows


class CrossdeptTicketEvent(models.Model):
    """Append-only log of what happened to a ticket.

    Analytics and process mining read this table, so rows are never changed or
    deleted through the ORM (only a module uninstall removes them).
    """

    _name = "crossdept.ticket.event"
    _description = "Ticket Event"
    # the engine logs its events in bulk (a flow start: several per ticket)
    _inherit = ["crossdept.shared.defaults.mixin"]
    _order = "event_date desc, id desc"
    _log_access = False

    ticket_id = fields.Many2one(
        "crossdept.ticket", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    step_id = fields.Many2one(
        "crossdept.ticket.step", readonly=True, ondelete="cascade", index="btree_not_null"
    )
    event_type = fields.Selection(
        [
            ("create", "Created"),
            ("state", "State change"),
            ("assign", "Assignment"),
            ("transfer", "Transfer"),
            ("step_ready", "Step ready"),
            ("step_start", "Step started"),
            ("step_done", "Step done"),
            ("step_skip", "Step skipped"),
            ("step_approve", "Step approved"),
            ("step_reject", "Step rejected"),
            ("step_return", "Returned to an earlier step"),
            ("escalation", "Escalation"),
            ("step_cancel", "Step cancelled"),
            ("approver_add", "Approver added"),
            ("approver_hand_over", "Approval handed over"),
            ("withdraw", "Withdrawn by the requester"),
            ("approval_urge", "Approvers urged"),
            ("approval_dedup", "Approval taken automatically (same approver)"),
            ("approval_timeout", "Approval overdue: timeout action"),
            ("approval_blocked", "Approval cannot be decided"),
            ("approver_add_before", "Approver added before an approver"),
            ("approver_add_after", "Approver added after an approver"),
            ("approval_delegate", "Approval delegated"),
            ("cc", "Copied (CC)"),
        ],
        required=True,
        readonly=True,
    )
    event_date = fields.Datetime("Date", required=True, readonly=True, default=fields.Datetime.now)
    actor_id = fields.Many2one("res.users", readonly=True, default=lambda self: self.env.user)
    from_state = fields.Char(readonly=True)
    to_state = fields.Char(readonly=True)
    from_user_id = fields.Many2one("res.users", readonly=True)
    to_user_id = fields.Many2one("res.users", readonly=True)
    from_department_id = fields.Many2one("hr.department", readonly=True, index="btree_not_null")
    to_department_id = fields.Many2one("hr.department", readonly=True, index="btree_not_null")
    target_step_id = fields.Many2one(
        "crossdept.ticket.step",
        "Returned To",
        readonly=True,
        ondelete="cascade",
        help="The earlier step a rejection returned the ticket to.",
    )
    reason = fields.Text(readonly=True)

    def init(self):
        # process mining walks each ticket's events in order; KPIs scan by type and period
        tools.create_index(
            self._cr,
            "crossdept_ticket_event_ticket_date_idx",
            self._table,
            ["ticket_id", "event_date", "id"],
        )
        tools.create_index(
            self._cr,
            "crossdept_ticket_event_type_date_idx",
            self._table,
            ["event_type", "event_date"],
        )

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        for vals in vals_list:
            # the log states when things happened: callers cannot back-date it
            vals["event_date"] = now
        events = super().create(vals_list)
        events._on_logged()
        return events

    @api.model
    def _create_in_one_insert(self, vals_list):
        """Create these events as ``create`` does, in one INSERT however many
        (``create`` writes a hundred per statement): dated now, then announced
        (``_on_logged``: webhooks, chat robots). Through ``create`` if another
        addon overrides it (its work would be skipped here)."""
        if create_overrides(self) != (f"{CrossdeptTicketEvent.__module__}.CrossdeptTicketEvent",):
            return self.create(vals_list)
        now = fields.Datetime.now()
        events = insert_rows(self, [dict(vals, event_date=now) for vals in vals_list])
        events._on_logged()
        return events

    def _on_logged(self):
        """The events were just logged: addons that pass them on (webhooks, chat
        robots) extend this. Called once per batch, in its transaction."""

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(self.env._("Ticket events are an append-only log: they cannot be changed."))

    def unlink(self):
        if not self.env.context.get(MODULE_UNINSTALL_FLAG):
            raise UserError(
                self.env._("Ticket events are an append-only log: they cannot be deleted.")
            )
        return super().unlink()
