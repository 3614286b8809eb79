from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.sql import table_exists

from ..tools.rules import check_rules
from .crossdept_ticket import ADMIN_GROUP, CLOSED_STATES, WORKING_STATES

MANAGER_GROUP = "crossdept_ticket.group_crossdept_ticket_manager"

# Who may change what on a ticket, by the roles of ``_crossdept_roles``. Fields not
# named here follow EDITORS; the engine's own fields are refused to everybody
# (crossdept.engine.mixin) and move through the ticket's and steps' actions.
EDITORS = {"requester", "creator", "accountable", "responsible", "holder", "manager", "admin"}
CLOSED_EDITORS = {"accountable", "manager", "admin"}
# what the flow is chosen from: set before the flow starts, fixed once it runs
SETUP_FIELDS = {"type_id", "department_id", "flow_id", "company_id", "requester_id"}
SETUP_EDITORS = {"requester", "creator", "accountable", "manager", "admin"}
# the ticket's own assignee and handling department (a transfer needs a reason)
TRANSFER_FIELDS = {"user_id", "assigned_department_id"}
TRANSFER_EDITORS = {"holder", "accountable", "manager", "admin"}
# who holds which role, and whether the ticket is archived
OWNER_FIELDS = {"raci_ids", "active"}
OWNER_EDITORS = {"accountable", "manager", "admin"}


