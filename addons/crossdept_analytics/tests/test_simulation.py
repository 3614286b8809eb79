from odoo.exceptions import ValidationError

from .common_process import CrossdeptProcessCase


class TestSimulation(CrossdeptProcessCase):
    """A -> B -> C -> D with fixed times: A 1h waiting + 1h working, B 2h + 2h (in
    Finance), C 1h + 0h, D 0h + 1h: every ticket takes 8h."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, cls.steps = cls._make_flow(
            [
                {"name": "A"},
                {"name": "B", "preds": ["A"], "department_id": cls.dept_finance.id, "sla": 8},
                {"name": "C", "preds": ["B"]},
                {"name": "D", "preds": ["C"]},
            ]
        )
        cls._history(
            cls.flow,
            [
                cls._serial(
                    [
                        ("A", 1, 1, "done", []),
                        ("B", 2, 2, "done", []),
                        ("C", 1, 0, "done", []),
                        ("D", 0, 1, "done", []),
                    ]
                )
            ]
            * 5,
        )

    def _simulate(self, **vals):
        sim = self.env["crossdept.simulation"].create({"flow_id": self.flow.id, "runs": 20, **vals})
        sim._simulate()
        return sim

    def _assert_predicted(self, sim, hours):
        self.assertEqual(sim.ticket_count, 5)
        self.assertAlmostEqual(sim.actual_median, 8.0)
        self.assertAlmostEqual(sim.baseline_median, 8.0, msg="the replay reproduces history")
        self.assertAlmostEqual(sim.predicted_mean, hours)
        self.assertAlmostEqual(sim.predicted_median, hours)
        self.assertAlmostEqual(sim.predicted_p90, hours)

    def test_remove_a_step(self):
        self._assert_predicted(self._simulate(change="remove", step_id=self.steps["B"].id), 4.0)

    def test_run_two_steps_in_parallel(self):
        sim = self._simulate(
            change="parallel", step_id=self.steps["C"].id, other_step_id=self.steps["B"].id
        )
        # A (2h), then B (4h) alongside C (1h), then D (1h)
        self._assert_predicted(sim, 7.0)

    def test_change_an_sla(self):
        # B's SLA doubles: its 2h of waiting become 4h
        sim = self._simulate(change="sla", step_id=self.steps["B"].id, new_sla_hours=16)
        self._assert_predicted(sim, 10.0)

    def test_change_a_headcount(self):
        sim = self._simulate(
            change="headcount", department_id=self.dept_finance.id, headcount_old=1, headcount_new=2
        )
        self._assert_predicted(sim, 7.0)
        self.assertIn("o_crossdept_simulation_histogram", sim.histogram)

    def test_sampling_is_seeded(self):
        flow, _steps = self._make_flow([{"name": "X"}, {"name": "Y", "preds": ["X"]}])
        self._history(
            flow,
            [
                self._serial([("X", 0, x, "done", []), ("Y", 0, y, "done", [])])
                for x, y in ((1, 5), (2, 1), (6, 2), (3, 3))
            ],
        )
        values = []
        for _i in range(2):
            sim = self.env["crossdept.simulation"].create(
                {
                    "flow_id": flow.id,
                    "change": "sla",
                    "step_id": _steps["X"].id,
                    "new_sla_hours": 8,
                    "runs": 50,
                    "seed": 7,
                }
            )
            sim._simulate()
            values.append((sim.predicted_mean, sim.predicted_p90))
        self.assertEqual(values[0], values[1])
        # cycle times lie between the fastest and slowest combinations
        self.assertTrue(2 <= values[0][0] <= 11)
        self.assertAlmostEqual(sim.actual_mean, (6 + 3 + 8 + 6) / 4)

    def test_a_change_needs_its_step(self):
        with self.assertRaisesRegex(ValidationError, "Choose the step the change applies to"):
            self.env["crossdept.simulation"].create({"flow_id": self.flow.id, "change": "remove"})
