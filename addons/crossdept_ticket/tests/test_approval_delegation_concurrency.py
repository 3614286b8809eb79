import threading
import uuid

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from .common import USER
from .common_concurrency import TIMEOUT, retrying


@tagged("post_install", "-at_install")
class TestApprovalDelegationConcurrency(TransactionCase):
    """Two people delegating to each other at the same moment, each in their own
    real transaction (retried on serialization failures as Odoo's RPC does): one
    delegation is saved, the other is refused as a chain."""

    # the second transaction's serialization failure is expected (and retried)
    @mute_logger("odoo.sql_db")
    def test_crossed_delegations_at_once(self):
        suffix = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            users = [
                new_test_user(env, f"deleg_{i}_{suffix}", groups=USER, notification_type="inbox")
                for i in range(2)
            ]
            uids = [user.id for user in users]
        self.addCleanup(self._cleanup, uids)
        now = fields.Datetime.now()
        barrier = threading.Barrier(2)
        outcomes = [None, None]
        envs = [api.Environment(self.registry.cursor(), uid, {}) for uid in uids]

        def run(index, env, delegate_id):
            first = [True]

            def attempt():
                # the snapshot is taken here, before either delegation exists
                env["crossdept.approval.delegation"].search_count([])
                if first[0]:
                    first[0] = False
                    barrier.wait(timeout=30)
                return (
                    env["crossdept.approval.delegation"]
                    .create({"delegate_id": delegate_id, "date_from": now, "date_to": "2099-01-01"})
                    .id
                )

            try:
                outcomes[index] = retrying(attempt, env)
            except UserError as error:
                outcomes[index] = str(error)
            finally:
                env.cr.close()

        threads = [
            threading.Thread(target=run, args=(0, envs[0], uids[1]), daemon=True),
            threading.Thread(target=run, args=(1, envs[1], uids[0]), daemon=True),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=TIMEOUT)
        self.assertFalse([t for t in threads if t.is_alive()], "transactions still waiting")
        saved = [outcome for outcome in outcomes if isinstance(outcome, int)]
        refused = [outcome for outcome in outcomes if isinstance(outcome, str)]
        self.assertEqual(len(saved), 1, outcomes)
        self.assertEqual(len(refused), 1, outcomes)
        self.assertIn("approvals are never passed on again (no chains)", refused[0])

    def _cleanup(self, uids):
        with self.registry.cursor() as cr:
            cr.execute(
                SQL("DELETE FROM crossdept_approval_delegation WHERE user_id IN %s", tuple(uids))
            )
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.users"].browse(uids).write({"active": False})
