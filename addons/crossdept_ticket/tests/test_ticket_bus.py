import json

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.bus.models.bus import channel_with_db, dispatch, hashable
from odoo.addons.bus.tests.common import WebsocketCase

from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestTicketBus(CrossdeptFlowCase, WebsocketCase):
    """A ticket is a bus channel for its open diagrams: its steps changing send
    one notification on it per transaction, and only its readers may listen."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [{"name": "First"}, {"name": "Second", "preds": ["First"], "user": cls.approver_1}]
        )

    def _ticket_notes(self):
        """Run what commit runs first; return the payloads sent on ticket channels."""
        Bus = self.env["bus.bus"].sudo()
        last = Bus.search([], order="id desc", limit=1).id
        self.env.cr.precommit.run()
        notes = []
        for note in Bus.search([("id", ">", last)], order="id"):
            message = json.loads(note.message)
            if message["type"] == "crossdept.ticket/steps_updated":
                _db, model, res_id = json.loads(note.channel)
                self.assertEqual(
                    (model, res_id), ("crossdept.ticket", message["payload"]["ticket_id"])
                )
                notes.append(message["payload"])
        return notes

    def test_a_step_done_tells_its_ticket_once(self):
        ticket = self._run(self.flow)
        self.assertEqual(self._ticket_notes(), [{"ticket_id": ticket.id}], "the flow started")
        self._do(ticket, "First")  # First done and Second ready: one transaction, one note
        self.assertEqual(self._ticket_notes(), [{"ticket_id": ticket.id}])
        self._step(ticket, "Second")._engine().write({"sequence": 7})  # as the engine writes
        self.assertEqual(self._ticket_notes(), [], "a change the diagram does not draw")

    def _listens(self, user, ticket):
        """Subscribe a websocket of ``user`` to the ticket's channel; say whether
        the server admitted it."""
        session = self.authenticate(user.login, user.login)
        websocket = self.websocket_connect(cookie=f"session_id={session.sid};")
        self.subscribe(
            websocket, [f"crossdept.ticket_{ticket.id}"], self.env["bus.bus"]._bus_last_id()
        )
        channel = hashable(channel_with_db(self.env.cr.dbname, ticket))
        return any(ws._session.uid == user.id for ws in dispatch._channels_to_ws.get(channel, ()))

    def test_only_a_reader_joins_the_ticket_channel(self):
        ticket = self._run(self.flow)
        with self.assertRaisesRegex(AccessError, "crossdept.ticket"):
            ticket.with_user(self.finance_user).check_access("read")
        self.assertFalse(self._listens(self.finance_user, ticket), "no access, no channel")
        ticket.with_user(self.it_manager).check_access("read")
        self.assertTrue(self._listens(self.it_manager, ticket))
