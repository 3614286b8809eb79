import json
import re

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common_flow import CrossdeptFlowCase
from .refusal import acl_refusal, rule_refusal


@tagged("post_install", "-at_install")
class TestTicketPortalSteps(CrossdeptFlowCase, HttpCase):
    """What a customer sees of a ticket's flow on the portal, and how they reply."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, steps = cls._make_flow(
            [
                {"name": "Intake call", "portal_visible": True},
                {"name": "Internal review", "preds": ["Intake call"]},
                {"name": "Customer sign-off", "preds": ["Internal review"]},
            ],
            activate=False,
        )
        # the customer (as requester) is Consulted on the sign-off: shown to them
        steps["Customer sign-off"].raci_ids = [
            Command.create({"role": "consulted", "holder_type": "requester"})
        ]
        cls.flow.action_activate()
        # a portal requester is the customer; an internal requester's steps stay internal
        cls.ticket_a = cls._run(
            cls.flow,
            title="Broken delivery A",
            partner_id=cls.customer_a.id,
            requester_id=cls.portal_a.id,
        )
        cls.ticket_b = cls._run(cls.flow, title="Broken delivery B", partner_id=cls.customer_b.id)
        cls.intake_a = cls._step(cls.ticket_a, "Intake call")
        cls.review_a = cls._step(cls.ticket_a, "Internal review")
        cls.signoff_a = cls._step(cls.ticket_a, "Customer sign-off")
        cls.intake_b = cls._step(cls.ticket_b, "Intake call")

    def test_visibility_of_steps(self):
        self.assertEqual(
            self.ticket_a.step_ids.filtered("portal_visible"), self.intake_a | self.signoff_a
        )
        self.assertEqual(
            self.ticket_b.step_ids.filtered("portal_visible"),
            self.intake_b,
            "the internal requester of ticket B is no customer: the sign-off stays internal",
        )

    def test_orm_portal_user_reads_only_own_visible_steps(self):
        Step = self.env["crossdept.ticket.step"].with_user(self.portal_a)
        self.assertEqual(Step.search([]), self.intake_a | self.signoff_a)
        self.assertEqual(
            self.ticket_a.with_user(self.portal_a).step_ids, self.intake_a | self.signoff_a
        )
        intake = self.intake_a.with_user(self.portal_a)
        self.assertEqual(intake.name, "Intake call")
        self.assertEqual(intake.state, "ready")
        self.assertEqual(intake.date_deadline, self.intake_a.date_deadline)
        with self.assertRaisesRegex(AccessError, rule_refusal("read", "crossdept.ticket.step")):
            self.review_a.with_user(self.portal_a).read(["name"])
        with self.assertRaisesRegex(AccessError, rule_refusal("read", "crossdept.ticket.step")):
            self.intake_b.with_user(self.portal_a).read(["name"])
        with self.assertRaisesRegex(AccessError, rule_refusal("read", "crossdept.ticket")):
            self.ticket_b.with_user(self.portal_a).read(["title"])
        with self.assertRaisesRegex(AccessError, acl_refusal("write", "crossdept.ticket.step")):
            intake.write({"user_id": False})

    def test_http_ticket_page_shows_visible_steps(self):
        self.authenticate("portal_a", "portal_a")
        page = self.url_open(f"/my/tickets/{self.ticket_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Intake call", page.text)
        self.assertIn("Customer sign-off", page.text)
        self.assertNotIn("Internal review", page.text)
        self.assertEqual(page.text.count("o_crossdept_portal_step"), 2)
        other = self.url_open(f"/my/tickets/{self.ticket_b.id}")
        self.assertNotIn("Broken delivery B", other.text)
        self.assertTrue(other.url.endswith("/my"), other.url)

    def test_http_steps_cannot_be_read_through_rpc(self):
        self.authenticate("portal_a", "portal_a")

        def read(step):
            return self.make_jsonrpc_request(
                "/web/dataset/call_kw",
                {
                    "model": "crossdept.ticket.step",
                    "method": "read",
                    "args": [step.ids, ["name", "state", "date_deadline"]],
                    "kwargs": {},
                },
            )

        self.assertEqual(read(self.intake_a)[0]["name"], "Intake call")
        for step in (self.review_a, self.intake_b):  # internal; another customer's
            with mute_logger("odoo.http"):
                error = self._jsonrpc_error(
                    "/web/dataset/call_kw",
                    {
                        "model": "crossdept.ticket.step",
                        "method": "read",
                        "args": [step.ids, ["name", "state", "date_deadline"]],
                        "kwargs": {},
                    },
                )
            self.assertEqual(error["name"], "odoo.exceptions.AccessError")
            self.assertRegex(error["message"], rule_refusal("read", "crossdept.ticket.step"))

    def _jsonrpc_error(self, route, params):
        """The error data a JSON-RPC call answers with (``make_jsonrpc_request``
        keeps only the exception's name, not its message)."""
        payload = {"id": 0, "jsonrpc": "2.0", "method": "call", "params": params}
        response = self.url_open(
            route, json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )
        answer = response.json()
        self.assertIn("error", answer, "the call was not refused")
        return answer["error"]["data"]

    def test_http_portal_reply(self):
        self.authenticate("portal_a", "portal_a")
        self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "crossdept.ticket",
                "thread_id": self.ticket_a.id,
                "post_data": {
                    "body": "The parcel arrived damaged again.",
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_comment",
                },
            },
        )
        message = self.ticket_a.message_ids.filtered(
            lambda m: "arrived damaged again" in (m.body or "")
        )
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.customer_a)
        self.assertEqual(message.message_type, "comment")
        page = self.url_open(f"/my/tickets/{self.ticket_a.id}")
        self.assertIn("o_portal_chatter", page.text)
        with self.assertRaises(JsonRpcException) as caught, mute_logger("odoo.http"):
            self.make_jsonrpc_request(
                "/mail/message/post",
                {
                    "thread_model": "crossdept.ticket",
                    "thread_id": self.ticket_b.id,
                    "post_data": {"body": "Not my ticket", "message_type": "comment"},
                },
            )
        self.assertEqual(caught.exception.args[0], "werkzeug.exceptions.NotFound")
        self.assertFalse(
            self.ticket_b.message_ids.filtered(lambda m: "Not my ticket" in (m.body or ""))
        )

    def test_http_create_ticket_then_follow_it(self):
        self.authenticate("portal_a", "portal_a")
        form = self.url_open("/my/tickets/new")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        response = self.url_open(
            "/my/tickets/new",
            data={"csrf_token": token, "title": "Wrong size delivered", "description": "Size M"},
        )
        ticket = self.env["crossdept.ticket"].search([("title", "=", "Wrong size delivered")])
        self.assertEqual(ticket.partner_id, self.customer_a)
        self.assertEqual(ticket.requester_id, self.portal_a)
        self.assertTrue(response.url.endswith(f"/my/tickets/{ticket.id}?created=1"), response.url)
        listing = self.url_open("/my/tickets")
        self.assertIn("Wrong size delivered", listing.text)
        self.assertIn("Broken delivery A", listing.text)
        self.assertNotIn("Broken delivery B", listing.text)


