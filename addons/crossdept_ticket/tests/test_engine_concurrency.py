import random
import threading
import time
import uuid

from psycopg2 import OperationalError

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.service.model import MAX_TRIES_ON_CONCURRENCY_FAILURE, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from .common import USER

STEP = "crossdept.ticket.step"


def retrying(func, env):
    """Odoo's own retry of a request on a serialization failure (``retrying`` in
    odoo/service/model.py), without its registry reset: while the tests run, the main
    thread holds the registry's lock, which that reset would wait for."""
    for tryno in range(1, MAX_TRIES_ON_CONCURRENCY_FAILURE + 1):
        try:
            result = func()
            env.cr.flush()
            break
        except OperationalError as error:
            env.cr.rollback()
            if not isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                raise
            if tryno == MAX_TRIES_ON_CONCURRENCY_FAILURE:
                raise
            time.sleep(random.uniform(0.0, 0.1 * 2**tryno))
        except Exception:
            env.cr.rollback()
            raise
    env.cr.commit()
    return result


@tagged("post_install", "-at_install")
class TestEngineConcurrency(TransactionCase):
    """People acting on one ticket at the same moment, each in their own real
    transaction (threads with their own cursors, started together by a barrier and
    retried on serialization failures the way Odoo's RPC and HTTP layers retry).

    The data must be committed for the other transactions to see it, so these
    tests work on their own cursors and remove what they committed at the end."""

    def _commit_setup(self, step_specs, holders=3):
        """Commit users, a flow of ``step_specs`` (name, kind, preds, holders' indexes,
        extra values) and a started ticket; return their ids."""
        suffix = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # inbox notifications: an e-mail is sent after commit through a new registry
            # cursor, which a thread waits for while the test runner holds the registry
            users = [
                new_test_user(env, f"conc_{i}_{suffix}", groups=USER, notification_type="inbox")
                for i in range(holders)
            ]
            ticket_type = env["crossdept.ticket.type"].create({"name": f"Concurrency {suffix}"})
            flow = env["crossdept.flow"].create(
                {
                    "name": "Concurrency",
                    "code": f"CONC{suffix}",
                    "type_ids": [Command.set(ticket_type.ids)],
                }
            )
            steps = {}
            for sequence, (name, kind, preds, who, extra) in enumerate(step_specs):
                steps[name] = env["crossdept.flow.step"].create(
                    {
                        "flow_id": flow.id,
                        "name": name,
                        "sequence": sequence,
                        "kind": kind,
                        "assignment": "raci",
                        "sla_hours": 8,
                        "predecessor_ids": [Command.set([steps[p].id for p in preds])],
                        "raci_ids": [
                            Command.create(
                                {
                                    "role": "responsible",
                                    "holder_type": "user",
                                    "user_id": users[i].id,
                                }
                            )
                            for i in who
                        ],
                        **extra,
                    }
                )
            flow.action_activate()
            ticket = env["crossdept.ticket"].create(
                {"title": "Concurrency", "type_id": ticket_type.id}
            )
            ticket.action_start_flow()
            ids = {
                "users": [u.id for u in users],
                "steps": {step.name: step.id for step in ticket.step_ids},
                "ticket": ticket.id,
                "flow": flow.id,
                "type": ticket_type.id,
            }
        self.addCleanup(self._cleanup, ids)
        return ids

    def _cleanup(self, ids):
        with self.registry.cursor() as cr:
            cr.execute(SQL("DELETE FROM crossdept_ticket WHERE id = %s", ids["ticket"]))
            cr.execute(SQL("DELETE FROM crossdept_flow WHERE id = %s", ids["flow"]))
            cr.execute(SQL("DELETE FROM crossdept_ticket_type WHERE id = %s", ids["type"]))
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.users"].browse(ids["users"]).write({"active": False})

    def _act(self, uid, step_id, method, *args):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, uid, {})
            getattr(env[STEP].browse(step_id), method)(*args)

    def _at_once(self, calls):
        """Run [(uid, step id, method, args)] in parallel transactions that all read
        the ticket before any of them writes; return each call's outcome: True, or
        the message of the UserError that refused it."""
        barrier = threading.Barrier(len(calls))
        outcomes = [None] * len(calls)
        # the environments are made here: while the tests run, the main thread holds
        # the registry's lock, which a new environment in a thread would wait for
        envs = [api.Environment(self.registry.cursor(), uid, {}) for uid, *_rest in calls]

        def run(index, env, step_id, method, args):
            first = [True]

            def attempt():
                step = env[STEP].browse(step_id)
                step.ticket_id.step_ids.mapped("state")  # the snapshot is taken here
                if first[0]:
                    first[0] = False
                    barrier.wait(timeout=30)
                return getattr(step, method)(*args)

            try:
                outcomes[index] = retrying(attempt, env)
            except UserError as error:
                outcomes[index] = str(error)
            finally:
                env.cr.close()

        threads = [
            threading.Thread(target=run, args=(index, env, step_id, method, args), daemon=True)
            for index, (env, (_uid, step_id, method, args)) in enumerate(
                zip(envs, calls, strict=True)
            )
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        stuck = [thread.name for thread in threads if thread.is_alive()]
        self.assertFalse(stuck, "transactions still waiting after two minutes")
        return outcomes

    def _read(self, ids):
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        return api.Environment(cr, SUPERUSER_ID, {})["crossdept.ticket"].browse(ids["ticket"])

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
