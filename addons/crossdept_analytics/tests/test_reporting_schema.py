import os

import psycopg2

from odoo.sql_db import connection_info_for
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from .. import uninstall_hook
from ..report.crossdept_reporting_schema import REPORTING_VERSION
from ..tools.reporting_role import (
    ReportingRoleError,
    grant_reporting_role,
    revoke_reporting_role,
)

# the published contract: these names only ever grow (at the end of a view)
COLUMNS = {
    "schema_version": ["version", "module"],
    "departments": ["department_id", "name", "parent_department_id", "company_id", "active"],
    "users": ["user_id", "name", "company_id", "active"],
    "tickets": [
        "ticket_id", "company_id", "reference", "title", "state", "priority", "type_id",
        "type_name", "requesting_department_id", "assigned_department_id",
        "requester_user_id", "assignee_user_id", "customer_partner_id", "flow_id",
        "flow_code", "flow_version", "created_at", "deadline_at", "closed_at",
        "satisfaction", "active",
    ],
    "steps": [
        "step_id", "ticket_id", "company_id", "flow_step_id", "name", "kind", "sequence",
        "state", "approval_state", "department_id", "assignee_user_id", "ready_at",
        "started_at", "done_at", "skip_reason", "active", "handling_hours", "hold_hours",
    ],
    "events": [
        "event_id", "ticket_id", "company_id", "step_id", "event_type", "event_at",
        "actor_user_id", "from_state", "to_state", "from_user_id", "to_user_id",
        "from_department_id", "to_department_id", "target_step_id", "reason",
    ],
    "approvals": [
        "decision_id", "step_id", "ticket_id", "company_id", "approver_user_id", "decision",
        "reason", "decided_at", "active",
    ],
    "sla": [
        "step_id", "ticket_id", "company_id", "sla_hours", "sla_paused_hours", "deadline_at",
        "done_at", "sla_status", "breached", "hours_late",
    ],
    "effort": [
        "effort_id", "step_id", "ticket_id", "company_id", "user_id", "work_date", "hours",
        "description", "timer_started_at", "logged_at",
    ],
    "kpi_month": [
        "month", "scope", "company_id", "department_id", "flow_id", "type_id", "ticket_count",
        "closed_count", "rated_count", "avg_hours", "median_hours", "p90_hours",
        "on_time_rate", "transfer_rate", "reopen_rate", "satisfaction",
    ],
}  # fmt: skip
# each view's source table, whose committed rows it shows one for one
SOURCES = {
    "departments": "hr_department",
    "users": "res_users",
    "tickets": "crossdept_ticket",
    "steps": "crossdept_ticket_step",
    "events": "crossdept_ticket_event",
    "approvals": "crossdept_ticket_step_decision",
    "effort": "crossdept_ticket_step_effort",
}


