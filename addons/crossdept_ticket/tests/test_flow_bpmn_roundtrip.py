import base64

from lxml import etree

from odoo.tests import tagged

from .test_flow_bpmn_import import BpmnImportCase

BPMN_NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
}


@tagged("post_install", "-at_install")
class TestFlowBpmnRoundTrip(BpmnImportCase):
    """Export a flow version, import the file as a flow administrator: the new
    draft has the same steps, kinds, departments, links, policies, approvers (users
    named on the approvals), conditions, skip flags and positions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.change, steps = cls._make_flow(
            [
                {"name": "Submit", "sla": 4, "portal_visible": True, "diagram_x": 260},
                {"name": "Feasibility", "preds": ["Submit"], "diagram_x": 420, "diagram_y": 30},
                {
                    "name": "Cost estimate",
                    "preds": ["Feasibility"],
                    "department_id": cls.dept_finance.id,
                    "condition_domain": "[('priority', 'in', ['2', '3'])]",
                    "diagram_x": 700,
                    "diagram_y": 30,
                },
                {
                    "name": "Legal check",
                    "preds": ["Feasibility"],
                    "department_id": False,
                    "skip_when_urgent": True,
                    "value_adding": False,
                    "diagram_x": 700,
                    "diagram_y": 200,
                },
                {
                    "name": "Management approval",
                    "kind": "approval",
                    "preds": ["Cost estimate", "Legal check"],
                    "approvers": [cls.approver_1, cls.approver_2, cls.approver_3],
                    "approval_policy": "count",
                    "approval_min_count": 2,
                    "reject_action": "return",
                    "diagram_x": 980,
                    "diagram_y": 30,
                },
                {
                    "name": "Execute",
                    "preds": ["Management approval"],
                    "sla": 24,
                    "diagram_x": 1260,
                    "diagram_y": 30,
                },
            ],
            activate=False,
            name="Change request (round trip)",
        )
        steps["Management approval"].reject_return_step_id = steps["Feasibility"]
        cls.change.action_activate()
        # an incident-like flow without stored positions: the export lays it out
        cls.incident, _steps = cls._make_flow(
            [
                {"name": "Triage", "sla": 1},
                {"name": "Fix", "preds": ["Triage"]},
                {
                    "name": "Change approval",
                    "kind": "approval",
                    "preds": ["Fix"],
                    "approvers": [cls.approver_1],
                    "approval_policy": "percent",
                    "approval_min_percent": 60,
                    "skip_when_urgent": True,
                },
                {"name": "Verify", "preds": ["Change approval"], "portal_visible": True},
            ],
            name="Incident (round trip)",
        )

    def _signature(self, flow):
        """{step name: what the interchange carries}"""
        steps = flow.step_ids
        self.assertEqual(len(set(steps.mapped("name"))), len(steps), "step names are unique")
        signature = {}
        for step in steps:
            approval = None
            if step.kind == "approval":
                approval = (
                    step.approval_policy,
                    step.approval_min_count,
                    step.approval_min_percent,
                    step.reject_action,
                    step.reject_return_step_id.name or "",
                    sorted(
                        step.raci_ids.filtered(
                            lambda line: line.role == "responsible" and line.holder_type == "user"
                        ).user_id.mapped("login")
                    ),
                )
            signature[step.name] = {
                "kind": step.kind,
                "department": step.department_id.name or "",
                "predecessors": sorted(step.predecessor_ids.mapped("name")),
                "sla_hours": step.sla_hours,
                "skip_when_urgent": step.skip_when_urgent,
                "value_adding": step.value_adding,
                "portal_visible": step.portal_visible,
                "condition": step.condition_domain if step.condition_domain != "[]" else "",
                "approval": approval,
            }
        return signature

    def _round_trip(self, flow):
        xml = flow._bpmn_export()
        wizard = self._import(xml, f"{flow.code}.bpmn", code=f"RT{flow.id}")
        imported = wizard.flow_id
        self.assertEqual(imported.state, "draft")
        self.assertEqual(imported.name, flow.name)
        self.assertEqual(self._signature(imported), self._signature(flow), flow.display_name)
        # positions: the top-left corner of each step's shape in the exported file
        # (stored positions as they are, else the export's layout)
        root = etree.fromstring(xml)
        by_name = {step.name: step for step in imported.step_ids}
        for step in flow.step_ids:
            bounds = root.find(
                f".//bpmndi:BPMNShape[@bpmnElement='Step_{step.id}']/dc:Bounds", BPMN_NS
            )
            self.assertIsNotNone(bounds, f"{step.name} has a shape")
            position = (round(float(bounds.get("x"))), round(float(bounds.get("y"))))
            if step.diagram_x or step.diagram_y:
                self.assertEqual(position, (step.diagram_x, step.diagram_y), step.name)
            imported_step = by_name[step.name]
            self.assertEqual(
                (imported_step.diagram_x, imported_step.diagram_y), position, step.name
            )
        # the export's own elements map back completely
        self.assertIn("Every element of the file was mapped.", wizard.report)
        return imported

    def test_change_request_round_trip(self):
        imported = self._round_trip(self.change)
        approval = imported.step_ids.filtered(lambda s: s.name == "Management approval")
        self.assertEqual(approval.reject_return_step_id.name, "Feasibility")
        self.assertEqual((approval.approval_policy, approval.approval_min_count), ("count", 2))
        cost = imported.step_ids.filtered(lambda s: s.name == "Cost estimate")
        self.assertEqual(cost.condition_domain, "[('priority', 'in', ['2', '3'])]")
        # the imported draft passes the same activation checks as the original
        imported.with_user(self.flow_admin).action_activate()
        self.assertEqual(imported.state, "active")

    def test_incident_round_trip_without_stored_positions(self):
        self.assertFalse(any(self.incident.step_ids.mapped("diagram_x")))
        imported = self._round_trip(self.incident)
        self.assertTrue(all(imported.step_ids.mapped("diagram_x")))

    def test_every_flow_of_the_database_round_trips(self):
        """The flows of the database (the demo and template flows where installed:
        change request, incident, project, purchase...), every version."""
        flows = self.env["crossdept.flow"].with_context(active_test=False).search([])
        self.assertIn(self.change, flows)
        for flow in flows.filtered("step_ids"):
            with self.subTest(flow=flow.display_name):
                self._round_trip(flow)

    def test_an_export_is_imported_again_from_the_upload(self):
        """The file a user downloads (base64 through the wizard's binary field)."""
        wizard = (
            self.env["crossdept.flow.bpmn.import"]
            .with_user(self.flow_admin)
            .create(
                {
                    "bpmn_file": base64.b64encode(self.change._bpmn_export()),
                    "bpmn_filename": "change.bpmn",
                }
            )
        )
        wizard.action_import()
        self.assertEqual(len(wizard.flow_id.step_ids), 6)
        # the code of the exported process, made unique (the original holds it)
        self.assertTrue(wizard.flow_id.code.startswith(self.change.code))
