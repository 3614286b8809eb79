from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from .crossdept_ticket_step import OPEN_STATES


class CrossdeptTicketStep(models.Model):
    """Who a step waits on, and what the current user can do on it now: searchable
    for *My Steps*, *My Approvals* and the tickets' "Waiting on me", with the same
    rules as the actions (``can_act``, ``can_decide``, ``can_take``), and why a step
    cannot be finished yet."""

    _inherit = "crossdept.ticket.step"

    can_act = fields.Boolean(search="_search_can_act")
    can_decide = fields.Boolean(search="_search_can_decide")
    can_take = fields.Boolean(search="_search_can_take")
    waiting_on_user_ids = fields.Many2many(
        "res.users",
        string="Waiting On",
        compute="_compute_waiting_on_user_ids",
        help="Who the step waits on now: its assignee, or the approvers who have not "
        "decided yet; nobody while it waits in its department's queue.",
    )
    finish_blocked_reason = fields.Text(
        "Cannot Finish Yet",
        compute="_compute_finish_blocked_reason",
        help="The inputs and deliverables still missing to finish the step.",
    )
    requester_id = fields.Many2one(related="ticket_id.requester_id", string="Requester")
    input_names = fields.Char(
        "Inputs",
        compute="_compute_input_names",
        help="The ticket's fields (and attachment) the step needs before it is finished.",
    )

    @api.depends("state", "kind", "user_id", "responsible_ids", "approver_ids", "decision_ids")
    def _compute_waiting_on_user_ids(self):
        for step in self:
            step.waiting_on_user_ids = step._current_holders()

    @api.depends("flow_step_id")
    def _compute_input_names(self):
        for step in self:
            # field definitions are technical metadata that plain users cannot read
            flow_step = step.flow_step_id.sudo()
            names = flow_step.required_field_ids.mapped("field_description")
            if flow_step.require_attachment:
                names.append(self.env._("an attachment on the ticket"))
            step.input_names = ", ".join(names) or False

    @api.depends(
        "state",
        "kind",
        "deliverable_ids.done",
        "deliverable_ids.value_text",
        "deliverable_ids.value_date",
        "deliverable_ids.value_yes_no",
        "deliverable_ids.value_file",
    )
    def _compute_finish_blocked_reason(self):
        for step in self:
            step.finish_blocked_reason = step._finish_blocked_reason()

    # ------------------------------------------------------------------
    # Searches: the same rules as the computes, as domains
    # ------------------------------------------------------------------

    def _search_can_act(self, operator, value):
        # the current user's open steps found first (crossdept_ticket_step_open_user_idx
        # and the responsible holders' relation) as an array the steps are then read
        # from by key: the holder test as an OR over the relation made PostgreSQL read
        # every open step of everyone to keep the reader's (7,758 steps, 7,300 pages at
        # a million tickets, for 200). The same terms as ``_can_act_domain``; the
        # record rules and the active test apply to the outer query as to any search.
        uid = self.env.uid
        held = self._where_calc(
            [("user_id", "=", uid), ("state", "in", OPEN_STATES)], active_test=False
        )
        responsible = self._fields["responsible_ids"]
        domain = [
            ("kind", "=", "task"),
            ("state", "in", OPEN_STATES),
            ("ticket_id.state", "=", "in_progress"),
            (
                "id",
                "=",
                SQL(
                    "ANY(ARRAY(%s UNION SELECT %s FROM %s WHERE %s = %s))",
                    held.subselect(),
                    SQL.identifier(responsible.column1),
                    SQL.identifier(responsible.relation),
                    SQL.identifier(responsible.column2),
                    uid,
                ),
            ),
        ]
        return self._boolean_search(operator, value, domain)

    def _search_can_decide(self, operator, value):
        return self._boolean_search(operator, value, self._can_decide_domain())

    def _search_can_take(self, operator, value):
        return self._boolean_search(operator, value, self._can_take_domain())

    def _boolean_search(self, operator, value, domain):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("This filter can only be searched as true or false."))
        if (operator == "=") == value:
            return domain
        return ["!", *expression.normalize_domain(domain)]

    @api.model
    def _can_act_domain(self):
        """Open tasks of running tickets that the current user holds (see ``can_act``)."""
        uid = self.env.uid
        return [
            ("kind", "=", "task"),
            ("state", "in", OPEN_STATES),
            ("ticket_id.state", "=", "in_progress"),
            "|",
            ("user_id", "=", uid),
            ("responsible_ids", "in", [uid]),
        ]

    @api.model
    def _can_decide_domain(self):
        """Approvals of running tickets waiting for the current user's decision in this
        round (see the approval gate's ``can_decide``): an approver, not the requester
        unless the step allows it, who has not decided yet."""
        uid = self.env.uid
        return [
            ("kind", "=", "approval"),
            ("approval_state", "=", "pending"),
            ("state", "in", OPEN_STATES),
            ("ticket_id.state", "=", "in_progress"),
            ("approver_ids", "in", [uid]),
            ("decision_ids", "not any", [("user_id", "=", uid)]),
            "|",
            ("flow_step_id.allow_requester_approval", "=", True),
            ("ticket_id.requester_id", "!=", uid),
        ]

    @api.model
    def _can_take_domain(self):
        """Steps in the queue of the current user's departments (see ``can_take``)."""
        return [*self._queue_domain(), ("department_id", "in", self._user_departments().ids)]

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _current_holders(self):
        """Who the open step waits on: the approvers who have not decided yet (the
        Accountable while nobody can decide), else the assignee or, without one, its
        Responsible holders; nobody for a step waiting in the department queue."""
        self.ensure_one()
        if self.state not in OPEN_STATES:
            return self.env["res.users"]
        if self.kind == "approval":
            decided = self._approval_decisions()
            pending = self._approval_effective_approvers().filtered(
                lambda user: user not in decided
            )
            if self.approval_state == "pending" and pending:
                return pending
            return self.user_id
        return self.user_id or self.responsible_ids

    def _finish_blocked_reason(self, ticket=None, deliverables=None):
        """Why the open task cannot be finished yet, or False (see
        ``_missing_for_completion`` for ``ticket`` and ``deliverables``)."""
        self.ensure_one()
        if self.kind != "task" or self.state not in OPEN_STATES:
            return False
        missing = self._missing_for_completion(ticket=ticket, deliverables=deliverables)
        if not missing:
            return False
        return self.env._("Still missing: %(items)s", items="; ".join(missing))
