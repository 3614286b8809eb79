from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .crossdept_ticket_step import OPEN_STATES

ADMIN_GROUP = "crossdept_ticket.group_crossdept_ticket_admin"


class CrossdeptApprovalDelegation(models.Model):
    """委托: during a period, the approvals that would go to a user go to their
    delegate, who decides "on behalf of" them; the user is copied (抄送) on those
    tickets and keeps reading them.

    New approvals go to the delegate when they open. Approvals already waiting
    for the user when the period begins (on saving a current delegation, and by
    the hourly cron for one that starts later) move to the delegate too, if the
    user has not decided yet. Approvals given to the delegate stay with them when
    the period ends. A delegation never passes approvals on again: no chains."""

    _name = "crossdept.approval.delegation"
    _description = "Approval Delegation"
    _order = "date_from desc, id desc"

    user_id = fields.Many2one(
        "res.users",
        "Delegator",
        required=True,
        index=True,
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        help="Whose approvals go to the delegate.",
    )
    delegate_id = fields.Many2one(
        "res.users",
        required=True,
        index=True,
        domain=[("share", "=", False)],
        help="Who decides instead, on behalf of the delegator.",
    )
    date_from = fields.Datetime("From", required=True, default=fields.Datetime.now)
    date_to = fields.Datetime("To", required=True)
    scope = fields.Selection(
        [("all", "All approvals"), ("flows", "Certain flows")], default="all", required=True
    )
    flow_ids = fields.Many2many(
        "crossdept.flow",
        string="Flows",
        help="The approvals of these flows (any of their versions) go to the delegate.",
    )
    note = fields.Text(help="Why, e.g. on leave; shown in the tickets' history.")
    active = fields.Boolean(default=True)

    @api.depends("user_id", "delegate_id")
    def _compute_display_name(self):
        for delegation in self:
            delegation.display_name = self.env._(
                "%(user)s to %(delegate)s",
                user=delegation.user_id.name or "",
                delegate=delegation.delegate_id.name or "",
            )

    @api.constrains("user_id", "delegate_id", "date_from", "date_to", "scope", "flow_ids", "active")
    def _check_delegation(self):
        # two delegations saved at once (A to B, B to A) would each miss the other:
        # their checks serialise on the people's rows
        (self.user_id | self.delegate_id)._crossdept_lock_rows()
        for delegation in self.filtered("active"):
            if delegation.user_id == delegation.delegate_id:
                raise ValidationError(self.env._("Delegate your approvals to somebody else."))
            if delegation.date_to <= delegation.date_from:
                raise ValidationError(
                    self.env._(
                        "The delegation of %(user)s ends before it starts: set To after From.",
                        user=delegation.user_id.name,
                    )
                )
            if delegation.scope == "flows" and not delegation.flow_ids:
                raise ValidationError(self.env._("Choose the flows whose approvals are delegated."))
            if delegation.delegate_id.share or not delegation.delegate_id.active:
                raise ValidationError(
                    self.env._(
                        "%(user)s is not an active internal user.",
                        user=delegation.delegate_id.name,
                    )
                )
            # every user's delegations are checked, not only those the user reads
            overlapping = self.sudo().search(
                [
                    ("id", "!=", delegation.id),
                    ("date_from", "<", delegation.date_to),
                    ("date_to", ">", delegation.date_from),
                    "|",
                    "|",
                    ("user_id", "=", delegation.user_id.id),
                    ("user_id", "=", delegation.delegate_id.id),
                    ("delegate_id", "=", delegation.user_id.id),
                ],
                limit=1,
            )
            if not overlapping:
                continue
            if overlapping.user_id == delegation.user_id:
                raise ValidationError(
                    self.env._(
                        "%(user)s already delegates to %(other)s from %(start)s to %(end)s: "
                        "one delegation at a time.",
                        user=delegation.user_id.name,
                        other=overlapping.delegate_id.name,
                        start=overlapping.date_from,
                        end=overlapping.date_to,
                    )
                )
            raise ValidationError(
                self.env._(
                    "%(user)s delegates to %(delegate)s from %(start)s to %(end)s, so "
                    "%(other)s cannot delegate to %(again)s in that period: approvals are "
                    "never passed on again (no chains).",
                    user=overlapping.user_id.name,
                    delegate=overlapping.delegate_id.name,
                    start=overlapping.date_from,
                    end=overlapping.date_to,
                    other=delegation.user_id.name,
                    again=delegation.delegate_id.name,
                )
            )

    def _check_own(self, vals_list):
        """Refuse, before anything is written, a delegation of somebody else's
        approvals (CrossDept administrators record them for anybody)."""
        if self.env.su or self.env.user.has_group(ADMIN_GROUP):
            return
        for vals in vals_list:
            if vals.get("user_id", self.env.uid) != self.env.uid:
                raise ValidationError(
                    self.env._(
                        "You can delegate your own approvals only, not those of %(user)s.",
                        user=self.env["res.users"].browse(vals["user_id"]).sudo().name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_own(vals_list)
        delegations = super().create(vals_list)
        delegations._apply_to_open_approvals()
        return delegations

    def write(self, vals):
        if "user_id" in vals:
            self._check_own([vals])
        res = super().write(vals)
        self._apply_to_open_approvals()
        return res

    @api.model
    def _delegations_for(self, users, moment=None):
        """{delegator: delegation} of ``users`` current at ``moment``."""
        moment = moment or fields.Datetime.now()
        # the engine routes approvals by delegations the acting user may not read
        delegations = self.sudo().search(
            [
                ("user_id", "in", users.ids),
                ("date_from", "<=", moment),
                ("date_to", ">", moment),
            ]
        )
        return {delegation.user_id: delegation for delegation in delegations}

    def _covers(self, flow):
        self.ensure_one()
        return self.scope == "all" or (flow and flow.code in self.sudo().flow_ids.mapped("code"))

    def _apply_to_open_approvals(self):
        """Move the approvals waiting for the delegators now to their delegates."""
        now = fields.Datetime.now()
        current = self.filtered(lambda d: d.active and d.date_from <= now < d.date_to)
        if not current:
            return
        # the delegator's open approvals, whoever may read them: the engine moves them
        steps = (
            self.env["crossdept.ticket.step"]
            .sudo()
            .search(
                [
                    ("kind", "=", "approval"),
                    ("approval_state", "=", "pending"),
                    ("state", "in", OPEN_STATES),
                    ("ticket_id.state", "=", "in_progress"),
                    ("approver_ids", "in", current.user_id.ids),
                ]
            )
        )
        for step in steps:
            step.ticket_id._lock()
            step._approval_apply_delegations()

    @api.model
    def _cron_apply(self):
        """Delegations whose period began since: the approvals waiting for their
        delegators move to the delegates."""
        now = fields.Datetime.now()
        self.search([("date_from", "<=", now), ("date_to", ">", now)])._apply_to_open_approvals()
