import uuid

from odoo import SUPERUSER_ID, Command, api
from odoo.service.model import retrying
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from .common import USER, delete_committed_ticket_type


@tagged("post_install", "-at_install")
class TestFlowConcurrency(TransactionCase):
    """Two approvers decide on the same step from two transactions at once.

    The data must be committed for the other transactions to see it, so this test
    works on its own cursors and removes what it committed at the end."""

    def _setup_committed(self):
        suffix = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            approvers = [
                new_test_user(env, f"concurrent_{i}_{suffix}", groups=USER) for i in (1, 2, 3)
            ]
            ticket_type = env["crossdept.ticket.type"].create({"name": f"Concurrency {suffix}"})
            flow = env["crossdept.flow"].create(
                {
                    "name": "Concurrent approval",
                    "code": f"CONC{suffix}",
                    "type_ids": [Command.set(ticket_type.ids)],
                    "step_ids": [
                        Command.create(
                            {
                                "name": "Vote",
                                "kind": "approval",
                                "approval_policy": "all",
                                "sla_hours": 4,
                                "raci_ids": [
                                    Command.create(
                                        {
                                            "role": "responsible",
                                            "holder_type": "user",
                                            "user_id": u.id,
                                        }
                                    )
                                    for u in approvers
                                ],
                            }
                        )
                    ],
                }
            )
            flow.action_activate()
            ticket = env["crossdept.ticket"].create(
                {"title": "Concurrent approval", "type_id": ticket_type.id}
            )
            ticket.action_start_flow()
            ids = {
                "users": [u.id for u in approvers],
                "step": ticket.step_ids.id,
                "ticket": ticket.id,
                "flow": flow.id,
                "type": ticket_type.id,
            }
        return ids

    def _cleanup(self, ids):
        with self.registry.cursor() as cr:
            cr.execute(SQL("DELETE FROM crossdept_ticket WHERE id = %s", ids["ticket"]))
            cr.execute(SQL("DELETE FROM crossdept_flow WHERE id = %s", ids["flow"]))
            delete_committed_ticket_type(cr, ids["type"])
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.users"].browse(ids["users"]).write({"active": False})

    def test_two_approvers_at_the_same_time(self):
        """Approver 1 has approved. Approvers 2 and 3 then decide in overlapping
        transactions: 3's transaction reads the step before 2 commits. Under the
        "all" policy the last decision must see the other two and close the step."""
        ids = self._setup_committed()
        self.addCleanup(self._cleanup, ids)
        first, second, third = ids["users"]
        Step = "crossdept.ticket.step"
        with self.registry.cursor() as cr:
            api.Environment(cr, first, {})[Step].browse(ids["step"]).action_approve()
        env_2 = api.Environment(self.registry.cursor(), second, {})
        env_3 = api.Environment(self.registry.cursor(), third, {})
        try:
            step_2 = env_2[Step].browse(ids["step"])
            step_3 = env_3[Step].browse(ids["step"])
            step_2.action_approve()  # holds the step's row lock, not committed yet
            self.assertEqual(step_3.state, "in_progress")  # 3's snapshot predates 2's commit
            env_2.cr.commit()
            attempts = []

            def approve_3():
                attempts.append(len(attempts) + 1)
                step_3.action_approve()

            # as Odoo's RPC and HTTP layers do, retry on a serialization failure
            retrying(approve_3, env_3)
            self.assertEqual(attempts, [1, 2], "the first attempt conflicted with approver 2")
            env_3.cr.commit()
        finally:
            env_2.cr.close()
            env_3.cr.close()
        with self.registry.cursor() as cr:
            step = api.Environment(cr, SUPERUSER_ID, {})[Step].browse(ids["step"])
            self.assertEqual(len(step.decision_ids), 3)
            self.assertEqual(step.state, "done", "the last decision saw the other two")
            self.assertEqual(step.ticket_id.state, "done")
            done_events = step.ticket_id.event_ids.filtered(lambda e: e.event_type == "step_done")
            self.assertEqual(len(done_events), 1)
