from datetime import date

from freezegun import freeze_time

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from ..report.refresh import STATE_TABLE
from .common_engine_history import CrossdeptEngineHistoryCase, at

WED2, THU2 = 10, 11

# every column of each fact table, rows in a stable order; the monthly KPIs' ids
# come from a sequence (they differ after a full rebuild), so they are left out
FACTS = {
    "crossdept_analytics_step": SQL("SELECT * FROM crossdept_analytics_step ORDER BY id"),
    "crossdept_analytics_step_day": SQL("SELECT * FROM crossdept_analytics_step_day ORDER BY id"),
    "crossdept_analytics_ticket": SQL("SELECT * FROM crossdept_analytics_ticket ORDER BY id"),
    # the same for the daily and monthly sums of the ticket facts
    "crossdept_analytics_ticket_day": SQL(
        """
        SELECT kind, date, date_end, month, month_end, company_id, department_id,
               requesting_department_id, flow_id, ticket_count, closed_count, cycle_hours,
               cycle_working_count, cycle_working_hours,
               on_time_count, on_time_true,
               transferred_count, reopened_count, rated_count, satisfaction, handling_count,
               handling_hours, hold_count, hold_hours, cycle_working_buckets, cycle_working_counts
          FROM crossdept_analytics_ticket_day
         ORDER BY kind, date, company_id, department_id NULLS FIRST,
                  requesting_department_id NULLS FIRST, flow_id NULLS FIRST
        """
    ),
    "crossdept_analytics_kpi_month": SQL(
        """
        SELECT month, company_id, scope, department_id, flow_id, type_id, ticket_count,
               closed_count, rated_count, avg_hours, median_hours, p90_hours, on_time_rate,
               transfer_rate, reopen_rate, satisfaction
          FROM crossdept_analytics_kpi_month
         ORDER BY month, company_id, scope, department_id NULLS FIRST, flow_id NULLS FIRST,
                  type_id NULLS FIRST
        """
    ),
}


def read_facts(cr):
    facts = {}
    for table, query in FACTS.items():
        cr.execute(query)
        facts[table] = cr.fetchall()
    return facts