@tagged("post_install", "-at_install")
class TestPortalNewTicketConfirmation(CrossdeptFlowCase, HttpCase):
    """A customer chooses the type of their request on the portal; the page they land
    on says what they asked for, when to expect an answer, and shows the progress."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket_type.portal_available = True
        cls.internal_type = cls.env["crossdept.ticket.type"].create({"name": "Internal audit"})
        cls.flow, cls.flow_steps = cls._make_flow(
            [
                {"name": "Answer the customer", "portal_visible": True, "sla": 4},
                {"name": "Fix it", "preds": ["Answer the customer"]},
            ]
        )

    def _post_new_ticket(self, **data):
        form = self.url_open("/my/tickets/new")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        return form, self.url_open("/my/tickets/new", data={"csrf_token": token, **data})

    def test_customer_chooses_a_type_and_lands_on_a_confirmation(self):
        self.authenticate("portal_a", "portal_a")
        form, page = self._post_new_ticket(
            title="Printer on fire", type_id=str(self.ticket_type.id), description="Smoke"
        )
        self.assertIn(f'value="{self.ticket_type.id}"', form.text)
        self.assertNotIn(
            f'value="{self.internal_type.id}"', form.text, "only types offered to customers"
        )
        ticket = self.env["crossdept.ticket"].search([("title", "=", "Printer on fire")])
        self.assertEqual(ticket.type_id, self.ticket_type)
        self.assertEqual(ticket.flow_id, self.flow, "the type's flow runs, as for the form")
        answer = self._step(ticket, "Answer the customer")
        self.assertEqual(answer.state, "ready")
        self.assertTrue(page.url.endswith(f"/my/tickets/{ticket.id}?created=1"), page.url)
        self.assertIn("Request received:", page.text)
        self.assertIn(ticket.name, page.text)
        self.assertIn(self.ticket_type.name, page.text)
        self.assertIn("Expected reply by:", page.text)
        self.assertIn("Answer the customer", page.text, "the progress is shown")
        # the confirmation is shown once, right after sending
        again = self.url_open(f"/my/tickets/{ticket.id}")
        self.assertNotIn("Request received:", again.text)

    def test_a_type_not_offered_to_customers_is_refused(self):
        self.authenticate("portal_a", "portal_a")
        count = self.env["crossdept.ticket"].search_count([])
        _form, page = self._post_new_ticket(title="Let me in", type_id=str(self.internal_type.id))
        self.assertIn("Choose one of the listed request types.", page.text)
        self.assertEqual(self.env["crossdept.ticket"].search_count([]), count)

    def test_without_a_type_the_customer_is_told_we_reply_soon(self):
        self.authenticate("portal_a", "portal_a")
        _form, page = self._post_new_ticket(title="Just a question")
        ticket = self.env["crossdept.ticket"].search([("title", "=", "Just a question")])
        self.assertEqual(ticket.state, "open")
        self.assertIn("We will reply as soon as possible.", page.text)
