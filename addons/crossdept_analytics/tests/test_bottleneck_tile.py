from collections import defaultdict
from datetime import date, timedelta

from odoo.tests import tagged
from odoo.tools import SQL

from .common_process import CrossdeptProcessCase


@tagged("post_install", "-at_install")
class TestBottleneckTile(CrossdeptProcessCase):
    """The dashboard's top bottleneck steps, read from the daily sums of the finished
    steps, give the figures the step facts give: Check waits 30h then works 2h, so
    its steps finish on other days than the Prepare steps."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, cls.steps = cls._make_flow(
            [{"name": "Prepare"}, {"name": "Check", "preds": ["Prepare"]}]
        )
        start = cls.START
        cls.tickets = cls._history(
            cls.flow,
            [
                cls._serial([("Prepare", 1, 3, "done", []), ("Check", 30, 2, "done", [])]),
                {
                    **cls._serial([("Prepare", 2, 1, "done", []), ("Check", 50, 4, "done", [])]),
                    "start": start + timedelta(days=3),
                },
                # outside the period below
                {
                    **cls._serial([("Prepare", 1, 9, "done", []), ("Check", 1, 9, "done", [])]),
                    "start": start + timedelta(days=60),
                },
            ],
        )
        # a step finished without a recorded start: no waiting nor working time,
        # but its ready-to-done hours count
        cls.prepare_unstarted = cls.tickets[1].step_ids.filtered(lambda s: s.name == "Prepare")
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE crossdept_ticket_step SET date_started = NULL WHERE id = %s",
                cls.prepare_unstarted.id,
            )
        )
        cls.env["crossdept.analytics.ticket"]._cron_refresh()
        cls.period = (date(2024, 3, 1), date(2024, 3, 31))

    def _from_facts(self, date_from, date_to):
        """The tile's figures computed from the step facts one by one."""
        facts = self.env["crossdept.analytics.step"].search(
            [
                ("state", "=", "done"),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
                ("company_id", "in", self.env.companies.ids),
            ]
        )
        by_step = defaultdict(list)
        for fact in facts:
            by_step[fact.flow_step_id.id].append(fact)

        def handling(fact):
            # handling time: working hours where the engine measured the step, else clock
            return fact.handling_hours if fact.step_id.date_measured else fact.total_hours

        grand_total = sum(handling(f) for f in facts)
        result = {}
        for step_id, rows in by_step.items():
            waiting = [r.waiting_hours for r in rows if r.date_started]
            working = [r.working_hours for r in rows if r.date_started]
            result[step_id] = {
                "name": min(r.name for r in rows),
                "count": len(rows),
                "waiting_hours": sum(waiting) / len(waiting) if waiting else None,
                "working_hours": sum(working) / len(working) if working else None,
                "share": 100.0 * sum(handling(r) for r in rows) / grand_total,
                "total": sum(r.total_hours for r in rows),
                "handling": sum(handling(r) for r in rows),
            }
        return result

    def _assert_same(self, tile, expected):
        for line in tile:
            figures = expected[line["flow_step_id"]]
            self.assertEqual(line["name"], figures["name"])
            self.assertEqual(line["count"], figures["count"])
            for key in ("waiting_hours", "working_hours", "share"):
                if figures[key] is None:
                    self.assertIsNone(line[key])
                else:
                    self.assertAlmostEqual(float(line[key]), figures[key], places=9)

    def test_tile_matches_the_step_facts(self):
        Kpi = self.env["crossdept.analytics.kpi"]
        tile = Kpi.get_bottlenecks(*self.period, limit=1000)
        expected = self._from_facts(*self.period)
        self.assertEqual({line["flow_step_id"] for line in tile}, set(expected))
        self._assert_same(tile, expected)
        # ordered by the handling time of the step, largest first
        totals = [expected[line["flow_step_id"]]["handling"] for line in tile]
        self.assertEqual(totals, sorted(totals, reverse=True))

    def test_tile_figures_of_the_hand_built_history(self):
        tile = self.env["crossdept.analytics.kpi"].get_bottlenecks(*self.period, limit=1000)
        lines = {line["flow_step_id"]: line for line in tile}
        prepare, check = lines[self.steps["Prepare"].id], lines[self.steps["Check"].id]
        self.assertEqual((prepare["count"], check["count"]), (2, 2))
        # Prepare: waits 1h and works 3h; the other one has no start recorded
        self.assertAlmostEqual(float(prepare["waiting_hours"]), 1.0)
        self.assertAlmostEqual(float(prepare["working_hours"]), 3.0)
        self.assertAlmostEqual(float(check["waiting_hours"]), 40.0)
        self.assertAlmostEqual(float(check["working_hours"]), 3.0)
        # 4h + 3h of Prepare and 32h + 54h of Check, plus the demo steps of the month
        expected = self._from_facts(*self.period)
        self.assertAlmostEqual(expected[self.steps["Check"].id]["total"], 86.0)
        self.assertAlmostEqual(expected[self.steps["Prepare"].id]["total"], 7.0)
        self.assertGreater(check["share"], prepare["share"])

    def test_period_and_limit(self):
        Kpi = self.env["crossdept.analytics.kpi"]
        period = (date(2024, 5, 1), date(2024, 5, 31))
        tile = Kpi.get_bottlenecks(*period, limit=1000)
        self._assert_same(tile, self._from_facts(*period))
        lines = {line["flow_step_id"]: line for line in tile}
        self.assertEqual(lines[self.steps["Prepare"].id]["count"], 1)
        self.assertAlmostEqual(float(lines[self.steps["Check"].id]["working_hours"]), 9.0)
        self.assertEqual(len(Kpi.get_bottlenecks(*self.period, limit=1)), 1)
        # a period ending before it starts holds no step
        self.assertEqual(Kpi.get_bottlenecks(period[1], period[0]), [])
