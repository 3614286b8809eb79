import base64

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools.misc import file_open

from .common_flow import CrossdeptFlowCase
from .refusal import acl_refusal, refused

ADMIN = "crossdept_ticket.group_crossdept_ticket_admin"

MINIMAL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D_1"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="Process_1"><bpmn:task id="Activity_1" name="Only step" /></bpmn:process>
</bpmn:definitions>
"""


def fixture(name):
    with file_open(f"crossdept_ticket/tests/data/{name}", "rb") as data:
        return data.read()


class BpmnImportCase(CrossdeptFlowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow_admin = new_test_user(cls.env, "flow_admin", groups=ADMIN, name="Flow Admin")

    def _import(self, data, filename="diagram.bpmn", user=None, **vals):
        wizard = (
            self.env["crossdept.flow.bpmn.import"]
            .with_user(user or self.flow_admin)
            .create({"bpmn_file": base64.b64encode(data), "bpmn_filename": filename, **vals})
        )
        wizard.action_import()
        return wizard

    @staticmethod
    def _by_name(flow):
        return {step.name: step for step in flow.step_ids}


@tagged("post_install", "-at_install")
class TestFlowBpmnImport(BpmnImportCase):
    def test_camunda_modeler_file_becomes_a_draft_flow(self):
        wizard = self._import(fixture("camunda_change.bpmn"), "server_change.bpmn")
        flow = wizard.flow_id
        self.assertEqual(wizard.state, "done")
        self.assertEqual(
            (flow.state, flow.name, flow.code), ("draft", "Server change", "ServerChange")
        )
        self.assertEqual(flow.create_uid, self.flow_admin)
        steps = self._by_name(flow)
        self.assertEqual(
            set(steps),
            {"Describe the change", "Check the budget", "Quick check", "Assess the risk", "Deploy"},
        )
        self.assertEqual(set(flow.step_ids.mapped("kind")), {"task"})
        # lanes: departments matched by name, the unknown one left empty and listed
        self.assertEqual(steps["Describe the change"].department_id, self.dept_it)
        self.assertEqual(steps["Check the budget"].department_id, self.dept_finance)
        self.assertFalse(steps["Assess the risk"].department_id)
        # the exclusive split and merge collapse into predecessors
        describe = steps["Describe the change"]
        for name in ("Check the budget", "Quick check", "Assess the risk"):
            self.assertEqual(steps[name].predecessor_ids, describe)
        self.assertEqual(
            set(steps["Deploy"].predecessor_ids.mapped("name")),
            {"Check the budget", "Quick check", "Assess the risk"},
        )
        self.assertFalse(describe.predecessor_ids)
        # an Odoo domain on a branch is its run condition; a JUEL expression is not
        self.assertEqual(
            steps["Check the budget"].condition_domain, "[('priority', 'in', ['2', '3'])]"
        )
        self.assertEqual(steps["Assess the risk"].condition_domain, "[]")
        self.assertEqual(steps["Quick check"].condition_domain, "[]")
        # BPMNDI positions (top-left corners, rounded)
        self.assertEqual((describe.diagram_x, describe.diagram_y), (300, 90))
        self.assertEqual(
            (steps["Assess the risk"].diagram_x, steps["Assess the risk"].diagram_y), (560, 380)
        )
        report = wizard.report
        self.assertIn("5 steps imported from server_change.bpmn", report)
        self.assertRegex(report, r"Departments not found in [^\n]*: Security Office")
        self.assertRegex(report, r"boundaryEvent 2 days \(Event_Timer\): Not mapped")
        self.assertRegex(report, r"association  \(Association_0z9y8x7\): Not mapped")
        self.assertRegex(report, r"textAnnotation  \(TextAnnotation_1x2y3z4\): Not mapped")
        self.assertRegex(report, r"exclusiveGateway Big change\? \(Gateway_Size\): Approximated")
        self.assertRegex(report, r"Extension formData of another tool ignored")
        self.assertRegex(report, r"Its condition \$\{risk > 3\} is not an Odoo domain")
        # the same report is on the flow's chatter, posted by the importer
        message = flow.message_ids.filtered(lambda m: "Security Office" in (m.body or ""))
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.flow_admin.partner_id)
        self.assertIn("Event_Timer", message.body)

    def test_bpmn_io_file_with_approval_and_rework_loop(self):
        wizard = self._import(fixture("bpmnio_rework.bpmn"), code="OFFER", name="Offer")
        flow = wizard.flow_id
        self.assertEqual((flow.code, flow.name, flow.state), ("OFFER", "Offer", "draft"))
        steps = self._by_name(flow)
        draft, sign = steps["Draft the offer"], steps["Sign off"]
        # the parallel split and join are exact
        self.assertEqual(steps["Legal review"].predecessor_ids, draft)
        self.assertEqual(steps["Price review"].predecessor_ids, draft)
        self.assertEqual(set(sign.predecessor_ids.mapped("name")), {"Legal review", "Price review"})
        # the loop back to the draft is dropped and reported
        self.assertFalse(draft.predecessor_ids)
        self.assertRegex(wizard.report, r"link back from Sign off to Draft the offer makes a loop")
        # the approval keeps its settings, with the approver found; the other is listed
        self.assertEqual(sign.kind, "approval")
        self.assertEqual(sign.sla_hours, 4)
        self.assertEqual(sign.raci_ids.user_id, self.approver_1)
        self.assertEqual((sign.approval_policy, sign.approval_min_count), ("count", 1))
        self.assertEqual((sign.reject_action, sign.reject_return_step_id), ("return", draft))
        self.assertRegex(
            wizard.report, r"Approvers not found \(no user with this login\): nobody_here"
        )
        self.assertRegex(wizard.report, r"Only 1 of its approvers were found")
        # the draft can be activated as imported
        flow.with_user(self.flow_admin).action_activate()
        self.assertEqual(flow.state, "active")

    def test_each_pool_of_a_collaboration_becomes_its_own_draft_flow(self):
        """Camunda Modeler deploys every process of a collaboration as its own
        definition; the import does the same: a draft flow per pool with tasks."""
        wizard = self._import(fixture("camunda_two_pools.bpmn"), "purchase.bpmn")
        flows = wizard.flow_ids
        self.assertEqual(flows.mapped("name"), ["Requesting team", "Purchasing"])
        self.assertEqual(flows.mapped("code"), ["Request", "Purchasing"])
        self.assertEqual(wizard.flow_id, flows[0])
        self.assertEqual(set(flows.mapped("state")), {"draft"})
        request, purchasing = (self._by_name(flow) for flow in flows)
        self.assertEqual(set(request), {"Send the request", "Receive the goods"})
        self.assertEqual(request["Receive the goods"].predecessor_ids, request["Send the request"])
        self.assertEqual(
            set(purchasing), {"Check the request", "Approve the budget", "Order from the supplier"}
        )
        # each pool's own lanes, links and positions
        self.assertEqual(purchasing["Check the request"].department_id, self.dept_it)
        self.assertEqual(purchasing["Approve the budget"].department_id, self.dept_finance)
        self.assertEqual(
            purchasing["Order from the supplier"].predecessor_ids, purchasing["Approve the budget"]
        )
        self.assertEqual(
            (
                purchasing["Approve the budget"].diagram_x,
                purchasing["Approve the budget"].diagram_y,
            ),
            (460, 425),
        )
        # the report says so per pool; what joins the pools is listed as not mapped
        report = wizard.report
        self.assertIn("2 steps imported from purchase.bpmn into the draft flow", report)
        self.assertIn("3 steps imported from purchase.bpmn into the draft flow", report)
        self.assertRegex(report, r"messageFlow  \(Flow_Msg_Order\): Not mapped")
        self.assertRegex(
            report,
            r"participant Supplier \(Participant_Supplier\): Not mapped: the pool has no process",
        )
        for flow in flows:
            self.assertEqual(
                len(flow.message_ids.filtered(lambda m: "Flow_Msg_Order" in (m.body or ""))), 1
            )
        action = wizard.action_open_flow()
        self.assertEqual(action["domain"], [("id", "in", flows.ids)])

    def test_a_code_for_a_file_with_several_pools_is_refused_naming_them(self):
        before = self.env["crossdept.flow"].search_count([])
        with refused(
            self,
            UserError,
            r"The file has 2 pools with tasks \(Requesting team, Purchasing\): each becomes its "
            r"own draft flow",
        ):
            self._import(fixture("camunda_two_pools.bpmn"), code="PO")
        self.assertEqual(self.env["crossdept.flow"].search_count([]), before)

    def test_approvers_of_every_kind_are_read_back(self):
        """Approvers other than users (crossdept:approver source=...), and an unknown
        department or kind listed in the report instead."""
        data = fixture("bpmnio_rework.bpmn").replace(
            b'<crossdept:approver login="nobody_here" />',
            b'<crossdept:approver source="department_manager" department="Finance (test)" />'
            b'<crossdept:approver source="department" department="IT (test)" />'
            b'<crossdept:approver source="requester" />'
            b'<crossdept:approver source="accountable" />'
            b'<crossdept:approver source="department" department="Nowhere" />'
            b'<crossdept:approver source="group" />',
        )
        wizard = self._import(data, code="OFFER2")
        sign = self._by_name(wizard.flow_id)["Sign off"]
        self.assertEqual(
            sorted(
                (line.holder_type, line.user_id.login or "", line.department_id.name or "")
                for line in sign.raci_ids
            ),
            [
                ("accountable", "", ""),
                ("department", "", "IT (test)"),
                ("department_manager", "", "Finance (test)"),
                ("requester", "", ""),
                ("user", "approver_1", ""),
            ],
        )
        self.assertRegex(wizard.report, r"Departments of approvers not found in .*: Nowhere")
        self.assertRegex(wizard.report, r"Approver of kind group not imported")

    def test_a_taken_code_is_refused_by_name(self):
        self._import(MINIMAL, code="DUP")
        before = self.env["crossdept.flow"].search_count([])
        with refused(self, UserError, r"A flow with code DUP already exists"):
            self._import(MINIMAL, code="DUP")
        self.assertEqual(self.env["crossdept.flow"].search_count([]), before)

    def test_the_code_of_the_file_is_made_unique(self):
        first = self._import(MINIMAL).flow_id
        second = self._import(MINIMAL)
        self.assertEqual(first.code, "1")
        self.assertEqual(second.flow_id.code, "1_2")
        self.assertIn("Code 1 is taken: the new flow is 1_2.", second.report)

    def test_a_plain_user_may_not_import(self):
        before = self.env["crossdept.flow"].search_count([])
        with refused(self, AccessError, acl_refusal("create", "crossdept.flow.bpmn.import")):
            self._import(MINIMAL, user=self.it_user)
        self.assertEqual(self.env["crossdept.flow"].search_count([]), before)


@tagged("post_install", "-at_install")
class TestFlowBpmnImportHostile(BpmnImportCase):
    """Each hostile or malformed file is refused with its message and creates nothing."""

    def _assert_refused(self, data, pattern):
        Flow = self.env["crossdept.flow"]
        before = Flow.search_count([])
        with refused(self, UserError, pattern):
            self._import(data)
        self.assertEqual(Flow.search_count([]), before)

    def test_external_entity_reading_a_server_file(self):
        self._assert_refused(fixture("xxe_file.bpmn"), r"declares an external entity")

    def test_external_entity_in_utf16(self):
        # UTF-16 hides the DOCTYPE from a look at the bytes: lxml's reading catches it
        text = fixture("xxe_file.bpmn").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
        self._assert_refused(text.encode("utf-16"), r"declares an external entity")

    def test_external_document_type_on_the_network(self):
        data = MINIMAL.replace(
            b"<bpmn:definitions",
            b'<!DOCTYPE bpmn:definitions SYSTEM "http://127.0.0.1:9/bpmn.dtd">\n<bpmn:definitions',
            1,
        )
        self._assert_refused(data, r"external entity or document type")

    def test_billion_laughs(self):
        self._assert_refused(fixture("billion_laughs.bpmn"), r"“billion laughs”")

    def test_a_file_over_the_size_limit(self):
        data = MINIMAL + b" " * (5 * 1024 * 1024)
        self._assert_refused(data, r"The file is too large: \d+ bytes, the limit is 5242880 bytes")

    def test_the_size_limit_is_a_system_parameter(self):
        self.env["ir.config_parameter"].set_param("crossdept_ticket.bpmn_import_max_bytes", "100")
        self._assert_refused(MINIMAL, r"too large: \d+ bytes, the limit is 100 bytes")

    def test_deep_nesting(self):
        data = MINIMAL.replace(
            b'name="Only step" />',
            b'name="Only step">' + b"<x>" * 200 + b"</x>" * 200 + b"</bpmn:task>",
        )
        self._assert_refused(data, r"nests its elements more than 64 levels deep")

    def test_not_xml(self):
        self._assert_refused(b"Name,Department\nReview,IT\n", r"The file is not well-formed XML")

    def test_an_xml_file_that_is_not_bpmn(self):
        self._assert_refused(
            fixture("wrong_root.bpmn"),
            r"not a BPMN 2.0 diagram: its root element is \{http://www.example.com/not-bpmn\}",
        )

    def test_a_process_without_task(self):
        data = MINIMAL.replace(b'<bpmn:task id="Activity_1" name="Only step" />', b"")
        self._assert_refused(data, r"The BPMN process has no task")
