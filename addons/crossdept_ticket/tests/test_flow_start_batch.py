from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL

from ..models.crossdept_ticket_flow import RACI_COMPUTED, STEP_COMPUTED
from ..tools.batch import shared_defaults
from .common_flow import CrossdeptFlowCase

NOW = "2026-11-23 09:00:00"


@freeze_time(NOW)
@tagged("post_install", "-at_install")
class TestFlowStartBatch(CrossdeptFlowCase):
    """What a flow start of many tickets saves (tools/batch.py) changes nothing of
    what it writes: the stored computed fields it gives are their computes' values,
    the defaults its rows share are Odoo's, and a default computed for each row is
    still computed for each row."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Intake"},
                {"name": "Review A", "preds": ["Intake"]},
                {"name": "Review B", "preds": ["Intake"]},
                {
                    "name": "Approval",
                    "kind": "approval",
                    "preds": ["Review A", "Review B"],
                    "approvers": cls.approver_1 | cls.approver_2,
                },
            ]
        )

    def _start(self, count=3):
        # no Responsible on the tickets: the flow start adds one to each
        tickets = self.env["crossdept.ticket"].browse()
        for index in range(count):
            tickets |= self._make_ticket(
                title=f"Batch {index}", flow_id=self.flow.id, raci_ids=[], priority=str(index)
            )
        tickets.with_user(self.it_user).action_start_flow()
        return tickets

    def _stored(self, records, names):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM %s WHERE id IN %s ORDER BY id",
                SQL(", ").join(SQL.identifier(name) for name in names),
                SQL.identifier(records._table),
                tuple(records.ids),
            )
        )
        return self.env.cr.fetchall()

    def test_given_computed_fields_are_their_computes(self):
        tickets = self._start()
        steps = tickets.step_ids
        lines = tickets.raci_ids.filtered(lambda line: line.role == "responsible")
        self.assertEqual(len(steps), 12)
        self.assertEqual(lines.ticket_id, tickets, "the flow start gave each a Responsible")
        # what the flow start wrote, then what the computes give
        written = self._stored(steps, STEP_COMPUTED), self._stored(lines, RACI_COMPUTED)
        for records, names in ((steps, STEP_COMPUTED), (lines, RACI_COMPUTED)):
            for name in names:
                self.env.add_to_compute(records._fields[name], records)
        computed = self._stored(steps, STEP_COMPUTED), self._stored(lines, RACI_COMPUTED)
        self.assertEqual(written, computed)
        self.assertEqual(
            {(row[2], row[3]) for row in written[0]},
            {(kind, priority) for kind in ("task", "approval") for priority in "012"},
        )
        self.assertEqual({row[2] for row in written[1]}, {self.it_user.id})

    def test_cached_predecessors_are_the_stored_ones(self):
        tickets = self._start(count=2)
        cached = {step.id: step.predecessor_ids.ids for step in tickets.step_ids}
        self.env.invalidate_all()
        stored = {step.id: step.predecessor_ids.ids for step in tickets.step_ids}
        self.assertEqual(cached, stored)
        approval = self._step(tickets[0], "Approval")
        self.assertEqual(approval.predecessor_ids.mapped("name"), ["Review A", "Review B"])

    def _completed(self, model, rows, shared):
        """The rows as ``create`` completes them, with shared defaults or without."""
        if not shared:
            return model._prepare_create_values([dict(row) for row in rows])
        with shared_defaults(model) as batch:
            return batch._prepare_create_values([dict(row) for row in rows])

    def test_shared_defaults_are_odoo_s(self):
        ticket = self._make_ticket(flow_id=self.flow.id)
        flow_step = self.flow.step_ids[0]
        rows = [
            ticket._prepare_step_vals(flow_step),
            dict(ticket._prepare_step_vals(flow_step), state="ready"),
            ticket._prepare_step_vals(flow_step),
        ]
        # a user's default and a default given by the context apply to every row
        self.env["ir.default"].set("crossdept.ticket.step", "sla_status", "at_risk")
        Step = self.env["crossdept.ticket.step"].with_context(default_skip_reason="Context")
        ours = self._completed(Step, rows, shared=True)
        self.assertEqual(ours, self._completed(Step, rows, shared=False))
        self.assertEqual([vals["state"] for vals in ours], ["pending", "ready", "pending"])
        self.assertEqual({vals["sla_status"] for vals in ours}, {"at_risk"})
        self.assertEqual({vals["skip_reason"] for vals in ours}, {"Context"})

    def test_a_default_computed_per_row_differs_per_row(self):
        ticket = self._make_ticket()
        Event = self.env["crossdept.ticket.event"].with_user(self.it_user).sudo()
        row = {"ticket_id": ticket.id, "company_id": ticket.company_id.id, "event_type": "state"}
        rows = [row, row, dict(row, reason="Its own"), row]
        # the clock moves a second at each reading: the date of an event is read
        # for each row, the context's reason is the same for every row
        with freeze_time(NOW, auto_tick_seconds=1):
            completed = self._completed(
                Event.with_context(default_reason="Context"), rows, shared=True
            )
        self.assertEqual(len({vals["event_date"] for vals in completed}), 4)
        self.assertEqual(
            [vals["reason"] for vals in completed], ["Context", "Context", "Its own", "Context"]
        )
        self.assertEqual({vals["actor_id"] for vals in completed}, {self.it_user.id})

    def test_nothing_is_shared_after_the_batch(self):
        ticket = self._make_ticket(flow_id=self.flow.id)
        vals = ticket._prepare_step_vals(self.flow.step_ids[0])
        with shared_defaults(self.env["crossdept.ticket.step"]) as batch:
            self.assertNotIn("sla_status", batch._prepare_create_values([dict(vals)])[0])
        self.env["ir.default"].set("crossdept.ticket.step", "sla_status", "breached")
        self.assertEqual(batch._prepare_create_values([dict(vals)])[0]["sla_status"], "breached")
