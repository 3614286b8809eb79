from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools.calendar import HOLIDAY, ON_LEAVE
from .crossdept_ticket_step import OPEN_STATES

# who holds a step: its assignee and its Responsible holders
HOLDER_FIELDS = frozenset({"user_id", "responsible_ids"})


class CrossdeptTicketStep(models.Model):
    """Who holds a step: reassignment by the people allowed to, with a reason and an
    event, and rework that skips a holder who is away."""

    _inherit = "crossdept.ticket.step"

    @api.model_create_multi
    def create(self, vals_list):
        steps = super().create(vals_list)
        steps._store_holders()
        return steps

    def write(self, vals):
        res = super().write(vals)
        if names := vals.keys() & HOLDER_FIELDS:
            self._store_holders(names)
        return res

    def _store_holders(self, names=HOLDER_FIELDS):
        """Whoever is given a step (its assignee or a Responsible) is a step holder
        of its ticket for good: the record rules let them read the ticket after
        their step is done or handed over (``step_holder_ids``). One insert, from
        the values of ``names`` just written (nothing is flushed for it)."""
        pairs = {
            (step.ticket_id.id, user.id) for step in self for name in names for user in step[name]
        }
        if not pairs:
            return
        self.env.cr.execute(self._store_holders_query(sorted(pairs)))
        self.ticket_id.invalidate_recordset(["step_holder_ids"])

    @api.model
    def _store_holders_query(self, pairs=None):
        """Adds the (ticket, user) ``pairs``, or the holders of every step."""
        if pairs:
            rows = SQL(
                "SELECT * FROM (VALUES %s) AS holders (ticket_id, user_id)",
                SQL(", ").join(SQL("(%s, %s)", ticket, user) for ticket, user in pairs),
            )
        else:
            rows = SQL(
                """
                SELECT ticket_id, user_id FROM crossdept_ticket_step WHERE user_id IS NOT NULL
                 UNION
                SELECT s.ticket_id, r.user_id
                  FROM crossdept_ticket_step s
                  JOIN crossdept_ticket_step_responsible_rel r ON r.step_id = s.id
                """
            )
        return SQL(
            "INSERT INTO crossdept_ticket_step_holder_rel (ticket_id, user_id) %s "
            "ON CONFLICT DO NOTHING",
            rows,
        )

    def action_reassign(self, user, reason):
        """Give the steps to ``user``: the holder hands over, or the Accountable, a
        manager of the step's department or an administrator reassigns. An approval
        step gets ``user`` as one more approver instead (only approvers decide)."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Assigning or transferring steps needs a reason."))
        self._lock_tickets()
        for step in self:
            step._check_can_reassign()
        self._reassign(user, reason)
        return True

    def _check_can_reassign(self):
        self.ensure_one()
        if self.state not in ("pending", *OPEN_STATES):
            raise UserError(
                self.env._(
                    "Step %(step)s is %(state)s and keeps its assignee.",
                    step=self.display_name,
                    state=self._state_label(),
                )
            )
        if self.env.su or self._is_engine():
            return
        user = self.env.user
        managers = (self.department_id | self.department_id.parent_id).sudo().manager_id.user_id
        roles = self.ticket_id._crossdept_roles()
        if (
            user == self.user_id
            or user == self.accountable_id
            or {"accountable", "admin"} & roles
            or (
                ("manager" in roles or user in managers)
                and user.has_group("crossdept_ticket.group_crossdept_ticket_manager")
            )
        ):
            return
        raise UserError(
            self.env._(
                "You cannot reassign step %(step)s: only its assignee, its Accountable, a "
                "manager of its department or a CrossDept administrator can.",
                step=self.display_name,
            )
        )

    def _reassign(self, user, reason):
        approvals = self.filtered(lambda s: s.kind == "approval")
        for step in approvals:
            step._approval_add_approvers(user, reason)
        tasks = (self - approvals).filtered(lambda s: s.user_id != user)
        if not tasks:
            return
        tasks._close_activities()
        # the step's write logs one event per step with the reason of the context
        tasks._engine().with_context(crossdept_reason=reason).write(
            {
                "user_id": user.id,
                "assignment_data": {
                    "outcome": "manual",
                    "user_id": user.id,
                    "actor_id": self.env.uid,
                    "reason": reason,
                },
            }
        )
        tasks._replan_deadline()
        tasks._schedule_holder_activities()
        tasks.ticket_id._sync_current_step()

    def _holders_away(self):
        """The steps whose assignee has left or is on leave (or a public holiday) now."""
        users = self.user_id
        employees = users.sudo().employee_ids
        presence = self.env["crossdept.dispatcher"].sudo()._presence(employees)
        away = set()
        for user in users:
            mine = employees.filtered(lambda e, user=user: e.user_id == user)
            if (
                not user.active
                or not mine
                or all(presence.get(e.id) in (ON_LEAVE, HOLIDAY) for e in mine)
            ):
                away.add(user)
        return self.filtered(lambda s: s.user_id in away)

    def _log_reassignments(self, before):
        if self.env.context.get("crossdept_assignment_logged"):
            return
        events = []
        for step in self:
            old_user, old_department = before[step.id]
            if (old_user, old_department) == (step.user_id, step.department_id):
                continue
            moved = bool(old_user) and old_user != step.user_id
            events.append(
                {
                    "ticket_id": step.ticket_id.id,
                    "step_id": step.id,
                    "event_type": "transfer" if moved else "assign",
                    "from_user_id": old_user.id,
                    "to_user_id": step.user_id.id,
                    "from_department_id": old_department.id,
                    "to_department_id": step.department_id.id,
                }
            )
        if events:
            self.ticket_id._log_events(events)
