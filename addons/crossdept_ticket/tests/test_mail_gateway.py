import base64
from datetime import timedelta
from email.header import Header
from itertools import count

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common_flow import CrossdeptFlowCase

_ids = count(1)
SENDER = '"Ann Smith" <ann.smith@customer.example.com>'


def rfc822(to, subject="Printer on fire", body="It burns since this morning.", **options):
    """An RFC 822 message as an MTA hands it to the gateway (bytes)."""
    charset = options.get("charset", "utf-8")
    msg_id = options.get("msg_id") or f"<{next(_ids)}.mailtest@customer.example.com>"
    headers = [
        f"Return-Path: <{options.get('return_path', 'ann.smith@customer.example.com')}>",
        f"From: {options.get('email_from', SENDER)}",
        f"To: {to}",
        f"Subject: {Header(subject, charset).encode() if charset != 'utf-8' else subject}",
        "Date: Sun, 06 Dec 2026 10:00:00 +0000",
        f"Message-ID: {msg_id}",
        *options.get("extra", []),
        "MIME-Version: 1.0",
    ]
    if options.get("in_reply_to"):
        headers += [
            f"In-Reply-To: {options['in_reply_to']}",
            f"References: {options['in_reply_to']}",
        ]
    text = base64.encodebytes(body.encode(charset)).decode()
    content_type = options.get("content_type")
    if options.get("attachment"):
        name, data = options["attachment"]
        parts = [
            f'Content-Type: {content_type or "multipart/mixed"}; boundary="XXsep"',
            "",
            "--XXsep",
            f"Content-Type: text/plain; charset={charset}",
            "Content-Transfer-Encoding: base64",
            "",
            text,
            "--XXsep",
            f'Content-Type: text/plain; name="{name}"',
            f'Content-Disposition: attachment; filename="{name}"',
            "Content-Transfer-Encoding: base64",
            "",
            base64.encodebytes(data).decode(),
            "--XXsep--",
        ]
    else:
        parts = [
            f"Content-Type: {content_type or 'text/plain'}; charset={charset}",
            "Content-Transfer-Encoding: base64",
            "",
            text,
        ]
    return "\r\n".join(headers + parts).encode()


@tagged("post_install", "-at_install")
class TestMailGateway(CrossdeptFlowCase, MockEmail):
    """Real RFC 822 mails through Odoo's gateway (``message_process``, run as the
    superuser as the mail fetcher runs it) to ticket type and department aliases."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._init_mail_gateway()
        cls.ticket_type.write(
            {
                "alias_name": "support-test",
                "alias_domain_id": cls.mail_alias_domain.id,
                "accountable_user_id": cls.it_manager.id,
            }
        )
        cls.type_alias = f"support-test@{cls.alias_domain}"
        cls.dept_it.write({"alias_name": "it-test", "alias_domain_id": cls.mail_alias_domain.id})
        cls.dept_alias = f"it-test@{cls.alias_domain}"
        cls.flow, cls.steps = cls._make_flow([{"name": "Fix"}])
        cls.Ticket = cls.env["crossdept.ticket"]

    def _process(self, raw):
        with self.mock_mail_gateway():
            return self.env["mail.thread"].sudo().message_process(None, raw)

    def _ticket(self, title):
        return self.Ticket.search([("title", "=", title)])

    def _new_ticket(self, title="Printer on fire", **options):
        self._process(rfc822(self.type_alias, subject=title, **options))
        ticket = self._ticket(title)
        self.assertEqual(len(ticket), 1, f"one ticket made of the mail {title!r}")
        return ticket

    # ------------------------------------------------------------------
    # New mail
    # ------------------------------------------------------------------

    def test_new_mail_creates_submitted_ticket(self):
        self.assertFalse(self.env["res.partner"].search([("email", "=like", "ann.smith@%")]))
        ticket = self._new_ticket(attachment=("error.log", b"paper jam at tray 2"))

        sequence = self.env["ir.sequence"].search(
            [("code", "=", "crossdept.ticket"), ("company_id", "in", (self.company.id, False))],
            limit=1,
        )
        self.assertTrue(ticket.name.startswith(sequence._get_prefix_suffix()[0]), ticket.name)
        contact = ticket.partner_id
        self.assertEqual(
            (contact.name, contact.email, contact.company_id),
            ("Ann Smith", "ann.smith@customer.example.com", self.company),
        )
        self.assertEqual(ticket.type_id, self.ticket_type)
        self.assertEqual(ticket.accountable_user_id, self.it_manager)
        self.assertIn("It burns since this morning.", ticket.description)
        self.assertEqual(ticket.flow_id, self.flow)
        self.assertEqual(ticket.state, "in_progress")
        step = self._step(ticket, "Fix")
        self.assertEqual((step.state, step.user_id), ("ready", self.it_user))
        message = ticket.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(message.author_id, contact)
        self.assertEqual(message.attachment_ids.mapped("name"), ["error.log"])
        self.assertEqual(base64.b64decode(message.attachment_ids.datas), b"paper jam at tray 2")

    def test_new_mail_ticket_is_the_forms(self):
        """The ticket from a mail has the events of one a user creates in the form
        and submits, and its number follows on the same sequence."""
        form = Form(self.Ticket.with_user(self.it_user))
        form.title = "Screen flickers"
        form.type_id = self.ticket_type
        by_form = form.save()
        by_form.action_submit()
        by_mail = self._new_ticket()

        def events(ticket):
            return [
                (event.event_type, event.from_state, event.to_state)
                for event in ticket.event_ids.sorted("id")
            ]

        self.assertEqual(events(by_mail), events(by_form))
        prefix = by_form.name.rsplit("-", 1)[0]
        self.assertEqual(by_mail.name, f"{prefix}-{int(by_form.name.rsplit('-', 1)[1]) + 1:05d}")
        self.assertEqual(by_mail.step_ids.mapped("name"), by_form.step_ids.mapped("name"))

    def test_new_mail_known_contact(self):
        self.customer_b.email = "customer.b@customer.example.com"
        partners = self.env["res.partner"].search_count([])
        ticket = self._new_ticket("Scanner down", email_from=self.customer_b.email)
        self.assertEqual(ticket.partner_id, self.customer_b)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)

    def test_department_alias(self):
        self._process(rfc822(self.dept_alias, subject="VPN down"))
        ticket = self._ticket("VPN down")
        self.assertEqual(ticket.assigned_department_id, self.dept_it)
        self.assertEqual(ticket.state, "open")  # no flow for a ticket without type
        self.assertTrue(ticket.name and ticket.name != "/")

    def test_alias_configured_by_admin_only(self):
        admin = self._make_user(
            "cd_admin", "crossdept_ticket.group_crossdept_ticket_admin", self.dept_finance
        )
        self.dept_finance.with_user(admin).alias_name = "finance-test"
        self.assertEqual(self.dept_finance.alias_id.alias_model_id.model, "crossdept.ticket")
        with self.assertRaisesRegex(AccessError, r"Only CrossDept .* by email \(Alias Name\)"):
            self.dept_finance.with_user(self.finance_manager).alias_name = "other-test"
        self.assertEqual(self.dept_finance.alias_name, "finance-test")
