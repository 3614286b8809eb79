from odoo.tests import tagged

from .common import USER
from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestTicketTrackingBatch(CrossdeptFlowCase):
    """The flow of many tickets started at once leaves on each ticket the tracking
    notes that starting it alone leaves (they are created together)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [{"name": "Fix", "department_id": cls.dept_it.id}, {"name": "Check", "preds": ["Fix"]}]
        )
        cls.clerk = cls._make_user("tracking_clerk", USER, cls.dept_it)

    def _tracking(self, ticket):
        """The ticket's tracking notes, oldest first: (author, type, subtype, body,
        [(field, old value, new value)])."""
        notes = self.env["mail.message"].search(
            [("model", "=", ticket._name), ("res_id", "=", ticket.id)], order="id"
        )
        notes = notes.filtered("tracking_value_ids")
        return [
            (
                note.author_id,
                note.message_type,
                note.subtype_id,
                note.body,
                sorted(
                    (
                        value.field_id.name,
                        value.old_value_char or value.old_value_integer or "",
                        value.new_value_char or value.new_value_integer or "",
                    )
                    for value in note.tracking_value_ids
                ),
            )
            for note in notes
        ]

    def _tickets(self, count):
        Ticket = self.env["crossdept.ticket"].with_user(self.clerk)
        tickets = Ticket.browse(
            [
                self._make_ticket(flow_id=self.flow.id, requester_id=self.clerk.id).id
                for _i in range(count)
            ]
        )
        # the creation is tracked apart, before the start (its own transaction)
        self.env.cr.precommit.run()
        return tickets

    def test_a_batch_start_tracks_each_ticket_as_a_single_start(self):
        alone = self._tickets(1)
        alone.action_start_flow()
        # tracking is written just before commit
        self.env.cr.precommit.run()
        batch = self._tickets(3)
        batch.action_start_flow()
        self.env.cr.precommit.run()
        expected = self._tracking(alone)
        self.assertTrue(expected, "starting a flow is tracked")
        self.assertIn("state", {name for *_rest, values in expected for name, *_v in values})
        for ticket in batch:
            self.assertEqual(self._tracking(ticket), expected, ticket.name)
            notes = ticket.message_ids.filtered("tracking_value_ids")
            self.assertEqual(notes.model, "crossdept.ticket")
            self.assertEqual(notes.res_id, ticket.id)
