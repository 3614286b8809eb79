import threading
import time

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

# how long a transaction waits for the other (a loaded 2-core machine is slow)
TIMEOUT = 120
NONCE = "concurrent-nonce-0001"


@tagged("post_install", "-at_install")
class TestChatNonceConcurrency(TransactionCase):
    """Two callbacks with one nonce at the same moment, each in its own real
    transaction: the second waits for the first on the unique index and, once the
    first commits, is told it is a replay. The channel is committed for both to see
    it, and removed at the end."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.channel_id = (
                env["crossdept.chat.channel"]
                .create(
                    {
                        "name": "Nonce concurrency (test)",
                        "platform": "webhook",
                        "url": "http://127.0.0.1:9/in",
                        "active": False,
                    }
                )
                .id
            )
        self.addCleanup(self._drop_channel)

    def _drop_channel(self):
        with self.registry.cursor() as cr:
            # the nonces go with their channel (ON DELETE CASCADE)
            cr.execute(SQL("DELETE FROM crossdept_chat_channel WHERE id = %s", self.channel_id))

    def _claim(self, env):
        channel = env["crossdept.chat.channel"].browse(self.channel_id)
        return env["crossdept.chat.nonce"]._claim(channel, NONCE)

    def test_one_nonce_claimed_twice_at_once(self):
        results, claimed = {}, threading.Event()
        # cursors and environments made here: in a thread, a new environment would
        # wait for the registry's lock, which the test runner holds
        envs = [api.Environment(self.registry.cursor(), SUPERUSER_ID, {}) for _i in range(2)]

        def first(env):
            with env.cr:
                results["first"] = self._claim(env)
                claimed.set()
                # the nonce is held, not committed yet, while the second one arrives
                time.sleep(1.0)
                results["first_commit"] = time.monotonic()

        def second(env):
            claimed.wait(TIMEOUT)
            with env.cr:
                results["second"] = self._claim(env)
                results["second_done"] = time.monotonic()

        threads = [
            threading.Thread(target=first, args=(envs[0],)),
            threading.Thread(target=second, args=(envs[1],)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT)
        self.assertIs(results["first"], True)
        self.assertIs(results["second"], False, "the second request is a replay")
        self.assertGreaterEqual(
            results["second_done"], results["first_commit"], "it waited for the first"
        )
        with self.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT count(*) FROM crossdept_chat_nonce WHERE channel_id = %s",
                    self.channel_id,
                )
            )
            self.assertEqual(cr.fetchone()[0], 1)