@tagged("post_install", "-at_install")
class TestReportingSchema(TransactionCase):
    """The read-only role of scripts/reporting-role, made by the same statements
    (tools/reporting_role.py) on the test database, connecting on its own: it
    reads every view of the reporting schema and nothing of Odoo's tables.

    Roles are made and dropped outside the test's transaction (PostgreSQL checks
    a login against committed roles), so the test needs an administrator of the
    cluster: the project's clusters give 127.0.0.1 its superuser postgres
    (CROSSDEPT_PG_ADMIN_USER / _PASSWORD name another)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dsn = dict(connection_info_for(cls.env.cr.dbname)[1])
        cls.dsn.pop("application_name", None)
        cls.role = f"cd_reporting_test_{os.getpid()}"
        cls.password = "Reporting-1"

    def _admin(self):
        dsn = {
            **self.dsn,
            "user": os.environ.get("CROSSDEPT_PG_ADMIN_USER", "postgres"),
            "password": os.environ.get("CROSSDEPT_PG_ADMIN_PASSWORD", ""),
        }
        cnx = psycopg2.connect(**dsn)
        self.addCleanup(cnx.close)
        return cnx

    def _make_role(self):
        admin = self._admin()
        with admin.cursor() as cur:
            grant_reporting_role(cur, self.role, self.password)
        admin.commit()

        def drop():
            with admin.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [self.role])
                if cur.fetchone():
                    revoke_reporting_role(cur, self.role)
            admin.commit()

        self.addCleanup(drop)
        return admin

    def _as_role(self):
        cnx = psycopg2.connect(**{**self.dsn, "user": self.role, "password": self.password})
        self.addCleanup(cnx.close)
        return cnx

    def test_the_role_reads_every_view_with_its_published_columns(self):
        admin = self._make_role()
        reader = self._as_role()
        with reader.cursor() as cur, admin.cursor() as check:
            cur.execute(
                "SELECT table_name FROM information_schema.views WHERE table_schema = %s",
                ["crossdept_reporting"],
            )
            self.assertEqual({name for (name,) in cur.fetchall()}, set(COLUMNS))
            for view, columns in COLUMNS.items():
                cur.execute(f'SELECT * FROM crossdept_reporting."{view}"')
                self.assertEqual([c.name for c in cur.description], columns, view)
                rows = cur.fetchall()
                if view in SOURCES:
                    check.execute(f"SELECT count(*) FROM {SOURCES[view]}")
                    self.assertEqual(len(rows), check.fetchone()[0], view)
            cur.execute("SELECT version FROM crossdept_reporting.schema_version")
            self.assertEqual(cur.fetchone()[0], REPORTING_VERSION)
            cur.execute("SELECT obj_description('crossdept_reporting'::regnamespace)")
            self.assertIn(f"version {REPORTING_VERSION}", cur.fetchone()[0])
        admin.rollback()

    def test_the_role_is_refused_odoo_tables_and_writes(self):
        self._make_role()
        reader = self._as_role()
        cur = reader.cursor()
        for table in ("crossdept_ticket", "res_users", "ir_config_parameter"):
            with self.assertRaisesRegex(
                psycopg2.errors.InsufficientPrivilege, f"permission denied for table {table}"
            ):
                cur.execute(f"SELECT 1 FROM public.{table} LIMIT 1")
            reader.rollback()
        with self.assertRaisesRegex(
            psycopg2.errors.ReadOnlySqlTransaction,
            "cannot execute CREATE TABLE in a read-only transaction",
        ):
            cur.execute("CREATE TABLE crossdept_reporting.mine (id int)")
        reader.rollback()
        cur.execute("SET TRANSACTION READ WRITE")
        with self.assertRaisesRegex(
            psycopg2.errors.InsufficientPrivilege,
            "permission denied for schema crossdept_reporting",
        ):
            cur.execute("CREATE TABLE crossdept_reporting.mine (id int)")
        reader.rollback()
        with self.assertRaisesRegex(
            psycopg2.errors.InsufficientPrivilege, "permission denied for view steps"
        ):
            # steps reads one table: a view PostgreSQL would let its owner delete through
            cur.execute("SET TRANSACTION READ WRITE")
            cur.execute("DELETE FROM crossdept_reporting.steps")

    def test_views_made_again_at_update_stay_readable_by_the_role(self):
        self._make_role()
        cr = self.env.cr
        # the update's init, undone after (it locks the views the cleanup revokes on)
        cr.execute(SQL("SAVEPOINT reporting_init"))
        self.env["crossdept.reporting.schema"].init()
        # by name (a catalog lookup): this transaction's snapshot of pg_class still
        # shows the rows the admin's grant replaced, with the dropped views' oids
        cr.execute(
            SQL(
                """
                SELECT v.name, has_table_privilege(%s, to_regclass(%s || '.' || v.name), 'SELECT')
                  FROM unnest(%s::text[]) v(name)
                """,
                self.role,
                "crossdept_reporting",
                list(COLUMNS),
            )
        )
        privileges = dict(cr.fetchall())
        cr.execute(SQL("ROLLBACK TO SAVEPOINT reporting_init"))
        self.assertEqual(set(privileges), set(COLUMNS))
        self.assertTrue(all(privileges.values()), privileges)

    def test_uninstall_drops_the_schema(self):
        cr = self.env.cr
        cr.execute(SQL("SAVEPOINT reporting_uninstall"))
        uninstall_hook(self.env)
        cr.execute(SQL("SELECT count(*) FROM pg_namespace WHERE nspname = 'crossdept_reporting'"))
        left = cr.fetchone()[0]
        cr.execute(SQL("ROLLBACK TO SAVEPOINT reporting_uninstall"))
        self.assertEqual(left, 0)

    def test_the_script_refuses_bad_input_by_name(self):
        admin = self._admin()
        with admin.cursor() as cur:
            with self.assertRaisesRegex(ReportingRoleError, "Invalid role name 'BI; drop'"):
                grant_reporting_role(cur, "BI; drop", "x")
            with self.assertRaisesRegex(ReportingRoleError, "A password is required"):
                grant_reporting_role(cur, self.role, "")
            with self.assertRaisesRegex(ReportingRoleError, "cannot be 'postgres'"):
                grant_reporting_role(cur, "postgres", "x")
        admin.rollback()
