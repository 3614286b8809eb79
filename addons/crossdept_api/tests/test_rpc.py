import json
import xmlrpc.client

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CrossdeptApiCase


@tagged("post_install", "-at_install")
class TestRpc(CrossdeptApiCase):
    """Odoo's own external API keeps working with an API key as the password."""

    def test_xmlrpc_create_and_read_ticket(self):
        db = self.env.cr.dbname
        uid = self.xmlrpc_common.authenticate(db, self.it_user.login, self.it_key, {})
        self.assertEqual(uid, self.it_user.id)
        ticket_id = self.xmlrpc_object.execute_kw(
            db,
            uid,
            self.it_key,
            "crossdept.ticket",
            "create",
            [{"title": "Created over XML-RPC", "department_id": self.dept_it.id}],
        )
        [record] = self.xmlrpc_object.execute_kw(
            db,
            uid,
            self.it_key,
            "crossdept.ticket",
            "read",
            [[ticket_id], ["title", "state", "requester_id"]],
        )
        self.assertEqual(record["title"], "Created over XML-RPC")
        self.assertEqual(record["state"], "draft")
        self.assertEqual(record["requester_id"][0], self.it_user.id)

    def test_jsonrpc_refuses_invisible_ticket(self):
        ticket = self._make_ticket()
        with mute_logger("odoo.http"):
            response = self.url_open(
                "/jsonrpc",
                data=self._jsonrpc(
                    self.finance_user, self.finance_key, "read", [[ticket.id], ["title"]]
                ),
                headers={"Content-Type": "application/json"},
            )
        self.assertEqual(response.json()["error"]["data"]["name"], "odoo.exceptions.AccessError")
        response = self.url_open(
            "/jsonrpc",
            data=self._jsonrpc(self.it_user, self.it_key, "read", [[ticket.id], ["title"]]),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.json()["result"][0]["title"], ticket.title)

    def test_engine_fields_are_refused_over_xmlrpc_and_jsonrpc(self):
        """The holder of a step may not move it, nor its ticket, by writing `state`
        through Odoo's external API: only the engine's actions change it."""
        flow, _steps = self._make_flow([{"name": "Check"}])
        ticket = self._run(flow)
        step = ticket.step_ids
        self.assertEqual(
            (ticket.state, step.state, step.user_id), ("in_progress", "ready", self.it_user)
        )
        db = self.env.cr.dbname
        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault) as refusal:
            self.xmlrpc_object.execute_kw(
                db,
                self.it_user.id,
                self.it_key,
                "crossdept.ticket.step",
                "write",
                [[step.id], {"state": "done"}],
            )
        self.assertIn(
            "is set by CrossDept's engine and cannot be written directly",
            refusal.exception.faultString,
        )
        self.assertIn(
            "use the step's Start, Finish, Approve or Refuse", refusal.exception.faultString
        )
        with mute_logger("odoo.http"):
            response = self.url_open(
                "/jsonrpc",
                data=self._jsonrpc(
                    self.it_user, self.it_key, "write", [[ticket.id], {"state": "done"}]
                ),
                headers={"Content-Type": "application/json"},
            )
        error = response.json()["error"]["data"]
        self.assertEqual(error["name"], "odoo.exceptions.UserError")
        self.assertIn(
            "is set by CrossDept's engine and cannot be written directly", error["message"]
        )
        step.invalidate_recordset()
        ticket.invalidate_recordset()
        self.assertEqual((ticket.state, step.state), ("in_progress", "ready"), "nothing moved")
        self.assertFalse(
            ticket.event_ids.filtered(
                lambda e: e.event_type in ("step_done", "state") and e.to_state == "done"
            )
        )

    def _jsonrpc(self, user, key, method, args):
        return json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "service": "object",
                    "method": "execute_kw",
                    "args": [self.env.cr.dbname, user.id, key, "crossdept.ticket", method, args],
                },
            }
        ).encode()
