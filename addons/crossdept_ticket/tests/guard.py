import base64
import re
from datetime import datetime

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user

from .common import USER

ADMIN = "crossdept_ticket.group_crossdept_ticket_admin"

ROLES = ("other", "member", "responsible", "approver", "manager", "admin", "portal")

# how a refused write, create or unlink may be told; anything else is a crash
REFUSALS = re.compile(
    "|".join(
        [
            r"not allowed to (access|modify|create|delete)",
            r"doesn't have '\w+' access",
            r"is set by CrossDept's engine",
            r"You cannot (change|reassign|add)",
            r"cannot change once its flow has started",
            r"cannot change while it is",
            r"cannot be deleted",
            r"cannot be removed",
            r"they can be ticked off, not added, renamed or removed",
            r"ticks off its deliverables",
            r"is not a draft",
            r"runs? on it",
            r"use New Version",
            r"stays on its ticket",
            r"not have enough rights to access the fields",
            r"append-only log",
            r"Only CrossDept administrators change how departments dispatch",
            r"You can delegate your own approvals only",
            r"You cannot log effort on step",
            r"You log your own effort on step",
            r"is theirs: only they or a manager of the ticket",
            r"An effort line stays on its step",
        ]
    )
)


class GuardAttempts:
    """Attempts, as each role, to write fields, create and delete records that the
    role may not touch, over the ORM as RPC would: each must be refused with a
    message, leaving nothing half-written and no event behind. Mixed into a
    CrossdeptFlowCase."""

    @classmethod
    def _guard_users(cls):
        """{role: user}: the seven roles of a running ticket."""
        return {
            "other": cls.finance_user,
            "member": cls._make_user("it_member", USER, cls.dept_it),
            "responsible": cls.it_user,
            "approver": cls.approver_1,
            "manager": cls.it_manager,
            "admin": new_test_user(cls.env, "cd_admin", groups=ADMIN, name="CD Admin"),
            "portal": cls.portal_a,
        }

    # ------------------------------------------------------------------
    # Values to try
    # ------------------------------------------------------------------

    def _other_value(self, record, field):
        """A value different from the record's, of a field that is not x2many
        (None: none)."""
        current = record[field.name]
        match field.type:
            case "char" | "text":
                return f"{current or ''}x"
            case "html":
                return "<p>Changed</p>"
            case "boolean":
                return not current
            case "integer":
                return (current or 0) + 1
            case "float" | "monetary":
                return (current or 0.0) + 1.5
            case "date":
                return fields.Date.to_string(datetime(2031, 3, 4))
            case "datetime":
                return fields.Datetime.to_string(datetime(2031, 3, 4, 10, 0))
            case "selection":
                options = [
                    key for key, _label in field._description_selection(self.env) if key != current
                ]
                return options[0] if options else None
            case "many2one":
                other = (
                    self.env[field.comodel_name]
                    .sudo()
                    .search([("id", "not in", current.ids)], limit=1)
                )
                return other.id or None
            case "reference":
                return f"res.partner,{self.customer_b.id}"
            case "binary":
                return base64.b64encode(b"Guard test").decode()
            case "json":
                if isinstance(current, list):
                    return [*current, "guard"]
                return {**(current or {}), "guard": "Guard test"}
            case _:
                return None

    def _another(self, field, current, user):
        """A record of the field's comodel that it does not hold: the acting user
        themself where the field holds users (a user linking themself in)."""
        comodel = self.env[field.comodel_name].sudo()
        if field.comodel_name == "res.users" and user not in current:
            return comodel.browse(user.id)
        return comodel.search([("id", "not in", current.ids)], limit=1)

    def _new_line(self, field, current):
        """Values of a plausible new record of the field's comodel: a copy of one it
        holds or of any other (None: there is none)."""
        comodel = self.env[field.comodel_name].sudo()
        sample = current[:1].sudo() or comodel.search([], limit=1)
        if not sample:
            return None
        vals = sample.copy_data()[0]
        if field.type == "one2many":
            vals.pop(field.inverse_name, None)
        return vals

    def _line_change(self, line):
        """{field: value} changing one plain field of ``line`` (None: none)."""
        for name, field in line._fields.items():
            if (
                field.store
                and not field.compute
                and not field.readonly
                and not field.related
                and field.type in ("char", "text", "boolean", "integer", "float", "selection")
                and name not in ("active", "sequence")
            ):
                value = self._other_value(line, field)
                if value is not None:
                    return {name: value}
        return None

    def _values_to_try(self, record, field, user):
        """[(label, value)]: the writes of ``field`` to try as ``user``; x2many fields
        are cleared, linked to, set, and given or changed a line through them."""
        if field.type not in ("one2many", "many2many"):
            value = self._other_value(record, field)
            return [] if value is None else [("", value)]
        current = record.sudo()[field.name]
        values = []
        if current:
            values.append(("clear", [Command.clear()]))
        other = self._another(field, current, user)
        if other:
            values.append(("link", [Command.link(other.id)]))
            if field.type == "many2many":
                values.append(("set", [Command.set((current | other).ids)]))
        line = self._new_line(field, current)
        if line is not None and field.comodel_name != "res.users":
            values.append(("create", [Command.create(line)]))
        change = current and self._line_change(current[:1])
        if change:
            values.append(("update", [Command.update(current[:1].id, change)]))
        return values

    # ------------------------------------------------------------------
    # Attempts
    # ------------------------------------------------------------------

    def _events(self):
        return self.env["crossdept.ticket.event"].sudo().search_count([])

    def _refused(self, what, attempt, check_unchanged=None, refusals=REFUSALS):
        """The problem with a refusal that should happen, or None; whatever the
        attempt did is undone."""
        events = self._events()
        problems = []
        with self.env.cr.savepoint() as savepoint:
            try:
                attempt()
            except (AccessError, UserError, ValidationError) as error:
                if not refusals.search(str(error)):
                    problems.append(f"{what}: refused with an unexpected error: {error}")
            else:
                problems.append(f"{what}: not refused")
            self.env.flush_all()
            self.env.invalidate_all()
            if check_unchanged and not check_unchanged():
                problems.append(f"{what}: half-written")
            if self._events() != events:
                problems.append(f"{what}: an event was written")
            savepoint.rollback()
        self.env.invalidate_all()
        return problems[0] if problems else None

    def _allowed(self, what, attempt):
        """The problem with a change that should be allowed, or None; the change is
        undone."""
        problem = None
        with self.env.cr.savepoint() as savepoint:
            try:
                attempt()
                self.env.flush_all()
            except (AccessError, UserError, ValidationError) as error:
                # a value the business rules refuse is no refusal of the right to edit
                if REFUSALS.search(str(error)):
                    problem = f"{what}: refused: {error}"
            savepoint.rollback()
        self.env.invalidate_all()
        return problem

    def _assert_refused(self, what, attempt, check_unchanged=None):
        problem = self._refused(what, attempt, check_unchanged)
        self.assertFalse(problem, problem)

    @staticmethod
    def _crossdept_fields(Model):
        """The stored fields CrossDept's addons add to one of Odoo's models."""
        return {
            name
            for name, field in Model._fields.items()
            if field.store and (field._module or "").startswith("crossdept_")
        }

    def _attack_fields(self, record, expected, users, names, refusals=REFUSALS):
        """Every role writes each of ``names`` of ``record``; ``expected`` maps a field
        to the roles that may write it, or for an x2many field to {attempt label:
        roles} with None for the other attempts. Returns (problems, attempts, untried
        fields). The roles that may write an x2many field are not tried: what a line
        may hold is the line model's business."""
        problems, covered, untried = [], 0, []
        model_name = record._name
        # without the user or the context the record was made with
        record = record.with_env(self.env)
        for name in sorted(names):
            field = record._fields[name]
            original = field.convert_to_cache(record[name], record)
            roles = expected[name]

            def unchanged(record=record, name=name, original=original, field=field):
                return field.convert_to_cache(record[name], record) == original

            tried = False
            for role, user in users.items():
                target = record.with_user(user).with_context(crossdept_reason="Guard test")
                for label, value in self._values_to_try(record, field, user):
                    may = role in (
                        roles.get(label, roles[None]) if isinstance(roles, dict) else roles
                    )
                    if may and field.type in ("one2many", "many2many"):
                        continue
                    tried = True
                    covered += 1
                    what = f"{model_name}.{name} {label} written by {role}".replace("  ", " ")

                    def attempt(target=target, name=name, value=value):
                        target.write({name: value})

                    if may:
                        problems.append(self._allowed(what, attempt))
                    else:
                        problems.append(self._refused(what, attempt, unchanged, refusals))
            if not tried:
                untried.append(f"{model_name}.{name}")
        return [problem for problem in problems if problem], covered, untried
