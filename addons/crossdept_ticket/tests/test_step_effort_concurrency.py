from odoo import SUPERUSER_ID, api
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common_concurrency import ConcurrencyCase


@tagged("post_install", "-at_install")
class TestStepEffortConcurrency(ConcurrencyCase):
    """One person starts a timer on two steps at the same moment (two tabs), each in
    its own real transaction: one timer runs, the other start is refused."""

    # the second transaction's serialization failure is expected (and refused)
    @mute_logger("odoo.sql_db")
    def test_two_timers_started_at_once(self):
        ids = self._commit_setup(
            [("Prepare", "task", [], [0], {}), ("Review", "task", [], [0], {})]
        )
        uid = ids["users"][0]
        outcomes = self._at_once(
            [
                (uid, ids["steps"]["Prepare"], "action_start_timer", ()),
                (uid, ids["steps"]["Review"], "action_start_timer", ()),
            ]
        )
        self.assertEqual(outcomes.count(True), 1, outcomes)
        [refusal] = [outcome for outcome in outcomes if outcome is not True]
        self.assertRegex(refusal, r"already has a timer running on step .*: stop it first\.")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            cr.execute(
                SQL(
                    "SELECT count(*) FROM crossdept_ticket_step_effort "
                    "WHERE user_id = %s AND timer_start IS NOT NULL",
                    uid,
                )
            )
            self.assertEqual(cr.fetchone()[0], 1)
            self.assertTrue(env["res.users"].browse(uid).exists())
