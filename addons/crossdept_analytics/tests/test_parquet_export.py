import os
import shutil
import tempfile

import pyarrow.dataset as ds

from odoo.exceptions import AccessError
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.crossdept_ticket.tests.common_flow import CrossdeptFlowCase

from ..models.crossdept_parquet_export import PART_RE
from .test_analytics_job import recorded_progress

JOB = "crossdept.analytics.job"


@tagged("post_install", "-at_install")
class TestParquetExport(CrossdeptFlowCase):
    """Tickets walked through a flow by the engine (work, an approval, a refusal),
    exported by an analyst who sees every department (Export Now queues a job, run
    here by the analytics jobs' runner as TestAnalyticsJob runs it), read back with
    pyarrow."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # one transaction for the export's own cursors too (the bound, the reading)
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": cls.approver_1,
                },
                {"name": "Deliver", "preds": ["Approve"]},
            ]
        )
        cls.approved = cls._run(cls.flow)
        cls.refused = cls._run(cls.flow)
        cls.waiting = cls._run(cls.flow)
        # the files hold every department: the analytics role that sees them all
        cls.analyst = cls._make_user(
            "analyst_all", "crossdept_analytics.group_crossdept_analytics_all", cls.dept_it
        )
        cls.analyst.notification_type = "inbox"
        cls.Export = cls.env["crossdept.parquet.export"].with_user(cls.analyst)

    def setUp(self):
        super().setUp()
        self.directory = tempfile.mkdtemp(prefix="crossdept_parquet_test_")
        self.addCleanup(shutil.rmtree, self.directory, ignore_errors=True)
        self.env["ir.config_parameter"].set_param(
            "crossdept_analytics.parquet_directory", self.directory
        )
        for ticket in self.approved | self.refused:
            self._do(ticket, "Prepare")
        self._step(self.approved, "Approve").with_user(self.approver_1).action_approve()
        self._do(self.approved, "Deliver")
        self._step(self.refused, "Approve").with_user(self.approver_1).action_reject(
            "Quote missing"
        )
        self.env.flush_all()

    def _export_now(self, exports=None):
        """Press Export Now as the analyst and run the queued jobs as the cron does;
        return the jobs it queued."""
        action = (exports or self.Export).action_export()
        self.assertEqual(action["tag"], "display_notification")
        jobs = self.env[JOB].search([("state", "=", "queued")])
        self._run_jobs()
        return jobs

    def _run_jobs(self):
        # the runner's transactions read the database: what the test wrote first
        self.env.flush_all()
        self.env[JOB]._cron_run()
        self.env.invalidate_all()

    def _inbox(self, user, job):
        """The messages on ``job`` in ``user``'s Discuss inbox."""
        return (
            self.env["mail.notification"]
            .search(
                [
                    ("res_partner_id", "=", user.partner_id.id),
                    ("notification_type", "=", "inbox"),
                    ("mail_message_id.model", "=", JOB),
                    ("mail_message_id.res_id", "=", job.id),
                ]
            )
            .mail_message_id
        )

    def _read(self, table):
        path = os.path.join(self.directory, table)
        return ds.dataset(path, format="parquet", partitioning="hive").to_table()

    def _db_event_ids(self, above=0):
        self.env.cr.execute(
            SQL(
                "SELECT id FROM crossdept_ticket_event"
                " WHERE company_id = %s AND id > %s ORDER BY id",
                self.env.company.id,
                above,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _parts(self):
        return sorted(
            os.path.relpath(os.path.join(folder, name), self.directory)
            for folder, _dirs, names in os.walk(self.directory)
            for name in names
        )

    def test_steps_carry_their_working_hours(self):
        self._export_now()
        steps = self._read("steps")
        # reporting schema 1.1: two float columns after "active"
        names = steps.schema.names
        self.assertEqual(
            names[names.index("active") + 1 : names.index("active") + 3],
            ["handling_hours", "hold_hours"],
        )
        self.assertEqual(str(steps.schema.field("handling_hours").type), "double")
        latest = {}
        for row in sorted(steps.to_pylist(), key=lambda row: row["as_of_event_id"]):
            latest[row["step_id"]] = row
        prepare = self._step(self.approved, "Prepare")
        self.assertEqual(
            (latest[prepare.id]["handling_hours"], latest[prepare.id]["hold_hours"]),
            (prepare.handling_hours, 0.0),
        )
        # a step not finished has no measure: null, not 0
        waiting = self._step(self.waiting, "Prepare")
        self.assertIsNone(latest[waiting.id]["handling_hours"])

    def test_export_writes_every_event_ticket_and_step_once(self):
        job = self._export_now()
        self.assertEqual(job.state, "done", job.error)
        events = self._read("events")
        ids = events.column("event_id").to_pylist()
        self.assertEqual(sorted(ids), self._db_event_ids())
        self.assertEqual(len(ids), len(set(ids)))
        # the engine's history of the refused ticket, in order
        mine = sorted(
            (row["event_id"], row["event_type"])
            for row in events.to_pylist()
            if row["ticket_id"] == self.refused.id
        )
        self.assertEqual(
            [kind for _id, kind in mine],
            self.env["crossdept.ticket.event"]
            .search([("ticket_id", "=", self.refused.id)], order="id")
            .mapped("event_type"),
        )
        self.assertIn("step_reject", [kind for _id, kind in mine])
        # each file in the day of its events, named by their first and last ids
        for part in self._parts():
            table, company, day, name = part.split(os.sep)
            if table != "events":
                continue
            rows = ds.dataset(os.path.join(self.directory, part), format="parquet").to_table()
            self.assertEqual(company, f"company={self.env.company.id}")
            self.assertEqual(
                {value.date().isoformat() for value in rows.column("event_at").to_pylist()},
                {day.removeprefix("day=")},
            )
            first, last = map(int, PART_RE.match(name).groups())
            self.assertEqual(
                (first, last),
                (
                    min(rows.column("event_id").to_pylist()),
                    max(rows.column("event_id").to_pylist()),
                ),
            )
        tickets = self._read("tickets")
        self.assertEqual(
            set(tickets.column("ticket_id").to_pylist()),
            set(events.column("ticket_id").to_pylist()),
        )
        steps = {row["step_id"]: row for row in self._read("steps").to_pylist()}
        for ticket in self.approved | self.refused | self.waiting:
            for step in ticket.with_context(active_test=False).step_ids:
                self.assertEqual(steps[step.id]["state"], step.state, step.name)
        self.assertEqual(steps[self._step(self.refused, "Approve").id]["state"], "rejected")
        export = self.Export.search([("company_id", "=", self.env.company.id)])
        self.assertEqual(export.last_event_id, max(ids))
        self.assertEqual(export.last_event_count, len(ids))

    def test_a_rerun_writes_nothing_and_a_lost_watermark_no_duplicate(self):
        self._export_now()
        parts = self._parts()
        export = self.Export.search([("company_id", "=", self.env.company.id)])
        rerun = self._export_now(export)
        self.assertEqual(rerun.state, "done", rerun.error)
        self.assertIn(
            f"no new events since the last export, nothing written to {self.directory}.",
            str(self._inbox(self.analyst, rerun).body),
        )
        self.assertEqual(self._parts(), parts)
        # a run whose files were written but whose watermark was never recorded
        # (stopped before its commit), run again in batches of another size
        self.env.cr.execute(
            SQL("UPDATE crossdept_parquet_export SET last_event_id = 0 WHERE id = %s", export.id)
        )
        export.invalidate_recordset()
        self.env["ir.config_parameter"].set_param(
            "crossdept_analytics.parquet_batch_size", len(self._db_event_ids()) // 3 + 1
        )
        self._export_now(export)
        ids = self._read("events").column("event_id").to_pylist()
        self.assertEqual(sorted(ids), self._db_event_ids())
        self.assertEqual(len(ids), len(set(ids)))
        ticket_versions = self._read("tickets").select(["ticket_id", "as_of_event_id"]).to_pylist()
        self.assertEqual(
            len(ticket_versions), len({tuple(row.values()) for row in ticket_versions})
        )

    def test_new_events_only_add_their_rows(self):
        self._export_now()
        export = self.Export.search([("company_id", "=", self.env.company.id)])
        watermark = export.last_event_id
        before = set(self._parts())
        self._do(self.waiting, "Prepare")
        self.env.flush_all()
        new_ids = self._db_event_ids(above=watermark)
        self.assertTrue(new_ids)
        self._export_now(export)
        added = set(self._parts()) - before
        self.assertTrue(added)
        self.assertTrue(before <= set(self._parts()), "earlier parts are kept")
        for part in added:
            self.assertGreater(int(PART_RE.match(os.path.basename(part))[1]), watermark)
        new_rows = {
            table: ds.dataset(
                [os.path.join(self.directory, p) for p in added if p.split(os.sep)[0] == table],
                format="parquet",
            ).to_table()
            for table in ("events", "tickets", "steps")
        }
        self.assertEqual(sorted(new_rows["events"].column("event_id").to_pylist()), new_ids)
        new_tickets = set(new_rows["tickets"].column("ticket_id").to_pylist())
        self.assertEqual(new_tickets, {self.waiting.id})
        self.assertEqual(
            sorted(new_rows["steps"].column("step_id").to_pylist()),
            sorted(self.waiting.with_context(active_test=False).step_ids.ids),
        )
        self.assertEqual(export.last_event_id, new_ids[-1])

    def test_export_waits_for_transactions_writing_the_log(self):
        # another transaction is inserting events (the lock an INSERT takes): the
        # events it will commit may have ids below those visible (no export before
        # in this test: its SHARE lock would stay until the test's rollback)
        with db_connect(self.env.cr.dbname).cursor() as writer:
            writer.execute(SQL("SET lock_timeout = '10s'"))
            writer.execute(SQL("LOCK TABLE crossdept_ticket_event IN ROW EXCLUSIVE MODE"))
            job = self._export_now()
            writer.rollback()
        self.assertEqual(job.state, "failed")
        self.assertIn("The event log is being written by a long transaction", job.error)

    def test_a_department_manager_does_not_export(self):
        # the files hold every department's tickets: not for a department's manager,
        # who may not queue the job either
        for user in (self.it_manager, self.it_user):
            with self.assertRaisesRegex(
                AccessError,
                "Only managers who read the analytics of every department may export the "
                "event log as Parquet files",
            ):
                self.env["crossdept.parquet.export"].with_user(user).action_export()
        self.assertFalse(self.env[JOB].search([("kind", "=", "parquet")]))

    def test_bad_batch_size_is_refused_by_name(self):
        self.env["ir.config_parameter"].set_param("crossdept_analytics.parquet_batch_size", "ten")
        job = self._export_now()
        self.assertEqual(job.state, "failed")
        self.assertRegex(
            job.error, "crossdept_analytics.parquet_batch_size must be a positive number"
        )

    def test_export_now_queues_a_job_that_writes_the_files_and_says_so(self):
        self.env["ir.config_parameter"].set_param(
            "crossdept_analytics.parquet_batch_size", len(self._db_event_ids()) // 2 + 1
        )
        self.Export.action_export()
        job = self.env[JOB].with_user(self.analyst).search([])
        self.assertEqual(
            (job.kind, job.state, job.user_id, job.company_id),
            ("parquet", "queued", self.analyst, self.env.company),
        )
        self.assertEqual(job.name, f"Parquet export of {self.env.company.name}")
        cron = self.env.ref("crossdept_analytics.ir_cron_crossdept_analytics_job")
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]),
            "queueing wakes the runner up",
        )
        self.assertFalse(self._parts(), "nothing is written in the request")
        with recorded_progress() as seen:
            self._run_jobs()
        self.assertEqual(job.state, "done", job.error)
        # the files, in the export's directory (no attachment), read back
        self.assertFalse(job.attachment_id)
        parts = self._parts()
        self.assertEqual(
            sorted(self._read("events").column("event_id").to_pylist()), self._db_event_ids()
        )
        # a step of progress per file (table and day) written, two batches
        self.assertEqual(seen, [(done, len(parts) - done) for done in range(len(parts) + 1)])
        self.assertEqual(
            (job.items_done, job.items_total, job.progress), (len(parts), len(parts), 100.0)
        )
        # the inbox says what was written, per table, and where
        message = self._inbox(self.analyst, job)
        self.assertEqual(len(message), 1)
        summary = "; ".join(
            f"{table}: {len([p for p in parts if p.startswith(table + os.sep)])} files, "
            f"{self._read(table).num_rows} rows"
            for table in ("events", "tickets", "steps")
        )
        self.assertIn(
            f"{job.name} is done: {summary} written to {self.directory}.", str(message.body)
        )
        self.assertGreater(len(parts), 3)
        export = self.Export.search([("company_id", "=", self.env.company.id)])
        self.assertEqual(export.last_event_id, self._db_event_ids()[-1])

    def test_an_unwritable_directory_fails_the_job_and_leaves_the_others(self):
        # a directory that cannot be made: its parent is a file (the tests run as root)
        blocker = os.path.join(self.directory, "a-file")
        with open(blocker, "w") as file:
            file.write("not a directory")
        self.env["ir.config_parameter"].set_param(
            "crossdept_analytics.parquet_directory", os.path.join(blocker, "parquet")
        )
        self.Export.action_export()
        self.env[JOB].with_user(self.analyst).action_queue_refresh()
        self._run_jobs()
        failed, rebuilt = self.env[JOB].with_user(self.analyst).search([], order="id")
        self.assertEqual((failed.kind, failed.state), ("parquet", "failed"))
        self.assertRegex(
            failed.error, rf"The Parquet directory {blocker}/parquet cannot be created: "
        )
        self.assertIn(
            f"{failed.name} failed: The Parquet directory",
            str(self._inbox(self.analyst, failed).body),
        )
        self.assertEqual(rebuilt.state, "done", rebuilt.error)
        self.assertFalse(
            sum(
                self.Export.search([("company_id", "=", self.env.company.id)]).mapped(
                    "last_event_id"
                )
            ),
            "the watermark did not move",
        )

    def test_a_file_that_cannot_be_written_fails_the_job_and_is_written_again_once(self):
        # the steps' folder cannot be made: the events and tickets of the batch are
        # written before the job fails, and are not recorded
        blocker = os.path.join(self.directory, "steps")
        with open(blocker, "w") as file:
            file.write("not a directory")
        job = self._export_now()
        self.assertEqual(job.state, "failed")
        self.assertRegex(
            job.error, rf"^The Parquet file {blocker}/company=\d+/day=.* cannot be written: "
        )
        self.assertTrue(self._read("events").num_rows)
        self.assertFalse(
            sum(
                self.Export.search([("company_id", "=", self.env.company.id)]).mapped(
                    "last_event_id"
                )
            )
        )
        os.unlink(blocker)
        again = self._export_now()
        self.assertEqual(again.state, "done", again.error)
        ids = self._read("events").column("event_id").to_pylist()
        self.assertEqual(sorted(ids), self._db_event_ids())
        self.assertEqual(len(ids), len(set(ids)))

    def test_export_now_queues_a_job_per_company(self):
        other = self.env["res.company"].create({"name": "Parquet Second Company"})
        self.analyst.company_ids |= other
        exports = self.Export.with_context(allowed_company_ids=[self.env.company.id, other.id])
        jobs = self._export_now(exports)
        self.assertEqual(jobs.company_id, self.env.company | other)
        self.assertEqual(jobs.mapped("state"), ["done", "done"])
        quiet = jobs.filtered(lambda job: job.company_id == other)
        self.assertIn(
            f"no new events since the last export, nothing written to {self.directory}.",
            str(self._inbox(self.analyst, quiet).body),
        )
        self.assertFalse(
            [part for part in self._parts() if f"company={other.id}" in part],
            "the other company has no event",
        )
