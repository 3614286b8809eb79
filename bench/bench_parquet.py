"""Parquet export at scale (issue: data hub, columnar export).

Loads --size tickets with 5 steps each and their events through COPY (the
analytics addon's history generator, as bench_analytics.py does) into a copy of
the bench database, then measures the Parquet export of the event log and the
ticket and step facts (crossdept.parquet.export, the daily cron's path: batches
read from a server-side cursor, one commit per batch):

1. the full export: seconds, rows written per second (events, ticket and step
   rows), files and bytes, and the peak RSS of this Python process during it;
2. a rerun with nothing new (0 events written);
3. an incremental run: the watermark set back by the last 10% of the events (as a
   run stopped before recording them leaves it), so that run removes their parts
   and writes them again.

The files are read back with pyarrow: the benchmark raises unless every event of
the database is in them exactly once.

    python bench/bench_parquet.py CONF DB [--size=TICKETS] [--keep]

(the venv's python). --size is the number of tickets (default 1,000,000). The data
goes to the database DB_parquet (a template copy of DB) and the files to a
temporary directory, both removed at the end unless --keep; figures are printed.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import bench_analytics
import benchargs
import pyarrow.dataset as ds

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

TICKETS = 1_000_000


def folder_size(path):
    files = size = 0
    for folder, _dirs, names in os.walk(path):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(folder, name))
    return files, size


def count_rows(directory, table):
    path = os.path.join(directory, table)
    return ds.dataset(path, format="parquet", partitioning="hive").count_rows()


def main():
    parser = benchargs.parser(__doc__, TICKETS, 1)
    parser.add_argument("--keep", action="store_true", help="keep DB_parquet and the files")
    parser.add_argument("--export-to", help=argparse.SUPPRESS)  # the measuring process
    args, _ignored = parser.parse_known_args()
    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
    if args.export_to:
        run(args.db, args.export_to)
        return
    target = f"{args.db}_parquet"
    directory = tempfile.mkdtemp(prefix="crossdept_bench_parquet_")
    bench_analytics.copy_database(args.db, target)
    try:
        registry = odoo.modules.registry.Registry(target)
        with registry.cursor() as cr:
            load(api.Environment(cr, SUPERUSER_ID, {}), cr, target, args.size)
        odoo.sql_db.close_db(target)
        # measured in a process of its own: this one keeps the generator's memory
        subprocess.run(
            [sys.executable, __file__, args.conf, target, f"--export-to={directory}"], check=True
        )
    finally:
        if not args.keep:
            bench_analytics.drop_database(target)
            shutil.rmtree(directory, ignore_errors=True)
        else:
            print(f"kept database {target} and files in {directory}")


def load(env, cr, db, tickets):
    bench_analytics.setup(env)
    cr.commit()
    print(f"Loading {tickets:,} tickets x {bench_analytics.STEPS} steps over 12 months with COPY")
    keys = bench_analytics.drop_foreign_keys(cr)
    start = time.perf_counter()
    totals = env["crossdept.analytics.history"].generate(
        tickets=tickets, months=12, seed=1, full_events=False, batch_size=50_000, refresh=False
    )
    cr.commit()
    bench_analytics.add_foreign_keys(cr, keys)
    cr.commit()
    bench_analytics.autocommit(
        db, "ANALYZE crossdept_ticket, crossdept_ticket_step, crossdept_ticket_event"
    )
    print(
        f"  loaded {totals['tickets']:,} tickets, {totals['steps']:,} steps, "
        f"{totals['events']:,} events in {time.perf_counter() - start:.1f} s"
    )


def run(db, directory):
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["ir.config_parameter"].set_param("crossdept_analytics.parquet_directory", directory)
        export = env["crossdept.parquet.export"]._for_companies(env.company)
        cr.execute(
            SQL(
                "SELECT count(*), max(id) FROM crossdept_ticket_event WHERE company_id = %s",
                env.company.id,
            )
        )
        events, last_id = cr.fetchone()
        cr.commit()
        batch = env["crossdept.parquet.export"]._batch_size()
        print(
            f"Parquet export of {events:,} events (batches of {batch:,} events), in a new "
            f"process: peak RSS {bench_analytics.peak_rss_mb():.0f} MB before it"
        )
        start = time.perf_counter()
        written = export._export(commit=True)[env.company.id]
        cr.commit()
        elapsed = time.perf_counter() - start
        export_peak = bench_analytics.peak_rss_mb()
        rows = {table: count_rows(directory, table) for table in ("events", "tickets", "steps")}
        files, size = folder_size(directory)
        print(
            f"  full export: {elapsed:.1f} s, {written:,} events, {rows['tickets']:,} ticket "
            f"rows, {rows['steps']:,} step rows: {sum(rows.values()) / elapsed:,.0f} rows/s "
            f"({written / elapsed:,.0f} events/s); {files:,} files, {size / 2**20:.0f} MB; "
            f"Python peak RSS {export_peak:.0f} MB (reading the files' row counts back "
            f"after it: {bench_analytics.peak_rss_mb():.0f} MB)"
        )
        ids = ds.dataset(os.path.join(directory, "events"), partitioning="hive").to_table(
            columns=["event_id"]
        )["event_id"]
        if rows["events"] != events or len(ids.unique()) != events:
            raise AssertionError(
                f"{rows['events']:,} event rows in the files, {events:,} in the database"
            )

        start = time.perf_counter()
        again = export._export(commit=True)[env.company.id]
        cr.commit()
        print(f"  rerun with nothing new: {again} events, {time.perf_counter() - start:.2f} s")

        # the end of the batch at 90%: where a run stopped before recording the last
        # batches leaves the watermark
        cr.execute(
            SQL(
                "SELECT id FROM crossdept_ticket_event WHERE company_id = %s "
                "ORDER BY id OFFSET %s LIMIT 1",
                env.company.id,
                max(events // batch * 9 // 10, 1) * batch - 1,
            )
        )
        back_to = cr.fetchone()[0]
        export._engine().last_event_id = back_to
        cr.commit()
        start = time.perf_counter()
        tail = export._export(commit=True)[env.company.id]
        cr.commit()
        elapsed = time.perf_counter() - start
        print(
            f"  incremental run of the last {tail:,} events (their parts removed and written "
            f"again): {elapsed:.1f} s, {tail / elapsed:,.0f} events/s"
        )
        if count_rows(directory, "events") != events or export.last_event_id != last_id:
            raise AssertionError("the incremental run duplicated or lost events")


if __name__ == "__main__":
    main()
