import base64
import shutil
import subprocess
import tempfile
from pathlib import Path

from lxml import etree

from odoo import Command
from odoo.tests import tagged

from .test_flow_bpmn_import import BpmnImportCase

ROOT = Path(__file__).resolve().parents[3]
BPMN_NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
}


@tagged("post_install", "-at_install")
class TestFlowBpmnRoundTrip(BpmnImportCase):
    """Export a flow version, import the file as a flow administrator: the new
    draft has the same steps, kinds, departments, links, policies, approvers (every
    kind of Responsible line of the approvals), conditions, skip flags and
    positions."""

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
                    "allow_requester_approval": True,
                    "approval_timeout_action": "escalate",
                    "require_decision_comment": True,
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
        # besides the named users, every other kind of approver
        steps["Management approval"].raci_ids = [
            Command.create(
                {
                    "role": "responsible",
                    "holder_type": "department_manager",
                    "department_id": cls.dept_finance.id,
                }
            ),
            Command.create(
                {
                    "role": "responsible",
                    "holder_type": "department",
                    "department_id": cls.dept_it.id,
                }
            ),
            Command.create({"role": "responsible", "holder_type": "requester"}),
            Command.create({"role": "responsible", "holder_type": "accountable"}),
        ]
        cls.change.action_activate()
        # an incident-like flow without stored positions: the export lays it out;
        # its approval names no user at all
        cls.incident, incident_steps = cls._make_flow(
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
            activate=False,
            name="Incident (round trip)",
        )
        incident_steps["Change approval"].raci_ids = [
            Command.clear(),
            Command.create(
                {
                    "role": "responsible",
                    "holder_type": "department_manager",
                    "department_id": cls.dept_it.id,
                }
            ),
            Command.create({"role": "responsible", "holder_type": "accountable"}),
        ]
        cls.incident.action_activate()

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
                    step.allow_requester_approval,
                    step.approval_timeout_action,
                    step.require_decision_comment,
                    step.reject_action,
                    step.reject_return_step_id.name or "",
                    sorted(
                        (line.holder_type, line.user_id.login or "", line.department_id.name or "")
                        for line in step.raci_ids
                        if line.role == "responsible"
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
        self.assertEqual(
            sorted(
                (line.holder_type, line.user_id.login or "", line.department_id.name or "")
                for line in approval.raci_ids
            ),
            [
                ("accountable", "", ""),
                ("department", "", "IT (test)"),
                ("department_manager", "", "Finance (test)"),
                ("requester", "", ""),
                ("user", "approver_1", ""),
                ("user", "approver_2", ""),
                ("user", "approver_3", ""),
            ],
        )
        self.assertEqual(
            (
                approval.allow_requester_approval,
                approval.approval_timeout_action,
                approval.require_decision_comment,
            ),
            (True, "escalate", True),
        )
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

    def test_the_exports_are_valid_for_bpmn_moddle(self):
        """The approvers of every kind and the approval settings are declared in the
        moddle descriptor the check reads (scripts/crossdept_moddle.json): an
        attribute it does not know would be a warning, and fail the check."""
        if not shutil.which("node") or not (ROOT / "node_modules" / "bpmn-moddle").is_dir():
            self.skipTest("node and bpmn-moddle (npm install) are needed")
        with tempfile.TemporaryDirectory() as folder:
            files = []
            for flow in (self.change, self.incident):
                path = Path(folder) / f"{flow.code}.bpmn"
                path.write_bytes(flow._bpmn_export())
                files.append(str(path))
            result = subprocess.run(
                ["node", "scripts/check_bpmn.mjs", *files],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("2 BPMN files valid for bpmn.io tools", result.stdout)
        self.assertIn(b'source="department_manager"', self.change._bpmn_export())
