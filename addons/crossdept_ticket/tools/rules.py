"""Record rules checked in SQL when checking them in Python would read the database.

Odoo 18 checks the record rules of records it already holds in Python
(``BaseModel._check_access``: ``filtered_domain`` of the rules' domain): cheap when
every value the rules read is in the cache, and otherwise a fetch per relation of
the rules' paths (a step's ticket, the ticket's participants, step holders and CC,
each with the users' whole row to drop the archived ones). The first check of a
request is such a cold one: 3 to 6 queries and most of the check's time.

With ``check_rules``, a model checks a cold write or unlink in one query instead (the
same domain, evaluated in SQL as Odoo evaluates it when it searches or reads), and
reads the many2many values of a cold read or create check together before Odoo's
Python check runs (later checks of the request find them in the cache, where an SQL
check would have left nothing); a check whose values are all cached stays Odoo's.
"""

import functools
from collections import defaultdict

from odoo.osv import expression
from odoo.tools import SQL


def _values_cached(records, path, operator, value):
    """Whether ``filtered_domain`` can evaluate the leaf ``(path, operator, value)``
    on ``records`` from the cache alone."""
    name, _dot, rest = path.partition(".")
    if name == "id" or not records:
        return True
    field = records._fields[name]
    env = records.env
    cache = env.cache
    if env.records_to_compute(field) & records or not all(
        cache.contains(record, field) for record in records
    ):
        return False
    if not field.relational:
        return True
    ids = set()
    for record in records:
        cached = cache.get(record, field)
        if field.type == "many2one":
            if cached:
                ids.add(cached)
        else:
            ids.update(cached)
    comodel = env[field.comodel_name]
    related = comodel.browse(ids)
    active = comodel._active_name
    if (
        field.type != "many2one"
        and active
        and field.context.get("active_test", env.context.get("active_test", True))
    ):
        # the archived ones are dropped from an x2many when it is read
        if not _values_cached(related, active, "=", True):
            return False
    if operator in ("any", "not any") and not rest:
        return _domain_cached(related, value)
    if rest:
        return _values_cached(related, rest, operator, value)
    return True


def _domain_cached(records, domain):
    for leaf in domain:
        if not expression.is_leaf(leaf) or leaf in (expression.TRUE_LEAF, expression.FALSE_LEAF):
            continue
        path, operator, value = leaf
        if operator in ("child_of", "parent_of") or not _values_cached(
            records, path, operator, value
        ):
            return False
    return True


def _missing_many2many(records, path, operator, value, found):
    """Add to ``found`` ({many2many field: record ids}) the values of plain many2many
    fields that the leaf reads through cached values and the cache lacks."""
    name, _dot, rest = path.partition(".")
    if name == "id" or not records:
        return
    field = records._fields[name]
    env = records.env
    if env.records_to_compute(field) & records:
        return
    missing = records.browse([r.id for r in records if not env.cache.contains(r, field)])
    if missing:
        if field.type == "many2many" and field.store and not field.domain and not field.context:
            found[field].update(missing._ids)
            return
        # read as Odoo's check reads it (the records' rows, as the superuser), to
        # find the many2many values further down the path
        missing.sudo().mapped(name)
    if not field.relational:
        return
    ids = set()
    for record in records:
        cached = env.cache.get(record, field)
        ids.update((cached,) if field.type == "many2one" else cached)
    related = env[field.comodel_name].browse(ids - {False, None})
    if rest:
        _missing_many2many(related, rest, operator, value, found)
    elif operator in ("any", "not any"):
        for leaf in value:
            if expression.is_leaf(leaf) and leaf not in (
                expression.TRUE_LEAF,
                expression.FALSE_LEAF,
            ):
                _missing_many2many(related, *leaf, found)


def _fetch_many2many(env, found):
    """Read the many2many values in ``found`` into the cache in one query, as Odoo
    reads each of them: the relation's rows in the comodel's order, archived lines
    included (reading the field drops them, fetching the lines' rows at once)."""
    selects = []
    fields = list(found)
    for index, field in enumerate(fields):
        comodel = env[field.comodel_name].sudo().with_context(active_test=False)
        query = comodel._where_calc([])
        order = comodel._order_to_sql(comodel._order, query)
        query.add_join(
            "JOIN",
            field.relation,
            None,
            SQL(
                "%s = %s",
                SQL.identifier(field.relation, field.column2),
                SQL.identifier(comodel._table, "id"),
            ),
        )
        source = SQL.identifier(field.relation, field.column1)
        query.add_where(SQL("%s IN %s", source, tuple(found[field].ids)))
        selects.append(
            query.select(
                SQL("%s", index),
                source,
                SQL.identifier(comodel._table, "id"),
                SQL("ROW_NUMBER() OVER (ORDER BY %s)", order),
            )
        )
    rows = env.execute_query(SQL(" UNION ALL ").join(SQL("(%s)", select) for select in selects))
    rows.sort(key=lambda row: (row[0], row[3]))
    lines = defaultdict(list)
    for index, source_id, line_id, _rank in rows:
        lines[index, source_id].append(line_id)
    for index, field in enumerate(fields):
        records = found[field]
        env.cache.insert_missing(records, field, [tuple(lines[index, id_]) for id_ in records._ids])


def prefetch_rules(records, domain):
    """Read at once the many2many values that checking ``domain`` on ``records`` in
    Python would read one by one, each with its own query."""
    found = defaultdict(set)
    for leaf in domain:
        if expression.is_leaf(leaf) and leaf not in (expression.TRUE_LEAF, expression.FALSE_LEAF):
            _missing_many2many(records, *leaf, found)
    found = {field: records.env[field.model_name].browse(ids) for field, ids in found.items()}
    if found:
        _fetch_many2many(records.env, found)


def check_rules(records, operation, check_access):
    """``_check_access`` of ``records`` (``check_access``: the model's super method),
    with the record rules checked in one query when the cache does not hold what
    they read. The answer is the one Odoo would give: the same access rights, the
    same domain of the same rules (``ir.rule._compute_domain`` for the current user),
    evaluated on the stored values (the query flushes the fields it reads first)."""
    env = records.env
    if env.su or not all(records._ids) or not records:
        return check_access(records, operation)
    if operation not in ("write", "unlink"):
        domain = env["ir.rule"]._compute_domain(records._name, operation)
        if domain and not _domain_cached(records, domain):
            prefetch_rules(records, domain)
        return check_access(records, operation)
    # access rights (and any other check of the models above) on no record
    refused = check_access(records.browse(), operation)
    if refused:
        return records, refused[1]
    Rule = env["ir.rule"]
    domain = Rule._compute_domain(records._name, operation)
    if not domain:
        return None
    if _domain_cached(records, domain):
        return check_access(records, operation)
    model = records.sudo()
    active = model._active_name
    where = [("id", "in", list(records._ids))]
    if active:
        # archived records are checked as well, as in Python; the rules' own paths
        # keep dropping the archived records they go through
        where.append((active, "in", [True, False]))
    query = model._search(expression.AND([where, domain]))
    allowed = {row[0] for row in env.execute_query(query.select())}
    forbidden = records.browse([id_ for id_ in records._ids if id_ not in allowed])
    if forbidden:
        return forbidden, functools.partial(Rule._make_access_error, operation, forbidden)
    return None
