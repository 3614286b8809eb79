from datetime import datetime

from odoo import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestProcessTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ticket_type = cls.env["crossdept.ticket.type"].create({"name": "Tour contracts"})
        cls.flow = cls.env["crossdept.flow"].create(
            {"name": "Tour flow", "code": "TOURPROC", "type_ids": [Command.set(ticket_type.ids)]}
        )
        responsible = [
            Command.create({"role": "responsible", "holder_type": "user", "user_id": cls.env.uid})
        ]
        draft = cls.env["crossdept.flow.step"].create(
            {"flow_id": cls.flow.id, "name": "Draft", "raci_ids": responsible}
        )
        cls.env["crossdept.flow.step"].create(
            {
                "flow_id": cls.flow.id,
                "name": "Deliver",
                "predecessor_ids": [Command.set(draft.ids)],
                "raci_ids": responsible,
            }
        )
        cls.flow.action_activate()
        cls.variant = cls.flow._copy_as_version(2)
        cls.pilot = cls.env["crossdept.pilot"].create(
            {
                "name": "Tour pilot",
                "control_flow_id": cls.flow.id,
                "variant_flow_id": cls.variant.id,
            }
        )
        cls.pilot.action_start()
        History = cls.env["crossdept.process.history"]
        start = datetime(2024, 5, 6, 8, 0)
        for flow, arm, hours in ((cls.flow, "control", 20), (cls.variant, "variant", 4)):
            History._create_history(
                flow,
                [
                    {
                        "start": start,
                        # Draft takes a quarter of the time, Deliver three quarters
                        "passes": [
                            ("Draft", 0, 0, (hours + i) / 4, "done", []),
                            ("Deliver", (hours + i) / 4, (hours + i) / 4, hours + i, "done", []),
                        ],
                        "vals": {"pilot_id": cls.pilot.id, "pilot_arm": arm},
                    }
                    for i in range(25)
                ],
            )

    def test_bottleneck_diagram(self):
        self.start_tour(
            f"/odoo/action-crossdept_ticket.crossdept_flow_action/{self.flow.id}",
            "crossdept_bottleneck_tour",
            login="admin",
        )

    def test_pilot_results(self):
        self.start_tour(
            "/odoo/action-crossdept_analytics.crossdept_pilot_action",
            "crossdept_pilot_results_tour",
            login="admin",
        )
