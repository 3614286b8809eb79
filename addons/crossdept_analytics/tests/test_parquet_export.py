import os
import shutil
import tempfile

import pyarrow.dataset as ds

from odoo.exceptions import AccessError, UserError
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.crossdept_ticket.tests.common_flow import CrossdeptFlowCase

from ..models.crossdept_parquet_export import PART_RE


@tagged("post_install", "-at_install")
class TestParquetExport(CrossdeptFlowCase):
    """Tickets walked through a flow by the engine (work, an approval, a refusal),
    exported by an analyst who sees every department, read back with pyarrow."""

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
        self.Export.action_export()
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
        self.Export.action_export()
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
        self.Export.action_export()
        parts = self._parts()
        export = self.Export.search([("company_id", "=", self.env.company.id)])
        result = export.action_export()
        self.assertIn("0 new events exported", result["params"]["message"])
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
        export.action_export()
        ids = self._read("events").column("event_id").to_pylist()
        self.assertEqual(sorted(ids), self._db_event_ids())
        self.assertEqual(len(ids), len(set(ids)))
        ticket_versions = self._read("tickets").select(["ticket_id", "as_of_event_id"]).to_pylist()
        self.assertEqual(
            len(ticket_versions), len({tuple(row.values()) for row in ticket_versions})
        )

    def test_new_events_only_add_their_rows(self):
        self.Export.action_export()
        export = self.Export.search([("company_id", "=", self.env.company.id)])
        watermark = export.last_event_id
        before = set(self._parts())
        self._do(self.waiting, "Prepare")
        self.env.flush_all()
        new_ids = self._db_event_ids(above=watermark)
        self.assertTrue(new_ids)
        export.action_export()
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
            with self.assertRaisesRegex(
                UserError, "The event log is being written by a long transaction"
            ):
                self.Export.action_export()
            writer.rollback()

    def test_a_department_manager_does_not_export(self):
        # the files hold every department's tickets: not for a department's manager
        for user in (self.it_manager, self.it_user):
            with self.assertRaisesRegex(AccessError, "Parquet Export"):
                self.env["crossdept.parquet.export"].with_user(user).action_export()

    def test_bad_batch_size_is_refused_by_name(self):
        self.env["ir.config_parameter"].set_param("crossdept_analytics.parquet_batch_size", "ten")
        with self.assertRaisesRegex(
            UserError, "crossdept_analytics.parquet_batch_size must be a positive number"
        ):
            self.Export.action_export()
