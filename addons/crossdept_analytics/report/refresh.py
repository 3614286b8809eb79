"""The analytics facts are plain tables filled from one SELECT each (the model's
``_query``), rebuilt whole for repairs and otherwise refreshed incrementally: the
rows of the tickets touched since the last run are deleted and inserted again from
the same SELECT restricted to those tickets (see ``crossdept.analytics.ticket``)."""

import logging
import time
from contextlib import contextmanager

from odoo.tools import SQL
from odoo.tools.sql import TableKind, drop_view_if_exists, table_kind

_logger = logging.getLogger(__name__)

# Memory for the sorts and hashes of a refresh: at the 4 MB default, rebuilding
# 5 million step facts spills gigabytes of temporary files (see
# bench/bench_analytics.py). Set for the refresh only, then restored.
REFRESH_WORK_MEM = "64MB"

# Per company: every event up to ``event_id`` and every ticket and step written since
# ``date_since`` have been applied to the facts (see crossdept.analytics.ticket).
STATE_TABLE = "crossdept_analytics_refresh_state"


@contextmanager
def refresh_work_mem(cr, jit=True):
    """REFRESH_WORK_MEM for the statements run meanwhile, and no JIT compilation
    unless ``jit``; the settings are restored after."""
    cr.execute(SQL("SELECT current_setting('work_mem'), current_setting('jit')"))
    work_mem, jit_setting = cr.fetchone()
    set_both = "SELECT set_config('work_mem', %s, TRUE), set_config('jit', %s, TRUE)"
    cr.execute(SQL(set_both, REFRESH_WORK_MEM, jit_setting if jit else "off"))
    try:
        yield
    finally:
        cr.execute(SQL(set_both, work_mem, jit_setting))


