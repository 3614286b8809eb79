"""Columnar export for the warehouse: the event log and the ticket and step facts
as Parquet files (pyarrow), partitioned by company and day, written incrementally
from a watermark on event id kept per company.

Layout under the directory (system parameter ``crossdept_analytics.parquet_directory``,
default ``<data_dir>/crossdept_parquet/<database>``)::

    events/company=<id>/day=<YYYY-MM-DD>/part-<first event id>-<last event id>.parquet
    tickets/company=<id>/day=<YYYY-MM-DD>/part-<first event id>-<last event id>.parquet
    steps/company=<id>/day=<YYYY-MM-DD>/part-<first event id>-<last event id>.parquet

Events are written once each, in the day of their date. A ticket (and each of its
steps) is written again, as it then is, with every batch of events that touched it,
in the day of the last of them: ``as_of_event_id`` names that event, and the row
with the highest one is the ticket's latest state. Columns are the reporting
schema's (crossdept_reporting.events, .tickets, .steps).

Export Now queues a background job per company (``crossdept.analytics.job``, kind
``parquet``) run as the user who pressed it; it reports a step of progress per file
(table and day) written and ends with a message in the user's inbox saying what was
written where. The daily scheduled action exports every company itself.

Re-runnable without duplicates: the watermark moves only after a batch's files are
written, and a run first deletes every part whose first event is above the
watermark (written by a run that did not record it), then writes the batches again
under the same kind of names; each file is written to a hidden temporary name and
renamed, so a reader never sees half a file.
"""

import logging
import os
import re
from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq
from psycopg2 import errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, config

from .crossdept_analytics_kpi import ALL_DEPARTMENTS_GROUP

_logger = logging.getLogger(__name__)

PARTITIONED_TABLES = ("events", "tickets", "steps")
PART_RE = re.compile(r"^part-(\d+)-(\d+)\.parquet$")
DEFAULT_BATCH = 10000
BOOLEAN_COLUMNS = {"active"}
FLOAT_COLUMNS = {"satisfaction", "handling_hours", "hold_hours"}
INTEGER_COLUMNS = {"flow_version", "sequence"}


def _arrow_type(column):
    if column.endswith("_id") or column in INTEGER_COLUMNS:
        return pa.int64()
    if column.endswith("_at"):
        return pa.timestamp("us", tz="UTC")
    if column in BOOLEAN_COLUMNS:
        return pa.bool_()
    if column in FLOAT_COLUMNS:
        return pa.float64()
    return pa.string()


