from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common_flow import CrossdeptFlowCase

# the test calendar works Mon-Fri 8-12, 13-17 UTC: an 8-hour step ready on Monday
# 2026-11-23 at 8:00 UTC is due at 17:00 UTC, that is Tuesday 1:00 in Shanghai and
# Monday 12:00 in New York
READY = "2026-11-23 08:00:00"
SHANGHAI_ZH = "2026年11月24日 01时00分00秒 (Asia/Shanghai)"
SHANGHAI_EN = "11/24/2026 01:00:00 (Asia/Shanghai)"
NEW_YORK_EN = "11/23/2026 12:00:00 (America/New_York)"


def as_reader(records, user):
    """``records`` as ``user`` reads them: with their rights and in their language,
    as a request of theirs does."""
    return records.with_user(user).with_context(lang=user.lang)


@tagged("post_install", "-at_install")
class TestLocalTime(CrossdeptFlowCase):
    """Deadlines in the engine's messages are written for their reader: in their time
    zone (named) and language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        # the engineer (requester, Accountable of the step) works in Chinese in
        # Shanghai, the IT manager in English in New York; the step's holder works on
        # UTC like the step's calendar
        cls.it_user.write({"lang": "zh_CN", "tz": "Asia/Shanghai"})
        cls.it_manager.write({"lang": "en_US", "tz": "America/New_York"})
        cls.approver_1.write({"lang": "zh_CN", "tz": "Asia/Shanghai"})
        cls.approver_2.write({"lang": "en_US", "tz": "America/New_York"})
        cls.env["crossdept.escalation.rule"].search([]).active = False
        cls.env["crossdept.escalation.rule"].create({"name": "Global (test)", "warn_percent": 80})
        cls.env["crossdept.ticket.step"].search([])._engine().date_escalation_due = False
        cls.flow, steps = cls._make_flow(
            [{"name": "Fix", "user": cls.finance_user}], activate=False
        )
        steps["Fix"].raci_ids = [
            Command.create(
                {"role": "accountable", "holder_type": "user", "user_id": cls.it_user.id}
            )
        ]
        steps["Fix"].update_field_translations("name", {"zh_CN": "修复"})
        cls.flow.action_activate()

    def _start(self, flow=None):
        with freeze_time(READY):
            ticket = self._make_ticket(flow_id=(flow or self.flow).id, requester_id=self.it_user.id)
            as_reader(ticket, self.it_user).action_start_flow()
        return ticket

    def _escalate(self, when):
        with freeze_time(when):
            self.env["crossdept.ticket.step"]._cron_escalate()

    def test_escalation_note_gives_the_requesters_local_time(self):
        ticket = self._start()
        self._escalate("2026-11-23 18:00:00")
        notes = (
            as_reader(self.env["mail.message"], self.it_user)
            .search([("model", "=", ticket._name), ("res_id", "=", ticket.id)])
            .filtered(lambda m: "missed its deadline" in m.body)
        )
        self.assertEqual(len(notes), 1)
        self.assertIn(f"Step Fix missed its deadline ({SHANGHAI_EN}).", notes.body)
        event = ticket.event_ids.filtered(lambda e: e.event_type == "escalation")
        self.assertIn(f"due {SHANGHAI_EN}", event.reason)

    def test_escalation_todo_is_written_for_each_person(self):
        ticket = self._start()
        self._escalate("2026-11-23 18:00:00")
        # the IT manager (department manager) reads theirs in English, New York time
        todo = as_reader(ticket, self.it_manager).activity_ids.filtered(
            lambda a: a.user_id == self.it_manager
        )
        self.assertEqual(todo.summary, f"Step Fix missed its deadline ({NEW_YORK_EN}).")
        self.assertEqual(todo.date_deadline, date(2026, 11, 23))

    def test_warning_todo_in_chinese_on_the_readers_day(self):
        ticket = self._start()
        # the warning (due at 80% of the span, 15:12 UTC) runs at 16:30 UTC: already
        # Tuesday 0:30 in Shanghai
        self._escalate("2026-11-23 16:30:00")
        warning = as_reader(ticket, self.it_user).activity_ids.filtered(
            lambda a: a.user_id == self.it_user
        )
        self.assertTrue(warning.summary.startswith("步骤 修复 即将到期"), warning.summary)
        self.assertIn(SHANGHAI_ZH, warning.summary)
        self.assertEqual(warning.date_deadline, date(2026, 11, 24))

    def test_approvers_read_the_deadline_in_their_language_and_time_zone(self):
        flow, _steps = self._make_flow(
            [
                {
                    "name": "Approve",
                    "kind": "approval",
                    "approvers": self.approver_1 | self.approver_2,
                }
            ]
        )
        ticket = self._start(flow)
        messages = ticket.message_ids.filtered(
            lambda m: "waits for your decision" in m.body or "等待您的审批" in m.body
        )
        by_reader = {m.notified_partner_ids: m.body for m in messages}
        self.assertEqual(set(by_reader), {self.approver_1.partner_id, self.approver_2.partner_id})
        self.assertIn("步骤 Approve 等待您的审批", by_reader[self.approver_1.partner_id])
        self.assertIn(SHANGHAI_ZH, by_reader[self.approver_1.partner_id])
        self.assertIn(
            f"Step Approve waits for your decision (deadline {NEW_YORK_EN}).",
            by_reader[self.approver_2.partner_id],
        )


@tagged("post_install", "-at_install")
class TestPortalLocalTime(CrossdeptFlowCase, HttpCase):
    """A customer reads the portal in their contact's language and time zone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "王磊",
                "email": "wang.lei@example.com",
                "lang": "zh_CN",
                "tz": "Asia/Shanghai",
            }
        )
        # an English administrator gives the Chinese contact portal access
        admin = new_test_user(
            cls.env, "grant_admin", groups="base.group_erp_manager,base.group_partner_manager"
        )
        wizard = (
            cls.env["portal.wizard"]
            .with_user(admin)
            .with_context(lang="en_US", tz="Europe/Brussels")
            .create({"partner_ids": [Command.set(cls.contact.ids)]})
        )
        wizard.user_ids.action_grant_access()
        cls.customer = cls.contact.user_ids
        cls.customer.password = "portal-zh-pass"
        cls.flow, steps = cls._make_flow([{"name": "Fix", "portal_visible": True}], activate=False)
        steps["Fix"].update_field_translations("name", {"zh_CN": "修复"})
        cls.flow.action_activate()
        with freeze_time(READY):
            cls.ticket = cls._run(cls.flow, partner_id=cls.contact.id, requester_id=cls.customer.id)

    def test_portal_user_follows_their_contact(self):
        self.assertTrue(self.customer.share)
        self.assertEqual((self.customer.lang, self.customer.tz), ("zh_CN", "Asia/Shanghai"))

    def test_portal_page_in_the_customers_language_and_time_zone(self):
        self.authenticate(self.customer.login, "portal-zh-pass")
        page = self.url_open(f"/my/tickets/{self.ticket.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("修复", page.text)
        self.assertIn("2026/11/24 01:00", page.text)

    def test_portal_chatter_speaks_the_customers_language(self):
        """The portal's chatter (mail's scripts) dates messages in Chinese too."""
        self.authenticate(self.customer.login, "portal-zh-pass")
        answer = self.url_open("/website/translations/any?lang=zh_CN").json()
        messages = {
            message["id"]: message["string"]
            for module in answer["modules"].values()
            for message in module["messages"]
        }
        self.assertEqual(messages.get("Today at %(time)s"), "今天%(time)s")
