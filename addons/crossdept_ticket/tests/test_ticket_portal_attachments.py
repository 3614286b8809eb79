import json
import re

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..controllers.portal import MAX_ATTACHMENTS
from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestTicketPortalAttachments(CrossdeptFlowCase, HttpCase):
    """A customer's new ticket with a description and files, and what the portal
    keeps them from: other customers' tickets and files."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Ticket = cls.env["crossdept.ticket"]
        cls.ticket_a = Ticket.create(
            {"title": "Monitor flickers", "partner_id": cls.customer_a.id, "state": "open"}
        )
        cls.ticket_b = Ticket.create(
            {"title": "Keyboard missing keys", "partner_id": cls.customer_b.id, "state": "open"}
        )

    def _csrf(self):
        form = self.url_open("/my/tickets/new")
        return re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)

    def _new_ticket(self, files=None, **data):
        return self.url_open(
            "/my/tickets/new",
            data={"csrf_token": self._csrf(), **data},
            files=files or [],
        )

    def _upload(self, ticket, name="note.txt", pending=True):
        return self.url_open(
            "/mail/attachment/upload",
            data={
                "csrf_token": self._csrf(),
                "thread_model": "crossdept.ticket",
                "thread_id": ticket.id,
                "is_pending": "true" if pending else "false",
            },
            files={"ufile": (name, b"some content", "text/plain")},
        )

    def test_new_ticket_keeps_description_and_files_on_that_ticket(self):
        self.authenticate("portal_a", "portal_a")
        response = self._new_ticket(
            files=[
                ("attachments", ("photo.png", b"\x89PNG fake image", "image/png")),
                ("attachments", ("invoice.txt", b"Invoice 2024-118", "text/plain")),
            ],
            title="Wrong invoice amount",
            description="The total is wrong.\nSee https://example.com/invoice <b>now</b>",
            # forged: the files go to the new ticket of this customer only
            partner_id=self.customer_b.id,
            res_id=self.ticket_b.id,
            ticket_id=self.ticket_b.id,
        )
        ticket = self.env["crossdept.ticket"].search([("title", "=", "Wrong invoice amount")])
        self.assertEqual(len(ticket), 1)
        self.assertTrue(response.url.endswith(f"/my/tickets/{ticket.id}?created=1"), response.url)
        self.assertEqual(ticket.partner_id, self.customer_a)
        # plain text kept readable (line break, link) with markup escaped
        self.assertIn("<br>", ticket.description)
        self.assertIn('href="https://example.com/invoice"', ticket.description)
        self.assertIn("&lt;b&gt;now&lt;/b&gt;", ticket.description)
        attachments = self.env["ir.attachment"].search(
            [("name", "in", ["photo.png", "invoice.txt"])]
        )
        self.assertEqual(len(attachments), 2)
        self.assertEqual(set(attachments.mapped("res_model")), {"crossdept.ticket"})
        self.assertEqual(set(attachments.mapped("res_id")), {ticket.id})
        self.assertTrue(all(attachments.mapped("access_token")))
        self.assertEqual(attachments.create_uid, self.portal_a)
        message = ticket.message_ids.filtered("attachment_ids")
        self.assertEqual(message.attachment_ids, attachments)
        self.assertEqual(message.author_id, self.customer_a)
        self.assertFalse(message.subtype_id.internal, "the customer sees their own files")
        self.assertFalse(
            self.env["ir.attachment"].search_count(
                [("res_model", "=", "crossdept.ticket"), ("res_id", "=", self.ticket_b.id)]
            )
        )
        page = self.url_open(f"/my/tickets/{ticket.id}")
        self.assertIn("The total is wrong.", page.text)

    def test_new_ticket_form_has_a_description_box_and_a_file_input(self):
        self.authenticate("portal_a", "portal_a")
        form = self.url_open("/my/tickets/new").text
        self.assertRegex(form, r'<textarea[^>]*name="description"')
        self.assertRegex(form, r'<input[^>]*type="file"[^>]*name="attachments"[^>]*multiple')
        self.assertIn('enctype="multipart/form-data"', form)

    def test_too_many_or_too_large_files_are_refused(self):
        self.authenticate("portal_a", "portal_a")
        count = self.env["crossdept.ticket"].search_count([])
        too_many = [
            ("attachments", (f"page{index}.txt", b"x", "text/plain"))
            for index in range(MAX_ATTACHMENTS + 1)
        ]
        response = self._new_ticket(files=too_many, title="Many pages")
        self.assertIn(f"Attach at most {MAX_ATTACHMENTS} files.", response.text)
        huge = [("attachments", ("scan.pdf", b"0" * (10 * 1024 * 1024 + 1), "application/pdf"))]
        response = self._new_ticket(files=huge, title="Huge scan")
        self.assertIn("scan.pdf is larger than 10 MB.", response.text)
        self.assertEqual(self.env["crossdept.ticket"].search_count([]), count)
        self.assertFalse(
            self.env["ir.attachment"].search([("name", "in", ["page0.txt", "scan.pdf"])])
        )

    def test_cannot_attach_to_another_customers_ticket(self):
        self.authenticate("portal_a", "portal_a")
        own = self._upload(self.ticket_a, "own.txt", pending=False)
        self.assertEqual(own.status_code, 200)
        with mute_logger("odoo.http"):
            other = self._upload(self.ticket_b, "sneaky.txt", pending=False)
        self.assertEqual(other.status_code, 404)
        self.assertFalse(self.env["ir.attachment"].search([("name", "=", "sneaky.txt")]))
        self.assertEqual(
            self.env["ir.attachment"].search([("name", "=", "own.txt")]).res_id, self.ticket_a.id
        )

    def _post(self, ticket, body, attachment_ids, attachment_tokens=None):
        """/mail/message/post as the portal's composer calls it; returns the error's
        name and message, if any."""
        response = self.url_open(
            "/mail/message/post",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "thread_model": "crossdept.ticket",
                        "thread_id": ticket.id,
                        "post_data": {
                            "body": body,
                            "attachment_ids": attachment_ids,
                            "message_type": "comment",
                            "subtype_xmlid": "mail.mt_comment",
                        },
                        "attachment_tokens": attachment_tokens,
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        error = response.json().get("error")
        return (error["data"]["name"], error["data"]["message"]) if error else None

    def test_cannot_post_on_another_customers_ticket_nor_reuse_their_file(self):
        self.authenticate("portal_a", "portal_a")
        upload = json.loads(self._upload(self.ticket_a, "a-private.txt").text)
        attachment = upload["data"]["ir.attachment"][0]
        with mute_logger("odoo.http"):
            error = self._post(
                self.ticket_b, "On B", [attachment["id"]], [attachment["access_token"]]
            )
        self.assertEqual(error[0], "werkzeug.exceptions.NotFound")
        self.assertFalse(self.ticket_b.message_ids.filtered(lambda m: "On B" in (m.body or "")))
        # customer B cannot take customer A's pending file onto their own ticket
        self.authenticate("portal_b", "portal_b")
        with mute_logger("odoo.http"):
            error = self._post(self.ticket_b, "With A's file", [attachment["id"]])
        self.assertEqual(error[0], "odoo.exceptions.UserError")
        self.assertIn("does not exist or you do not have the rights to access it", error[1])
        pending = self.env["ir.attachment"].browse(attachment["id"])
        self.assertEqual((pending.res_model, pending.res_id), ("mail.compose.message", 0))
        self.assertFalse(
            self.ticket_b.message_ids.filtered(lambda m: "With A's file" in (m.body or ""))
        )
        # customer A posts it on their own ticket: it lands there
        self.authenticate("portal_a", "portal_a")
        self.assertIsNone(
            self._post(self.ticket_a, "My file", [attachment["id"]], [attachment["access_token"]])
        )
        self.assertEqual(
            (pending.res_model, pending.res_id), ("crossdept.ticket", self.ticket_a.id)
        )

    def test_ticket_page_shows_progress_labels_and_composer(self):
        flow, _steps = self._make_flow(
            [
                {"name": "Call the customer", "portal_visible": True},
                {"name": "Check the stock", "preds": ["Call the customer"]},
            ]
        )
        ticket = self._make_ticket(
            flow_id=flow.id, partner_id=self.customer_a.id, requester_id=self.portal_a.id
        )
        ticket.action_start_flow()
        self.authenticate("portal_a", "portal_a")
        page = self.url_open(f"/my/tickets/{ticket.id}")
        self.assertIn("Call the customer", page.text)
        self.assertNotIn("Check the stock", page.text, "internal steps stay internal")
        step_row = page.text[page.text.index("o_crossdept_portal_step") :]
        self.assertRegex(step_row[:2000], r">\s*Ready\s*<", "the state's label, not its key")
        self.assertIn('id="discussion"', page.text)
        self.assertIn('data-allow_composer="1"', page.text)

    def test_home_offers_tickets_to_a_customer_without_any(self):
        new_test_user(
            self.env,
            "portal_new",
            groups="base.group_portal",
            partner_id=self.env["res.partner"].create({"name": "New customer"}).id,
        )
        self.authenticate("portal_new", "portal_new")
        home = self.url_open("/my")
        self.assertIn('data-placeholder_count="crossdept_ticket_count"', home.text)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["crossdept_ticket_count"]}
        )
        self.assertEqual(counters, {"crossdept_ticket_count": 0})


@tagged("post_install", "-at_install")
class TestPortalTicketTour(HttpCase):
    def test_customer_files_a_ticket_with_a_file_and_replies(self):
        customer = self.env["res.partner"].create({"name": "Tour customer"})
        user = new_test_user(
            self.env, "portal_tour", groups="base.group_portal", partner_id=customer.id
        )
        self.start_tour("/my", "crossdept_portal_ticket_tour", login="portal_tour")
        ticket = self.env["crossdept.ticket"].search([("partner_id", "=", customer.id)])
        self.assertEqual(ticket.title, "Scanner jams on page two")
        self.assertEqual(ticket.requester_id, user)
        self.assertIn("error E42", ticket.description)
        attachment = self.env["ir.attachment"].search([("name", "=", "scanner-log.txt")])
        self.assertEqual((attachment.res_model, attachment.res_id), (ticket._name, ticket.id))
        reply = ticket.message_ids.filtered(lambda m: "duplex tray" in (m.body or ""))
        self.assertEqual(reply.author_id, customer)
        self.assertEqual(reply.message_type, "comment")
        # nobody is left with a to-do about a ticket they cannot act on
        self.assertFalse(ticket.activity_ids.filtered(lambda activity: activity.user_id.share))