class CrossdeptTicket(models.Model):
    """Ownership of tickets: the roles a user holds on a ticket, and what each role
    may do and change."""

    _inherit = "crossdept.ticket"

    # the record rules read it: one indexed table instead of a walk through every
    # step's assignee and Responsible holders; written by the steps themselves
    # (crossdept.ticket.step._store_holders), and never emptied
    step_holder_ids = fields.Many2many(
        "res.users",
        "crossdept_ticket_step_holder_rel",
        "ticket_id",
        "user_id",
        string="Step Holders",
        readonly=True,
        copy=False,
        help="Who holds or held a step of the ticket (its assignee or a Responsible): "
        "they keep reading the ticket once their step is done.",
    )

    def init(self):
        super().init()
        # the holders of the steps there were before the table
        cr = self.env.cr
        if not table_exists(cr, "crossdept_ticket_step"):
            return
        cr.execute(SQL("SELECT 1 FROM crossdept_ticket_step_holder_rel LIMIT 1"))
        if not cr.fetchone():
            cr.execute(self.env["crossdept.ticket.step"]._store_holders_query())

    def _engine_fields(self):
        return {
            **super()._engine_fields(),
            "step_holder_ids": self.env._("the assignment of its steps"),
        }

    @api.constrains("raci_ids")
    def _check_raci(self, removed_lines=None):
        if not self:
            return
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

    @api.constrains("state")
    def _check_raci_state(self):
        """A new state matters to the RACI lines only when work starts (a Responsible
        is needed from then on): the lines themselves did not change, so a ticket
        submitted, cancelled or reset to draft is not counted again."""
        self.filtered(lambda ticket: ticket.state in WORKING_STATES)._check_raci()

    def _check_access(self, operation):
        # the same rules, in one query when the cache lacks what they read
        # (the ticket's participants, step holders, CC and queued steps)
        return check_rules(self, operation, super(CrossdeptTicket, type(self))._check_access)

    def _department_managers(self):
        """Users managing the ticket's departments or their parent departments (as
        the managers' record rule sees them)."""
        self.ensure_one()
        departments = (self.department_id | self.assigned_department_id).sudo()
        departments |= departments.parent_id
        return departments.manager_id.user_id

    def _crossdept_roles(self, user=None):
        """The roles ``user`` (the current user by default) holds on this ticket."""
        self.ensure_one()
        user = user or self.env.user
        # who holds what on a ticket the user can see is no secret to them
        ticket = self.sudo()
        roles = set()
        if user.has_group(ADMIN_GROUP):
            roles.add("admin")
        if user.has_group(MANAGER_GROUP) and user in ticket._department_managers():
            roles.add("manager")
        if user == ticket.requester_id:
            roles.add("requester")
        if user == ticket.create_uid:
            roles.add("creator")
        for line in ticket.raci_ids:
            if line.holder_user_id == user and line.role in ("accountable", "responsible"):
                roles.add(line.role)
        # approvers decide on a step: they do not rewrite what they approve
        open_tasks = ticket.step_ids.filtered(
            lambda s: s.kind == "task" and s.state in ("ready", "in_progress")
        )
        if user == ticket.user_id or user in (open_tasks.user_id | open_tasks.responsible_ids):
            roles.add("holder")
        return roles

    def _role_labels(self, roles):
        labels = {
            "requester": self.env._("the requester"),
            "creator": self.env._("its creator"),
            "accountable": self.env._("the Accountable"),
            "responsible": self.env._("a Responsible"),
            "holder": self.env._("the holder of a current step"),
            "manager": self.env._("a manager of its departments"),
            "admin": self.env._("a CrossDept administrator"),
        }
        return ", ".join(labels[role] for role in sorted(roles, key=list(labels).index))

    def _check_actor(self, allowed, action):
        """Raise unless the current user holds one of the ``allowed`` roles on each
        ticket (the superuser and the engine always may)."""
        if self.env.su or self._is_engine():
            return
        for ticket in self:
            if not ticket._crossdept_roles() & allowed:
                raise UserError(
                    self.env._(
                        "You cannot %(action)s ticket %(ticket)s: only %(who)s can.",
                        action=action,
                        ticket=ticket.display_name,
                        who=self._role_labels(allowed),
                    )
                )

    def _field_editors(self, name):
        """The roles that may change field ``name`` of this ticket now."""
        self.ensure_one()
        if name == "access_token":
            return set()  # the portal's share link is made by Odoo itself
        if name in SETUP_FIELDS:
            started = self.sudo().step_ids or self.state not in ("draft", "open")
            return set() if started else SETUP_EDITORS
        if self.state in CLOSED_STATES:
            return CLOSED_EDITORS if name not in TRANSFER_FIELDS else set()
        if name in TRANSFER_FIELDS:
            return TRANSFER_EDITORS
        if name == "raci_ids" and not self.sudo().step_ids:
            return OWNER_EDITORS | {"requester", "creator"}
        if name in OWNER_FIELDS:
            return OWNER_EDITORS
        return EDITORS

    def _check_edit_access(self, vals):
        """Refuse the changes of ``vals`` the current user may not make."""
        for ticket in self:
            roles = ticket._crossdept_roles()
            refused = [name for name in vals if not roles & ticket._field_editors(name)]
            if not refused:
                continue
            labels = ", ".join(
                ticket._fields[name]._description_string(self.env) for name in refused
            )
            editors = set().union(*(ticket._field_editors(name) for name in refused))
            if not editors and set(refused) & SETUP_FIELDS:
                raise UserError(
                    self.env._(
                        "%(fields)s of ticket %(ticket)s cannot change once its flow has "
                        "started; cancel it and reset it to draft to start again.",
                        fields=labels,
                        ticket=ticket.display_name,
                    )
                )
            if not editors:
                raise UserError(
                    self.env._(
                        "%(fields)s of ticket %(ticket)s cannot change while it is %(state)s.",
                        fields=labels,
                        ticket=ticket.display_name,
                        state=ticket._state_label(ticket.state),
                    )
                )
            raise UserError(
                self.env._(
                    "You cannot change %(fields)s of ticket %(ticket)s: only %(who)s can.",
                    fields=labels,
                    ticket=ticket.display_name,
                    who=self._role_labels(editors),
                )
            )
        if TRANSFER_FIELDS & vals.keys() and not self.env.context.get("crossdept_reason"):
            for ticket in self:
                if (
                    ticket.user_id and "user_id" in vals and vals["user_id"] != ticket.user_id.id
                ) or (
                    ticket.assigned_department_id
                    and "assigned_department_id" in vals
                    and vals["assigned_department_id"] != ticket.assigned_department_id.id
                ):
                    raise UserError(
                        self.env._(
                            "Transferring ticket %(ticket)s needs a reason: use Transfer.",
                            ticket=ticket.display_name,
                        )
                    )

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