@tagged("post_install", "-at_install")
class TestIncrementalRefresh(CrossdeptEngineHistoryCase):
    """The facts refreshed from the event log, round after round, as the engine
    walks a ticket, equal the full rebuild row for row."""

    Facts = property(lambda self: self.env["crossdept.analytics.ticket"])

    def _only_events(self):
        """From now on the refresh sees only the event log: the tickets written in
        this test's transaction would otherwise all be taken again each round."""
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET date_since = now() AT TIME ZONE 'UTC' + interval '1 day'",
                SQL.identifier(STATE_TABLE),
            )
        )

    def _refresh_from_events(self):
        self._only_events()
        return self.Facts._refresh_incremental()

    def _assert_equals_full_rebuild(self):
        incremental = read_facts(self.env.cr)
        self.Facts._refresh_full()
        full = read_facts(self.env.cr)
        for table, rows in full.items():
            self.assertTrue(rows, table)
            self.assertEqual(incremental[table], rows, f"{table}: incremental != full rebuild")

    def test_rounds_of_events_give_the_full_rebuild(self):
        # round 1: a ticket opened and started (Prepare ready)
        ticket = self._open(at(WED2, 8))
        # only the ticket the events are about is refreshed
        self.assertEqual(self._refresh_from_events(), 1)
        self.assertEqual(
            self.Facts.search([("ticket_id", "=", ticket.id)]).state, ticket.state, "round 1"
        )
        # round 2: Prepare done, Check refused (back to Prepare), Prepare transferred
        self._work(ticket, "Prepare", at(WED2, 8, 30), at(WED2, 10))
        with freeze_time(at(WED2, 11)):
            self._step(ticket, "Check").with_user(self.approver_1).action_reject("Again")
        with freeze_time(at(WED2, 11, 30)):
            self.env["crossdept.ticket.step.transfer"].with_user(self.it_user).create(
                {
                    "step_ids": self._step(ticket, "Prepare").ids,
                    "user_id": self.finance_user.id,
                    "reason": "Finance",
                }
            ).action_apply()
        self.assertEqual(self._refresh_from_events(), 1)
        step_facts = self.env["crossdept.analytics.step"].search([("ticket_id", "=", ticket.id)])
        self.assertEqual(sum(step_facts.mapped("transfer_count")), 1, "round 2")
        # round 3: to the end, then the requester reopens it
        self._work(ticket, "Prepare", at(WED2, 13), at(WED2, 14), user=self.finance_user)
        self._approve(ticket, "Check", at(WED2, 15), self.approver_1)
        self._approve(ticket, "Sign", at(THU2, 9), self.approver_2)
        self._work(ticket, "Deliver", at(THU2, 9), at(THU2, 10))
        self.assertEqual(self._refresh_from_events(), 1)
        self.assertEqual(self.Facts.search([("ticket_id", "=", ticket.id)]).state, "done")
        with freeze_time(at(THU2, 11)):
            ticket.with_user(self.it_user).action_reopen()
        self.assertEqual(self._refresh_from_events(), 1)
        self._assert_equals_full_rebuild()

    def _full_rebuild_facts(self):
        """The facts a full rebuild gives now; the current ones are left as they are."""
        savepoint = self.env.cr.savepoint(flush=False)
        try:
            self.Facts._refresh_full()
            return read_facts(self.env.cr)
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()

    def _sums_row(self, query):
        self.env.cr.execute(query)
        return self.env.cr.fetchall()

    def test_sums_gaining_facts_are_added_to_and_losing_facts_computed_again(self):
        cr = self.env.cr
        prepare = self.flow_steps["Prepare"].id
        step_row = SQL(
            """SELECT id, name->>'en_US', step_count FROM crossdept_analytics_step_day
                WHERE date = '2021-03-10' AND flow_step_id = %s""",
            prepare,
        )
        ticket_rows = SQL(
            """SELECT kind, date, id, ticket_count, closed_count FROM crossdept_analytics_ticket_day
                WHERE date IN ('2021-03-10', '2021-03-11') AND kind = 'day' ORDER BY date"""
        )
        # Wednesday: a ticket opened, its Prepare finished (new rows of sums)
        first = self._open(at(WED2, 8))
        self._work(first, "Prepare", at(WED2, 8), at(WED2, 9))
        self.assertEqual(self._refresh_from_events(), 1)
        [(step_id, _name, count)] = self._sums_row(step_row)
        [(_kind, _date, day_id, tickets, _closed)] = self._sums_row(ticket_rows)
        self.assertEqual((count, tickets), (1, 1))
        month_row = SQL(
            """SELECT id, ticket_count FROM crossdept_analytics_ticket_day
                WHERE kind = 'month' AND date = '2021-03-01' AND flow_id = %s""",
            self.flow.id,
        )
        [(month_id, month_tickets)] = self._sums_row(month_row)
        # Prepare's month rows of March (one per group of departments): the sums of
        # its day rows of March, marked as the day row is
        step_months = SQL(
            """SELECT sum(step_count), bool_and(name->>'en_US' = 'kept')
                 FROM crossdept_analytics_step_day
                WHERE kind = 'month' AND date = '2021-03-01' AND flow_step_id = %s""",
            prepare,
        )
        [(month_steps, _kept)] = self._sums_row(step_months)
        day_steps = SQL(
            """SELECT sum(step_count) FROM crossdept_analytics_step_day
                WHERE kind = 'day' AND date BETWEEN '2021-03-01' AND '2021-03-31'
                  AND flow_step_id = %s""",
            prepare,
        )
        self.assertEqual(self._sums_row(day_steps), [(month_steps,)])
        mark_months = SQL(
            """UPDATE crossdept_analytics_step_day SET name = %s
                WHERE kind = 'month' AND date = '2021-03-01' AND flow_step_id = %s""",
            '{"en_US": "kept"}',
            prepare,
        )
        cr.execute(mark_months)
        # a mark that a row computed again from the facts would lose
        cr.execute(
            SQL(
                "UPDATE crossdept_analytics_step_day SET name = %s WHERE id = %s",
                '{"en_US": "kept"}',
                step_id,
            )
        )
        # a second one the same day: the day's rows only gain facts and are added to
        second = self._open(at(WED2, 9))
        self._work(second, "Prepare", at(WED2, 9), at(WED2, 10))
        self.assertEqual(self._refresh_from_events(), 1)
        self.assertEqual(self._sums_row(step_row), [(step_id, "kept", 2)], "added to")
        self.assertEqual(
            self._sums_row(ticket_rows),
            [("day", date(2021, 3, 10), day_id, 2, 0)],
            "the same row, added to",
        )
        self.assertEqual(self._sums_row(month_row), [(month_id, month_tickets + 1)], "its month")
        self.assertEqual(
            self._sums_row(step_months), [(month_steps + 1, True)], "Prepare's month, added to"
        )
        cr.execute(
            SQL(
                """UPDATE crossdept_analytics_step_day SET name = %s
                    WHERE kind = 'month' AND date = '2021-03-01' AND flow_step_id = %s""",
                '{"en_US": "Prepare"}',
                prepare,
            )
        )
        cr.execute(
            SQL(
                "UPDATE crossdept_analytics_step_day SET name = %s WHERE id = %s",
                '{"en_US": "Prepare"}',
                step_id,
            )
        )
        self.assertEqual(read_facts(cr), self._full_rebuild_facts())
        cr.execute(mark_months)
        # one refresh subtracts and adds: the first is cancelled and reset to draft
        # (its Prepare archived: Wednesday's Prepare loses the fact of the row's
        # smallest id), the second done Thursday (its ticket fact leaves Wednesday
        # for Thursday, its last steps finish Thursday)
        with freeze_time(at(WED2, 11)):
            first.with_user(self.it_user).action_cancel()
            first.with_user(self.it_user).action_draft()
        self._approve(second, "Check", at(THU2, 9), self.approver_1)
        self._approve(second, "Sign", at(THU2, 10), self.approver_2)
        self._work(second, "Deliver", at(THU2, 10), at(THU2, 11))
        self.assertEqual(self._refresh_from_events(), 2)
        [(new_step_id, name, count)] = self._sums_row(step_row)
        self.assertEqual((name, count), ("Prepare", 1), "computed again")
        self.assertGreater(new_step_id, step_id, "the second ticket's Prepare")
        # Prepare's month rows summed again from its day rows: the first's Prepare out
        self.assertEqual(self._sums_row(step_months), [(month_steps, False)], "computed again")
        self.assertEqual(self._sums_row(day_steps), [(month_steps,)])
        self.assertEqual(
            [row[3:] for row in self._sums_row(ticket_rows)], [(1, 0), (1, 1)], "moved"
        )
        self.assertEqual(read_facts(cr), self._full_rebuild_facts())
        # the second reopened: Thursday loses its only ticket, Wednesday gains it back
        with freeze_time(at(THU2, 12)):
            second.with_user(self.it_user).action_reopen()
        self.assertEqual(self._refresh_from_events(), 1)
        self.assertEqual(
            [row[1:2] + row[3:] for row in self._sums_row(ticket_rows)],
            [(date(2021, 3, 10), 2, 0)],
        )
        self._assert_equals_full_rebuild()

    def test_writes_without_event_are_taken_from_their_date(self):
        # a priority changes without an event: the ticket was written since the last run
        self.t1.with_user(self.it_manager).priority = "3"
        self.Facts._refresh_incremental()
        self.assertEqual(self.Facts.search([("ticket_id", "=", self.t1.id)]).priority, "3")
        self._assert_equals_full_rebuild()

    def test_second_run_without_events_changes_nothing(self):
        self.Facts._refresh_incremental()
        self._only_events()
        before = read_facts(self.env.cr)
        # no ticket to refresh: the companies, the lock that reads the watermarks (in
        # a savepoint: 3), the log's end, the time bound, the tickets to refresh
        # (none), the watermarks moved
        with self.assertQueryCount(8):
            self.assertEqual(self.Facts._refresh_incremental(), 0)
        self.assertEqual(read_facts(self.env.cr), before)

    def test_a_company_refreshed_alone_leaves_the_others_watermark(self):
        other = self.env["res.company"].create({"name": "Facts elsewhere"})
        self.Facts._refresh_incremental()
        self.env.cr.execute(
            SQL("UPDATE %s SET event_id = event_id - 5", SQL.identifier(STATE_TABLE))
        )
        self.Facts._refresh_incremental(self.env.company)
        self.env.cr.execute(
            SQL(
                "SELECT company_id, event_id FROM %s WHERE company_id IN %s",
                SQL.identifier(STATE_TABLE),
                (self.env.company.id, other.id),
            )
        )
        watermarks = dict(self.env.cr.fetchall())
        self.env.cr.execute(SQL("SELECT max(id) FROM crossdept_ticket_event"))
        last = self.env.cr.fetchone()[0]
        self.assertEqual(watermarks[self.env.company.id], last)
        self.assertEqual(watermarks[other.id], last - 5, "the other company is not refreshed")


