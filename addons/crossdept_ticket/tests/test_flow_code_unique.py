from psycopg2 import IntegrityError

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

CONSTRAINT = "crossdept_flow_code_version_uniq"
DEFINITION = "UNIQUE NULLS NOT DISTINCT (code, version, company_id)"


@tagged("post_install", "-at_install")
class TestFlowCodeUnique(TransactionCase):
    """A flow code and version exist once per company, and once among the flows
    that belong to no company."""

    def _definition(self):
        self.env.cr.execute(
            SQL(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
                CONSTRAINT,
            )
        )
        return self.env.cr.fetchone()[0]

    def _create(self, **vals):
        flow = self.env["crossdept.flow"].create({"name": "Unique", "code": "UNIQ", **vals})
        flow.flush_recordset()
        return flow

    def test_shared_flows_are_unique_too(self):
        self.assertEqual(
            self._definition(), "UNIQUE NULLS NOT DISTINCT (code, version, company_id)"
        )
        self._create()
        for vals in ({}, {"company_id": False}):
            with (
                self.subTest(vals=vals),
                mute_logger("odoo.sql_db"),
                self.assertRaisesRegex(IntegrityError, CONSTRAINT),
                self.env.cr.savepoint(),
            ):
                self._create(**vals)
        company = self.env["res.company"].create({"name": "Other company (test)"})
        self._create(company_id=company.id)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaisesRegex(IntegrityError, CONSTRAINT),
            self.env.cr.savepoint(),
        ):
            self._create(company_id=company.id)

    def test_update_replaces_the_former_constraint(self):
        """A database made before: the former constraint let two shared flows have
        the same code and version. Updating the module numbers the second one
        after the others and adds the new constraint."""
        cr = self.env.cr
        cr.execute(SQL("ALTER TABLE crossdept_flow DROP CONSTRAINT %s", SQL.identifier(CONSTRAINT)))
        cr.execute(
            SQL(
                "ALTER TABLE crossdept_flow ADD CONSTRAINT %s UNIQUE (code, version, company_id)",
                SQL.identifier(CONSTRAINT),
            )
        )
        cr.execute(
            SQL(
                "COMMENT ON CONSTRAINT %s ON crossdept_flow IS %s",
                SQL.identifier(CONSTRAINT),
                "unique(code, version, company_id)",
            )
        )
        first, second = self._create(), self._create()
        third = self._create(code="OTHER")
        # what an update runs for the model: its table, where the new constraint
        # fails on the duplicates and waits in the registry's queue; its init(); then
        # the queued constraints once every module is loaded
        self.env.registry._is_install = False  # set so by the loader during an update
        self.addCleanup(delattr, self.env.registry, "_is_install")
        Flow = self.env["crossdept.flow"]
        Flow._add_sql_constraints()
        self.assertEqual(self.env.registry._constraint_queue[-1][1][2], CONSTRAINT)
        Flow.init()
        self.env.registry.finalize_constraints()
        self.assertEqual(
            self._definition(), "UNIQUE NULLS NOT DISTINCT (code, version, company_id)"
        )
        (first | second | third).invalidate_recordset(["version"])
        self.assertEqual((first.version, second.version, third.version), (1, 2, 1))
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaisesRegex(IntegrityError, CONSTRAINT),
            self.env.cr.savepoint(),
        ):
            self._create()
