"""Record rules checked in SQL when checking them in Python would read the database.

Odoo 18 checks the record rules of records it already holds in Python
(``BaseModel._check_access``: ``filtered_domain`` of the rules' domain): cheap when
every value the rules read is in the cache, and otherwise a fetch per relation of
the rules' paths (a step's ticket, the ticket's participants, step holders and CC,
each with the users' whole row to drop the archived ones). The first check of a
request is such a cold one: 3 to 6 queries and most of the check's time. These
helpers let a model check the same domain with one query instead, as Odoo checks it
when it searches or reads, and keep the Python check whenever the cache holds it all.
"""

import functools

from odoo.osv import expression


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


def check_rules(records, operation, check_access):
    """``_check_access`` of ``records`` (``check_access``: the model's super method),
    with the record rules checked in one query when the cache does not hold what
    they read. The answer is the one Odoo would give: the same access rights, the
    same domain of the same rules (``ir.rule._compute_domain`` for the current user),
    evaluated on the stored values (the query flushes the fields it reads first)."""
    env = records.env
    if env.su or operation not in ("write", "unlink") or not all(records._ids) or not records:
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
