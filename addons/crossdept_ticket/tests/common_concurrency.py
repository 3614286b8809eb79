import random
import threading
import time
import uuid

from psycopg2 import OperationalError

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.service.model import MAX_TRIES_ON_CONCURRENCY_FAILURE, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tests import TransactionCase, new_test_user
from odoo.tools import SQL

from .common import USER, delete_committed_ticket_type

STEP = "crossdept.ticket.step"
# how long a transaction waits for the others (a loaded 2-core machine is slow)
TIMEOUT = 120


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


def once(func, env):
    """A single try, as Odoo's cron runner does (``ir.cron._callback``): a job that
    fails is rolled back and runs again at its next call."""
    try:
        result = func()
        env.cr.flush()
    except Exception:
        env.cr.rollback()
        raise
    env.cr.commit()
    return result


class ConcurrencyCase(TransactionCase):
    """People acting on one ticket at the same moment, each in their own real
    transaction (threads with their own cursors, started together by a barrier and
    retried on serialization failures the way Odoo's RPC and HTTP layers retry).

    The data must be committed for the other transactions to see it, so these
    tests work on their own cursors and remove what they committed at the end."""

    def _commit_setup(self, step_specs, holders=3, requester=None):
        """Commit users, a flow of ``step_specs`` (name, kind, preds, holders' indexes,
        extra values) and a started ticket (requested by the user of index
        ``requester``, who is then its Accountable); return their ids."""
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
            vals = {"title": "Concurrency", "type_id": ticket_type.id}
            if requester is not None:
                vals["requester_id"] = users[requester].id
            ticket = env["crossdept.ticket"].create(vals)
            ticket.action_start_flow()
            env.flush_all()
            cr.execute(
                SQL("SELECT MAX(id) FROM crossdept_ticket_event WHERE ticket_id = %s", ticket.id)
            )
            # fetched at once: reading the steps below may query on the same cursor
            last_event = cr.fetchone()[0]
            ids = {
                "users": [u.id for u in users],
                "steps": {step.name: step.id for step in ticket.step_ids},
                "ticket": ticket.id,
                "flow": flow.id,
                "type": ticket_type.id,
                "last_event": last_event,
            }
        self.addCleanup(self._cleanup, ids)
        return ids

    def _cleanup(self, ids):
        with self.registry.cursor() as cr:
            cr.execute(SQL("DELETE FROM crossdept_ticket WHERE id = %s", ids["ticket"]))
            cr.execute(SQL("DELETE FROM crossdept_flow WHERE id = %s", ids["flow"]))
            delete_committed_ticket_type(cr, ids["type"])
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
            thread.join(timeout=TIMEOUT)
        stuck = [thread.name for thread in threads if thread.is_alive()]
        self.assertFalse(stuck, "transactions still waiting after two minutes")
        return outcomes

    def _first_holds_the_lock(self, ids, calls):
        """Run ``calls`` [(uid, action, retried)], ``action(env)`` doing one person's
        move, in parallel transactions that all read the ticket first. The first call
        acts and keeps its transaction open until each of the others is seen, from a
        third connection, waiting for a lock (pg_stat_activity, pg_blocking_pids);
        then it commits and the others go on. A call is retried on a serialization
        failure as Odoo's RPC and HTTP layers do, or not (``retried`` False: a cron
        job, which its runner runs again at its next call).

        Return the outcomes (the action's result, the message of the UserError that
        refused it, or the database error of a call not retried), each call's number
        of tries, and {index of a waiting call: (indexes of the calls it waited for,
        the statement that waited)}."""
        barrier = threading.Barrier(len(calls))
        holding, release = threading.Event(), threading.Event()
        outcomes = [None] * len(calls)
        tries = [0] * len(calls)
        # the environments are made here: while the tests run, the main thread holds
        # the registry's lock, which a new environment in a thread would wait for
        envs = [api.Environment(self.registry.cursor(), uid, {}) for uid, _action, _r in calls]
        pids = [env.cr._cnx.get_backend_pid() for env in envs]

        def run(index, env, action, retried):
            def attempt():
                tries[index] += 1
                # the snapshot of the ticket is taken here, before anybody writes
                env["crossdept.ticket"].browse(ids["ticket"]).step_ids.mapped("state")
                if tries[index] == 1:
                    barrier.wait(timeout=TIMEOUT)
                    if index:
                        holding.wait(timeout=TIMEOUT)
                result = action(env)
                if index == 0:
                    env.cr.flush()  # every row it writes is locked now
                    holding.set()
                    release.wait(timeout=TIMEOUT)
                return result

            try:
                outcomes[index] = (retrying if retried else once)(attempt, env)
            except UserError as error:
                outcomes[index] = str(error)
            except OperationalError as error:
                outcomes[index] = error
            except Exception as error:  # shown by the assertions of the test
                outcomes[index] = error
            finally:
                holding.set()  # the others never wait for a move that failed
                env.cr.close()

        threads = [
            threading.Thread(target=run, args=(index, env, action, retried), daemon=True)
            for index, (env, (_uid, action, retried)) in enumerate(zip(envs, calls, strict=True))
        ]
        for thread in threads:
            thread.start()
        try:
            holding.wait(timeout=TIMEOUT)
            waits = self._wait_for_lock_waits(pids)
        finally:
            release.set()
        for thread in threads:
            thread.join(timeout=TIMEOUT)
        stuck = [thread.name for thread in threads if thread.is_alive()]
        self.assertFalse(stuck, "transactions still waiting after two minutes")
        return outcomes, tries, waits

    def _wait_for_lock_waits(self, pids):
        """{index: (indexes of the transactions it waits for, its waiting statement)}
        once every transaction but the first waits for a lock (or after the timeout),
        read from a third connection."""
        index_of = {pid: index for index, pid in enumerate(pids)}
        deadline = time.monotonic() + TIMEOUT
        with self.registry.cursor() as cr:
            while True:
                cr.execute(
                    SQL(
                        "SELECT pid, pg_blocking_pids(pid), query FROM pg_stat_activity "
                        "WHERE pid IN %s AND wait_event_type = 'Lock'",
                        tuple(pids[1:]),
                    )
                )
                waits = {
                    index_of[pid]: (
                        sorted({index_of.get(other, other) for other in blockers}),
                        query,
                    )
                    for pid, blockers, query in cr.fetchall()
                }
                # pg_stat_activity is read once per transaction: a new one each time
                cr.rollback()
                if len(waits) == len(pids) - 1 or time.monotonic() > deadline:
                    return waits
                time.sleep(0.05)

    def _read(self, ids):
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        return api.Environment(cr, SUPERUSER_ID, {})["crossdept.ticket"].browse(ids["ticket"])

    def _new_events(self, ids, ticket):
        """The ticket's events since its setup, oldest first, as (type, step name,
        actor's index in the users or the login, state after)."""
        users = ticket.env["res.users"].browse(ids["users"])
        events = ticket.event_ids.filtered(lambda e: e.id > ids["last_event"]).sorted("id")
        return [
            (
                event.event_type,
                event.step_id.name or False,
                ids["users"].index(event.actor_id.id)
                if event.actor_id in users
                else event.actor_id.login,
                event.to_state or False,
            )
            for event in events
        ]
