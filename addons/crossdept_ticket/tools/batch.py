"""What the rows of one engine batch share, so that creating them costs less Python.

Starting the flow of a thousand tickets creates about eighteen rows per ticket
(steps, RACI lines, events, to-dos, notes and their tracking values) in a few
``create`` calls. Odoo completes every row on its own: ``_add_missing_default_values``
calls ``default_get`` for each one (a lookup of the user's defaults and every
field's default), and a stored computed field is computed again after the INSERT and
written back, a hundred rows per UPDATE, even when the caller knew its value.

``shared_defaults`` lets the rows of a batch share their defaults: the first row of
each model (and set of fields it leaves out) gets them from Odoo, the others a copy of
those that cannot differ between rows: a default from the context (``default_xxx``),
the user's or company's default (``ir.default``) and a field's plain value
(``default="pending"``). A default computed by a function (the time, a sequence, a
random token, the current user) is computed again for each row, as Odoo computes it.
Only the models inheriting ``crossdept.shared.defaults.mixin`` take part, and only
while the batch lasts.

``create_computed`` creates rows that give their stored computed fields the value
their compute gives, and does not compute them again. Tests compare both.
"""

import copy
from contextlib import contextmanager

from odoo import models

# the context key under which a batch's defaults are kept (a SharedDefaults)
SHARED_DEFAULTS = "crossdept_shared_defaults"
# the mixin of the models whose rows share their defaults in a batch
SHARED_DEFAULTS_MIXIN = "crossdept.shared.defaults.mixin"

# Odoo's own function for a field's plain default: fields.Field._setup_attrs turns
# ``default=value`` into ``lambda model: value``; any other function may give each
# row another value
_PLAIN_DEFAULT = ("odoo.fields", "Field._setup_attrs.<locals>.<lambda>")


def _is_plain(default):
    return (getattr(default, "__module__", None), getattr(default, "__qualname__", None)) == (
        _PLAIN_DEFAULT
    )


class SharedDefaults:
    """The defaults of one batch: {(model, fields left out): what every row shares}."""

    def __init__(self):
        self._entries = {}
        self.closed = False

    def complete(self, model, values, complete_one):
        """``values`` completed with the defaults of the fields they leave out, as
        ``complete_one(values)`` (Odoo's ``_add_missing_default_values``) completes
        them."""
        if self.closed or not _can_share(type(model)):
            return complete_one(values)
        missing = frozenset(model._fields.keys() - values.keys())
        key = (model._name, missing)
        entry = self._entries.get(key)
        if entry is None or entry[0] is not model.env:
            completed = complete_one(values)
            per_row = _per_row(model, missing)
            if any(model._fields[name].type in ("one2many", "many2many") for name in per_row):
                # Odoo rewrites those values; not worth following here
                self._entries[key] = (model.env, None, per_row)
                return completed
            shared = {
                name: value
                for name, value in completed.items()
                if name in missing and name not in per_row
            }
            self._entries[key] = (model.env, shared, per_row)
            return completed
        _env, shared, per_row = entry
        if shared is None:
            return complete_one(values)
        row = {
            name: copy.deepcopy(value) if isinstance(value, (list, dict)) else value
            for name, value in shared.items()
        }
        for name in per_row:
            # default_get's way with a field's own default
            field = model._fields[name]
            value = field.convert_to_cache(field.default(model), model, validate=False)
            row[name] = field.convert_to_write(value, model)
        row.update(values)
        return row

    def close(self):
        self.closed = True
        self._entries.clear()


_SHAREABLE = {}


def _can_share(cls):
    """Whether defaults of model class ``cls`` are Odoo's own ``default_get``: no
    delegated parent, no properties, no other override of how rows are completed."""
    if cls not in _SHAREABLE:
        overrides = {
            klass
            for klass in cls.mro()
            if klass is not models.BaseModel
            and ("default_get" in vars(klass) or "_add_missing_default_values" in vars(klass))
        }
        _SHAREABLE[cls] = (
            not cls._inherits
            and not any(field.type == "properties" for field in cls._fields.values())
            and all(
                getattr(klass, "_name", None) == SHARED_DEFAULTS_MIXIN
                and "default_get" not in vars(klass)
                for klass in overrides
            )
        )
    return _SHAREABLE[cls]


def _per_row(model, missing):
    """The fields of ``missing`` whose default a function computes for each row."""
    context = model.env.context
    user_defaults = model.env["ir.default"]._get_model_defaults(model._name)
    per_row = set()
    for name in missing:
        field = model._fields[name]
        if f"default_{name}" in context:
            continue
        if not field.company_dependent and name in user_defaults:
            continue
        if field.default and not _is_plain(field.default):
            per_row.add(name)
    return per_row


@contextmanager
def shared_defaults(records):
    """``records`` in a context where the rows created meanwhile share their
    defaults (see the module's docstring); nothing is shared after it."""
    shared = SharedDefaults()
    try:
        yield records.with_context(**{SHARED_DEFAULTS: shared})
    finally:
        shared.close()


def create_computed(model, vals_list, names):
    """``model.create(vals_list)``, every row giving the stored computed fields
    ``names`` the value their compute gives: the INSERT writes them and they are not
    computed and written again."""
    records = model.create(vals_list)
    for name in names:
        model.env.remove_to_compute(model._fields[name], records)
    return records
