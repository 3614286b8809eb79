import threading
import time
import uuid

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from .common_concurrency import TIMEOUT, retrying

ADMIN = "crossdept_ticket.group_crossdept_ticket_admin"


@tagged("post_install", "-at_install")
class TestFlowDesignerConcurrency(TransactionCase):
    """Two administrators edit one draft in the designer at the same moment, each
    in their own transaction. The data is committed for the other transaction to
    see it, so the test works on its own cursors and removes it at the end."""

    def setUp(self):
        super().setUp()
        suffix = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.alice = new_test_user(env, f"alice_{suffix}", groups=ADMIN, name="Alice Admin").id
            self.bob = new_test_user(env, f"bob_{suffix}", groups=ADMIN, name="Bob Admin").id
            flow = env["crossdept.flow"].create({"name": "Shared draft", "code": f"SH{suffix}"})
            self.step = env["crossdept.flow.step"].create({"flow_id": flow.id, "name": "Fix"}).id
            self.flow = flow.id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            cr.execute(SQL("DELETE FROM crossdept_flow WHERE id = %s", self.flow))
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.users"].browse([self.alice, self.bob]).write({"active": False})

    # the second transaction's serialization failure is expected (and retried)
    @mute_logger("odoo.sql_db")
    def test_second_editor_is_told_who_changed_the_draft(self):
        env_a = api.Environment(self.registry.cursor(), self.alice, {})
        env_b = api.Environment(self.registry.cursor(), self.bob, {})
        outcome = {}
        try:
            flow_a = env_a["crossdept.flow"].browse(self.flow)
            flow_b = env_b["crossdept.flow"].browse(self.flow)
            # both designers drew the same revision
            revision = flow_a.designer_revision
            self.assertEqual(flow_b.designer_revision, revision)
            rename = {"op": "rename", "step": self.step}
            flow_a.designer_apply(revision, [dict(rename, name="Alice's name")])
            # Alice holds the flow's row lock, not committed yet; Bob's call waits
            tries = []

            def bob_applies():
                tries.append(1)
                return flow_b.designer_apply(revision, [dict(rename, name="Bob's name")])

            def run():
                try:
                    outcome["result"] = retrying(bob_applies, env_b)
                except UserError as error:
                    outcome["refused"] = str(error)

            env_b.cr.execute(SQL("SELECT pg_backend_pid()"))
            (pid_b,) = env_b.cr.fetchone()
            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            self._wait_for_lock(pid_b)
            env_a.cr.commit()
            thread.join(timeout=TIMEOUT)
            self.assertFalse(thread.is_alive(), "Bob's transaction still waits")
        finally:
            env_a.cr.close()
            env_b.cr.close()
        self.assertNotIn("result", outcome, "the stale change was saved")
        self.assertEqual(
            outcome["refused"],
            "Flow Shared draft (v1) was changed by Alice Admin after the designer drew it: "
            "your change was not saved. Reload the designer to see their change, then make "
            "yours again.",
        )
        self.assertEqual(len(tries), 2, "Bob's first try waited and conflicted, the retry refused")
        with self.registry.cursor() as cr:
            step = api.Environment(cr, SUPERUSER_ID, {})["crossdept.flow.step"].browse(self.step)
            self.assertEqual(step.name, "Alice's name")

    def _wait_for_lock(self, pid):
        """Until the backend ``pid`` is seen waiting for a lock."""
        deadline = time.monotonic() + TIMEOUT
        with self.registry.cursor() as cr:
            while time.monotonic() < deadline:
                cr.execute(
                    SQL(
                        "SELECT 1 FROM pg_stat_activity"
                        " WHERE pid = %s AND wait_event_type = 'Lock'",
                        pid,
                    )
                )
                if cr.fetchone():
                    return
                cr.rollback()
                time.sleep(0.05)
        self.fail("Bob's transaction never waited for Alice's lock")
