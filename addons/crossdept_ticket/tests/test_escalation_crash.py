import uuid

from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from .common import USER, delete_committed_ticket_type
from .common_concurrency import STEP, once

# the steps of the test are due long before anything else of the database: a cron
# run at NOW takes them and nothing else
DUE = "2000-01-01 00:00:00"
NOW = "2000-01-02 00:00:00"
TICKETS = 6


class WorkerKilled(Exception):
    """Stands for a cron worker dying in the middle of a batch."""


@tagged("post_install", "-at_install")
class TestEscalationCrash(TransactionCase):
    """The escalation cron in real transactions, each on its own cursor and
    committed (or rolled back) as Odoo's cron runner does: a run killed after it had
    written part of its work, then the runs after it."""

    def setUp(self):
        super().setUp()
        self.ids = self._commit_setup()

    def _commit_setup(self):
        suffix = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            holder = new_test_user(
                env, f"esc_crash_{suffix}", groups=USER, notification_type="inbox"
            )
            ticket_type = env["crossdept.ticket.type"].create({"name": f"Crash {suffix}"})
            flow = env["crossdept.flow"].create(
                {
                    "name": "Crash",
                    "code": f"CRASH{suffix}",
                    "type_ids": [Command.set(ticket_type.ids)],
                    "step_ids": [
                        Command.create(
                            {
                                "name": "Work",
                                "assignment": "raci",
                                "sla_hours": 8,
                                "raci_ids": [
                                    Command.create(
                                        {
                                            "role": "responsible",
                                            "holder_type": "user",
                                            "user_id": holder.id,
                                        }
                                    )
                                ],
                            }
                        )
                    ],
                }
            )
            flow.action_activate()
            rule = env["crossdept.escalation.rule"].create(
                {"name": "Crash", "flow_id": flow.id, "warn_percent": 80}
            )
            tickets = env["crossdept.ticket"].create(
                [{"title": f"Crash {i}", "type_id": ticket_type.id} for i in range(TICKETS)]
            )
            tickets.action_start_flow()
            steps = tickets.step_ids
            steps._engine().write({"date_escalation_due": DUE})
            env.flush_all()
            ids = {
                "holder": holder.id,
                "type": ticket_type.id,
                "flow": flow.id,
                "rule": rule.id,
                "tickets": tickets.ids,
                "steps": steps.ids,
            }
        self.addCleanup(self._cleanup, ids)
        return ids

    def _cleanup(self, ids):
        with self.registry.cursor() as cr:
            tickets = tuple(ids["tickets"])
            cr.execute(
                SQL(
                    "DELETE FROM mail_activity WHERE res_model = 'crossdept.ticket' "
                    "AND res_id IN %s",
                    tickets,
                )
            )
            cr.execute(
                SQL(
                    "DELETE FROM mail_message WHERE model = 'crossdept.ticket' AND res_id IN %s",
                    tickets,
                )
            )
            cr.execute(
                SQL(
                    "DELETE FROM mail_followers WHERE res_model = 'crossdept.ticket' "
                    "AND res_id IN %s",
                    tickets,
                )
            )
            cr.execute(SQL("DELETE FROM crossdept_ticket WHERE id IN %s", tickets))
            cr.execute(SQL("DELETE FROM crossdept_escalation_rule WHERE id = %s", ids["rule"]))
            cr.execute(SQL("DELETE FROM crossdept_flow WHERE id = %s", ids["flow"]))
            delete_committed_ticket_type(cr, ids["type"])
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.users"].browse(ids["holder"]).write({"active": False})

    def _run_cron(self, batch_size):
        """One run of the cron job in its own transaction, committed, or rolled back
        when it raises (``once``: the cron runner's single try)."""
        with freeze_time(NOW), self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            return once(lambda: env[STEP]._cron_escalate(batch_size=batch_size), env)

    def _committed(self):
        """{step id: (level, escalation events, warning activities)} as committed."""
        with self.registry.cursor() as cr:
            cr.execute(
                SQL(
                    """
                    SELECT s.id, s.escalation_level,
                           (SELECT count(*) FROM crossdept_ticket_event e
                             WHERE e.step_id = s.id AND e.event_type = 'escalation'),
                           (SELECT count(*) FROM mail_activity a
                             WHERE a.res_model = 'crossdept.ticket' AND a.res_id = s.ticket_id
                               AND a.summary LIKE %s)
                      FROM crossdept_ticket_step s WHERE s.id IN %s
                    """,
                    "Step % is close to its deadline%",
                    tuple(self.ids["steps"]),
                )
            )
            return {step_id: tuple(rest) for step_id, *rest in cr.fetchall()}

    def test_a_run_killed_half_way_then_rerun_escalates_each_step_once(self):
        Step = type(self.env[STEP])
        original = Step._post_escalation_notices

        def killed(self_, notices):
            # the levels and the events of the batch are written in its transaction
            self_.env.cr.execute(
                SQL(
                    "SELECT count(*) FROM crossdept_ticket_step WHERE id IN %s "
                    "AND escalation_level = '1'",
                    tuple(self.ids["steps"]),
                )
            )
            self.assertEqual(self_.env.cr.fetchone()[0], 3, "the run wrote its batch")
            raise WorkerKilled()

        Step._post_escalation_notices = killed
        try:
            with self.assertRaises(WorkerKilled):
                self._run_cron(batch_size=3)
        finally:
            Step._post_escalation_notices = original
        self.assertEqual(
            set(self._committed().values()), {("0", 0, 0)}, "the killed run left nothing"
        )
        # the next runs take the batch again, then the rest, then find nothing due
        self.assertEqual(self._run_cron(batch_size=4), 4)
        self.assertEqual(self._run_cron(batch_size=4), 2)
        self.assertEqual(self._run_cron(batch_size=4), 0)
        committed = self._committed()
        self.assertEqual(len(committed), TICKETS)
        # one level, one event, one warning for the holder and one for the Accountable
        self.assertEqual(set(committed.values()), {("1", 1, 2)})
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            steps = env[STEP].browse(self.ids["steps"])
            self.assertEqual(
                {step.date_escalation_due for step in steps},
                set(steps.mapped("date_deadline")),
                "the next escalation of each step is due at its deadline",
            )
