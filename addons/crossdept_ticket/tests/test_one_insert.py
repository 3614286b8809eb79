import contextlib

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import SQL

from ..models.crossdept_ticket_notify import ACTIVITY_CREATE, MESSAGE_CREATE
from ..models.crossdept_ticket_step_bus import TICKET_NOTIFICATION
from ..tools.bulk_create import create_overrides, insert_rows
from .common import USER
from .common_flow import CrossdeptFlowCase

NOW = "2026-11-23 09:00:00"


class Undo(Exception):
    """Rolls a savepoint back once its rows were read."""


@tagged("post_install", "-at_install")
class TestOneInsert(CrossdeptFlowCase):
    """The escalation cron writes its to-dos, notes and events in one INSERT each
    (tools/bulk_create.py): each helper writes the rows the ORM's create writes,
    every column compared, so that a column a future Odoo adds, a default or a
    computed value is noticed here."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow([{"name": "Fix", "department_id": cls.dept_it.id}])
        with freeze_time(NOW):
            cls.ticket = cls._run(cls.flow)
        cls.step = cls.ticket.step_ids
        # a reader in another time zone and language, not yet a follower, and a
        # portal user (a customer follows with the external subtypes)
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.reader = cls._make_user("reader_cn", USER, cls.dept_finance)
        cls.reader.write({"tz": "Asia/Shanghai", "lang": "zh_CN"})

    def _rows(self, table, where):
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT * FROM %s WHERE %s ORDER BY id", SQL.identifier(table), where)
        )
        return [
            {key: value for key, value in row.items() if key != "id"}
            for row in self.env.cr.dictfetchall()
        ]

    def _followers(self):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT f.partner_id, array_agg(r.mail_message_subtype_id ORDER BY "
                "r.mail_message_subtype_id) FROM mail_followers f LEFT JOIN "
                "mail_followers_mail_message_subtype_rel r ON r.mail_followers_id = f.id "
                "WHERE f.res_model = 'crossdept.ticket' AND f.res_id = %s "
                "GROUP BY f.partner_id ORDER BY f.partner_id",
                self.ticket.id,
            )
        )
        return self.env.cr.fetchall()

    def _written(self, create, table, field):
        """What ``create()`` writes: the rows of ``table`` it created (all their
        columns but the id), the ticket's followers with their subtypes, the bus
        notifications it queued, and whether the ticket's ``field`` read before
        shows them; then everything is rolled back."""
        # the savepoint runs the hooks queued before it (cr.flush): what the bus
        # holds in it is what create() queued
        with contextlib.suppress(Undo), freeze_time(NOW), self.env.cr.savepoint():
            before = self.ticket[field]
            records = create()
            written = {
                "rows": self._rows(table, SQL("id IN %s", tuple(records.ids))),
                "followers": self._followers(),
                "bus": list(self.env.cr.precommit.data.get("bus.bus.values", ())),
                # the cache shows the new rows on the ticket
                "on_ticket": self.ticket[field] == before | records,
            }
            raise Undo()
        self.env.invalidate_all(flush=False)
        return written

    def test_activities_and_their_followers_are_the_orm_s(self):
        Ticket = self.env["crossdept.ticket"]
        today = fields.Date.to_date(NOW)
        entries = [
            (self.ticket, self.it_user, "Step Fix is close to its deadline.", today),
            (self.ticket, self.reader, "步骤 Fix 即将到期。", today),
            (self.ticket, self.portal_a, "<b>Later</b>", fields.Date.add(today, days=3)),
        ]
        table, field = "mail_activity", "activity_ids"
        orm = self._written(lambda: Ticket._schedule_activities_batch(entries), table, field)
        ours = self._written(
            lambda: Ticket._schedule_activities_in_one_insert(entries), table, field
        )
        self.assertEqual(len(ours["rows"]), 3)
        self.assertEqual(ours["rows"], orm["rows"])
        self.assertEqual(ours["rows"][1]["user_tz"], "Asia/Shanghai")
        partners = {partner for partner, _subtypes in ours["followers"]}
        self.assertIn(self.reader.partner_id.id, partners, "the person told follows")
        self.assertEqual(ours["followers"], orm["followers"])
        self.assertEqual(len(ours["bus"]), 2, "the two due today hear on the bus")
        self.assertEqual(ours["bus"], orm["bus"])
        self.assertTrue(ours["on_ticket"])
        self.assertEqual(create_overrides(self.env["mail.activity"]), ACTIVITY_CREATE)

    def test_notes_are_the_orm_s(self):
        bodies = {self.ticket.id: "Step <Fix> missed its deadline (23/11 17:00 UTC)."}
        table, field = "mail_message", "message_ids"
        orm = self._written(lambda: self.ticket._message_log_batch(bodies), table, field)
        ours = self._written(lambda: self.ticket._log_notes_in_one_insert(bodies), table, field)
        # Message-Id: unique per batch (a random part), of the same form
        ids = [rows["rows"][0].pop("message_id") for rows in (orm, ours)]
        self.assertEqual([i.split(".", 1)[1] for i in ids], [ids[0].split(".", 1)[1]] * 2)
        self.assertEqual(ours["rows"], orm["rows"])
        self.assertIn("&lt;Fix&gt;", ours["rows"][0]["body"])
        self.assertEqual(ours["followers"], orm["followers"])
        self.assertTrue(ours["on_ticket"])
        self.assertEqual(create_overrides(self.env["mail.message"]), MESSAGE_CREATE)

    def test_events_are_the_orm_s(self):
        vals = self.step._escalation_event("Warning", self.it_user | self.reader, "1")
        Ticket = self.env["crossdept.ticket"]
        table, field = "crossdept_ticket_event", "event_ids"
        orm = self._written(lambda: Ticket._log_events([dict(vals)]), table, field)
        ours = self._written(
            lambda: Ticket._log_events([dict(vals)], one_insert=True), table, field
        )
        self.assertEqual(len(ours["rows"]), 1)
        self.assertEqual(ours["rows"], orm["rows"])
        self.assertEqual(ours["rows"][0]["event_date"], fields.Datetime.to_datetime(NOW))
        self.assertTrue(ours["on_ticket"])

    def _bus_rows(self, send):
        """The bus rows ``send()`` leaves at commit, and whether the ticket's channel
        is told after it."""
        Bus = self.env["bus.bus"].sudo()
        self.env.cr.precommit.run()
        last = Bus.search([], order="id desc", limit=1).id
        self.env.cr.postcommit.data.pop("bus.bus.channels", None)
        send()
        self.env.cr.precommit.run()
        channels = self.env.cr.postcommit.data.get("bus.bus.channels", ())
        return self._rows("bus_bus", SQL("id > %s", last)), len(channels)

    def test_ticket_notices_are_the_bus_s(self):
        """The SLA cron tells thousands of tickets' diagrams in one INSERT: the rows
        and the NOTIFY after the commit are those of ``_bus_send``."""
        payload = {"ticket_id": self.ticket.id}
        orm = self._bus_rows(lambda: self.ticket._bus_send(TICKET_NOTIFICATION, payload))
        ours = self._bus_rows(lambda: self.step._insert_ticket_notifications(self.ticket.ids))
        self.assertEqual(len(ours[0]), 1)
        self.assertEqual(ours, orm)

    def test_a_value_without_a_column_is_refused(self):
        Activity = self.env["mail.activity"].sudo()
        vals = self.env["crossdept.ticket"]._activity_vals(
            [(self.ticket, self.it_user, "Look", fields.Date.today())]
        )[0]
        attachment = self.env["ir.attachment"].create({"name": "a.txt", "raw": b"a"})
        with self.assertRaisesRegex(ValueError, r"mail.activity.attachment_ids has no column"):
            insert_rows(Activity, [dict(vals, attachment_ids=[Command.set(attachment.ids)])])
        with self.assertRaisesRegex(ValueError, r"stored computed fields to give: .*res_name"):
            insert_rows(Activity, [{k: v for k, v in vals.items() if k != "res_name"}])
