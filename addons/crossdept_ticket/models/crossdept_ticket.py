from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, html2plaintext
from odoo.tools.safe_eval import safe_eval

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from .crossdept_ticket_raci import RACI_ROLES

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


class CrossdeptTicket(models.Model):
    _name = "crossdept.ticket"
    _description = "Cross-department Ticket"
    _inherit = ["portal.mixin", "rating.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "priority desc, id desc"
    _rec_names_search = ["name", "title"]
    _check_company_auto = True
    # customers reply from the portal on tickets they can read
    _mail_post_access = "read"

    name = fields.Char("Number", readonly=True, copy=False, index="trigram", default="/")
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
    applied_article_ids = fields.Many2many(
        "crossdept.kb.article",
        "crossdept_ticket_kb_article_rel",
        "ticket_id",
        "article_id",
        string="Applied Articles",
        copy=False,
        check_company=True,
    )
    # stored for analytics, and computed before insert so that a batch of new tickets
    # costs no update (they have no rating yet)
    rating_last_value = fields.Float(
        compute="_compute_rating_last_value", store=True, precompute=True
    )
    kb_suggestion_ids = fields.Many2many(
        "crossdept.kb.article",
        string="Suggested Articles",
        compute="_compute_kb_suggestion_ids",
        help="Published articles ranked by full-text relevance to the title and description.",
    )
    resolved_with_knowledge = fields.Boolean(
        compute="_compute_resolved_with_knowledge",
        store=True,
        precompute=True,
        help="Done with at least one knowledge article applied.",
    )

    _sql_constraints = [
        (
            "schedule_period_target_uniq",
            "unique(schedule_id, schedule_period, schedule_target)",
            "A recurring dispatch creates one ticket per target and period.",
        ),
    ]

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
        domain = [
            ("date_deadline", "<", fields.Datetime.now()),
            ("state", "not in", ("done", "cancelled")),
        ]
        if (operator == "=") == value:
            return domain
        return ["!", "&", *domain]

    @api.depends("state", "applied_article_ids")
    def _compute_resolved_with_knowledge(self):
        for ticket in self:
            ticket.resolved_with_knowledge = ticket.state == "done" and bool(
                ticket.applied_article_ids
            )

    @api.depends("title", "description", "applied_article_ids", "company_id")
    def _compute_kb_suggestion_ids(self):
        # one ranking query per ticket: the field is shown on the form only
        Article = self.env["crossdept.kb.article"]
        for ticket in self:
            text = " ".join(
                part for part in (ticket.title, html2plaintext(ticket.description or "")) if part
            )
            ranked = Article._suggest(
                text, ticket.company_id, exclude=ticket.applied_article_ids._origin.ids
            )
            ticket.kb_suggestion_ids = Article.browse([article_id for article_id, _rank in ranked])

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
        return [key for key, _label in STATES]

    @api.constrains("state", "raci_ids")
    def _check_raci(self, removed_lines=None):
        counts = defaultdict(lambda: defaultdict(int))
        domain = [("ticket_id", "in", self.ids)]
        if removed_lines:
            domain.append(("id", "not in", removed_lines.ids))
        for ticket, role, count in self.env["crossdept.ticket.raci"]._read_group(
            domain, ["ticket_id", "role"], ["__count"]
        ):
            counts[ticket][role] = count
        for ticket in self:
            accountable = counts[ticket]["accountable"]
            if accountable != 1:
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s must have exactly one Accountable; it has %(count)s.",
                        ticket=ticket.display_name,
                        count=accountable,
                    )
                )
            if ticket.state in WORKING_STATES and not counts[ticket]["responsible"]:
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s needs at least one Responsible once work "
                        "has started (state: %(state)s).",
                        ticket=ticket.display_name,
                        state=ticket._state_label(ticket.state),
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("state", "draft") not in ("draft", "open"):
                raise UserError(
                    self.env._(
                        "A ticket is created as Draft or Open, not %(state)s; "
                        "it then moves through its states.",
                        state=self._state_label(vals["state"]),
                    )
                )
        self._add_default_accountable(vals_list)
        self._assign_numbers(vals_list)
        tickets = super().create(vals_list)
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
        if "state" in vals:
            self._check_transition(vals["state"])
            if vals["state"] == "done":
                vals = dict(vals, date_closed=fields.Datetime.now())
            elif "date_closed" not in vals:
                vals = dict(vals, date_closed=False)
        tracked = [name for name in ("state", "user_id", "assigned_department_id") if name in vals]
        before = (
            {
                ticket.id: (ticket.state, ticket.user_id, ticket.assigned_department_id)
                for ticket in self
            }
            if tracked
            else {}
        )
        applied_before = (
            {ticket.id: set(ticket.applied_article_ids.ids) for ticket in self}
            if "applied_article_ids" in vals
            else None
        )
        res = super().write(vals)
        if tracked:
            self._log_changes(before)
            if "state" in vals:
                self._pause_or_resume_steps(before)
        if applied_before is not None:
            self._count_applied_articles(applied_before)
        if vals.get("state") == "done":
            self._send_rating_request()
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

    @api.model
    def _add_default_accountable(self, vals_list):
        """Every ticket starts with one Accountable: the type's default Accountable,
        else the requesting department's manager, else the (internal) requester,
        else a CrossDept administrator."""
        type_ids = {vals.get("type_id") for vals in vals_list} - {False, None}
        department_ids = {vals.get("department_id") for vals in vals_list} - {False, None}
        user_ids = {vals.get("requester_id") for vals in vals_list} - {False, None}
        # only ids are read here, so that creating tickets needs no extra read rights
        type_accountable = {
            ticket_type.id: ticket_type.accountable_user_id.id
            for ticket_type in self.env["crossdept.ticket.type"].sudo().browse(type_ids)
        }
        managers = {
            dept.id: dept.manager_id.user_id.id
            for dept in self.env["hr.department"].sudo().browse(department_ids)
        }
        internal = {
            user.id
            for user in self.env["res.users"].sudo().browse(user_ids | {self.env.uid})
            if not user.share
        }
        fallback = None
        for vals in vals_list:
            commands = vals.get("raci_ids") or []
            if any(
                command[0] == Command.CREATE and command[2].get("role") == "accountable"
                for command in commands
                if isinstance(command, (list, tuple)) and len(command) == 3
            ):
                continue
            requester = vals.get("requester_id", self.env.uid)
            user_id = (
                type_accountable.get(vals.get("type_id"))
                or managers.get(vals.get("department_id"))
                or (requester in internal and requester)
                or (self.env.uid in internal and self.env.uid)
            )
            if not user_id:
                if fallback is None:
                    fallback = (
                        self.env["res.users"]
                        .sudo()
                        .search(
                            [("groups_id", "in", self.env.ref(ADMIN_GROUP).id)],
                            order="id",
                            limit=1,
                        )
                    )
                user_id = fallback.id
            vals["raci_ids"] = [
                *commands,
                Command.create({"role": "accountable", "user_id": user_id}),
            ]

    @api.model
    def _assign_numbers(self, vals_list):
        """Number tickets from their company's sequence, in one query per company."""
        by_company = defaultdict(list)
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                by_company[vals.get("company_id") or self.env.company.id].append(vals)
        for company_id, company_vals in by_company.items():
            sequence = self._get_sequence(self.env["res.company"].browse(company_id))
            numbers = sequence._crossdept_next_numbers(len(company_vals))
            for vals, number in zip(company_vals, numbers, strict=True):
                vals["name"] = number

    @api.model
    def _get_sequence(self, company):
        sequence_model = self.env["ir.sequence"].sudo()
        sequence = sequence_model.search(
            [("code", "=", "crossdept.ticket"), ("company_id", "=", company.id)], limit=1
        )
        if not sequence:
            # each company numbers its own tickets; new companies get a sequence on first use
            sequence = sequence_model.create(
                {
                    "name": self.env._("CrossDept tickets (%(company)s)", company=company.name),
                    "code": "crossdept.ticket",
                    "company_id": company.id,
                    "prefix": "TK%(year)s-",
                    "padding": 5,
                }
            )
        return sequence

    # ------------------------------------------------------------------
    # State machine
    # ------------------------------------------------------------------

    def _state_label(self, state):
        return dict(self._fields["state"]._description_selection(self.env)).get(state, state)

    def _check_transition(self, new_state):
        for ticket in self:
            open_steps = ticket.step_ids.filtered(
                lambda s: s.state in ("pending", "ready", "in_progress")
            )
            if new_state == "done" and open_steps:
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
        return self.write({"state": "open"})

    def action_start(self):
        return self.write({"state": "in_progress"})

    def action_wait(self):
        return self.write({"state": "waiting"})

    def action_done(self):
        return self.write({"state": "done"})

    def action_cancel(self):
        return self.write({"state": "cancelled"})

    def action_reopen(self):
        return self.write({"state": "in_progress"})

    def action_draft(self):
        return self.write({"state": "draft"})

    def action_apply_articles(self, articles):
        """Link knowledge articles to the tickets; each new link counts as a use."""
        unpublished = articles.filtered(lambda article: article.state != "published")
        if unpublished:
            raise UserError(
                self.env._(
                    "Only published articles can be applied; not %(articles)s.",
                    articles=", ".join(unpublished.mapped("name")),
                )
            )
        for ticket in self:
            new = articles - ticket.applied_article_ids
            if not new:
                continue
            ticket.applied_article_ids = [Command.link(article.id) for article in new]
            ticket.message_post(
                body=self.env._(
                    "Knowledge applied: %(articles)s.", articles=", ".join(new.mapped("name"))
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_create_kb_article(self):
        """Open a draft knowledge article written from this done ticket."""
        self.ensure_one()
        if self.state != "done":
            raise UserError(
                self.env._(
                    "Ticket %(ticket)s is not done: write an article once its solution is known.",
                    ticket=self.display_name,
                )
            )
        article = self.env["crossdept.kb.article"].create(self._prepare_kb_article_vals())
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Knowledge Article"),
            "res_model": "crossdept.kb.article",
            "res_id": article.id,
            "view_mode": "form",
            "target": "current",
        }

    def _prepare_kb_article_vals(self):
        self.ensure_one()
        body = Markup("<h3>%s</h3>%s<h3>%s</h3><p>%s</p>") % (
            self.env._("Problem"),
            self.description or Markup("<p>%s</p>") % self.title,
            self.env._("Solution"),
            self.env._("Describe how ticket %(ticket)s was solved.", ticket=self.name),
        )
        return {
            "name": self.title,
            "body": body,
            "state": "draft",
            "type_ids": [Command.set(self.type_id.ids)],
            "tag_ids": [Command.set(self.tag_ids.ids)],
            "department_id": (self.assigned_department_id or self.department_id).id,
            "company_id": self.company_id.id,
            "source_ticket_id": self.id,
        }

    def _count_applied_articles(self, applied_before):
        """Add the new links of these tickets to their articles' usage counters, in
        one statement (an atomic increment, safe when two users apply at once)."""
        added = defaultdict(int)
        for ticket in self:
            for article_id in set(ticket.applied_article_ids.ids) - applied_before[ticket.id]:
                added[article_id] += 1
        if not added:
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE crossdept_kb_article AS article
                   SET usage_count = COALESCE(article.usage_count, 0) + used.count,
                       date_last_used = %(now)s
                  FROM (VALUES %(rows)s) AS used(id, count)
                 WHERE article.id = used.id
                """,
                now=fields.Datetime.now(),
                rows=SQL(", ").join(SQL("(%s, %s)", key, count) for key, count in added.items()),
            )
        )
        self.env["crossdept.kb.article"].browse(added).invalidate_recordset(
            ["usage_count", "date_last_used"]
        )

    def action_transfer(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Transfer"),
            "res_model": "crossdept.ticket.transfer",
            "view_mode": "form",
            "target": "new",
            "context": {"default_ticket_ids": self.ids},
        }

    # ------------------------------------------------------------------
    # Event log
    # ------------------------------------------------------------------

    def _log_events(self, vals_list):
        company_of = {ticket.id: ticket.company_id.id for ticket in self}
        for vals in vals_list:
            if "company_id" not in vals:
                vals["company_id"] = company_of[vals["ticket_id"]]
            vals.setdefault("reason", self.env.context.get("crossdept_reason"))
        # events are written by whoever changes the ticket; the log itself is not
        # writable by users, only appendable through this method
        return self.env["crossdept.ticket.event"].sudo().create(vals_list)

    def _pause_or_resume_steps(self, before):
        """Waiting for the requester or customer stops the steps' SLA clocks."""
        now = fields.Datetime.now()
        for ticket in self:
            running = ticket.step_ids.filtered(lambda s: s.state in ("ready", "in_progress"))
            if ticket.state == "waiting" and before[ticket.id][0] != "waiting":
                running._pause(now)
            elif before[ticket.id][0] == "waiting" and ticket.state != "waiting":
                running._resume(now)

    # ------------------------------------------------------------------
    # Flow
    # ------------------------------------------------------------------

    def _find_flow(self, candidates=None):
        """The most specific active flow for this ticket; ``candidates`` caches the
        active flows of each (type, company) across a batch of tickets."""
        self.ensure_one()
        Flow = self.env["crossdept.flow"]
        if candidates is None:
            return Flow._find_for_ticket(self)[:1]
        key = (self.type_id, self.company_id)
        if key not in candidates:
            candidates[key] = Flow._active_for(self.type_id, self.company_id)
        return candidates[key].filtered(lambda flow: flow._matches(self))[:1]

    def action_start_flow(self):
        by_flow = defaultdict(lambda: self.browse())
        candidates = {}  # flows that may apply, by (ticket type, company)
        for ticket in self:
            if ticket.step_ids:
                raise UserError(
                    self.env._(
                        "The flow of ticket %(ticket)s has already started.",
                        ticket=ticket.display_name,
                    )
                )
            if ticket.state not in ("draft", "open"):
                raise UserError(
                    self.env._(
                        "Ticket %(ticket)s must be Draft or Open to start its flow.",
                        ticket=ticket.display_name,
                    )
                )
            flow = ticket.flow_id or ticket._find_flow(candidates)
            if not flow:
                raise UserError(
                    self.env._(
                        "No active flow matches ticket %(ticket)s.", ticket=ticket.display_name
                    )
                )
            if flow.state != "active" or not flow._matches(ticket):
                raise UserError(
                    self.env._(
                        "Flow %(flow)s does not apply to ticket %(ticket)s.",
                        flow=flow.display_name,
                        ticket=ticket.display_name,
                    )
                )
            by_flow[flow] |= ticket
        for flow, tickets in by_flow.items():
            tickets.flow_id = flow
        self._create_steps()
        self.filtered(lambda t: t.state == "draft").action_open()
        self._ensure_responsible()
        self.action_start()
        self._activate_steps()
        return True

    def _create_steps(self):
        """Instantiate every ticket's flow steps in one create, then link their
        predecessors in one insert."""
        vals_list, keys = [], []
        for ticket in self:
            for flow_step in ticket.flow_id.step_ids:
                vals_list.append(ticket._prepare_step_vals(flow_step))
                keys.append((ticket.id, flow_step.id))
        steps = self.env["crossdept.ticket.step"].create(vals_list)
        step_of = dict(zip(keys, steps.ids, strict=True))
        links = [
            (step_of[ticket_id, flow_step_id], step_of[ticket_id, pred.id])
            for (ticket_id, flow_step_id), step in zip(keys, steps, strict=True)
            for pred in step.flow_step_id.predecessor_ids
        ]
        if links:
            self.env.cr.execute(
                SQL(
                    "INSERT INTO crossdept_ticket_step_predecessor_rel (step_id, predecessor_id) "
                    "VALUES %s",
                    SQL(", ").join(SQL("(%s, %s)", a, b) for a, b in links),
                )
            )
            steps.invalidate_recordset(["predecessor_ids"])
        return steps

    def _prepare_step_vals(self, flow_step):
        self.ensure_one()
        holders = {role: self.env["res.users"] for role, _label in RACI_ROLES}
        names_requester = False
        for line in flow_step.raci_ids:
            holders[line.role] |= line._resolve(self)
            names_requester = names_requester or line.holder_type == "requester"
        responsible = holders["responsible"]
        is_approval = flow_step.kind == "approval"
        # automatic dispatch happens when the step becomes ready
        assignee = self.env["res.users"]
        if not is_approval and (flow_step.assignment == "raci" or not flow_step.department_id):
            assignee = responsible[:1] or flow_step.department_id.manager_id.user_id
        return {
            "ticket_id": self.id,
            "flow_step_id": flow_step.id,
            "name": flow_step.name,
            "sequence": flow_step.sequence,
            "department_id": flow_step.department_id.id,
            "user_id": assignee.id,
            "responsible_ids": [Command.set(responsible.ids)],
            "approver_ids": [Command.set(responsible.ids if is_approval else [])],
            "accountable_id": (holders["accountable"][:1] or self.accountable_user_id).id,
            "calendar_id": flow_step._get_calendar(self).id,
            "sla_hours": flow_step.sla_hours,
            # the customer follows the steps flagged for them and those they take part in
            "portal_visible": flow_step.portal_visible
            or (names_requester and self.requester_id.share),
            "deliverable_ids": [
                Command.create({"name": line.name, "sequence": line.sequence})
                for line in flow_step.deliverable_ids
            ],
        }

    def _ensure_responsible(self):
        """A running ticket has a Responsible: its first step's assignee by default."""
        vals = []
        self.step_ids.mapped("approver_ids")  # read for the whole batch at once
        for ticket in self:
            if any(line.role == "responsible" for line in ticket.raci_ids):
                continue
            first = ticket.step_ids.filtered(lambda s: not s.predecessor_ids)
            user = (first.user_id | first.approver_ids)[:1] or ticket.accountable_user_id
            vals.append({"ticket_id": ticket.id, "role": "responsible", "user_id": user.id})
        if vals:
            self.env["crossdept.ticket.raci"].create(vals)

    def _step_skip_reason(self, step):
        flow_step = step.flow_step_id
        if flow_step.skip_when_urgent and self.priority == "3":
            return self.env._("Urgent ticket: non-critical step skipped.")
        domain = safe_eval(flow_step.condition_domain or "[]")
        if domain and not self.filtered_domain(domain):
            return self.env._("Run condition not met.")
        return False

    def _activate_steps(self):
        """Make ready (or skip) every pending step whose predecessors are finished,
        for all these tickets at once, then close the tickets whose flow is complete."""
        now = fields.Datetime.now()
        while True:
            candidates = self.step_ids.filtered(
                lambda s: (
                    s.state == "pending"
                    and all(p.state in ("done", "skipped") for p in s.predecessor_ids)
                )
            )
            if not candidates:
                break
            skipped = self.env["crossdept.ticket.step"]
            for step in candidates:
                reason = step.ticket_id._step_skip_reason(step)
                if reason:
                    step.write({"state": "skipped", "skip_reason": reason})
                    skipped |= step
            skipped._log_step_events("step_skip")
            (candidates - skipped)._make_ready(now)
            if not skipped:
                break
        for ticket in self:
            ticket._close_when_flow_done()

    def _close_when_flow_done(self):
        self.ensure_one()
        steps = self.step_ids
        if not steps or self.state != "in_progress":
            return
        if any(s.state in ("pending", "ready", "in_progress") for s in steps):
            return
        ends = steps.filtered(lambda s: not s._successors())
        if all(s.state in ("done", "skipped") for s in ends) and any(
            s.state == "done" for s in steps
        ):
            self.action_done()

    # ------------------------------------------------------------------
    # Automation (server actions usable in automation rules)
    # ------------------------------------------------------------------

    def _raci_holders(self, roles):
        return self.raci_ids.filtered(lambda line: line.role in roles).holder_user_id

    def _notify_raci(self, roles, summary=None):
        """Post a note on each ticket that notifies the holders of these RACI roles."""
        for ticket in self:
            users = ticket._raci_holders(roles) - self.env.user
            if users:
                ticket.message_post(
                    body=summary
                    or self.env._(
                        "Ticket %(ticket)s needs your attention.", ticket=ticket.display_name
                    ),
                    partner_ids=users.partner_id.ids,
                    subtype_xmlid="mail.mt_note",
                )

    def _notify_created(self):
        """Tell the Informed and Accountable holders about new tickets.

        Automation rules run their action once per record; the notes are therefore
        collected here and posted for the whole transaction at once before commit,
        so that creating many tickets does not cost a few queries each."""
        pending = self.env.cr.precommit.data.setdefault("crossdept.notify_created", set())
        if not pending:
            self.env.cr.precommit.add(self._post_created_notes)
        pending.update(self.ids)

    @api.model
    def _post_created_notes(self):
        ids = self.env.cr.precommit.data.pop("crossdept.notify_created", set())
        tickets = self.sudo().browse(sorted(ids)).exists()
        note = self.env.ref("mail.mt_note")
        # reply-to addresses for the whole batch at once (mail would look them up per note)
        reply_to = tickets._notify_get_reply_to()
        messages, recipients = [], []
        for ticket in tickets:
            partners = ticket._raci_holders(("informed", "accountable")).partner_id
            if not partners:
                continue
            messages.append(
                {
                    "model": ticket._name,
                    "res_id": ticket.id,
                    "message_type": "notification",
                    "subtype_id": note.id,
                    "author_id": ticket.create_uid.partner_id.id,
                    "body": self.env._(
                        "New ticket %(ticket)s from %(requester)s.",
                        ticket=ticket.display_name,
                        requester=ticket.requester_id.name or "-",
                    ),
                    "partner_ids": [Command.set(partners.ids)],
                    "reply_to": reply_to.get(ticket.id) or False,
                }
            )
            recipients.append(partners)
        created = self.env["mail.message"].sudo().create(messages)
        self.env["mail.notification"].sudo().create(
            [
                {
                    "mail_message_id": message.id,
                    "res_partner_id": partner.id,
                    "notification_type": "inbox",
                }
                for message, partners in zip(created, recipients, strict=True)
                for partner in partners
            ]
        )

    @api.model
    def _schedule_activities_batch(self, entries):
        """Create to-do activities for [(ticket, user, summary, date)] in one go,
        without the e-mail Odoo sends for each assignment (they show in the users'
        activity lists)."""
        if not entries:
            return self.env["mail.activity"]
        model_id = self.env["ir.model"]._get_id(self._name)
        todo = self.env.ref("mail.mail_activity_data_todo")
        return (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(
                [
                    {
                        "res_model_id": model_id,
                        "res_id": ticket.id,
                        "activity_type_id": todo.id,
                        "user_id": user.id,
                        "summary": summary,
                        "date_deadline": date,
                    }
                    for ticket, user, summary, date in entries
                ]
            )
        )

    # ------------------------------------------------------------------
    # Satisfaction
    # ------------------------------------------------------------------

    def _send_rating_request(self):
        """Ask the customer of each ticket just done to rate it by e-mail."""
        template = self.env.ref(
            "crossdept_ticket.mail_template_crossdept_ticket_rating", raise_if_not_found=False
        )
        if not template or not template.active:
            return
        for ticket in self:
            partner = ticket.partner_id
            if partner.email and partner != self.env.user.partner_id:
                ticket.rating_send_request(template, lang=partner.lang, force_send=False)

    def action_open_ratings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("rating.rating_rating_action")
        action.update(
            {
                "name": self.env._("Ratings of %(ticket)s", ticket=self.display_name),
                "domain": [("res_model", "=", self._name), ("res_id", "=", self.id)],
                "context": {"create": False},
            }
        )
        return action

    def _notify_requester_done(self):
        for ticket in self.filtered("requester_id"):
            ticket.message_post(
                body=self.env._("Ticket %(ticket)s is done.", ticket=ticket.display_name),
                partner_ids=ticket.requester_id.partner_id.ids,
                subtype_xmlid="mail.mt_note",
            )

    def _log_changes(self, before):
        events = []
        for ticket in self:
            old_state, old_user, old_department = before[ticket.id]
            if old_state != ticket.state:
                events.append(
                    {
                        "ticket_id": ticket.id,
                        "event_type": "state",
                        "from_state": old_state,
                        "to_state": ticket.state,
                    }
                )
            if old_user != ticket.user_id or old_department != ticket.assigned_department_id:
                moved = (old_user and old_user != ticket.user_id) or (
                    old_department and old_department != ticket.assigned_department_id
                )
                events.append(
                    {
                        "ticket_id": ticket.id,
                        "event_type": "transfer" if moved else "assign",
                        "from_user_id": old_user.id,
                        "to_user_id": ticket.user_id.id,
                        "from_department_id": old_department.id,
                        "to_department_id": ticket.assigned_department_id.id,
                    }
                )
        if events:
            self._log_events(events)
