from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import USER
from .common_flow import CrossdeptFlowCase

# the test calendar works Mon-Fri 8-12, 13-17 UTC; an 8-hour step ready on Monday
# 8:00 is due at 17:00, warned at 80% of the span (15:12)
READY = "2026-11-23 08:00:00"


class WorkerKilled(Exception):
    """Stands for a cron worker dying in the middle of a batch."""


@tagged("post_install", "-at_install")
class TestEscalation(CrossdeptFlowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crossdept.escalation.rule"].search([]).active = False
        cls.director = cls._make_user("director", USER, cls.dept_finance)
        cls.it_manager.employee_ids.parent_id = cls.director.employee_ids
        cls.rule = cls.env["crossdept.escalation.rule"].create(
            {"name": "Global (test)", "warn_percent": 80, "level2_delay_hours": 4}
        )
        # the cron works on every open step: keep steps that exist already out of it
        cls.env["crossdept.ticket.step"].search([])._engine().date_escalation_due = False
        cls.flow, _steps = cls._make_flow([{"name": "Fix", "department_id": cls.dept_it.id}])

    def _start(self, count=1):
        with freeze_time(READY):
            tickets = self.env["crossdept.ticket"].browse()
            for _index in range(count):
                tickets |= self._make_ticket(flow_id=self.flow.id)
            tickets.action_start_flow()
        return self.env["crossdept.ticket.step"].browse(tickets.step_ids.ids)

    def _run_cron(self, when, batch_size=500):
        with freeze_time(when):
            return self.env["crossdept.ticket.step"]._cron_escalate(batch_size=batch_size)

    def _escalations(self, step):
        return step.ticket_id.event_ids.filtered(
            lambda e: e.event_type == "escalation" and e.step_id == step
        )

    def test_levels_in_order_and_nothing_twice(self):
        step = self._start()
        self.assertEqual(step.date_escalation_due, datetime(2026, 11, 23, 15, 12))
        self.assertEqual(self._run_cron("2026-11-23 15:00:00"), 0)
        self.assertEqual(self._run_cron("2026-11-23 15:30:00"), 1)
        self.assertEqual(step.escalation_level, "1")
        self.assertEqual(self._run_cron("2026-11-23 15:40:00"), 0, "idempotent")
        warned = step.ticket_id.activity_ids.user_id
        self.assertIn(self.it_user, warned)
        self.assertIn(step.accountable_id, warned)
        self.assertEqual(self._run_cron("2026-11-23 17:30:00"), 1)
        self.assertEqual(step.escalation_level, "2")
        self.assertIn(self.it_manager, step.ticket_id.activity_ids.user_id)
        self.assertEqual(self._run_cron("2026-11-23 20:00:00"), 0)
        self.assertEqual(self._run_cron("2026-11-23 21:30:00"), 1)
        self.assertEqual(step.escalation_level, "3")
        self.assertIn(self.director, step.ticket_id.activity_ids.user_id)
        self.assertEqual(self._run_cron("2026-11-30 09:00:00"), 0)
        self.assertEqual(len(self._escalations(step)), 3)
        self.assertFalse(step.date_escalation_due)

    def test_breach_without_warning_goes_to_level_one(self):
        step = self._start()
        self._run_cron("2026-11-23 18:00:00")
        self.assertEqual(step.escalation_level, "2")
        self.assertEqual(len(self._escalations(step)), 1)

    def test_level_one_reassigns_and_raises_priority(self):
        self.rule.write({"level1_reassign": "manager", "level1_raise_priority": True})
        step = self._start()
        self._run_cron("2026-11-23 18:00:00")
        self.assertEqual(step.user_id, self.it_manager)
        self.assertEqual(step.ticket_id.priority, "2")
        transfer = step.ticket_id.event_ids.filtered(lambda e: e.event_type == "transfer")
        self.assertEqual(transfer.to_user_id, self.it_manager)

    def test_flow_and_step_rules_beat_the_global_rule(self):
        flow_rule = self.env["crossdept.escalation.rule"].create(
            {"name": "Flow (test)", "flow_id": self.flow.id, "warn_percent": 50}
        )
        step = self._start()
        self.assertEqual(step.date_escalation_due, datetime(2026, 11, 23, 12, 30))
        self.env["crossdept.escalation.rule"].create(
            {
                "name": "Step (test)",
                "flow_id": self.flow.id,
                "flow_step_id": self.flow.step_ids.id,
                "warn_percent": 25,
            }
        )
        self.assertEqual(step.date_escalation_due, datetime(2026, 11, 23, 10, 15))
        self.assertTrue(flow_rule)

    def test_paused_and_finished_steps_do_not_escalate(self):
        step = self._start()
        with freeze_time("2026-11-23 10:00:00"):
            step.ticket_id.action_wait()
        self.assertFalse(step.date_escalation_due)
        self.assertEqual(self._run_cron("2026-11-24 09:00:00"), 0)
        other = self._start()
        with freeze_time("2026-11-23 09:00:00"):
            other.with_user(self.it_user).action_start()
            other.with_user(self.it_user).action_finish()
        self.assertEqual(self._run_cron("2026-11-24 09:00:00"), 0)

    def test_batches_resume_after_a_crash_without_duplicates(self):
        steps = self._start(count=5)
        original = type(steps)._escalation_warn
        calls = []

        def crash_on_third(step):
            calls.append(step.id)
            if len(calls) == 3:
                raise WorkerKilled()
            return original(step)

        type(steps)._escalation_warn = crash_on_third
        try:
            with self.assertRaises(WorkerKilled), self.env.cr.savepoint():
                self._run_cron("2026-11-23 15:30:00", batch_size=5)
        finally:
            type(steps)._escalation_warn = original
        self.env.invalidate_all()
        self.assertEqual(set(steps.mapped("escalation_level")), {"0"}, "the batch rolled back")
        done = [self._run_cron("2026-11-23 15:30:00", batch_size=2) for _run in range(4)]
        self.assertEqual(done, [2, 2, 1, 0])
        for step in steps:
            self.assertEqual(len(self._escalations(step)), 1)

    def _cron_queries(self, count):
        """Queries of one cron run over ``count`` due steps (its bus notifications
        included), and a rerun's actions."""
        steps = self._start(count=count)
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.assertEqual(self._run_cron("2026-11-23 15:30:00", batch_size=count), count)
        self.env.flush_all()
        self.env.cr.precommit.run()
        used = self.env.cr.sql_log_count - before
        self.assertEqual(set(steps.mapped("escalation_level")), {"1"})
        warned = steps.ticket_id.activity_ids.filtered(lambda a: "close to its" in a.summary)
        self.assertEqual(len(warned), 2 * count, "the holder and the Accountable of each")
        self.assertEqual(self._run_cron("2026-11-23 15:30:00", batch_size=count), 0)
        return used

    def test_cron_queries_do_not_grow_with_the_batch(self):
        """A run of 60 steps costs what a run of 20 does: the events, to-dos (and
        their followers) and notes in one INSERT each, what the batch reads in a
        query per table."""
        small = self._cron_queries(20)
        large = self._cron_queries(60)
        self.assertEqual((small, large), (ESCALATION_RUN_QUERIES, ESCALATION_RUN_QUERIES))


# a run, whatever its size: the searches (approval timeouts, due steps and their
# count), the lock of the tickets, the batch's reads (a query per table, the steps'
# names once per language), the rules, the UPDATE of the levels, one INSERT each of
# the events, the to-dos, their followers and the notes, and the bus
ESCALATION_RUN_QUERIES = 28
