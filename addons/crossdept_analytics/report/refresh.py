from odoo.tools import SQL

# Memory for the sorts and hashes of a refresh: at the 4 MB default, refreshing
# 5 million step facts concurrently spills gigabytes of temporary files (see
# bench/bench_analytics.py). Set for the refresh only, then restored.
REFRESH_WORK_MEM = "64MB"


def refresh_materialized_view(env, table, concurrently=True):
    """Recompute a materialized view; concurrently keeps it readable meanwhile
    (it needs the unique index every fact view has)."""
    cr = env.cr
    cr.execute("SHOW work_mem")
    work_mem = cr.fetchone()[0]
    cr.execute(SQL("SELECT set_config('work_mem', %s, TRUE)", REFRESH_WORK_MEM))
    cr.execute(
        SQL(
            "REFRESH MATERIALIZED VIEW %s %s",
            SQL("CONCURRENTLY") if concurrently else SQL(),
            SQL.identifier(table),
        )
    )
    cr.execute(SQL("SELECT set_config('work_mem', %s, TRUE)", work_mem))
