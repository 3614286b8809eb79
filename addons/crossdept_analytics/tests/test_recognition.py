from datetime import date, datetime, timedelta

from odoo import Command
from odoo.tests import tagged
from odoo.tools import SQL

from .common import CrossdeptAnalyticsCase

MARCH = date(2020, 3, 1)


@tagged("post_install", "-at_install")
class TestRecognition(CrossdeptAnalyticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow([{"name": "Do"}])
        cls.tickets = cls.env["crossdept.ticket"]
        for _index in range(3):
            ticket = cls._run(cls.flow)
            cls.tickets |= ticket
        steps = cls.tickets.step_ids
        cls.env.flush_all()
        # it_user did three steps in March 2020, two of them within the deadline
        for index, step in enumerate(steps):
            ready = datetime(2020, 3, 2 + index, 9)
            cls.env.cr.execute(
                SQL(
                    """
                    UPDATE crossdept_ticket_step
                       SET state = 'done', user_id = %s, date_ready = %s, date_started = %s,
                           date_done = %s, date_deadline = %s
                     WHERE id = %s
                    """,
                    cls.it_user.id,
                    ready,
                    ready,
                    ready + timedelta(hours=2),
                    ready + timedelta(hours=1 if index == 0 else 3),
                    step.id,
                )
            )
        # finance_user, Consulted on the first ticket, answered twice in March 2020
        consulted = cls.tickets[0]
        consulted.write(
            {"raci_ids": [Command.create({"role": "consulted", "user_id": cls.finance_user.id})]}
        )
        messages = consulted.with_user(cls.finance_user).message_post(
            body="Budget is fine", message_type="comment"
        )
        messages |= consulted.with_user(cls.finance_user).message_post(
            body="Signed off", message_type="comment"
        )
        # a comment by someone not Consulted does not count
        messages |= consulted.with_user(cls.it_user).message_post(
            body="Just saying", message_type="comment"
        )
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE mail_message SET date = %s WHERE id IN %s",
                datetime(2020, 3, 20),
                tuple(messages.ids),
            )
        )
        cls._refresh()

    def _line(self, user):
        return self.env["crossdept.analytics.scoreboard"].search(
            [("month", "=", MARCH), ("user_id", "=", user.id)]
        )

    def test_scoreboard(self):
        worker = self._line(self.it_user)
        self.assertEqual(worker.steps_done, 3)
        self.assertEqual(worker.steps_on_time, 2)
        self.assertAlmostEqual(worker.on_time_rate, 200 / 3)
        self.assertEqual(worker.tickets_handled, 3)
        self.assertEqual(worker.department_id, self.dept_it)
        self.assertEqual(worker.score, 2)
        consultant = self._line(self.finance_user)
        self.assertEqual(consultant.consultations, 2)
        self.assertEqual(consultant.steps_done, 0)
        self.assertEqual(consultant.score, 6)
        self.assertEqual(consultant.department_id, self.dept_finance)

    def test_star_is_picked_once_and_announced(self):
        Star = self.env["crossdept.collaboration.star"]
        star = Star._pick(MARCH)
        self.assertEqual(star.user_id, self.finance_user, "answering consultations scores most")
        self.assertEqual(star.consultations, 2)
        self.assertIn(self.finance_user.partner_id, star.message_ids[0].partner_ids)
        self.assertIn("collaboration star of 2020-03", star.message_ids[0].body)
        self.assertFalse(Star._pick(MARCH), "one star a month")
        self.assertEqual(Star.search_count([("month", "=", MARCH)]), 1)

    def test_no_star_for_an_empty_month(self):
        self.assertFalse(self.env["crossdept.collaboration.star"]._pick(date(2019, 1, 1)))
