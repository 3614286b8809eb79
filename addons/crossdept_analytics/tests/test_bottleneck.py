from .common_process import CrossdeptProcessCase


class TestBottleneck(CrossdeptProcessCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, cls.steps = cls._make_flow(
            [
                {"name": "Draft"},
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Draft"],
                    "approvers": cls.approver_1,
                    "value_adding": False,
                },
                {"name": "Deliver", "preds": ["Approve"]},
            ]
        )
        approver = cls.approver_1
        cls._history(
            cls.flow,
            [
                # Draft waits 1h, works 2h; Approve waits 4h, works 1h; Deliver 0h + 2h
                cls._serial(
                    [
                        ("Draft", 1, 2, "done", []),
                        ("Approve", 4, 1, "approve", approver),
                        ("Deliver", 0, 2, "done", []),
                    ]
                ),
                cls._serial(
                    [
                        ("Draft", 1, 2, "done", []),
                        ("Approve", 2, 1, "approve", approver),
                        ("Deliver", 0, 2, "done", []),
                    ]
                ),
            ],
        )

    def test_share_waiting_and_working_per_step(self):
        lines = {line.flow_step_id.name: line for line in self.flow.bottleneck_ids}
        self.assertEqual(set(lines), {"Draft", "Approve", "Deliver"})
        # 6h + 8h + 4h = 18h spent in the steps of the two tickets
        self.assertAlmostEqual(lines["Draft"].share, 100 * 6 / 18)
        self.assertAlmostEqual(lines["Approve"].share, 100 * 8 / 18)
        self.assertAlmostEqual(lines["Deliver"].share, 100 * 4 / 18)
        self.assertAlmostEqual(lines["Approve"].wait_hours, 3.0)
        self.assertAlmostEqual(lines["Approve"].work_hours, 1.0)
        self.assertAlmostEqual(lines["Draft"].wait_hours, 1.0)
        self.assertAlmostEqual(lines["Draft"].work_hours, 2.0)
        self.assertEqual(lines["Approve"].sample_count, 2)
        self.assertEqual(lines["Approve"].bottleneck_rank, 1)
        self.assertEqual(lines["Deliver"].bottleneck_rank, 3)

    def test_value_stream_and_top_bottlenecks(self):
        flow = self.flow
        self.assertAlmostEqual(flow.value_adding_hours, 10.0)
        self.assertAlmostEqual(flow.non_value_adding_hours, 8.0)
        self.assertAlmostEqual(flow.value_adding_ratio, 100 * 10 / 18)
        self.assertAlmostEqual(flow.wait_hours, 2 + 6 + 0)
        self.assertAlmostEqual(flow.work_hours, 4 + 2 + 4)
        self.assertEqual(flow.top_bottleneck_ids.mapped("name"), ["Approve", "Draft", "Deliver"])

    def test_heat_map_colours_the_core_diagram(self):
        svg = self.flow.bottleneck_diagram
        self.assertIn("o_crossdept_flow_diagram", svg, "the core's diagram is reused")
        approve = self.steps["Approve"].id
        deliver = self.steps["Deliver"].id
        self.assertRegex(svg, rf'data-step-id="{approve}"[^>]*data-share="44.4"')
        # the largest share is red, the others lighter
        self.assertIn('fill="#dc3545"', svg)
        # per finished step: 4 h handled (clock hours, the history is not measured)
        self.assertIn("44.4% · handling 4.0 h · on hold \u2013", svg)
        self.assertRegex(svg, rf'data-step-id="{deliver}"[^>]*data-share="22.2"')

    def test_unfinished_steps_do_not_count(self):
        flow, _steps = self._make_flow([{"name": "Only"}])
        ticket = self._run(flow)
        self.assertEqual(ticket.step_ids.state, "ready")
        line = flow.bottleneck_ids
        self.assertEqual((line.sample_count, line.share), (0, 0.0))
        self.assertFalse(flow.top_bottleneck_ids)

    def test_bottleneck_page_opens_on_the_flow(self):
        action = self.flow.action_view_bottlenecks()
        self.assertEqual((action["res_model"], action["res_id"]), ("crossdept.flow", self.flow.id))
        view = self.env.ref("crossdept_analytics.crossdept_flow_view_form_bottleneck")
        self.assertEqual(action["views"], [(view.id, "form")])
