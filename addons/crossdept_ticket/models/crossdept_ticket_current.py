from collections import defaultdict
from datetime import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.models import MAGIC_COLUMNS
from odoo.osv import expression
from odoo.tools import OrderedSet

from .crossdept_ticket import OWNERS, SUBMITTERS, WORKERS
from .crossdept_ticket_access import TRANSFER_EDITORS
from .crossdept_ticket_step import OPEN_STATES

# the field types of a ticket's own values (what a flow requires as inputs or
# matches on): everything but lists of other records
_VALUE_TYPES = {
    "boolean",
    "char",
    "date",
    "datetime",
    "float",
    "html",
    "integer",
    "many2many",
    "many2one",
    "monetary",
    "selection",
    "text",
}

# what the reader may do on a step, in the order a ticket offers it
STEP_ACTIONS = ("approve", "refuse", "start", "finish", "take")


class CrossdeptTicket(models.Model):
    """Where a ticket stands: its current steps (the open ones, parallel ones side by
    side), who they wait on, and what the reader may do now. While a flow runs, the
    ticket's assignee, handling department and deadline follow its current step."""

    _inherit = "crossdept.ticket"

    current_step_ids = fields.Many2many(
        "crossdept.ticket.step",
        string="Current Steps",
        compute="_compute_current_step_ids",
        help="The steps that are ready or in progress, the one due first first.",
    )
    current_step_label = fields.Char("Current Step", compute="_compute_current_step_ids")
    waiting_on_user_ids = fields.Many2many(
        "res.users",
        string="Waiting On",
        compute="_compute_current_step_ids",
        help="Who the current steps wait on: their assignees, or the approvers who have "
        "not decided yet.",
    )
    waiting_on_me = fields.Boolean(
        compute="_compute_waiting_on_me",
        search="_search_waiting_on_me",
        help="A draft I requested waits for my Submit, or a current step waits for me "
        "to start, finish, approve or take it.",
    )
    current_deliverable_ids = fields.One2many(
        "crossdept.ticket.step.deliverable",
        "ticket_id",
        string="Deliverables to Tick Off",
        domain=[("step_id.state", "in", OPEN_STATES)],
    )
    next_action = fields.Json(
        compute="_compute_next_action",
        help="What you can do on this ticket now. When the button is greyed out, the "
        "text beside it says what is still missing.",
    )
    can_submit = fields.Boolean(compute="_compute_reader_rights")
    can_work = fields.Boolean(compute="_compute_reader_rights")
    can_manage = fields.Boolean(compute="_compute_reader_rights")
    can_transfer = fields.Boolean(compute="_compute_reader_rights")

    def _screen_fields(self):
        """The ticket's own values: a flow's required inputs and its domain read them,
        so what depends on those is computed again as they are typed in the form."""
        return [
            name
            for name, field in self._fields.items()
            if field.store
            and not field.compute
            and field.type in _VALUE_TYPES
            and name not in MAGIC_COLUMNS
        ]

    @api.depends(
        "step_ids.state",
        "step_ids.date_deadline",
        "step_ids.user_id",
        "step_ids.responsible_ids",
        "step_ids.approver_ids",
        "step_ids.approval_state",
        "step_ids.decision_ids",
    )
    def _compute_current_step_ids(self):
        for ticket in self:
            steps = ticket._current_steps()
            ticket.current_step_ids = steps
            ticket.current_step_label = ", ".join(steps.mapped("name")) or False
            users = self.env["res.users"]
            for step in steps:
                users |= step._current_holders()
            ticket.waiting_on_user_ids = users

    @api.depends_context("uid")
    @api.depends("state", "requester_id", "step_ids.state", "step_ids.user_id")
    def _compute_waiting_on_me(self):
        user = self.env.user
        for ticket in self:
            steps = ticket._current_steps()
            ticket.waiting_on_me = bool(
                (ticket.state == "draft" and user in (ticket.requester_id | ticket.create_uid))
                or any(step.can_act or step.can_decide or step.can_take for step in steps)
            )

    def _search_waiting_on_me(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Waiting on me can only be searched as true or false."))
        Step = self.env["crossdept.ticket.step"]
        uid = self.env.uid
        domain = expression.OR(
            [
                [
                    ("state", "=", "draft"),
                    "|",
                    ("requester_id", "=", uid),
                    ("create_uid", "=", uid),
                ],
                [
                    (
                        "step_ids",
                        "any",
                        expression.OR(
                            [
                                Step._can_act_domain(),
                                Step._can_decide_domain(),
                                Step._can_take_domain(),
                            ]
                        ),
                    )
                ],
            ]
        )
        if (operator == "=") == value:
            return domain
        return ["!", *domain]

    @api.depends_context("uid")
    @api.depends(
        lambda self: [
            *self._screen_fields(),
            "step_ids.state",
            "step_ids.user_id",
            "step_ids.responsible_ids",
            "step_ids.approver_ids",
            "step_ids.approval_state",
            "step_ids.decision_ids",
            "step_ids.deliverable_ids.done",
            "current_deliverable_ids.done",
            # the outputs' values, before the form is saved
            "current_deliverable_ids.value_amount",
            "current_deliverable_ids.value_text",
            "current_deliverable_ids.value_date",
            "current_deliverable_ids.value_yes_no",
            "current_deliverable_ids.value_file",
            "raci_ids.holder_user_id",
        ]
    )
    def _compute_next_action(self):
        for ticket in self:
            ticket.next_action = ticket._next_actions()

    @api.depends_context("uid")
    @api.depends(
        "state",
        "requester_id",
        "user_id",
        "department_id",
        "assigned_department_id",
        "raci_ids.holder_user_id",
        "step_ids.state",
        "step_ids.user_id",
        "step_ids.responsible_ids",
    )
    def _compute_reader_rights(self):
        for ticket in self:
            roles = ticket._crossdept_roles()
            ticket.can_submit = bool(roles & SUBMITTERS)
            ticket.can_work = bool(roles & WORKERS)
            ticket.can_manage = bool(roles & OWNERS)
            ticket.can_transfer = bool(roles & TRANSFER_EDITORS)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def write(self, vals):
        if "current_deliverable_ids" in vals and not self._is_engine():
            # the same rule as through the step: deliverables are ticked off, no more
            self.env["crossdept.ticket.step"]._check_deliverable_commands(
                vals["current_deliverable_ids"]
            )
        return super().write(vals)

    def web_read(self, specification):
        """The web client's read, whom each ticket waits on named as Odoo names the
        record of a many2one. The list and the form ask only the users' names (the
        avatar widget); Odoo's read of a many2many would first check the users' record
        rule on them, reading every one's companies and then those companies (2
        queries of every list page) for people the ticket already shows."""
        spec = specification.get("waiting_on_user_ids")
        if (
            not spec
            or set(spec.get("fields") or ()) != {"display_name"}
            or spec.get("context")
            or spec.get("order")
        ):
            return super().web_read(specification)
        values_list = super().web_read({**specification, "waiting_on_user_ids": {}})
        limit = spec.get("limit")
        ids = OrderedSet(
            id_ for values in values_list for id_ in values["waiting_on_user_ids"][:limit]
        )
        # superuser, as Odoo's web_read names a many2one's record: these are the
        # holders of the current steps of tickets the reader may read (the ticket's
        # rules decided that), employees of the departments they work for
        names = {user.id: user.display_name for user in self.env["res.users"].sudo().browse(ids)}
        for values in values_list:
            values["waiting_on_user_ids"] = [
                {"id": id_, "display_name": names[id_]} if id_ in names else {"id": id_}
                for id_ in values["waiting_on_user_ids"]
            ]
        return values_list

    def _message_auto_subscribe_followers(self, updated_values, default_subtype_ids):
        """A holder given the ticket because its current step is theirs gets no
        "assigned to you" message: their step's to-do tells them (see
        ``_sync_current_step``)."""
        if self.env.context.get("crossdept_current_step"):
            updated_values = {key: val for key, val in updated_values.items() if key != "user_id"}
        return super()._message_auto_subscribe_followers(updated_values, default_subtype_ids)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_next_step(self, step_id, what):
        """Do ``what`` on the current step ``step_id`` ("start", "finish", "approve",
        "refuse", "take"), or "submit" the ticket: the header's primary action. The
        step's own action checks again who may do it and whether it can be done."""
        self.ensure_one()
        if what == "submit":
            return self.action_submit()
        if what not in STEP_ACTIONS:
            raise UserError(self.env._("Unknown action on a step: %(what)s.", what=what))
        step = self.step_ids.filtered(lambda s: s.id == step_id)
        if not step:
            raise UserError(
                self.env._(
                    "Ticket %(ticket)s has no such step: reload it to see its current steps.",
                    ticket=self.display_name,
                )
            )
        if what == "refuse":
            return step.action_reject_wizard()
        method = {
            "approve": step.action_approve,
            "start": step.action_start,
            "finish": step.action_finish,
            "take": step.action_take,
        }[what]
        method()
        return True

    def action_transfer(self):
        """While a flow runs, the ticket follows its current steps: transferring it
        means transferring them (to a person or by automatic dispatch)."""
        if len(self) == 1 and self.current_step_ids:
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Transfer"),
                "res_model": "crossdept.ticket.step.transfer",
                "view_mode": "form",
                "target": "new",
                "context": {"default_step_ids": self.current_step_ids.ids},
            }
        return super().action_transfer()

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _current_steps(self):
        """The open steps, the one due first first."""
        self.ensure_one()
        return self.step_ids.filtered(lambda s: s.state in OPEN_STATES).sorted(
            lambda s: (s.date_deadline or datetime.max, s.sequence, s._origin.id or 0)
        )

    def _next_actions(self):
        """What the current user may do now, for the header: a list of
        {step_id, what, label, primary, blocked} (blocked: why it cannot be done yet),
        from the checks the actions themselves apply; empty when nothing is theirs."""
        self.ensure_one()
        if self.state == "draft":
            if not self._crossdept_roles() & SUBMITTERS:
                return []
            return [self._next_action_entry(False, "submit", self.env._("Submit"))]
        if self.state != "in_progress":
            return []
        for step in self._current_steps():
            if step.can_decide:
                label = self.env._("Approve: %(step)s", step=step.name)
                return [
                    self._next_action_entry(step, "approve", label),
                    self._next_action_entry(step, "refuse", self.env._("Refuse"), primary=False),
                ]
            if step.can_take:
                # a step waiting in the queue is taken first; a Responsible may also
                # start it at once, and holds it as well (see _hold_on_start)
                label = self.env._("Take: %(step)s", step=step.name)
                actions = [self._next_action_entry(step, "take", label)]
                if step.can_act:
                    start = self.env._("Start: %(step)s", step=step.name)
                    actions.append(self._next_action_entry(step, "start", start, primary=False))
                return actions
            if step.can_act and step.state == "ready":
                label = self.env._("Start: %(step)s", step=step.name)
                return [self._next_action_entry(step, "start", label)]
            if step.can_act:
                deliverables = self.current_deliverable_ids.filtered(
                    lambda line, step=step: line.step_id._origin == step._origin
                )
                blocked = step._finish_blocked_reason(ticket=self, deliverables=deliverables)
                label = self.env._("Finish: %(step)s", step=step.name)
                return [self._next_action_entry(step, "finish", label, blocked=blocked)]
        return []

    def _next_action_entry(self, step, what, label, primary=True, blocked=False):
        return {
            "step_id": step._origin.id if step else False,
            "what": what,
            "label": label,
            "primary": primary,
            "blocked": blocked or False,
        }

    def _sync_current_step(self):
        """While a flow runs, the ticket's assignee, handling department and deadline
        are those of its current step (the open step due first); never blank while
        work goes on: a step waiting in its department's queue is held by the
        department's manager, else its Accountable.

        Written by the engine, without a transfer event (the steps' own events say
        who holds what, and analytics count transfers of tickets from those events),
        without an "assigned to you" message (their to-do tells them) and without
        tracking in the chatter, which already says which step is done or refused
        (and a batch of steps costs a message per ticket otherwise)."""
        groups = defaultdict(lambda: self.browse())
        for ticket in self:
            steps = ticket._current_steps()
            if not steps:
                continue
            step = steps[0]
            holder = step._current_holders()[:1] or (
                step.department_id.sudo().manager_id.user_id
                or step.accountable_id
                or ticket.accountable_user_id
            )
            department = step.department_id
            vals = {}
            if holder and holder != ticket.user_id:
                vals["user_id"] = holder.id
            if (
                department
                and department != ticket.assigned_department_id
                and department.company_id in (ticket.company_id, department.browse())
            ):
                vals["assigned_department_id"] = department.id
            if step.date_deadline and step.date_deadline != ticket.date_deadline:
                vals["date_deadline"] = step.date_deadline
            if vals:
                groups[tuple(sorted(vals.items()))] |= ticket
        for items, tickets in groups.items():
            tickets._engine().with_context(
                crossdept_assignment_logged=True, crossdept_current_step=True, mail_notrack=True
            ).write(dict(items))

    def _on_state_change(self, before, reason):
        # a reopened or resumed ticket works again on steps whose deadlines moved
        res = super()._on_state_change(before, reason)
        self.filtered(lambda t: t.state in ("in_progress", "waiting"))._sync_current_step()
        return res
