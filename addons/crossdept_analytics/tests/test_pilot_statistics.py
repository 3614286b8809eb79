import random

from scipy import stats

from odoo.tests import new_test_user

from odoo.addons.crossdept_analytics.tools import process_stats

from .common_process import CrossdeptProcessCase


class TestStatistics(CrossdeptProcessCase):
    def test_mann_whitney_matches_scipy_with_ties(self):
        rng = random.Random(7)
        for size_x, size_y in ((5, 7), (20, 23), (60, 45)):
            x = [rng.randint(1, 15) for _i in range(size_x)]
            y = [rng.randint(3, 18) for _i in range(size_y)]
            u_stat, p_value = process_stats.mann_whitney_u(x, y)
            expected = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
            self.assertAlmostEqual(u_stat, expected.statistic)
            self.assertAlmostEqual(p_value, expected.pvalue, places=10)

    def test_median_and_percentiles(self):
        self.assertEqual(process_stats.median([5, 1, 3]), 3.0)
        self.assertEqual(process_stats.median([4, 1, 3, 2]), 2.5)
        self.assertIsNone(process_stats.median([]))
        data = [3.0, 1.0, 9.0, 4.0, 7.5]
        for q in (10, 50, 90):
            self.assertAlmostEqual(
                process_stats.percentile(data, q), float(stats.scoreatpercentile(data, q))
            )


class TestPilotResults(CrossdeptProcessCase):
    """25 control tickets of 10..34h and 25 variant tickets of 1..25h on a one-step
    flow with an 20h SLA."""

    CONTROL = [10 + i for i in range(25)]
    VARIANT = [1 + i for i in range(25)]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.control, _steps = cls._make_flow([{"name": "Review", "sla": 20}])
        cls.variant = cls.control._copy_as_version(2)
        cls.pilot = cls.env["crossdept.pilot"].create(
            {
                "name": "Faster review",
                "control_flow_id": cls.control.id,
                "variant_flow_id": cls.variant.id,
            }
        )
        cls.pilot.action_start()
        for flow, arm, hours in (
            (cls.control, "control", cls.CONTROL),
            (cls.variant, "variant", cls.VARIANT),
        ):
            cls._history(
                flow,
                [
                    cls._serial(
                        [("Review", 0, h, "done", [])],
                        vals={"pilot_id": cls.pilot.id, "pilot_arm": arm},
                    )
                    for h in hours
                ],
            )

    def test_arms_counts_medians_and_on_time(self):
        pilot = self.pilot
        self.assertEqual((pilot.control_count, pilot.variant_count), (25, 25))
        self.assertEqual((pilot.control_median_hours, pilot.variant_median_hours), (22.0, 13.0))
        # on time: at most 20h -> 11 of the control tickets, 20 of the variant ones
        self.assertAlmostEqual(pilot.control_on_time_rate, 100 * 11 / 25)
        self.assertAlmostEqual(pilot.variant_on_time_rate, 100 * 20 / 25)
        self.assertEqual(pilot.control_satisfaction, 0.0)

    def test_satisfaction_per_arm_reads_the_customer_ratings(self):
        pilot = self.pilot
        self.assertEqual((pilot.control_satisfaction, pilot.variant_satisfaction), (0.0, 0.0))
        control = pilot.ticket_ids.filtered(lambda t: t.pilot_arm == "control").sorted("id")
        variant = pilot.ticket_ids.filtered(lambda t: t.pilot_arm == "variant").sorted("id")
        # the customer's rating link; the second rating of a ticket replaces the first
        for ticket, rate in ((control[0], 1), (control[0], 4), (control[1], 5), (variant[0], 3)):
            ticket.rating_apply(rate, token=ticket._rating_get_access_token())
        # a rating given in the back end, and a request not answered yet
        self.env["rating.rating"].create(
            [
                {
                    "res_model_id": self.env["ir.model"]._get_id("crossdept.ticket"),
                    "res_id": ticket.id,
                    "rating": rate,
                    "consumed": consumed,
                }
                for ticket, rate, consumed in (
                    (control[2], 2, True),
                    (variant[1], 4, True),
                    (variant[2], 1, False),
                )
            ]
        )
        # recomputed from the new ratings, without reloading the pilot
        self.assertEqual(pilot.control_satisfaction, (4 + 5 + 2) / 3)
        self.assertEqual(pilot.variant_satisfaction, (3 + 4) / 2)

    def test_u_test_and_bootstrap(self):
        pilot = self.pilot
        expected = stats.mannwhitneyu(self.CONTROL, self.VARIANT, method="asymptotic")
        self.assertAlmostEqual(pilot.u_statistic, expected.statistic)
        self.assertAlmostEqual(pilot.p_value, expected.pvalue, places=6)
        self.assertLess(pilot.p_value, 0.05)
        self.assertLessEqual(pilot.ci_low, -9.0)
        self.assertGreaterEqual(pilot.ci_high, -9.0)
        self.assertLess(pilot.ci_high, 0.0)
        again = self.env["crossdept.pilot"].browse(pilot.id)
        again.invalidate_recordset()
        self.assertEqual((again.ci_low, again.ci_high), (pilot.ci_low, pilot.ci_high))
        self.assertIn("The variant is faster", pilot.verdict)
        shown = "p < 0.0001" if expected.pvalue < 0.0001 else f"p = {expected.pvalue:.4f}"
        self.assertIn(shown, pilot.verdict)

    def test_only_those_who_may_promote_are_told_to(self):
        admin = new_test_user(
            self.env, "pilot_admin", groups="crossdept_ticket.group_crossdept_ticket_admin"
        )
        self.assertIn("The variant is faster", self.pilot.with_user(admin).verdict)
        self.assertIn("Promote it.", self.pilot.with_user(admin).verdict)
        # a manager sees no Promote Variant button: they are not told to press it
        verdict = self.pilot.with_user(self.it_manager).verdict
        self.assertIn("The variant is faster", verdict)
        self.assertIn("An administrator can promote it.", verdict)
        self.assertNotIn("Promote it.", verdict)
        verdict_zh = self.pilot.with_user(self.it_manager).with_context(lang="zh_CN").verdict
        self.assertIn("管理员可以推广它。", verdict_zh)

    def test_small_samples_get_no_verdict(self):
        pilot = self.env["crossdept.pilot"].create(
            {
                "name": "Tiny",
                "control_flow_id": self.control.id,
                "variant_flow_id": self.variant.id,
            }
        )
        self._history(
            self.variant,
            [
                self._serial(
                    [("Review", 0, 3, "done", [])],
                    vals={"pilot_id": pilot.id, "pilot_arm": "variant"},
                )
            ],
        )
        self.assertEqual((pilot.control_count, pilot.variant_count), (0, 1))
        self.assertIn("Sample too small", pilot.verdict)
