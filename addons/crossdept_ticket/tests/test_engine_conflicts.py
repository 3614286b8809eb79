from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from .common_concurrency import STEP, ConcurrencyCase

RUNNING = "is not waiting for a decision \\(approval: %s\\)"


def approve(step_id):
    return lambda env: env[STEP].browse(step_id).action_approve()


def refuse(step_id, reason="Too expensive"):
    return lambda env: env[STEP].browse(step_id).action_reject(reason)


def finish(step_id):
    return lambda env: env[STEP].browse(step_id).action_finish()


def reassign(step_id, user_id, reason="Back from leave"):
    return lambda env: (
        env[STEP].browse(step_id).action_reassign(env["res.users"].browse(user_id), reason)
    )


def cancel(ticket_id):
    return lambda env: env["crossdept.ticket"].browse(ticket_id).action_cancel()


def escalation_cron(env):
    # only the step of the test is due: the other open steps of the database are
    # due later (see _commit_escalation)
    return env[STEP]._cron_escalate(batch_size=1)


@tagged("post_install", "-at_install")
class TestEngineConflicts(ConcurrencyCase):
    """Two or more people (or a person and a cron) deciding the same thing on one
    ticket: the first keeps its row locks until the others are seen waiting for them
    (so the conflict happens in every run), then commits; the others go on after it
    and see its work."""

    def _commit_escalation(self, ids, step_name):
        """Commit an escalation rule for the flow and make the step's warning due:
        long ago, so that a cron batch of one takes this step and no other step of
        the database."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crossdept.escalation.rule"].create(
                {"name": "Concurrency", "flow_id": ids["flow"], "warn_percent": 80}
            )
            step = env[STEP].browse(ids["steps"][step_name])
            step._engine().write({"date_escalation_due": "2000-01-01 00:00:00"})
            self.assertLess(step.date_escalation_due, step.date_deadline)
            earlier = env[STEP].search_count(
                [("date_escalation_due", "<", step.date_escalation_due)]
            )
            self.assertFalse(earlier, "the cron batch of one takes the step of the test")

    def _assert_waited(self, waits, count=1, outcomes=None):
        """Each of the ``count`` calls after the first waited for a lock of the first
        or of another waiting call (somebody for the first), on the ticket's lock,
        taken before anything is decided."""
        self.assertEqual(sorted(waits), list(range(1, count + 1)), (waits, outcomes))
        for index, (blockers, query) in waits.items():
            self.assertTrue(blockers, waits)
            self.assertLessEqual(set(blockers), set(range(count + 1)) - {index}, waits)
            self.assertRegex(query, r"^UPDATE crossdept_ticket SET .* FOR NO KEY UPDATE\)$")
        self.assertIn(0, {b for blockers, _query in waits.values() for b in blockers}, waits)

    # ------------------------------------------------------------------
    # Approve against refuse
    # ------------------------------------------------------------------

    def test_a_refusal_after_an_any_approval_is_refused_with_the_outcome(self):
        ids = self._commit_setup(
            [
                ("Vote", "approval", [], [0, 1], {"approval_policy": "any"}),
                ("Then", "task", ["Vote"], [0], {}),
            ],
            holders=2,
        )
        users, vote = ids["users"], ids["steps"]["Vote"]
        outcomes, tries, waits = self._first_holds_the_lock(
            ids, [(users[0], approve(vote), True), (users[1], refuse(vote), True)]
        )
        self._assert_waited(waits, outcomes=outcomes)
        self.assertEqual(tries, [1, 2], "the refusal failed once on the approval's commit")
        self.assertIs(outcomes[0], True)
        self.assertRegex(outcomes[1], RUNNING % "Approved")
        ticket = self._read(ids)
        step = ticket.step_ids.filtered(lambda s: s.name == "Vote")
        self.assertEqual((step.state, step.approval_state), ("done", "approved"))
        self.assertEqual(step.decision_ids.mapped("decision"), ["approve"])
        self.assertEqual(
            self._new_events(ids, ticket),
            [
                ("step_start", "Vote", 0, "in_progress"),
                ("step_approve", "Vote", 0, "in_progress"),
                ("step_done", "Vote", 0, "done"),
                ("step_ready", "Then", 0, "ready"),
            ],
        )

    def test_a_refusal_after_an_all_approval_applies_the_policy(self):
        ids = self._commit_setup(
            [
                ("Vote", "approval", [], [0, 1], {"approval_policy": "all"}),
                ("Then", "task", ["Vote"], [0], {}),
            ],
            holders=2,
        )
        users, vote = ids["users"], ids["steps"]["Vote"]
        outcomes, tries, waits = self._first_holds_the_lock(
            ids, [(users[0], approve(vote), True), (users[1], refuse(vote), True)]
        )
        self._assert_waited(waits, outcomes=outcomes)
        self.assertEqual(tries, [1, 2], "the refusal failed once on the approval's commit")
        self.assertEqual(outcomes, [True, True])
        ticket = self._read(ids)
        self.assertEqual(ticket.state, "cancelled")
        step = ticket.step_ids.filtered(lambda s: s.name == "Vote")
        self.assertEqual((step.state, step.approval_state), ("rejected", "rejected"))
        self.assertEqual(
            sorted(step.decision_ids.mapped("decision")), ["approve", "reject"], "both count"
        )
        self.assertEqual(
            self._new_events(ids, ticket),
            [
                ("step_start", "Vote", 0, "in_progress"),
                ("step_approve", "Vote", 0, "in_progress"),
                ("step_reject", "Vote", 1, "in_progress"),
                ("state", "Vote", 1, "cancelled"),
                ("step_cancel", "Then", 1, "cancelled"),
            ],
        )

    def test_an_approval_after_a_refusal_is_refused_with_the_outcome(self):
        ids = self._commit_setup(
            [
                ("Vote", "approval", [], [0, 1], {"approval_policy": "all"}),
                ("Then", "task", ["Vote"], [0], {}),
            ],
            holders=2,
        )
        users, vote = ids["users"], ids["steps"]["Vote"]
        outcomes, tries, waits = self._first_holds_the_lock(
            ids, [(users[0], refuse(vote), True), (users[1], approve(vote), True)]
        )
        self._assert_waited(waits, outcomes=outcomes)
        self.assertEqual(tries, [1, 2], "the approval failed once on the refusal's commit")
        self.assertIs(outcomes[0], True)
        self.assertRegex(outcomes[1], RUNNING % "Refused")
        ticket = self._read(ids)
        self.assertEqual(ticket.state, "cancelled")
        step = ticket.step_ids.filtered(lambda s: s.name == "Vote")
        self.assertEqual((step.state, step.approval_state), ("rejected", "rejected"))
        self.assertEqual(step.decision_ids.mapped("decision"), ["reject"])
        self.assertEqual(
            self._new_events(ids, ticket),
            [
                ("step_start", "Vote", 0, "in_progress"),
                ("step_reject", "Vote", 0, "in_progress"),
                ("state", "Vote", 0, "cancelled"),
                ("step_cancel", "Then", 0, "cancelled"),
            ],
        )

    # ------------------------------------------------------------------
    # Count and percentage policies, several approvers at once
    # ------------------------------------------------------------------

    def _assert_decided_once(self, outcomes, tries, waits, losing):
        """The first call and all but one of the waiting ones were applied; the
        remaining one was told that the step was decided; return the applied
        waiting calls' indexes."""
        self._assert_waited(waits, count=len(outcomes) - 1, outcomes=outcomes)
        self.assertEqual(tries[0], 1)
        for index in range(1, len(tries)):
            self.assertGreaterEqual(tries[index], 2, f"call {index} failed on a commit first")
        self.assertIs(outcomes[0], True)
        applied = [index for index in range(1, len(outcomes)) if outcomes[index] is True]
        refused = [index for index in range(1, len(outcomes)) if outcomes[index] is not True]
        self.assertEqual(len(refused), 1, outcomes)
        self.assertRegex(outcomes[refused[0]], RUNNING % losing)
        return applied

    def test_at_least_two_of_three_approving_at_once_decide_once(self):
        ids = self._commit_setup(
            [
                (
                    "Vote",
                    "approval",
                    [],
                    [0, 1, 2],
                    {"approval_policy": "count", "approval_min_count": 2},
                ),
                ("Then", "task", ["Vote"], [0], {}),
            ]
        )
        users, vote = ids["users"], ids["steps"]["Vote"]
        outcomes, tries, waits = self._first_holds_the_lock(
            ids, [(uid, approve(vote), True) for uid in users]
        )
        [second] = self._assert_decided_once(outcomes, tries, waits, "Approved")
        ticket = self._read(ids)
        step = ticket.step_ids.filtered(lambda s: s.name == "Vote")
        self.assertEqual((step.state, step.approval_state), ("done", "approved"))
        self.assertEqual(sorted(step.decision_ids.user_id.ids), sorted([users[0], users[second]]))
        self.assertEqual(
            self._new_events(ids, ticket),
            [
                ("step_start", "Vote", 0, "in_progress"),
                ("step_approve", "Vote", 0, "in_progress"),
                ("step_approve", "Vote", second, "in_progress"),
                ("step_done", "Vote", second, "done"),
                ("step_ready", "Then", second, "ready"),
            ],
        )

    def test_half_of_four_approving_at_once_after_a_refusal_decide_once(self):
        ids = self._commit_setup(
            [
                (
                    "Vote",
                    "approval",
                    [],
                    [0, 1, 2, 3],
                    {"approval_policy": "percent", "approval_min_percent": 50},
                ),
                ("Then", "task", ["Vote"], [0], {}),
            ],
            holders=4,
        )
        users, vote = ids["users"], ids["steps"]["Vote"]
        outcomes, tries, waits = self._first_holds_the_lock(
            ids,
            [(users[0], refuse(vote), True)] + [(uid, approve(vote), True) for uid in users[1:]],
        )
        applied = self._assert_decided_once(outcomes, tries, waits, "Approved")
        ticket = self._read(ids)
        step = ticket.step_ids.filtered(lambda s: s.name == "Vote")
        self.assertEqual((step.state, step.approval_state), ("done", "approved"))
        events = self._new_events(ids, ticket)
        # the two approvals that count, in the order they were committed
        first, second = (e[2] for e in events if e[0] == "step_approve")
        self.assertEqual(sorted([first, second]), applied)
        self.assertEqual(
            events,
            [
                ("step_start", "Vote", 0, "in_progress"),
                ("step_reject", "Vote", 0, "in_progress"),
                ("step_approve", "Vote", first, "in_progress"),
                ("step_approve", "Vote", second, "in_progress"),
                ("step_done", "Vote", second, "done"),
                ("step_ready", "Then", second, "ready"),
            ],
        )
        self.assertEqual(
            sorted((d.user_id.id, d.decision) for d in step.decision_ids),
            sorted([(users[0], "reject"), (users[first], "approve"), (users[second], "approve")]),
        )

    # ------------------------------------------------------------------
    # Cancel a ticket against finish its step
    # ------------------------------------------------------------------

    def _commit_two_tasks(self):
        """Work then Then, both held by user 0; user 1 requested the ticket (and is
        its Accountable)."""
        return self._commit_setup(
            [("Work", "task", [], [0], {}), ("Then", "task", ["Work"], [0], {})],
            holders=2,
            requester=1,
        )

    def test_a_finish_after_a_cancel_is_refused(self):
        ids = self._commit_two_tasks()
        users, work = ids["users"], ids["steps"]["Work"]
        outcomes, tries, waits = self._first_holds_the_lock(
            ids, [(users[1], cancel(ids["ticket"]), True), (users[0], finish(work), True)]
        )
        self._assert_waited(waits, outcomes=outcomes)
        self.assertEqual(tries, [1, 2], "the finish failed once on the cancel's commit")
        self.assertIs(outcomes[0], True)
        self.assertRegex(
            outcomes[1], "is Cancelled: its steps wait until it is in progress", outcomes
        )
        ticket = self._read(ids)
        self.assertEqual(ticket.state, "cancelled")
        self.assertEqual(ticket.step_ids.mapped("state"), ["cancelled", "cancelled"])
        self.assertEqual(
            self._new_events(ids, ticket),
            [
                ("state", False, 1, "cancelled"),
                ("step_cancel", "Work", 1, "cancelled"),
                ("step_cancel", "Then", 1, "cancelled"),
            ],
        )

    def test_a_cancel_after_a_finish_keeps_the_done_step(self):
        ids = self._commit_two_tasks()
        users, work = ids["users"], ids["steps"]["Work"]
        outcomes, tries, waits = self._first_holds_the_lock(
            ids, [(users[0], finish(work), True), (users[1], cancel(ids["ticket"]), True)]
        )
        self._assert_waited(waits, outcomes=outcomes)
        self.assertEqual(tries, [1, 2], "the cancel failed once on the finish's commit")
        self.assertEqual(outcomes, [True, True])
        ticket = self._read(ids)
        self.assertEqual(ticket.state, "cancelled")
        self.assertEqual(ticket.step_ids.mapped("state"), ["done", "cancelled"])
        self.assertEqual(
            self._new_events(ids, ticket),
            [
                ("step_start", "Work", 0, "in_progress"),
                ("step_done", "Work", 0, "done"),
                ("step_ready", "Then", 0, "ready"),
                ("state", False, 1, "cancelled"),
                ("step_cancel", "Then", 1, "cancelled"),
            ],
        )

    # ------------------------------------------------------------------
    # The escalation cron against a finish and a reassignment
    # ------------------------------------------------------------------

    def test_the_cron_does_not_escalate_a_step_finished_meanwhile(self):
        ids = self._commit_two_tasks()
        self._commit_escalation(ids, "Work")
        users, work = ids["users"], ids["steps"]["Work"]
        outcomes, tries, waits = self._first_holds_the_lock(
            ids, [(users[0], finish(work), True), (SUPERUSER_ID, escalation_cron, False)]
        )
        self._assert_waited(waits, outcomes=outcomes)
        self.assertEqual(tries, [1, 1], outcomes)
        self.assertIs(outcomes[0], True)
        # the job failed and was rolled back; at its next call the step is not due
        self.assertIsInstance(outcomes[1], SerializationFailure)
        ticket = self._read(ids)
        step = ticket.step_ids.filtered(lambda s: s.name == "Work")
        self.assertEqual((step.state, step.escalation_level), ("done", "0"))
        self.assertFalse(step.date_escalation_due)
        self.assertEqual(
            self._new_events(ids, ticket),
            [
                ("step_start", "Work", 0, "in_progress"),
                ("step_done", "Work", 0, "done"),
                ("step_ready", "Then", 0, "ready"),
            ],
        )

    def test_a_finish_after_the_cron_keeps_its_one_escalation(self):
        ids = self._commit_two_tasks()
        self._commit_escalation(ids, "Work")
        users, work = ids["users"], ids["steps"]["Work"]
        outcomes, tries, waits = self._first_holds_the_lock(
            ids, [(SUPERUSER_ID, escalation_cron, False), (users[0], finish(work), True)]
        )
        self._assert_waited(waits, outcomes=outcomes)
        self.assertEqual(tries, [1, 2], "the finish failed once on the cron's commit")
        self.assertEqual(outcomes, [1, True])
        ticket = self._read(ids)
        step = ticket.step_ids.filtered(lambda s: s.name == "Work")
        self.assertEqual((step.state, step.escalation_level), ("done", "1"))
        self.assertFalse(step.date_escalation_due)
        self.assertEqual(
            self._new_events(ids, ticket),
            [
                ("escalation", "Work", "__system__", "1"),
                ("step_start", "Work", 0, "in_progress"),
                ("step_done", "Work", 0, "done"),
                ("step_ready", "Then", 0, "ready"),
            ],
        )

    def test_the_cron_after_a_reassignment_fails_and_keeps_it(self):
        ids = self._commit_setup([("Work", "task", [], [0], {})], holders=3, requester=1)
        self._commit_escalation(ids, "Work")
        users, work = ids["users"], ids["steps"]["Work"]
        outcomes, tries, waits = self._first_holds_the_lock(
            ids,
            [(users[1], reassign(work, users[2]), True), (SUPERUSER_ID, escalation_cron, False)],
        )
        self._assert_waited(waits, outcomes=outcomes)
        self.assertEqual(tries, [1, 1])
        self.assertIs(outcomes[0], True)
        self.assertIsInstance(outcomes[1], SerializationFailure)
        ticket = self._read(ids)
        step = ticket.step_ids
        self.assertEqual((step.user_id.id, step.escalation_level), (users[2], "0"))
        self.assertEqual(self._new_events(ids, ticket), [("transfer", "Work", 1, False)])

    def test_a_reassignment_after_the_cron_is_kept_with_one_escalation(self):
        ids = self._commit_setup([("Work", "task", [], [0], {})], holders=3, requester=1)
        self._commit_escalation(ids, "Work")
        users, work = ids["users"], ids["steps"]["Work"]
        outcomes, tries, waits = self._first_holds_the_lock(
            ids,
            [(SUPERUSER_ID, escalation_cron, False), (users[1], reassign(work, users[2]), True)],
        )
        self._assert_waited(waits, outcomes=outcomes)
        self.assertEqual(tries, [1, 2], "the reassignment failed once on the cron's commit")
        self.assertEqual(outcomes, [1, True])
        ticket = self._read(ids)
        step = ticket.step_ids
        self.assertEqual((step.user_id.id, step.escalation_level), (users[2], "1"))
        self.assertEqual(
            self._new_events(ids, ticket),
            [("escalation", "Work", "__system__", "1"), ("transfer", "Work", 1, False)],
        )