@contextmanager
def timed(step):
    """Log at debug level how long ``step`` of a refresh took (the per-step figures
    of bench/README.md: run with ``--log-handler=odoo.addons.crossdept_analytics.
    report.refresh:DEBUG``)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        _logger.debug("Analytics facts refresh: %s in %.3f s", step, time.perf_counter() - start)


def create_fact_table(cr, table, query):
    """(Re)create the table of facts ``table`` from ``query``: a materialized view
    of an earlier version (or a view) of that name is dropped first, with what
    depends on it (the reporting schema and the scoreboard, created again after)."""
    if table_kind(cr, table) == TableKind.Regular:
        cr.execute(SQL("DROP TABLE %s CASCADE", SQL.identifier(table)))
    else:
        drop_view_if_exists(cr, table)
    with refresh_work_mem(cr):
        cr.execute(SQL("CREATE TABLE %s AS (%s)", SQL.identifier(table), query))


def rebuild_fact_table(cr, table, query, concurrently=True):
    """Fill ``table`` again from ``query`` in the current transaction. Concurrently,
    the rows are deleted (readers keep seeing the old facts until the commit);
    otherwise the table is truncated, faster, but readers wait for the commit."""
    with refresh_work_mem(cr):
        if concurrently:
            cr.execute(SQL("DELETE FROM %s", SQL.identifier(table)))
        else:
            cr.execute(SQL("TRUNCATE %s", SQL.identifier(table)))
        cr.execute(SQL("INSERT INTO %s (%s)", SQL.identifier(table), query))


def replace_fact_rows(cr, table, where, query, kept=None):
    """Delete the rows of ``table`` matching ``where`` and insert ``query``'s (the
    same SELECT restricted to the same rows); with ``kept`` (a :class:`KeptFacts`),
    what its sums read of the rows deleted and inserted is copied to its tables on
    the way. Without JIT: PostgreSQL compiled these
    statements of a few thousand tickets for their estimated costs (a recursive
    CTE's, a join's), which took longer than running them (0.83 s of the ticket
    facts' 1.06 s INSERT of a day at a million tickets, 1.09 s of the daily sums')."""
    table = SQL.identifier(table)
    with refresh_work_mem(cr, jit=False):
        if kept is None:
            cr.execute(SQL("DELETE FROM %s WHERE %s", table, where))
            cr.execute(SQL("INSERT INTO %s (%s)", table, query))
            return
        copy = "WITH f AS (%s RETURNING *) INSERT INTO %s SELECT %s FROM f WHERE %s"
        delete = SQL("DELETE FROM %s WHERE %s", table, where)
        cr.execute(SQL(copy, delete, SQL.identifier(kept.old), kept.select, kept.condition))
        insert = SQL("INSERT INTO %s (%s)", table, query)
        cr.execute(SQL(copy, insert, SQL.identifier(kept.new), kept.select, kept.condition))


def group_condition(columns, types, keys):
    """``(column, ...) IN (...)``: the rows whose ``columns`` (SQL expressions, of
    the SQL ``types``) hold one of the tuples ``keys``, as one array per column."""
    arrays = list(zip(*keys, strict=True)) if keys else [() for _column in columns]
    return SQL(
        "(%s) IN (SELECT * FROM unnest(%s))",
        SQL(", ").join(columns),
        SQL(", ").join(
            # the types are names written in the code, never input
            SQL("%s::%s[]", list(values), SQL(type_))
            for values, type_ in zip(arrays, types, strict=True)
        ),
    )


def replace_fact_groups(cr, table, columns, types, keys, query):
    """Compute again the rows of ``table`` whose ``columns`` (of the SQL ``types``)
    hold one of the tuples ``keys``, from ``query`` (the table's SELECT restricted
    to the same groups): the incremental refresh of an aggregate of facts."""
    if not keys:
        return
    condition = group_condition([SQL.identifier(column) for column in columns], types, keys)
    replace_fact_rows(cr, table, condition, query)


def create_state_table(cr):
    cr.execute(
        SQL(
            """
            CREATE TABLE IF NOT EXISTS %s (
                company_id integer PRIMARY KEY REFERENCES res_company ON DELETE CASCADE,
                event_id integer NOT NULL,
                date_since timestamp NOT NULL
            )
            """,
            SQL.identifier(STATE_TABLE),
        )
    )


class KeptFacts:
    """The facts an incremental refresh replaces, as a table of sums reads them
    (``columns``, from the fact row ``f`` by the SQL ``select``, for the rows
    matching ``condition``): ``replace_fact_rows`` copies those it deletes to the
    temporary table ``old`` and those it inserts to ``new``, so that the sums can
    follow what changed without reading the facts again (see ``changed_rows``).
    The tables live until ``drop`` (or the end of the transaction)."""

    def __init__(self, cr, name, table, columns, select, condition):
        self.cr = cr
        self.columns = columns
        self.select = select
        self.condition = condition
        self.old, self.new, self.changes = (f"{name}_{part}" for part in ("old", "new", "changes"))
        self.drop()
        for kept in (self.old, self.new):
            cr.execute(
                SQL(
                    """CREATE TEMPORARY TABLE %s ON COMMIT DROP
                       AS (SELECT %s FROM %s f) WITH NO DATA""",
                    SQL.identifier(kept),
                    select,
                    SQL.identifier(table),
                )
            )

    def drop(self):
        self.cr.execute(
            SQL(
                "DROP TABLE IF EXISTS %s",
                SQL(", ").join(SQL.identifier(name) for name in (self.old, self.new, self.changes)),
            )
        )

    def changed_rows(self):
        """Compare the rows inserted with those deleted in one pass; return two
        SELECTs of the rows gained and lost (each as many times as it was gained or
        lost): (added, removed). A fact replaced by an equal one is in neither, so a
        delta of them changes nothing."""
        changes = SQL.identifier(self.changes)
        names = SQL(", ").join(SQL.identifier(column) for column in self.columns)
        self.cr.execute(
            SQL(
                """
                CREATE TEMPORARY TABLE %(changes)s ON COMMIT DROP AS (
                    SELECT %(names)s, sum(u.change)::integer AS change
                      FROM (SELECT %(names)s, 1 AS change FROM %(new)s
                            UNION ALL
                            SELECT %(names)s, -1 FROM %(old)s) u
                     GROUP BY %(names)s
                    HAVING sum(u.change) <> 0
                )
                """,
                changes=changes,
                names=names,
                new=SQL.identifier(self.new),
                old=SQL.identifier(self.old),
            )
        )
        return tuple(
            SQL(
                "SELECT %s FROM %s c, generate_series(1, %s) WHERE c.change %s 0",
                SQL(", ").join(SQL.identifier("c", column) for column in self.columns),
                changes,
                SQL(count),
                SQL(operator),
            )
            for count, operator in (("c.change", ">"), ("-c.change", "<"))
        )


def add_sum(table, delta, column):
    """SQL: ``table``'s sum ``column`` with ``delta``'s added, NULL as SQL's sum()
    gives it over both groups of rows (NULL only when both are)."""
    old, new = SQL.identifier(table, column), SQL.identifier(delta, column)
    return SQL("COALESCE(%s + %s, %s, %s)", old, new, old, new)


def added_columns(table, delta, counts, sums):
    """SQL: the SET list of an UPDATE of ``table`` that adds ``delta``'s ``counts``
    (never NULL) and ``sums`` (see ``add_sum``) to its own."""
    return SQL(", ").join(
        [
            SQL(
                "%s = %s + %s",
                SQL.identifier(column),
                SQL.identifier(table, column),
                SQL.identifier(delta, column),
            )
            for column in counts
        ]
        + [SQL("%s = %s", SQL.identifier(column), add_sum(table, delta, column)) for column in sums]
    )


def same_group(table, delta, columns, nullable=()):
    """SQL: the rows of ``table`` and ``delta`` that have the same ``columns`` and
    ``nullable`` columns (NULLs equal there: the departments a sum is grouped by
    may be empty)."""
    return SQL(" AND ").join(
        [
            SQL("%s = %s", SQL.identifier(table, column), SQL.identifier(delta, column))
            for column in columns
        ]
        + [
            SQL(
                "%s IS NOT DISTINCT FROM %s",
                SQL.identifier(table, column),
                SQL.identifier(delta, column),
            )
            for column in nullable
        ]
    )
