from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from ..tools.dates import check_business_date

PRIORITIES = [
    ("0", "Low"),
    ("1", "Normal"),
    ("2", "High"),
    ("3", "Urgent"),
]

STATES = [
    ("draft", "Draft"),
    ("open", "Open"),
    ("in_progress", "In Progress"),
    ("waiting", "Waiting"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
]

# state -> states it may go to
TRANSITIONS = {
    "draft": {"open", "cancelled"},
    "open": {"in_progress", "waiting", "cancelled"},
    "in_progress": {"waiting", "done", "cancelled"},
    "waiting": {"in_progress", "cancelled"},
    "done": {"in_progress"},
    "cancelled": {"draft"},
}

ADMIN_GROUP = "crossdept_ticket.group_crossdept_ticket_admin"

# states in which somebody must be Responsible for the work
WORKING_STATES = {"in_progress", "waiting", "done"}
CLOSED_STATES = ("done", "cancelled")

# who may move a ticket (see crossdept_ticket_access.py for the roles)
SUBMITTERS = {"requester", "creator", "accountable", "manager", "admin"}
WORKERS = {"holder", "responsible", "accountable", "manager", "admin"}
OWNERS = {"requester", "accountable", "manager", "admin"}


class LateTickets:
    """The value of the Overdue filter's domain leaf ``("id", "=", LateTickets(query))``
    (crossdept.ticket ``_search_is_overdue``): ``query`` finds the late open tickets,
    which crossdept.ticket ``_condition_to_sql`` reads by their row addresses."""

    __slots__ = ("query",)

    def __init__(self, query):
        self.query = query

    def __repr__(self):
        return "LateTickets()"


class CrossdeptTicket(models.Model):
    _name = "crossdept.ticket"
    _description = "Cross-department Ticket"
    _inherit = [
        "crossdept.engine.mixin",
        "portal.mixin",
        "rating.mixin",
        "mail.thread",
        "mail.activity.mixin",
    ]
    _order = "priority desc, id desc"
    _rec_names_search = ["name", "title"]
    _check_company_auto = True
    # customers reply from the portal on tickets they can read
    _mail_post_access = "read"

    # a new ticket is numbered when it is saved; until then it shows "New", as a new
    # sale order does
    name = fields.Char(
        "Number",
        readonly=True,
        copy=False,
        index="trigram",
        default=lambda self: self.env._("New"),
    )
    title = fields.Char(required=True, tracking=True)
    description = fields.Html()
    type_id = fields.Many2one(
        "crossdept.ticket.type", tracking=True, index=True, check_company=True
    )
    priority = fields.Selection(PRIORITIES, default="1", required=True, tracking=True, index=True)
    state = fields.Selection(
        STATES,
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
        group_expand="_read_group_expand_state",
    )
    partner_id = fields.Many2one("res.partner", "Customer", tracking=True, index=True)
    department_id = fields.Many2one(
        "hr.department",
        "Requesting Department",
        tracking=True,
        index=True,
        check_company=True,
    )
    requester_id = fields.Many2one("res.users", default=lambda self: self.env.user, index=True)
    user_id = fields.Many2one("res.users", "Assigned to", tracking=True, index=True, copy=False)
    assigned_department_id = fields.Many2one(
        "hr.department",
        "Handling Department",
        tracking=True,
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    tag_ids = fields.Many2many("crossdept.ticket.tag", string="Tags")
    date_deadline = fields.Datetime("Deadline", tracking=True, index=True)
    date_closed = fields.Datetime("Closed on", readonly=True, copy=False)
    is_overdue = fields.Boolean(
        "Overdue", compute="_compute_is_overdue", search="_search_is_overdue"
    )
    raci_ids = fields.One2many("crossdept.ticket.raci", "ticket_id", "RACI", copy=True)
    accountable_user_id = fields.Many2one(
        "res.users", "Accountable", compute="_compute_accountable_user_id"
    )
    event_ids = fields.One2many("crossdept.ticket.event", "ticket_id", "History")
    flow_id = fields.Many2one(
        "crossdept.flow",
        tracking=True,
        index=True,
        copy=False,
        domain="[('state', '=', 'active')]",
        help="Chosen when the flow starts: the most specific active flow that matches, "
        "unless another matching flow is chosen before.",
    )
    step_ids = fields.One2many("crossdept.ticket.step", "ticket_id", "Steps")
    schedule_id = fields.Many2one(
        "crossdept.dispatch.schedule", "Recurring Dispatch", index="btree_not_null", copy=False
    )
    schedule_period = fields.Char(copy=False)
    schedule_target = fields.Char(copy=False)
    dispatch_target_ref = fields.Reference(
        selection="_selection_target_model", string="Target", copy=False
    )
    color = fields.Integer()
    active = fields.Boolean(default=True)
    # stored for analytics, and computed before insert so that a batch of new tickets
    # costs no update (they have no rating yet)
    rating_last_value = fields.Float(
        compute="_compute_rating_last_value", store=True, precompute=True
    )

    _sql_constraints = [
        (
            "schedule_period_target_uniq",
            "unique(schedule_id, schedule_period, schedule_target)",
            "A recurring dispatch creates one ticket per target and period.",
        ),
    ]

    def init(self):
        # the Overdue filter (and the dashboard's open overdue tile) starts from the
        # few open tickets past their deadline (``_search_is_overdue``)
        tools.create_index(
            self.env.cr,
            "crossdept_ticket_open_deadline_idx",
            self._table,
            ["date_deadline"],
            where="state NOT IN ('done', 'cancelled')",
        )
        return super().init()

    @api.model
    def _selection_target_model(self):
        return [(model.model, model.name) for model in self.env["ir.model"].sudo().search([])]

    @api.depends("date_deadline", "state")
    def _compute_is_overdue(self):
        now = fields.Datetime.now()
        for ticket in self:
            ticket.is_overdue = bool(
                ticket.date_deadline
                and ticket.date_deadline < now
                and ticket.state not in ("done", "cancelled")
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Overdue can only be searched as true or false."))
        domain = self._late_domain()
        if (operator == "=") == value:
            # the overdue tickets, found first (the few open tickets past their
            # deadline, crossdept_ticket_open_deadline_idx), then read by their row
            # addresses (``_condition_to_sql``): PostgreSQL checks the reader's
            # record rules on each of them, one index probe per participant table,
            # instead of hashing every ticket the reader takes part in (hundreds of
            # thousands for some readers at a million tickets). The rules and the
            # active test apply to the outer query as to any search.
            return [("id", "=", LateTickets(self._where_calc(domain, active_test=False)))]
        # not overdue: as computed, a ticket without a deadline is not overdue (the
        # negated comparison alone would leave it out: NULL >= now is not true)
        return ["|", ("date_deadline", "=", False), "!", "&", *domain]

    def _condition_to_sql(self, alias, fname, operator, value, query):
        if isinstance(value, LateTickets):
            # the late tickets' row addresses (ctid) as an array, each row then read
            # straight from its page (a TID scan) rather than looked up by its id in
            # the primary key (a third of the rows' cost at a million tickets); the
            # planner counts a handful of rows, so it probes the rules' tables row by
            # row. One statement, one snapshot: the addresses are those of the rows
            # the outer query reads.
            late = value.query
            return SQL(
                "%s = ANY(ARRAY(%s))",
                SQL.identifier(alias, "ctid"),
                late.subselect(SQL.identifier(late.table, "ctid")),
            )
        return super()._condition_to_sql(alias, fname, operator, value, query)

    @api.model
    def _finds_late_only(self, domain):
        """Whether every ticket ``domain`` finds is overdue: the Overdue filter is one
        of the terms all of them must meet (not under an "or" nor a "not")."""
        # each pending operand of the prefix notation, and whether it must hold
        pending = [True]
        for term in expression.normalize_domain(domain):
            required = pending.pop()
            if term in (expression.AND_OPERATOR, expression.OR_OPERATOR):
                pending += [required and term == expression.AND_OPERATOR] * 2
            elif term == expression.NOT_OPERATOR:
                pending.append(False)
            elif required and tuple(term) in (
                ("is_overdue", "=", True),
                ("is_overdue", "!=", False),
            ):
                return True
        return False

    @api.model
    def web_search_read(
        self, domain, specification, offset=0, limit=None, order=None, count_limit=None
    ):
        """The Overdue list in one query: its tickets are the few open ones past
        their deadline, so all of them are read at once (up to the pager's
        ``count_limit``, as Odoo counts them) and the page is taken from them. Odoo
        searches a page, then counts in a second search that walks the same late
        tickets and checks the same record rules on each of them again (half of
        the list's database time at a million tickets)."""
        if not (
            limit
            and count_limit
            and offset + limit <= count_limit
            and self._finds_late_only(domain)
        ):
            return super().web_search_read(domain, specification, offset, limit, order, count_limit)
        # their columns only: the page reads the rest for its own tickets
        columns = [
            name
            for name in specification
            if self._fields[name].store and self._fields[name].column_type
        ]
        found = self.search_fetch(domain, columns, limit=count_limit, order=order)
        # the page alone: what its fields read next is read for its tickets only
        records = self.browse(found._ids[offset : offset + limit]).web_read(specification)
        # as Odoo's pager: the number found, up to count_limit
        return {"length": len(found) if records else 0, "records": records}

    @api.model
    def _late_domain(self):
        """The open tickets past their deadline, as the Overdue filter finds them
        (crossdept_ticket_open_deadline_idx), before any record rule."""
        return [
            ("date_deadline", "<", fields.Datetime.now()),
            ("state", "not in", ("done", "cancelled")),
        ]

    @api.depends("raci_ids.role", "raci_ids.holder_user_id")
    def _compute_accountable_user_id(self):
        for ticket in self:
            accountable = ticket.raci_ids.filtered(lambda raci: raci.role == "accountable")
            ticket.accountable_user_id = accountable[:1].holder_user_id

    @api.depends("name", "title")
    def _compute_display_name(self):
        for ticket in self:
            ticket.display_name = f"{ticket.name} {ticket.title}" if ticket.title else ticket.name

    def _compute_access_url(self):
        for ticket in self:
            ticket.access_url = f"/my/tickets/{ticket.id}"

    @api.model
    def _read_group_expand_state(self, states, domain):
        """The columns of the kanban: the states work goes through always, a draft or
        closed column only when it holds tickets of the search (else a phone opens on
        an empty Draft column)."""
        always = {"open", "in_progress", "waiting"}
        return [key for key, _label in STATES if key in always or key in states]

    @api.constrains("date_deadline")
    def _check_dates(self):
        for ticket in self:
            check_business_date(self.env, ticket, "date_deadline")

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def _engine_fields(self):
        states = self.env._(
            "Submit, Start Flow, Start, Wait, Done, Cancel, Reopen or Reset to Draft"
        )
        recurring = self.env._("a Recurring Dispatch")
        return {
            **super()._engine_fields(),
            "state": states,
            "date_closed": states,
            "name": self.env._("the ticket sequence"),
            "step_ids": self.env._("Start Flow and the actions of each step"),
            "event_ids": self.env._("the actions of the ticket and its steps"),
            "schedule_id": recurring,
            "schedule_period": recurring,
            "schedule_target": recurring,
            "dispatch_target_ref": recurring,
            "rating_last_value": self.env._("the customer's rating"),
        }

    def _check_engine_create(self, vals_list):
        for vals in vals_list:
            if vals.get("state", "draft") not in ("draft", "open"):
                raise UserError(
                    self.env._(
                        "A ticket is created as Draft or Open, not %(state)s; "
                        "it then moves through its states.",
                        state=self._state_label(vals["state"]),
                    )
                )
        # creating a ticket as Open submits it at once
        return super()._check_engine_create(
            [{key: value for key, value in vals.items() if key != "state"} for vals in vals_list]
        )

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [dict(vals) for vals in vals_list]  # numbers are added: not the caller's
        if not self._is_engine():
            self._check_engine_create(vals_list)
        self._add_default_accountable(vals_list)
        self._assign_numbers(vals_list)
        # the number comes from the sequence and the first RACI lines from the
        # ticket's creation: the engine writes them
        tickets = super(CrossdeptTicket, self._engine()).create(vals_list).with_env(self.env)
        tickets._log_events(
            [
                {
                    "ticket_id": ticket.id,
                    "event_type": "create",
                    "to_state": ticket.state,
                    "to_user_id": ticket.user_id.id,
                    "to_department_id": ticket.assigned_department_id.id,
                }
                for ticket in tickets
            ]
        )
        return tickets

    def write(self, vals):
        self._check_engine_write(vals)
        if not (self.env.su or self._is_engine()):
            self._check_edit_access(vals)
        if "state" in vals:
            self._check_transition(vals["state"])
            vals = dict(
                vals, date_closed=fields.Datetime.now() if vals["state"] == "done" else False
            )
        moved = [name for name in ("user_id", "assigned_department_id") if name in vals]
        before = (
            {ticket.id: (ticket.user_id, ticket.assigned_department_id) for ticket in self}
            if moved
            else {}
        )
        res = super().write(vals)
        if moved:
            self._log_transfers(before)
        return res

    def unlink(self):
        self.check_access("unlink")
        if not self.env.context.get(MODULE_UNINSTALL_FLAG):
            raise UserError(
                self.env._(
                    "Tickets cannot be deleted, so that their history stays complete; "
                    "cancel or archive %(tickets)s instead.",
                    tickets=", ".join(self.mapped("display_name")),
                )
            )
        return super().unlink()

    # ------------------------------------------------------------------
    # State machine
    # ------------------------------------------------------------------

    def _state_label(self, state):
        return dict(self._fields["state"]._description_selection(self.env)).get(state, state)

    def _check_transition(self, new_state):
        for ticket in self:
            # only the end of a ticket waits for its steps
            open_steps = new_state == "done" and ticket.step_ids.filtered(
                lambda s: s.state in ("pending", "ready", "in_progress")
            )
            if open_steps:
                raise UserError(
                    self.env._(
                        "Ticket %(ticket)s is done when its flow is: these steps are still "
                        "open: %(steps)s.",
                        ticket=ticket.display_name,
                        steps=", ".join(open_steps.mapped("name")),
                    )
                )
            if ticket.state != new_state and new_state not in TRANSITIONS[ticket.state]:
                raise UserError(
                    self.env._(
                        "Ticket %(ticket)s cannot go from %(from_state)s to %(to_state)s.",
                        ticket=ticket.display_name,
                        from_state=self._state_label(ticket.state),
                        to_state=self._state_label(new_state),
                    )
                )

    def action_open(self):
        """Submit the ticket: it is open for work."""
        self._check_actor(SUBMITTERS, self.env._("submit"))
        self._lock()
        return self._set_state("open")

    def action_start(self):
        """Start the work on an open ticket, or resume a waiting one."""
        self._check_actor(WORKERS, self.env._("start"))
        self._lock()
        return self._set_state("in_progress")

    def action_wait(self):
        """Wait for the requester or the customer: the steps' clocks stop."""
        self._check_actor(WORKERS, self.env._("put on hold"))
        self._lock()
        return self._set_state("waiting")

    def action_done(self):
        self._check_actor(WORKERS, self.env._("close"))
        self._lock()
        return self._set_state("done")

    def action_cancel(self):
        self._check_actor(OWNERS, self.env._("cancel"))
        self._lock()
        return self._set_state("cancelled")

    def action_reopen(self):
        self._check_actor(OWNERS, self.env._("reopen"))
        self._lock()
        return self._set_state("in_progress")

    def action_draft(self):
        self._check_actor(OWNERS, self.env._("reset to draft"))
        self._lock()
        return self._set_state("draft")

    def _set_state(self, state, step=None, reason=None):
        """Move the tickets to ``state`` as the engine: the transition is checked, an
        event records it (naming the step that caused it, if any) and the steps
        follow (their clocks stop while waiting, they are cancelled with the ticket,
        reopened with it...). The caller has locked the tickets (``_lock``), as the
        actions above do, before reading what it decides on."""
        tickets = self.filtered(lambda ticket: ticket.state != state)
        if not tickets:
            return True
        before = {ticket.id: ticket.state for ticket in tickets}
        reason = reason or self.env.context.get("crossdept_reason")
        # the reason travels with the write, for the bridges that follow the state
        tickets._engine().with_context(crossdept_reason=reason).write({"state": state})
        tickets._log_events(
            [
                {
                    "ticket_id": ticket.id,
                    "step_id": step.id if step else False,
                    "event_type": "state",
                    "from_state": before[ticket.id],
                    "to_state": state,
                    "reason": reason or False,
                }
                for ticket in tickets
            ],
            # a flow start moves a thousand tickets at once
            one_insert=True,
        )
        tickets._on_state_change(before, reason)
        return True

    def _on_state_change(self, before, reason):
        """The steps follow their ticket: waiting for the requester or the customer
        stops the clocks of the running steps, and working again restarts them."""
        now = fields.Datetime.now()
        for ticket in self:
            running = ticket.step_ids.filtered(lambda s: s.state in ("ready", "in_progress"))
            if ticket.state == "waiting":
                running._pause(now)
            elif before[ticket.id] == "waiting":
                running._resume(now)

    def action_transfer(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Transfer"),
            "res_model": "crossdept.ticket.transfer",
            "view_mode": "form",
            "target": "new",
            "context": {"default_ticket_ids": self.ids},
        }