@tagged("post_install", "-at_install")
class TestIncrementalRefreshConcurrency(TransactionCase):
    """Two refreshes in two real transactions (their own cursors, on what the
    database has committed; the test's own transaction writes nothing)."""

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def _counts(self, cr):
        counts = {}
        for table in FACTS:
            cr.execute(SQL("SELECT count(*), count(DISTINCT id) FROM %s", SQL.identifier(table)))
            counts[table] = cr.fetchone()
        return counts

    def test_two_refreshes_at_once_leave_no_duplicate(self):
        with self.registry.cursor() as first_cr, self.registry.cursor() as second_cr:
            first = self._env(first_cr)["crossdept.analytics.ticket"]
            second = self._env(second_cr)["crossdept.analytics.ticket"]
            reader_cr = self.registry.cursor()
            self.addCleanup(reader_cr.close)
            before = self._counts(reader_cr)
            # the first applies the committed log's last 200 events again (real work)
            first_cr.execute(
                SQL(
                    "UPDATE %s SET event_id = GREATEST(event_id - 200, 0)",
                    SQL.identifier(STATE_TABLE),
                )
            )
            self.assertGreater(first._refresh_incremental(), 0)
            # the second, while the first has not committed: it leaves the work to it
            self.assertIsNone(second._refresh_incremental())
            second_cr.rollback()
            # a reader meanwhile sees the facts as they were, no half of the new ones
            self.assertEqual(self._counts(reader_cr), before)
            reader_cr.rollback()
            # a third began before the first committed, refreshes after: it finds the
            # watermark moved under its snapshot and leaves it too
            third_cr = self.registry.cursor()
            self.addCleanup(third_cr.close)
            third_cr.execute(SQL("SELECT 1 FROM %s", SQL.identifier(STATE_TABLE)))
            first_cr.commit()
            self.assertIsNone(
                self._env(third_cr)["crossdept.analytics.ticket"]._refresh_incremental()
            )
            third_cr.rollback()
            for table, (rows, ids) in self._counts(second_cr).items():
                self.assertEqual(rows, ids, f"{table}: duplicated rows")
            # and what the first left is what a full rebuild gives
            facts = read_facts(second_cr)
            self._env(second_cr)["crossdept.analytics.ticket"]._refresh_full()
            self.assertEqual(read_facts(second_cr), facts)
            second_cr.rollback()
