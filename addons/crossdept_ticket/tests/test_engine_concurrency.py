from odoo.tests import tagged

from .common_concurrency import ConcurrencyCase


@tagged("post_install", "-at_install")
class TestEngineConcurrency(ConcurrencyCase):
    """Moves that all read the ticket before any of them writes (see
    ConcurrencyCase)."""

    def test_parallel_branches_finishing_at_once_start_the_join_once(self):
        ids = self._commit_setup(
            [
                ("A", "task", [], [0], {}),
                ("B", "task", ["A"], [1], {}),
                ("C", "task", ["A"], [2], {}),
                ("D", "task", ["B", "C"], [0], {}),
            ]
        )
        users, steps = ids["users"], ids["steps"]
        self._act(users[0], steps["A"], "action_finish")
        outcomes = self._at_once(
            [
                (users[1], steps["B"], "action_finish", ()),
                (users[2], steps["C"], "action_finish", ()),
            ]
        )
        self.assertEqual(outcomes, [True, True])
        ticket = self._read(ids)
        states = {step.name: step.state for step in ticket.step_ids}
        self.assertEqual(states, {"A": "done", "B": "done", "C": "done", "D": "ready"})
        join_ready = ticket.event_ids.filtered(
            lambda e: e.event_type == "step_ready" and e.step_id.name == "D"
        )
        self.assertEqual(len(join_ready), 1, "the join step starts exactly once")

    def test_approvers_deciding_at_once_give_the_policy_outcome_once(self):
        ids = self._commit_setup(
            [
                ("Vote", "approval", [], [0, 1, 2], {"approval_policy": "all"}),
                ("Then", "task", ["Vote"], [0], {}),
            ]
        )
        users, vote = ids["users"], ids["steps"]["Vote"]
        outcomes = self._at_once([(uid, vote, "action_approve", ()) for uid in users])
        self.assertEqual(outcomes, [True, True, True])
        ticket = self._read(ids)
        step = ticket.step_ids.filtered(lambda s: s.name == "Vote")
        self.assertEqual(len(step.decision_ids), 3)
        self.assertEqual(step.state, "done")
        events = ticket.event_ids.filtered(lambda e: e.step_id == step)
        self.assertEqual(len(events.filtered(lambda e: e.event_type == "step_approve")), 3)
        self.assertEqual(len(events.filtered(lambda e: e.event_type == "step_done")), 1)
        then = ticket.event_ids.filtered(
            lambda e: e.event_type == "step_ready" and e.step_id.name == "Then"
        )
        self.assertEqual(len(then), 1)

    def test_any_policy_decided_once_when_everyone_approves_at_once(self):
        ids = self._commit_setup(
            [
                ("Vote", "approval", [], [0, 1, 2], {"approval_policy": "any"}),
                ("Then", "task", ["Vote"], [0], {}),
            ]
        )
        users, vote = ids["users"], ids["steps"]["Vote"]
        outcomes = self._at_once([(uid, vote, "action_approve", ()) for uid in users])
        # one approval decides; the others are told the step no longer waits for them
        self.assertEqual(outcomes.count(True), 1, outcomes)
        for outcome in outcomes:
            if outcome is not True:
                self.assertRegex(outcome, "is not waiting for a decision \\(approval: Approved\\)")
        ticket = self._read(ids)
        vote = ticket.step_ids.filtered(lambda s: s.name == "Vote")
        self.assertEqual(vote.state, "done")
        self.assertEqual(len(vote.decision_ids), 1)
        done = ticket.event_ids.filtered(lambda e: e.event_type == "step_done")
        self.assertEqual(len(done), 1)
        then = ticket.event_ids.filtered(
            lambda e: e.event_type == "step_ready" and e.step_id.name == "Then"
        )
        self.assertEqual(len(then), 1)

    def test_a_double_click_is_idempotent(self):
        ids = self._commit_setup([("Vote", "approval", [], [0, 1], {"approval_policy": "all"})])
        users, vote = ids["users"], ids["steps"]["Vote"]
        outcomes = self._at_once([(users[0], vote, "action_approve", ())] * 2)
        self.assertEqual(outcomes, [True, True])
        ticket = self._read(ids)
        step = ticket.step_ids
        self.assertEqual(len(step.decision_ids), 1)
        self.assertEqual(step.state, "in_progress")
        approvals = ticket.event_ids.filtered(lambda e: e.event_type == "step_approve")
        self.assertEqual(len(approvals), 1)