class CrossdeptParquetExport(models.Model):
    _name = "crossdept.parquet.export"
    _description = "Parquet Export"
    _inherit = ["crossdept.engine.mixin"]
    _order = "company_id"
    _rec_name = "company_id"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade", index=False
    )
    last_event_id = fields.Integer(
        "Exported up to Event",
        readonly=True,
        default=0,
        help="Watermark: every event of the company up to this id is in the files.",
    )
    last_export_date = fields.Datetime("Last Export", readonly=True)
    last_event_count = fields.Integer("Events in Last Export", readonly=True)
    directory = fields.Char(compute="_compute_directory")

    _sql_constraints = [
        ("company_uniq", "unique(company_id)", "A company has one Parquet export."),
    ]

    def _engine_fields(self):
        # the watermark moves only with the files it stands for
        return self._engine_all_fields(self.env._("Export Now"))

    def _compute_directory(self):
        directory = self._directory()
        for export in self:
            export.directory = directory

    def action_export(self):
        """Queue the export of the new events of the selected companies (all the
        user's companies when none is selected): a background job per company, run
        as the user, who finds what was written in their inbox."""
        self._check_export_access()
        companies = self.company_id or self.env.companies
        Job = self.env["crossdept.analytics.job"]
        jobs = Job
        for company in companies:
            # the job runs in its company: the one it is queued in
            jobs |= Job.with_company(company)._queue(
                [
                    {
                        "kind": "parquet",
                        "name": self.env._("Parquet export of %(company)s", company=company.name),
                    }
                ]
            )
        return jobs._queued_notification()

    @api.model
    def _check_export_access(self):
        """The files hold every department's tickets: for the analytics role that
        reads them all (the access rights of this model say the same)."""
        if not self.env.user.has_group(ALL_DEPARTMENTS_GROUP):
            raise AccessError(
                self.env._(
                    "Only managers who read the analytics of every department may export "
                    "the event log as Parquet files."
                )
            )

    @api.model
    def _cron_export(self):
        """Daily (inactive by default): every company, one commit per batch."""
        exports = self._for_companies(self.env["res.company"].search([]))
        for export in exports:
            try:
                export._export(commit=True)
            except UserError as error:
                # the other companies still export; this one waits for the next run
                self.env.cr.rollback()
                _logger.warning("Parquet export of %s: %s", export.company_id.name, error)

    @api.model
    def _directory(self):
        directory = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crossdept_analytics.parquet_directory")
        )
        return directory or os.path.join(
            config["data_dir"], "crossdept_parquet", self.env.cr.dbname
        )

    @api.model
    def _batch_size(self):
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crossdept_analytics.parquet_batch_size", DEFAULT_BATCH)
        )
        try:
            size = int(value)
        except ValueError:
            size = 0
        if size < 1:
            raise UserError(
                self.env._(
                    "System parameter crossdept_analytics.parquet_batch_size must be a "
                    "positive number of events, not %(value)r.",
                    value=value,
                )
            )
        return size

    @api.model
    def _for_companies(self, companies):
        existing = self.search([("company_id", "in", companies.ids)])
        missing = companies - existing.company_id
        return existing | self._engine().create([{"company_id": company.id} for company in missing])

    def _export(self, commit=False, tally=None, progress=None):
        """Export each record's company; returns {company id: events written}.

        ``tally`` (a dict) receives {table: [files, rows]} of what was written;
        ``progress`` (as ``crossdept.analytics.job._progress``) is given the number
        of files to write, then a step per file written."""
        directory = self._directory()
        batch_size = self._batch_size()
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as error:
            raise UserError(
                self.env._(
                    "The Parquet directory %(directory)s cannot be created: %(error)s",
                    directory=directory,
                    error=error,
                )
            ) from error
        counts = {}
        for export in self:
            counts[export.company_id.id] = export._export_company(
                directory, batch_size, commit, tally=tally, progress=progress
            )
        return counts

    def _lock(self):
        """Take this export's row, or refuse when another run holds it."""
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "SELECT COALESCE(last_event_id, 0) FROM %s"
                " WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED",
                SQL.identifier(self._table),
                self.id,
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            raise UserError(
                self.env._(
                    "A Parquet export of %(company)s is already running.",
                    company=self.company_id.name,
                )
            )
        return row[0]

    def _safe_bound(self):
        """The highest event id below which every event is committed (or never
        will be). Ids are given when a row is inserted, not when it commits: a
        transaction still open may hold an id below the last one visible, and a
        watermark past it would skip that event for ever. A SHARE lock on the log
        waits for the transactions writing it, in a short transaction of its own
        (inserts wait meanwhile; at most 5 s), then the highest id is safe."""
        with self.env.registry.cursor() as cr:
            cr.execute(SQL("SELECT current_setting('lock_timeout')"))
            previous = cr.fetchone()[0]
            cr.execute(SQL("SELECT set_config('lock_timeout', '5s', true)"))
            try:
                with cr.savepoint(flush=False):
                    cr.execute(
                        SQL("LOCK TABLE crossdept_ticket_event IN SHARE MODE"),
                        log_exceptions=False,
                    )
            except errors.LockNotAvailable as error:
                raise UserError(
                    self.env._(
                        "The event log is being written by a long transaction: "
                        "export again in a few minutes."
                    )
                ) from error
            finally:
                cr.execute(SQL("SELECT set_config('lock_timeout', %s, true)", previous))
            cr.execute(SQL("SELECT COALESCE(max(id), 0) FROM crossdept_ticket_event"))
            return cr.fetchone()[0]

    def _export_company(self, directory, batch_size, commit, tally=None, progress=None):
        self.ensure_one()
        watermark = self._lock()
        bound = self._safe_bound()
        company = self.company_id.id
        self._remove_unrecorded(directory, company, watermark)
        written = 0

        def part_written(table, rows):
            if tally is not None:
                files_rows = tally.setdefault(table, [0, 0])
                files_rows[0] += 1
                files_rows[1] += rows
            if progress:
                progress(advance=1)

        # a transaction begun after the bound: it sees every event up to it
        with self.env.registry.cursor() as cr:
            remaining = 0
            if commit:
                cr.execute(
                    SQL(
                        "SELECT count(*) FROM crossdept_ticket_event "
                        "WHERE company_id = %s AND id > %s AND id <= %s",
                        company,
                        watermark,
                        bound,
                    )
                )
                remaining = cr.fetchone()[0]
            if progress:
                progress(
                    done=0,
                    total=self._count_parts(cr, company, watermark, bound, batch_size),
                )
            cr.execute(
                SQL(
                    """
                    DECLARE crossdept_parquet_events NO SCROLL CURSOR FOR
                     SELECT * FROM crossdept_reporting.events
                      WHERE company_id = %s AND event_id > %s AND event_id <= %s
                      ORDER BY event_id
                    """,
                    company,
                    watermark,
                    bound,
                )
            )
            while True:
                cr.execute(SQL("FETCH FORWARD %s FROM crossdept_parquet_events", batch_size))
                columns = [column.name for column in cr.description]
                rows = cr.fetchall()
                if not rows:
                    break
                self._write_batch(cr, directory, company, columns, rows, part_written)
                written += len(rows)
                self._engine().write(
                    {
                        "last_event_id": rows[-1][0],
                        "last_export_date": fields.Datetime.now(),
                        "last_event_count": written,
                    }
                )
                if commit:
                    remaining -= len(rows)
                    self.env["ir.cron"]._notify_progress(done=written, remaining=remaining)
                    # a cron batch: its files are written, its watermark is kept
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                    watermark = self._lock()
            cr.execute(SQL("CLOSE crossdept_parquet_events"))
        if not written:
            self._engine().write({"last_export_date": fields.Datetime.now(), "last_event_count": 0})
        _logger.info("Parquet export of company %s to %s: %s events", company, directory, written)
        return written

    @api.model
    def _count_parts(self, cr, company, watermark, bound, batch_size):
        """How many files the export of these events writes, as ``_write_batch``
        makes them: per batch, a file of events per day, and a file of tickets and
        one of steps per day of the last event of a ticket in the batch."""
        cr.execute(
            SQL(
                """
                WITH batch_events AS (
                    SELECT ticket_id, event_id, event_at::date AS day,
                           (row_number() OVER (ORDER BY event_id) - 1) / %(size)s AS batch
                      FROM crossdept_reporting.events
                     WHERE company_id = %(company)s
                       AND event_id > %(watermark)s AND event_id <= %(bound)s
                ), last_events AS (
                    SELECT DISTINCT ON (batch, ticket_id) batch, ticket_id, day
                      FROM batch_events
                     ORDER BY batch, ticket_id, event_id DESC
                )
                SELECT (SELECT count(DISTINCT (batch, day)) FROM batch_events)
                     + (SELECT count(DISTINCT (batch, day)) FROM last_events l
                         WHERE EXISTS (SELECT FROM crossdept_reporting.tickets t
                                        WHERE t.ticket_id = l.ticket_id))
                     + (SELECT count(DISTINCT (batch, day)) FROM last_events l
                         WHERE EXISTS (SELECT FROM crossdept_reporting.steps s
                                        WHERE s.ticket_id = l.ticket_id))
                """,
                size=batch_size,
                company=company,
                watermark=watermark,
                bound=bound,
            )
        )
        return cr.fetchone()[0]

    def _write_batch(self, cr, directory, company, columns, rows, part_written=None):
        """One batch of events: its events by day, and the tickets and steps they
        touched as they are now, each in the day of its last event here;
        ``part_written(table, rows)`` is called after each file."""
        first, last = rows[0][0], rows[-1][0]
        ticket_index = columns.index("ticket_id")
        date_index = columns.index("event_at")
        by_day = defaultdict(list)
        last_event = {}
        for row in rows:
            by_day[row[date_index].date()].append(row)
            last_event[row[ticket_index]] = (row[0], row[date_index].date())
        for day, day_rows in by_day.items():
            self._write_part(
                directory,
                "events",
                company,
                day,
                day_rows[0][0],
                day_rows[-1][0],
                columns,
                day_rows,
            )
            if part_written:
                part_written("events", len(day_rows))
        ticket_ids = sorted(last_event)
        for table, key in (("tickets", "ticket_id"), ("steps", "step_id")):
            cr.execute(
                SQL(
                    "SELECT * FROM %s WHERE ticket_id = ANY(%s) ORDER BY %s",
                    SQL.identifier("crossdept_reporting", table),
                    ticket_ids,
                    SQL.identifier(key),
                )
            )
            fact_columns = [column.name for column in cr.description] + ["as_of_event_id"]
            facts_by_day = defaultdict(list)
            fact_ticket = fact_columns.index("ticket_id")
            for row in cr.fetchall():
                event_id, day = last_event[row[fact_ticket]]
                facts_by_day[day].append((*row, event_id))
            for day, day_rows in facts_by_day.items():
                self._write_part(
                    directory, table, company, day, first, last, fact_columns, day_rows
                )
                if part_written:
                    part_written(table, len(day_rows))

    @api.model
    def _write_part(self, directory, table, company, day, first, last, columns, rows):
        folder = os.path.join(directory, table, f"company={company}", f"day={day.isoformat()}")
        name = f"part-{first}-{last}.parquet"
        arrays = [
            pa.array(values, type=_arrow_type(column))
            for column, values in zip(columns, zip(*rows, strict=True), strict=True)
        ]
        table_data = pa.Table.from_arrays(arrays, names=columns)
        temporary = os.path.join(folder, f".{name}.tmp")
        try:
            os.makedirs(folder, exist_ok=True)
            pq.write_table(table_data, temporary)
            os.replace(temporary, os.path.join(folder, name))
        except OSError as error:
            raise UserError(
                self.env._(
                    "The Parquet file %(file)s cannot be written: %(error)s",
                    file=os.path.join(folder, name),
                    error=error,
                )
            ) from error

    @api.model
    def _summary(self, tally, directory):
        """What an export wrote, in words: files and rows per table, and where."""
        if not tally:
            return self.env._(
                "no new events since the last export, nothing written to %(directory)s.",
                directory=directory,
            )
        tables = [
            self.env._(
                "%(table)s: %(files)s files, %(rows)s rows",
                table=table,
                files=tally[table][0],
                rows=tally[table][1],
            )
            for table in PARTITIONED_TABLES
            if table in tally
        ]
        return self.env._(
            "%(tables)s written to %(directory)s.",
            tables="; ".join(tables),
            directory=directory,
        )

    @api.model
    def _remove_unrecorded(self, directory, company, watermark):
        """Delete the parts (and temporary files) of this company written after the
        watermark: a run that stopped before recording them."""
        for table in PARTITIONED_TABLES:
            root = os.path.join(directory, table, f"company={company}")
            if not os.path.isdir(root):
                continue
            for day in os.scandir(root):
                if not day.is_dir():
                    continue
                for entry in os.scandir(day.path):
                    match = PART_RE.match(entry.name)
                    if entry.name.endswith(".tmp") or (match and int(match[1]) > watermark):
                        os.unlink(entry.path)
