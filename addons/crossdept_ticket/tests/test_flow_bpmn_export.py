from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from ..tools.bpmn_export import BPMN, BPMNDI, CROSSDEPT, DC, DI, XSI
from .common_flow import CrossdeptFlowCase

ADMIN = "crossdept_ticket.group_crossdept_ticket_admin"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "crossdept": CROSSDEPT}


@tagged("post_install", "-at_install")
class TestFlowBpmnExport(CrossdeptFlowCase):
    """A flow version exported as BPMN 2.0 by the administrator who manages flows:
    tasks, approvals, lanes, gateways, conditions and the diagram."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = new_test_user(cls.env, "bpmn_admin", groups=ADMIN, name="Flow Admin")
        # Receive -> (Fix in IT | Pay in Finance, only for high priority) -> Approve
        cls.flow, cls.steps = cls._make_flow(
            [
                {"name": "Receive"},
                {"name": "Fix", "preds": ["Receive"], "skip_when_urgent": True},
                {
                    "name": "Pay",
                    "preds": ["Receive"],
                    "department_id": cls.dept_finance.id,
                    "condition_domain": "[('priority', '=', '2')]",
                },
                {
                    "name": "Approve",
                    "kind": "approval",
                    "preds": ["Fix", "Pay"],
                    "approvers": cls.approver_1 | cls.approver_2,
                    "approval_policy": "count",
                    "approval_min_count": 2,
                    "reject_action": "return",
                },
            ],
            activate=False,
            code="BPMN 1",
            name="Purchase request",
        )
        cls.steps["Approve"].reject_return_step_id = cls.steps["Receive"]

    def _export(self, flow=None):
        data = (flow or self.flow).with_user(self.admin)._bpmn_export()
        self.assertTrue(data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>"), data[:60])
        return etree.fromstring(data)

    def _task(self, root, name):
        (task,) = root.xpath("//bpmn:userTask[@name=$name]", namespaces=NS, name=name)
        return task

    def test_tasks_and_extension_elements(self):
        root = self._export()
        (process,) = root.xpath("/bpmn:definitions/bpmn:process", namespaces=NS)
        self.assertEqual(process.get("id"), "Process_BPMN_1")
        self.assertEqual(process.get("name"), "Purchase request")
        self.assertEqual(process.get("isExecutable"), "false")
        (participant,) = root.xpath("//bpmn:collaboration/bpmn:participant", namespaces=NS)
        self.assertEqual(participant.get("processRef"), "Process_BPMN_1")
        self.assertEqual(participant.get("name"), "Purchase request")
        tasks = root.xpath("//bpmn:userTask", namespaces=NS)
        self.assertEqual(
            {task.get("id") for task in tasks},
            {f"Step_{step.id}" for step in self.steps.values()},
        )
        fix = self._task(root, "Fix").find("bpmn:extensionElements/crossdept:step", NS)
        self.assertEqual(
            dict(fix.attrib),
            {
                "kind": "task",
                "sla_hours": "8",
                "skip_when_urgent": "true",
                "value_adding": "true",
                "portal_visible": "false",
                "department": "IT (test)",
            },
        )
        approve = self._task(root, "Approve").find("bpmn:extensionElements/crossdept:step", NS)
        self.assertEqual(approve.get("kind"), "approval")
        self.assertEqual(approve.get("approval_policy"), "count")
        self.assertEqual(approve.get("approval_min_count"), "2")
        self.assertEqual(approve.get("reject_action"), "return")
        self.assertEqual(approve.get("reject_return"), f"Step_{self.steps['Receive'].id}")
        self.assertEqual(
            [a.get("login") for a in approve.findall("crossdept:approver", NS)],
            ["approver_1", "approver_2"],
        )

    def test_lanes_per_department(self):
        root = self._export()
        lanes = {
            lane.get("name"): set(lane.xpath("bpmn:flowNodeRef/text()", namespaces=NS))
            for lane in root.xpath("//bpmn:laneSet/bpmn:lane", namespaces=NS)
        }
        self.assertEqual(set(lanes), {"IT (test)", "Finance (test)"})
        step_ids = {name: f"Step_{step.id}" for name, step in self.steps.items()}
        self.assertIn(step_ids["Pay"], lanes["Finance (test)"])
        self.assertFalse({step_ids["Receive"], step_ids["Fix"]} & lanes["Finance (test)"])
        self.assertTrue(
            {step_ids["Receive"], step_ids["Fix"], step_ids["Approve"]} <= lanes["IT (test)"]
        )
        # every flow node sits in exactly one lane
        nodes = root.xpath(
            "//bpmn:process/*[self::bpmn:userTask or self::bpmn:parallelGateway "
            "or self::bpmn:startEvent or self::bpmn:endEvent]/@id",
            namespaces=NS,
        )
        self.assertEqual(sorted(nodes), sorted(n for refs in lanes.values() for n in refs))

    def test_steps_without_department_in_their_own_lane(self):
        self.steps["Fix"].department_id = False
        lanes = {
            lane.get("name"): lane.xpath("bpmn:flowNodeRef/text()", namespaces=NS)
            for lane in self._export().xpath("//bpmn:lane", namespaces=NS)
        }
        self.assertIn(f"Step_{self.steps['Fix'].id}", lanes["No department"])

    def test_gateways_and_sequence_flows(self):
        root = self._export()
        ids = {name: f"Step_{step.id}" for name, step in self.steps.items()}
        flows = {
            (flow.get("sourceRef"), flow.get("targetRef"))
            for flow in root.xpath("//bpmn:sequenceFlow", namespaces=NS)
        }
        split = f"Gateway_Split_{self.steps['Receive'].id}"
        join = f"Gateway_Join_{self.steps['Approve'].id}"
        self.assertEqual(
            flows,
            {
                ("StartEvent_1", ids["Receive"]),
                (ids["Receive"], split),
                (split, ids["Fix"]),
                (split, ids["Pay"]),
                (ids["Fix"], join),
                (ids["Pay"], join),
                (join, ids["Approve"]),
                (ids["Approve"], "EndEvent_1"),
            },
        )
        self.assertEqual(
            sorted(root.xpath("//bpmn:parallelGateway/@id", namespaces=NS)), sorted([split, join])
        )
        self.assertEqual(len(root.xpath("//bpmn:startEvent", namespaces=NS)), 1)
        self.assertEqual(len(root.xpath("//bpmn:endEvent", namespaces=NS)), 1)
        # incoming/outgoing references agree with the sequence flows
        (gateway,) = root.xpath("//*[@id=$id]", namespaces=NS, id=split)
        self.assertEqual(len(gateway.findall("bpmn:outgoing", NS)), 2)

    def test_condition_on_every_flow_entering_the_step(self):
        root = self._export()
        pay = self.steps["Pay"]
        conditioned = root.xpath("//bpmn:sequenceFlow[bpmn:conditionExpression]", namespaces=NS)
        self.assertEqual([flow.get("targetRef") for flow in conditioned], [f"Step_{pay.id}"])
        (expression,) = conditioned[0].findall("bpmn:conditionExpression", NS)
        self.assertEqual(expression.text, "[('priority', '=', '2')]")
        self.assertEqual(expression.get(f"{{{XSI}}}type"), "bpmn:tFormalExpression")
        step = self._task(root, "Pay").find("bpmn:extensionElements/crossdept:step", NS)
        self.assertEqual(step.get("condition"), "[('priority', '=', '2')]")
        # a conditioned step behind a join: the condition on each flow into its join
        self.steps["Approve"].condition_domain = "[('priority', '!=', '0')]"
        root = self._export()
        join = f"Gateway_Join_{self.steps['Approve'].id}"
        into_join = root.xpath("//bpmn:sequenceFlow[@targetRef=$j]", namespaces=NS, j=join)
        self.assertEqual(len(into_join), 2)
        for flow in into_join:
            self.assertEqual(
                flow.findtext("bpmn:conditionExpression", namespaces=NS),
                "[('priority', '!=', '0')]",
            )

    def test_diagram_from_stored_positions(self):
        self.steps["Receive"].write({"diagram_x": 300, "diagram_y": 140})
        root = self._export()
        (bounds,) = root.xpath(
            "//bpmndi:BPMNShape[@bpmnElement=$id]/dc:Bounds",
            namespaces=NS,
            id=f"Step_{self.steps['Receive'].id}",
        )
        self.assertEqual(
            {key: bounds.get(key) for key in ("x", "y", "width", "height")},
            {"x": "300", "y": "140", "width": "100", "height": "80"},
        )

    def test_diagram_automatic_layout_without_positions(self):
        root = self._export()
        (plane,) = root.xpath("//bpmndi:BPMNPlane", namespaces=NS)
        self.assertEqual(plane.get("bpmnElement"), "Collaboration_1")
        elements = root.xpath(
            "//bpmn:process/*[@id and not(self::bpmn:laneSet)]/@id", namespaces=NS
        )
        shapes = set(root.xpath("//bpmndi:BPMNShape/@bpmnElement", namespaces=NS))
        edges = set(root.xpath("//bpmndi:BPMNEdge/@bpmnElement", namespaces=NS))
        flows = set(root.xpath("//bpmn:sequenceFlow/@id", namespaces=NS))
        self.assertEqual(edges, flows)
        self.assertTrue(set(elements) - flows <= shapes)
        for edge in root.xpath("//bpmndi:BPMNEdge", namespaces=NS):
            self.assertGreaterEqual(len(edge.findall("di:waypoint", NS)), 2)

        def box(name):
            (bounds,) = root.xpath(
                "//bpmndi:BPMNShape[@bpmnElement=$id]/dc:Bounds",
                namespaces=NS,
                id=f"Step_{self.steps[name].id}",
            )
            return int(bounds.get("x")), int(bounds.get("y"))

        # layers by longest path: Receive, then Fix and Pay side by side, then Approve
        self.assertLess(box("Receive")[0], box("Fix")[0])
        self.assertEqual(box("Fix")[0], box("Pay")[0])
        self.assertLess(box("Pay")[0], box("Approve")[0])
        # lanes as rows: Finance's Pay below IT's row
        self.assertGreater(box("Pay")[1], box("Fix")[1])

    def test_step_names_in_the_creator_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.steps["Fix"].with_context(lang="zh_CN").name = "修理"
        self.flow.create_uid.lang = "zh_CN"
        self.assertEqual(
            self._task(self._export(), "修理").get("id"), f"Step_{self.steps['Fix'].id}"
        )

    def test_diagrams_in_the_readers_language(self):
        """A file is in the creator's language; the diagrams on screen (ticket,
        preview, analytics, designer) in the reader's."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.steps["Fix"].with_context(lang="zh_CN").name = "修理"
        self.flow.create_uid.lang = "en_US"
        self.it_user.lang = "zh_CN"
        data = self.flow.with_user(self.it_user).with_context(lang="zh_CN").diagram_data()
        self.assertIn('name="修理"', data["xml"])
        data = self.flow.with_user(self.it_user).with_context(lang="en_US").diagram_data()
        self.assertIn('name="Fix"', data["xml"])
        self.assertNotIn("修理", self.flow._bpmn_export().decode())

    def test_export_action_downloads_the_file(self):
        action = self.flow.with_user(self.admin).action_export_bpmn()
        self.assertEqual(action["url"], f"/crossdept/flow/{self.flow.id}/bpmn")
        self.assertEqual(action["target"], "download")

    def test_several_start_and_end_steps(self):
        flow, steps = self._make_flow([{"name": "A"}, {"name": "B"}], activate=False)
        root = self._export(flow)
        flows = {
            (flow.get("sourceRef"), flow.get("targetRef"))
            for flow in root.xpath("//bpmn:sequenceFlow", namespaces=NS)
        }
        a, b = f"Step_{steps['A'].id}", f"Step_{steps['B'].id}"
        self.assertEqual(
            flows,
            {
                ("StartEvent_1", "Gateway_Start"),
                ("Gateway_Start", a),
                ("Gateway_Start", b),
                (a, "Gateway_End"),
                (b, "Gateway_End"),
                ("Gateway_End", "EndEvent_1"),
            },
        )

    def test_read_only_diagram_of_a_ticket(self):
        """A user of the ticket reads its flow's diagram with each step's state."""
        flow, steps = self._make_flow(
            [{"name": "First"}, {"name": "Second", "preds": ["First"], "skip_when_urgent": True}]
        )
        ticket = self._run(flow)
        self._do(ticket, "First")
        data = flow.with_user(self.it_user).diagram_data(ticket_id=ticket.id)
        self.assertIn(f'id="Step_{steps["Second"].id}"', data["xml"])
        first, second = (f"Step_{steps[name].id}" for name in ("First", "Second"))
        self.assertEqual(
            {element: run["state"] for element, run in data["states"].items()},
            {first: "done", second: "ready"},
        )
        self.assertEqual(data["states"][second]["holder"], "It User")
        self.assertTrue(data["states"][second]["deadline"])
        (facts,) = [step for step in data["steps"] if step["element"] == second]
        self.assertTrue(facts["skip_when_urgent"])
        # another user's ticket is not theirs to read
        with self.assertRaisesRegex(AccessError, "crossdept.ticket"):
            flow.with_user(self.finance_user).diagram_data(ticket_id=ticket.id)


@tagged("post_install", "-at_install")
class TestFlowBpmnDownload(HttpCase):
    """The Export BPMN button's download, as the administrator who presses it."""

    def test_download(self):
        new_test_user(self.env, "bpmn_dl_admin", groups=ADMIN, name="Flow Admin")
        flow = self.env["crossdept.flow"].create({"name": "Download", "code": "DL/1"})
        self.env["crossdept.flow.step"].create({"flow_id": flow.id, "name": "Only"})
        self.authenticate("bpmn_dl_admin", "bpmn_dl_admin")
        response = self.url_open(f"/crossdept/flow/{flow.id}/bpmn")
        self.assertEqual(response.status_code, 200)
        self.assertIn("DL_1_v1.bpmn", response.headers["Content-Disposition"])
        root = etree.fromstring(response.content)
        self.assertEqual(root.xpath("//bpmn:userTask/@name", namespaces=NS), ["Only"])
        self.assertEqual(self.url_open("/crossdept/flow/999999999/bpmn").status_code, 404)
