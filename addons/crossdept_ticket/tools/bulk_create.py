"""Rows created in ONE INSERT, however many: the ORM's ``create`` writes a hundred
rows per statement (``INSERT_BATCH_SIZE``), which costs a cron batch of thousands of
to-dos, notes and events a query per hundred rows each.

``insert_rows`` is the part of ``create`` that writes plain columns, in one
statement: the values are completed as ``create`` completes them (defaults, log
access columns, precomputed fields: ``_prepare_create_values``), converted to
columns as the ORM converts them (``convert_to_column_insert``: HTML sanitized,
selections checked), and the new records are put in the cache and announced to the
fields that depend on them (``modified``) as ``_create`` does. What it does not do
is refused: a value for a field without a column (many2many, one2many), a stored
computed field left to compute (the caller gives it), or a model whose ``create``
is overridden by a class the caller does not know (another addon, an automation
rule): ``create_overrides`` tells the caller, who then creates through the ORM.

What a model's own ``create`` override does after the INSERT (mail's activity
subscribes its user and tells them on the bus, for instance) is the caller's to
do: each caller is one small helper per table (``crossdept.ticket`` activities and
notes, ``crossdept.ticket.event``), and a test creates the same rows through the
ORM and through the helper and compares every column.
"""

from collections import defaultdict

from odoo.tools import SQL


def create_overrides(model):
    """The classes that override ``create`` of ``model``, as ``module.Class``
    names (the ORM's own ``BaseModel.create`` left out), in method resolution
    order. A helper compares them to those it mirrors."""
    return tuple(
        f"{cls.__module__}.{cls.__name__}"
        for cls in type(model).mro()
        if "create" in vars(cls) and cls.__module__ != "odoo.models"
    )


def insert_rows(model, vals_list):
    """Create records of ``model`` from ``vals_list`` (dicts of field values as
    ``create`` takes them) in one INSERT; return them. ``model``'s ``create``
    overrides are not called (see the module's docstring)."""
    model = model.browse()
    if not vals_list:
        return model
    model.check_access("create")
    complete = model._prepare_create_values(vals_list)
    names = set()
    for vals in complete:
        vals.pop("__precomputed__", None)
        for name, value in list(vals.items()):
            field = model._fields[name]
            if not (field.store and field.column_type):
                if value:
                    raise ValueError(f"{field} has no column: create these rows through the ORM")
                del vals[name]
        names.update(vals)
    missing = [
        field
        for field in model._fields.values()
        if field.store and field.column_type and field.compute and field.name not in names
    ]
    if missing:
        raise ValueError(f"stored computed fields to give: {', '.join(map(str, missing))}")
    fields = [model._fields[name] for name in sorted(names)]
    rows = [
        SQL(
            "(%s)",
            SQL(", ").join(
                field.convert_to_column_insert(vals[field.name], model, vals)
                if field.name in vals
                else SQL("DEFAULT")
                for field in fields
            ),
        )
        for vals in complete
    ]
    model.env.cr.execute(
        SQL(
            "INSERT INTO %s (%s) VALUES %s RETURNING id",
            SQL.identifier(model._table),
            SQL(", ").join(SQL.identifier(field.name) for field in fields),
            SQL(", ").join(rows),
        )
    )
    records = model.browse([row[0] for row in model.env.cr.fetchall()])
    # the new rows in the cache, as the ORM leaves them after an INSERT (an HTML
    # value and the fields not given are read back from the row when needed), and
    # in the one2many fields of the records they point to that are in the cache
    cache = model.env.cache
    inverses = defaultdict(list)
    for record, vals in zip(records, complete, strict=True):
        for field in model._fields.values():
            if field.type in ("one2many", "many2many"):
                cache.set(record, field, ())
            elif field.name in vals and field.type != "html":
                value = field.convert_to_cache(vals[field.name], record)
                cache.set(record, field, value)
                if (
                    field.type in ("many2one", "many2one_reference")
                    and (model.pool.field_inverses[field])
                ):
                    inverses[field, value].append(record.id)
    for (field, value), ids in inverses.items():
        field._update_inverses(model.browse(ids), value)
    records.modified(names, create=True)
    records._validate_fields(names)
    return records
