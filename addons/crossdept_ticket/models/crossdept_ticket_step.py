from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from ..tools.graph import descendants
from ..tools.rules import check_rules
from .crossdept_escalation_rule import LEVELS
from .crossdept_ticket_step_deliverable import HOLDER_FIELDS

STEP_STATES = [
    ("pending", "Pending"),
    ("ready", "Ready"),
    ("in_progress", "In Progress"),
    ("done", "Done"),
    ("skipped", "Skipped"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
]
OPEN_STATES = ("ready", "in_progress")

SLA_STATUSES = [
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("breached", "Breached"),
]


class CrossdeptTicketStep(models.Model):
    _name = "crossdept.ticket.step"
    _description = "Ticket Step"
    # the approval gate (and with it the engine-field guard); see
    # crossdept_ticket_step_approval.py for how approval steps use it; a flow start
    # creates its steps in bulk (crossdept.shared.defaults.mixin)
    _inherit = ["crossdept.approval.mixin", "crossdept.shared.defaults.mixin"]
    _order = "ticket_id, sequence, id"

    # joined, not sub-selected, when a domain goes through it (the record rules
    # read the ticket's departments and participants of each step): a step is only
    # ever visible with its ticket, so no rule of the ticket is skipped by it
    ticket_id = fields.Many2one(
        "crossdept.ticket",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
        auto_join=True,
    )
    flow_step_id = fields.Many2one("crossdept.flow.step", required=True, readonly=True, index=True)
    company_id = fields.Many2one(related="ticket_id.company_id", store=True, index=True)
    # the flow step's name in every language (copied with its translations when the
    # step is created): each reader sees their own, reports read the stored column
    name = fields.Char(required=True, readonly=True, translate=True)
    sequence = fields.Integer(readonly=True)
    kind = fields.Selection(related="flow_step_id.kind", store=True)
    priority = fields.Selection(related="ticket_id.priority", store=True)
    state = fields.Selection(
        STEP_STATES, default="pending", required=True, readonly=True, index=True
    )
    active = fields.Boolean(
        default=True,
        readonly=True,
        help="Steps of an earlier run of the flow (a ticket reset to draft and started "
        "again) are archived: they stay in the ticket's history.",
    )
    department_id = fields.Many2one("hr.department", index=True)
    user_id = fields.Many2one("res.users", "Assignee", index=True)
    responsible_ids = fields.Many2many(
        "res.users",
        "crossdept_ticket_step_responsible_rel",
        "step_id",
        "user_id",
        string="Responsible Holders",
        readonly=True,
    )
    accountable_id = fields.Many2one("res.users", readonly=True)
    approver_ids = fields.Many2many(
        "res.users",
        "crossdept_ticket_step_approver_rel",
        "step_id",
        "user_id",
        string="Approvers",
        readonly=True,
    )
    decision_ids = fields.One2many(
        "crossdept.ticket.step.decision", "step_id", "Decisions", readonly=True
    )
    predecessor_ids = fields.Many2many(
        "crossdept.ticket.step",
        "crossdept_ticket_step_predecessor_rel",
        "step_id",
        "predecessor_id",
        string="Predecessors",
        readonly=True,
    )
    deliverable_ids = fields.One2many(
        "crossdept.ticket.step.deliverable", "step_id", "Deliverables"
    )
    calendar_id = fields.Many2one("resource.calendar", readonly=True)
    sla_hours = fields.Float("SLA (working hours)", readonly=True)
    date_ready = fields.Datetime("Ready on", readonly=True)
    date_started = fields.Datetime("Started on", readonly=True)
    date_done = fields.Datetime("Finished on", readonly=True)
    date_deadline = fields.Datetime("Deadline", readonly=True, index=True)
    date_paused = fields.Datetime("Paused since", readonly=True)
    sla_status = fields.Selection(SLA_STATUSES, string="SLA Status", readonly=True, index=True)
    skip_reason = fields.Char(readonly=True)
    escalation_level = fields.Selection(
        LEVELS, default="0", required=True, readonly=True, copy=False
    )
    date_escalation_due = fields.Datetime(
        "Next Escalation", readonly=True, copy=False, index="btree_not_null"
    )
    assignment_explanation = fields.Text(
        "Why this assignee", readonly=True, help="How automatic dispatch chose the assignee."
    )
    portal_visible = fields.Boolean(
        "Visible to Customer",
        readonly=True,
        help="The customer of the ticket follows this step on the portal.",
    )
    can_act = fields.Boolean(compute="_compute_can_act")

    def init(self):
        # "my steps" and the SLA cron look for open steps by state and deadline
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crossdept_ticket_step_open_deadline_idx "
                "ON crossdept_ticket_step (date_deadline) "
                "WHERE state IN ('ready', 'in_progress')"
            )
        )
        # My Steps looks for the reader's open steps (see ``_search_can_act``)
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crossdept_ticket_step_open_user_idx "
                "ON crossdept_ticket_step (user_id, id) "
                "WHERE state IN ('ready', 'in_progress')"
            )
        )
        # steps created before their names were translatable hold the language of who
        # started the flow: once every table is up to date, give them every language
        self.pool.post_init(self._init_flow_names)

    def _init_flow_names(self):
        # deliverables copied before they named their flow deliverable: the one of the
        # same flow step that bears their name in one of its languages
        self.env.cr.execute(
            SQL(
                """
                UPDATE crossdept_ticket_step_deliverable d
                   SET flow_deliverable_id = fd.id
                  FROM crossdept_ticket_step s, crossdept_flow_step_deliverable fd
                 WHERE d.flow_deliverable_id IS NULL
                   AND s.id = d.step_id
                   AND fd.step_id = s.flow_step_id
                   AND EXISTS (
                       SELECT 1 FROM jsonb_each_text(fd.name) t
                        WHERE t.value = d.name->>'en_US'
                   )
                """
            )
        )
        self._copy_flow_names(SQL("TRUE"))

    @api.depends_context("uid")
    @api.depends("user_id", "responsible_ids", "state", "ticket_id.state")
    def _compute_can_act(self):
        user = self.env.user
        for step in self:
            step.can_act = (
                step.kind == "task"
                and step.state in OPEN_STATES
                and step.ticket_id.state == "in_progress"
                and step._is_worker(user)
            )

    def _is_worker(self, user):
        return user == self.user_id or user in self.responsible_ids

    def _copy_flow_names(self, where=None):
        """Give these steps (or those ``where`` selects, an SQL condition on the step
        ``s``) and their deliverables the names of their flow step and flow deliverables
        in every language, in two queries."""
        if where is None:
            if not self:
                return
            where = SQL("s.id IN %s", tuple(self.ids))
            # what the two updates read and write, and nothing else: flushing
            # everything would compute the participants of the tickets whose flow
            # starts before the start is done, and once more at its end
            for model, names in (
                ("crossdept.flow.step", ["name"]),
                ("crossdept.flow.step.deliverable", ["name"]),
                ("crossdept.ticket.step", ["name", "flow_step_id"]),
                ("crossdept.ticket.step.deliverable", ["name", "flow_deliverable_id", "step_id"]),
            ):
                self.env[model].flush_model(names)
        else:
            self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE crossdept_ticket_step s SET name = fs.name "
                "FROM crossdept_flow_step fs "
                "WHERE fs.id = s.flow_step_id AND %s AND s.name IS DISTINCT FROM fs.name",
                where,
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE crossdept_ticket_step_deliverable d SET name = fd.name "
                "FROM crossdept_ticket_step s, crossdept_flow_step_deliverable fd "
                "WHERE s.id = d.step_id AND fd.id = d.flow_deliverable_id AND %s "
                "AND d.name IS DISTINCT FROM fd.name",
                where,
            )
        )
        self.env["crossdept.ticket.step"].invalidate_model(["name", "display_name"])
        self.env["crossdept.ticket.step.deliverable"].invalidate_model(["name", "step_name"])

    @api.depends("name", "ticket_id.name")
    def _compute_display_name(self):
        for step in self:
            step.display_name = f"{step.ticket_id.name} / {step.name}"

    # ------------------------------------------------------------------
    # CRUD: only the engine creates steps and sets their fields
    # ------------------------------------------------------------------

    def _engine_fields(self):
        moves = self.env._("the step's Start, Finish, Approve or Refuse")
        per_field = {
            "user_id": self.env._("Assign or Transfer"),
            "department_id": self.env._("Assign or Transfer"),
            "approver_ids": self.env._("Add Approvers"),
        }
        return {
            **super()._engine_fields(),
            **{
                name: per_field.get(name, moves)
                for name, field in self._fields.items()
                if field.store and name not in models.MAGIC_COLUMNS and name != "deliverable_ids"
            },
        }

    def write(self, vals):
        if "deliverable_ids" in vals and not self._is_engine():
            self._check_deliverable_commands(vals["deliverable_ids"])
        if "user_id" in vals or "department_id" in vals:
            before = {step.id: (step.user_id, step.department_id) for step in self}
            res = super().write(vals)
            self._log_reassignments(before)
            return res
        return super().write(vals)

    def unlink(self):
        if not self.env.context.get(MODULE_UNINSTALL_FLAG):
            raise UserError(
                self.env._(
                    "Steps are part of their ticket's history and cannot be deleted: "
                    "cancel the ticket instead (%(steps)s).",
                    steps=", ".join(self.mapped("display_name")),
                )
            )
        return super().unlink()

    def _check_access(self, operation):
        # the same rules, in one query when the cache lacks what they read (the
        # ticket's participants, step holders and CC through the step's ticket)
        return check_rules(self, operation, super(CrossdeptTicketStep, type(self))._check_access)

    def _check_deliverable_commands(self, commands):
        """Through its step, a deliverable can only be ticked off or given its value."""
        for command in commands:
            if not (
                isinstance(command, (list, tuple))
                and (
                    command[0] == Command.LINK
                    or (command[0] == Command.UPDATE and set(command[2]) <= HOLDER_FIELDS)
                )
            ):
                raise UserError(
                    self.env._(
                        "The deliverables of a step come from its flow: they can be ticked "
                        "off, not added, renamed or removed."
                    )
                )

    # ------------------------------------------------------------------
    # Actions (buttons)
    # ------------------------------------------------------------------

    def action_start(self):
        self._lock_tickets()
        for step in self:
            step._check_can_work(self.env._("start"))
            if step.state != "ready":
                raise UserError(
                    self.env._(
                        "Step %(step)s cannot start: it is %(state)s.",
                        step=step.display_name,
                        state=step._state_label(),
                    )
                )
        # whoever starts a step holds it (see _hold_on_start)
        self._hold_on_start()
        self._start()
        return True

    def action_finish(self):
        """Finish the steps (a ready step is started and finished at once). A second
        click on a step its holder just finished changes nothing."""
        self._lock_tickets()
        steps = self.filtered(lambda s: not (s.state == "done" and s._is_worker(self.env.user)))
        for step in steps:
            step._check_can_work(self.env._("finish"))
            if step.state not in OPEN_STATES:
                raise UserError(
                    self.env._(
                        "Step %(step)s cannot be finished: it is %(state)s.",
                        step=step.display_name,
                        state=step._state_label(),
                    )
                )
            step._check_completion()
        ready = steps.filtered(lambda s: s.state == "ready")
        ready._hold_on_start()
        ready._start()
        steps._set_done()
        return True

    def _lock_tickets(self):
        """``crossdept.ticket._lock`` of these steps' tickets, found by the lock's
        own query: the steps are first read after the lock (as the acting user,
        through the record rules), not once before it and once again after."""
        if self.ids:
            self.env["crossdept.ticket"]._lock_where(
                SQL(
                    "id IN (SELECT ticket_id FROM crossdept_ticket_step WHERE id IN %s)",
                    tuple(self.ids),
                )
            )

    def _start(self, then=None):
        """Start the steps; ``then`` (event type, reason) is an event that follows the
        start at once (an approval of a ready step), logged in the same insert."""
        self._engine().write({"state": "in_progress", "date_started": fields.Datetime.now()})
        events = self._step_event_vals("step_start")
        if then:
            events += self._step_event_vals(*then)
        self.ticket_id._log_events(events)

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------

    def _state_label(self):
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _check_ticket_running(self):
        for step in self:
            if step.ticket_id.state != "in_progress":
                raise UserError(
                    self.env._(
                        "Ticket %(ticket)s is %(state)s: its steps wait until it is in progress.",
                        ticket=step.ticket_id.display_name,
                        state=step.ticket_id._state_label(step.ticket_id.state),
                    )
                )

    def _check_can_work(self, what):
        self.ensure_one()
        self._check_ticket_running()
        if self.kind != "task":
            raise UserError(
                self.env._(
                    "Step %(step)s is an approval: approve or refuse it.", step=self.display_name
                )
            )
        if not self.env.su and not self._is_worker(self.env.user):
            raise UserError(
                self.env._(
                    "Only the assignee or a Responsible of step %(step)s can %(what)s it.",
                    step=self.display_name,
                    what=what,
                )
            )

    def _missing_for_completion(self, ticket=None, deliverables=None):
        """The inputs and deliverables still missing to finish the step; ``ticket``
        and ``deliverables`` may be the values on a form not saved yet."""
        self.ensure_one()
        ticket = ticket or self.ticket_id
        deliverables = self.deliverable_ids if deliverables is None else deliverables
        missing = []
        # field definitions are technical metadata that plain users cannot read
        for field in self.flow_step_id.sudo().required_field_ids:
            if not ticket[field.name]:
                missing.append(self.env._("input: %(field)s", field=field.field_description))
        if self.flow_step_id.require_attachment and not self.env["ir.attachment"].search_count(
            [("res_model", "=", "crossdept.ticket"), ("res_id", "=", ticket._origin.id)], limit=1
        ):
            missing.append(self.env._("input: an attachment on the ticket"))
        for deliverable in deliverables.filtered(
            lambda line: line.required and not line._is_filled()
        ):
            missing.append(self.env._("deliverable: %(name)s", name=deliverable.name))
        return missing

    def _check_completion(self):
        """Raise a UserError listing the missing inputs and deliverables."""
        missing = self._missing_for_completion()
        if missing:
            listing = "\n".join(f"- {item}" for item in missing)
            raise UserError(
                self.env._(
                    "Step %(step)s cannot be finished yet. Missing:\n%(missing)s",
                    step=self.display_name,
                    missing=listing,
                )
            )

    # ------------------------------------------------------------------
    # Flow progress
    # ------------------------------------------------------------------

    def _graph(self):
        """{step: its predecessors} over the steps of these steps' tickets."""
        steps = self.ticket_id.step_ids
        return {step: set(step.predecessor_ids) for step in steps}

    def _successors_closure(self):
        """These steps and every step after them on their ticket."""
        return self.browse([step.id for step in descendants(self, self._graph())])

    def _set_done(self):
        now = fields.Datetime.now()
        for step in self:
            step._engine().write(
                {
                    "state": "done",
                    "date_done": now,
                    "date_escalation_due": False,
                    "sla_status": "breached"
                    if step.date_deadline and now > step.date_deadline
                    else "on_track",
                }
            )
        self._log_step_events("step_done")
        noted = self._notify_done()
        for ticket in self.ticket_id:
            cause = self.filtered(lambda s, ticket=ticket: s.ticket_id == ticket)[-1:]
            ticket._activate_steps(cause=cause)
        self._on_done()
        # last: deleting records (the to-dos) empties the whole cache (Odoo's unlink),
        # and everything above would read its records again after it; an action that
        # goes on after this (an approval) closes them itself at its end
        later = self.env.context.get("crossdept_todos_closed_later", ())
        # the caller closing them later hears which the done messages recorded
        noted_later = self.env.context.get("crossdept_todos_noted")
        if noted_later is not None:
            noted_later.update(noted.filtered(lambda a: a.crossdept_step_id.id in later).ids)
        self.filtered(lambda s: s.id not in later)._close_activities(done=True, noted=noted)

    def _on_done(self):
        """What else follows the steps' end, once the flow moved on (before their
        to-dos are closed)."""

    def _make_ready(self, now, reason=None):
        """Pending steps whose predecessors are finished become ready, with their
        deadline planned on their calendar; the caller checked skip conditions.
        Steps sharing calendar, resource and SLA share one planning and one write."""
        deadlines = {}
        by_deadline = defaultdict(lambda: self.browse())
        for step in self:
            key = (step.calendar_id, step._resource(), step.sla_hours)
            if key not in deadlines:
                deadlines[key] = step._plan_deadline(now)
            by_deadline[deadlines[key]] |= step
        for deadline, steps in by_deadline.items():
            steps._engine().write(
                {
                    "state": "ready",
                    "date_ready": now,
                    "date_deadline": deadline,
                    "sla_status": "on_track",
                }
            )
        self._log_step_events("step_ready", reason=reason)
        self._schedule_escalation()
        self.filtered(lambda s: s.kind == "approval")._approval_open()
        # rework goes back to whoever did the step before, unless they are away;
        # new work is dispatched
        auto = self.filtered(
            lambda s: s.kind == "task" and s.flow_step_id.assignment == "auto" and s.department_id
        )
        away = auto.filtered("user_id")._holders_away()
        Dispatcher = self.env["crossdept.dispatcher"]
        Dispatcher._assign(auto.filtered(lambda s: not s.user_id))
        if away:
            Dispatcher._assign(
                away, reason=self.env._("The person who did this step before is away.")
            )
        self.filtered(lambda s: s.kind == "task")._schedule_holder_activities()

    def _reopen(self, reason=None):
        """Done steps of a reopened ticket are ready again for their holders."""
        self._engine().write(
            {"state": "pending", "date_done": False, "date_started": False, "sla_status": False}
        )
        self.filtered(lambda s: s.kind == "approval")._approval_reset()
        self._make_ready(fields.Datetime.now(), reason=reason or self.env._("Ticket reopened."))

    def _log_step_events(self, event_type, reason=None, target=None):
        self.ticket_id._log_events(
            self._step_event_vals(event_type, reason, target),
            # the steps of a thousand tickets at once when their flows start
            one_insert=True,
        )

    def _step_event_vals(self, event_type, reason=None, target=None):
        return [
            {
                "ticket_id": step.ticket_id.id,
                "step_id": step.id,
                "event_type": event_type,
                "to_state": step.state,
                "to_user_id": step.user_id.id,
                "to_department_id": step.department_id.id,
                "target_step_id": target.id if target else False,
                "reason": reason or step.skip_reason or False,
            }
            for step in self
        ]
