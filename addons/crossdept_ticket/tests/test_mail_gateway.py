import base64
from email.header import Header
from itertools import count

from freezegun import freeze_time

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

    # ------------------------------------------------------------------
    # Replies
    # ------------------------------------------------------------------

    def _reply(self, ticket, body="Any news?", **options):
        """A reply of the customer to the ticket's first mail."""
        first = ticket.message_ids.filtered(lambda m: m.message_type == "email")[-1:]
        self._process(
            rfc822(
                self.type_alias,
                subject=f"Re: {ticket.title}",
                body=body,
                in_reply_to=first.message_id,
                **options,
            )
        )

    def _customer_messages(self, ticket):
        return ticket.message_ids.filtered(lambda m: m.author_id == ticket.partner_id)

    def test_reply_threads_into_ticket(self):
        ticket = self._new_ticket()
        self._reply(ticket, body="The smoke is gone.")
        self.assertFalse(self._ticket("Re: Printer on fire"), "a reply is no new ticket")
        self.assertEqual(len(self._customer_messages(ticket)), 2)
        self.assertIn("The smoke is gone.", self._customer_messages(ticket)[0].body)
        self.assertEqual(ticket.state, "in_progress")

    def test_reply_resumes_waiting_ticket(self):
        ticket = self._new_ticket()
        ticket.with_user(self.it_user).action_wait()
        self.assertEqual(self._step(ticket, "Fix").state, "ready")
        self._reply(ticket, body="Here is the serial number.")
        self.assertEqual(ticket.state, "in_progress")
        event = ticket.event_ids.sorted("id")[-1]
        self.assertEqual(
            (event.event_type, event.from_state, event.to_state, event.reason),
            ("state", "waiting", "in_progress", "The customer replied by email."),
        )

    def _done_ticket(self, title="Printer on fire"):
        with freeze_time("2026-12-01 10:00:00"):
            ticket = self._new_ticket(title)
            self._do(ticket, "Fix")
        self.assertEqual(ticket.state, "done")
        return ticket

    def test_reply_reopens_recently_done_ticket(self):
        ticket = self._done_ticket()
        with freeze_time("2026-12-07 10:00:00"):
            self._reply(ticket, body="It burns again.")
        self.assertEqual(ticket.state, "in_progress")
        self.assertEqual(self._step(ticket, "Fix").state, "ready")
        self.assertIn("It burns again.", self._customer_messages(ticket)[0].body)
        self.assertEqual(self.Ticket.search_count([("previous_ticket_id", "=", ticket.id)]), 0)

    def test_reply_to_ticket_done_long_ago_opens_new_ticket(self):
        ticket = self._done_ticket()
        with freeze_time("2026-12-09 10:00:01"):
            self._reply(ticket, body="It burns again.")
        self.assertEqual(ticket.state, "done")
        new = self.Ticket.search([("previous_ticket_id", "=", ticket.id)])
        self.assertEqual(len(new), 1)
        self.assertEqual(
            (new.title, new.type_id, new.partner_id, new.state),
            ("Re: Printer on fire", self.ticket_type, ticket.partner_id, "in_progress"),
        )
        self.assertNotEqual(new.name, ticket.name)
        self.assertIn("It burns again.", self._customer_messages(new).body)
        self.assertEqual(len(self._customer_messages(ticket)), 1)

    def test_reopen_days_is_a_system_parameter(self):
        self.env["ir.config_parameter"].set_param("crossdept_ticket.mail_reopen_days", "30")
        ticket = self._done_ticket()
        with freeze_time("2026-12-20 10:00:00"):
            self._reply(ticket)
        self.assertEqual(ticket.state, "in_progress")

    # ------------------------------------------------------------------
    # Loops and junk
    # ------------------------------------------------------------------

    AUTOMATIC_HEADERS = [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "X-Autoreply: yes",
        "X-Autorespond: Out of office",
        "Precedence: auto_reply",
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: list",
    ]

    def test_auto_replies_make_no_ticket(self):
        for number, header in enumerate(self.AUTOMATIC_HEADERS):
            with self.subTest(header=header):
                title = f"Out of office {number}"
                msg_id = f"<auto-{number}@customer.example.com>"
                self._process(rfc822(self.type_alias, subject=title, extra=[header], msg_id=msg_id))
                self.assertFalse(self._ticket(title))
                self.assertFalse(self._mails, "nothing answers an automatic mail")
                self.assertFalse(self.env["mail.message"].search([("message_id", "=", msg_id)]))

    def test_auto_submitted_no_is_a_person(self):
        self._new_ticket(extra=["Auto-Submitted: no"])

    def test_delivery_report_makes_no_ticket(self):
        self._process(
            rfc822(
                self.type_alias,
                subject="Undelivered Mail Returned to Sender",
                content_type="multipart/report; report-type=delivery-status",
                attachment=("details.txt", b"550 unknown user"),
            )
        )
        self.assertFalse(self._ticket("Undelivered Mail Returned to Sender"))
        self.assertFalse(self._mails)

    def test_auto_reply_neither_resumes_nor_reopens(self):
        waiting = self._new_ticket()
        waiting.with_user(self.it_user).action_wait()
        self._reply(waiting, body="I am on holiday.", extra=["Auto-Submitted: auto-replied"])
        self.assertEqual(waiting.state, "waiting")
        self.assertEqual(len(self._customer_messages(waiting)), 1)
        done = self._done_ticket("Toner empty")
        with freeze_time("2026-12-02 10:00:00"):
            self._reply(done, body="I am on holiday.", extra=["X-Autoreply: yes"])
        self.assertEqual(done.state, "done")
        self.assertFalse(self.Ticket.search([("previous_ticket_id", "=", done.id)]))

    def test_unknown_sender_to_partners_alias_bounced_once(self):
        self.ticket_type.alias_contact = "partners"
        self._process(rfc822(self.type_alias, subject="Who am I"))
        self.assertFalse(self._ticket("Who am I"))
        self.assertEqual(len(self._mails), 1)
        self.assertEqual(self._mails[0]["email_to"], ["ann.smith@customer.example.com"])
        # its auto-reply to the bounce gets no answer
        self._process(
            rfc822(self.type_alias, subject="Who am I", extra=["Auto-Submitted: auto-replied"])
        )
        self.assertFalse(self._mails)
        self.assertFalse(self._ticket("Who am I"))

    def test_flooding_sender_throttled(self):
        set_param = self.env["ir.config_parameter"].set_param
        set_param("mail.gateway.loop.minutes", "60")
        set_param("mail.gateway.loop.threshold", "3")
        for number in range(3):
            self._new_ticket(f"Flood {number}")
        self._process(rfc822(self.type_alias, subject="Flood 3"))
        self.assertFalse(self._ticket("Flood 3"))
        # Odoo's gateway tells the sender once, in a mail whose replies it ignores
        self.assertEqual(len(self._mails), 1)
        self.assertEqual(self._mails[0]["email_to"], ["ann.smith@customer.example.com"])
        self.assertIn("loop-detection-bounce-email", self._mails[0]["references"])
        # another sender is not throttled
        self._new_ticket("Not a flood", email_from="bob@customer.example.com")

    # ------------------------------------------------------------------
    # Encodings and size
    # ------------------------------------------------------------------

    def test_gbk_mail(self):
        for charset in ("gbk", "gb18030"):
            with self.subTest(charset=charset):
                title = f"打印机着火了 {charset}"
                self._process(
                    rfc822(
                        self.type_alias,
                        subject=title,
                        body="今天早上开始冒烟。请尽快处理。",
                        charset=charset,
                    )
                )
                ticket = self._ticket(title)
                self.assertEqual(len(ticket), 1)
                self.assertIn("今天早上开始冒烟。请尽快处理。", ticket.description)

    def test_big_body(self):
        lines = [f"Line {number}: the printer logs another paper jam." for number in range(8000)]
        ticket = self._new_ticket("Long log", body="\n".join(lines))
        self.assertGreater(len("\n".join(lines)), 300_000)
        self.assertIn("Line 7999: the printer logs another paper jam.", ticket.description)
        self.assertIn("Line 0: the printer", ticket.description)
