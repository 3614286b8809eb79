from odoo import api, models
from odoo.exceptions import UserError
from odoo.models import MAGIC_COLUMNS

# Marks the writes of CrossDept's engine. It is a Python object, not a value: a
# context sent over XML-RPC, JSON-RPC or an HTTP form cannot carry it, so no client
# can pass itself off as the engine.
_ENGINE = object()


class CrossdeptEngineMixin(models.AbstractModel):
    """Fields that only CrossDept's engine sets: states, the dates and SLA fields of
    a step, decisions, outcomes, version links...

    A direct ``create`` or ``write`` of one of them is refused for everybody,
    administrators and the superuser included, with a message naming the action to
    use instead, the way ``hr_holidays`` guards the state of a leave
    (``_check_approval_update``). The named actions check who may act, write the
    event and move the flow; they write these fields through ``_engine()``."""

    _name = "crossdept.engine.mixin"
    _description = "CrossDept Engine Fields"

    def _engine_fields(self):
        """{field name: the action(s) to use instead of writing the field}; stored
        fields computed from others (related fields included) are never written."""
        computed = self.env._("the fields it is computed from")
        return {
            name: computed
            for name, field in self._fields.items()
            if field.store and field.compute and field.readonly and name not in MAGIC_COLUMNS
        }

    def _engine_all_fields(self, actions, keep=()):
        """{field: ``actions``} for every stored field of a model whose records the
        engine produces (but those in ``keep`` and the chatter's own)."""
        return {
            name: actions
            for name, field in self._fields.items()
            if field.store
            and name not in MAGIC_COLUMNS
            and name not in keep
            and not name.startswith(("message_", "activity_", "website_message_", "rating_"))
        }

    def _engine(self):
        """These records as the engine, which may write the engine fields."""
        return self.with_context(crossdept_engine=_ENGINE)

    def _is_engine(self):
        return self.env.context.get("crossdept_engine") is _ENGINE

    @api.model_create_multi
    def create(self, vals_list):
        if not self._is_engine():
            self._check_engine_create(vals_list)
        return super().create(vals_list)

    def _check_engine_create(self, vals_list):
        guarded = self._engine_fields()
        names = {name for vals in vals_list for name in vals} & guarded.keys()
        if not names:
            return
        defaults = self.default_get(list(names))
        for vals in vals_list:
            for name in names & vals.keys():
                # a new record may state a field's default (forms send them)
                if vals[name] and vals[name] != defaults.get(name):
                    self._raise_engine_field(name, guarded[name])

    def write(self, vals):
        self._check_engine_write(vals)
        return super().write(vals)

    def _check_engine_write(self, vals):
        if self._is_engine():
            return
        # access rights first: who may not write the record at all is told so
        self.check_access("write")
        guarded = self._engine_fields()
        for name in vals.keys() & guarded.keys():
            if self._engine_field_changes(name, vals[name]):
                self._raise_engine_field(name, guarded[name])

    def _engine_field_changes(self, name, value):
        """Whether writing ``value`` would change the field on any of these records
        (clients may send a readonly field back unchanged)."""
        field = self._fields[name]
        if field.type in ("one2many", "many2many"):
            return True
        for record in self:
            new = field.convert_to_record(field.convert_to_cache(value, record), record)
            if new != record[name]:
                return True
        return False

    def _raise_engine_field(self, name, actions):
        raise UserError(
            self.env._(
                "%(field)s of %(model)s is set by CrossDept's engine and cannot be "
                "written directly: use %(actions)s.",
                field=self._fields[name]._description_string(self.env),
                # the model's name in the reader's language; any user may know it
                model=self.env["ir.model"].sudo()._get(self._name).name,
                actions=actions,
            )
        )
