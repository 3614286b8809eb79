import logging
import threading
import time
from unittest.mock import patch

from odoo import api
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import file_open

from odoo.addons.bus.models.bus import channel_with_db, dispatch, hashable
from odoo.addons.bus.websocket import WebsocketConnectionHandler

from ..tools import bpmn_export
from .common import USER
from .common_flow import CrossdeptFlowCase

ADMIN = "crossdept_ticket.group_crossdept_ticket_admin"


@tagged("post_install", "-at_install")
class TestFlowDesignerTour(HttpCase):
    """An administrator edits a draft on the canvas: the records follow."""

    def test_designer_edits_the_draft(self):
        new_test_user(self.env, "designer_tour_admin", groups=ADMIN, name="Designer Admin")
        flow = self.env["crossdept.flow"].create({"name": "Designer tour", "code": "DTOUR"})
        Step = self.env["crossdept.flow.step"]
        intake, repair = self.env["hr.department"].create(
            [{"name": "Tour Intake"}, {"name": "Tour Repair"}]
        )
        receive = Step.create({"flow_id": flow.id, "name": "Receive", "department_id": intake.id})
        fix = Step.create(
            {
                "flow_id": flow.id,
                "name": "Fix",
                "department_id": repair.id,
                "predecessor_ids": [(6, 0, receive.ids)],
            }
        )
        self.start_tour(
            f"/odoo/action-crossdept_ticket.crossdept_flow_action/{flow.id}",
            "crossdept_flow_designer_tour",
            login="designer_tour_admin",
        )
        steps = flow.step_ids
        self.assertEqual(sorted(steps.mapped("name")), ["Final sign-off", "Fix", "Receive"])
        approval = steps.filtered(lambda step: step.kind == "approval")
        self.assertEqual(approval.predecessor_ids, fix)
        self.assertEqual(approval.diagram_x, 900 - 50, "the shape's centre was dropped at 900")
        self.assertEqual(approval.department_id, intake, "dropped in Repair, moved to Intake")
        self.assertTrue(all(step.diagram_x for step in steps), "positions are stored")

    def test_a_200_step_flow(self):
        """200 steps in 20 parallel branches of 10: opens, is drawn, takes edits (the
        browser logs the times: "crossdept designer, 200 steps: ..."); the moves the
        canvas shows without a redraw are saved all the same."""
        new_test_user(self.env, "designer_big_admin", groups=ADMIN, name="Designer Admin")
        flow = self.env["crossdept.flow"].create({"name": "Big flow", "code": "BIG200"})
        steps = self.env["crossdept.flow.step"].create(
            [{"flow_id": flow.id, "name": f"Step {n}", "sequence": n} for n in range(1, 201)]
        )
        for index, step in enumerate(steps):
            if index % 10:
                step.predecessor_ids = steps[index - 1]
        layout = bpmn_export.step_positions([flow._bpmn_step_values(step) for step in steps])
        self.start_tour(
            f"/odoo/action-crossdept_ticket.crossdept_flow_action/{flow.id}",
            "crossdept_flow_designer_big_tour",
            login="designer_big_admin",
        )
        self.assertEqual(len(flow.step_ids), 201)
        self.assertIn("Step 201", flow.step_ids.mapped("name"))
        self.assertEqual(steps[3].name, "Step 4 renamed")
        # the first edit stored the layout drawn, then three steps moved down 40 px
        for step in steps:
            x, y = layout[step.id]
            moved = 40 if step in steps[:3] else 0
            self.assertEqual((step.diagram_x, step.diagram_y), (x, y + moved), step.name)


@tagged("post_install", "-at_install")
class TestTicketDiagramTour(CrossdeptFlowCase, HttpCase):
    """A step holder sees the ticket's flow drawn, each step in its state."""

    def test_ticket_diagram(self):
        """...and starts their step from the diagram, as from the header."""
        flow, _steps = self._make_flow([{"name": "First"}, {"name": "Second", "preds": ["First"]}])
        ticket = self._run(flow)
        self._do(ticket, "First")
        self.start_tour(
            f"/odoo/action-crossdept_ticket.crossdept_ticket_action/{ticket.id}",
            "crossdept_ticket_diagram_tour",
            login="it_user",
        )
        second = self._step(ticket, "Second")
        self.assertEqual(second.state, "in_progress")
        self.assertEqual(second.user_id, self.it_user)

    def test_ticket_diagram_follows_another_users_action(self):
        """The IT manager keeps the ticket's diagram open; once it listens to the
        ticket's channel, the step holder finishes "First" in a transaction of its
        own: the diagram redraws "First" done and "Second" ready, without a reload
        (the manager is neither holder: the form itself is not told to reload)."""
        flow, _steps = self._make_flow(
            [{"name": "First"}, {"name": "Second", "preds": ["First"], "user": self.approver_1}]
        )
        ticket = self._run(flow)
        first = self._step(ticket, "First")
        self.assertEqual(first.state, "ready")
        channel = hashable(channel_with_db(self.env.cr.dbname, ticket))
        acted = threading.Event()

        def act_once_the_diagram_listens():
            deadline = time.monotonic() + 60
            while not dispatch._channels_to_ws.get(channel):
                if time.monotonic() > deadline:
                    return
                time.sleep(0.2)
            # the test cursor, taken in turn with the browser's requests
            with self.registry.cursor() as cr:
                step = api.Environment(cr, self.it_user.id, {})["crossdept.ticket.step"]
                step = step.browse(first.id)
                step.action_start()
                step.action_finish()
            # a test cursor's commit skips the NOTIFY that wakes the websockets: do it
            for websocket in list(dispatch._channels_to_ws.get(channel, ())):
                websocket.trigger_notification_dispatching()
            acted.set()

        actor = threading.Thread(target=act_once_the_diagram_listens, daemon=True)
        # tests keep websockets closed unless allowed, as Odoo's bus tests do
        with patch.object(WebsocketConnectionHandler, "websocket_allowed", return_value=True):
            actor.start()
            self.start_tour(
                f"/odoo/action-crossdept_ticket.crossdept_ticket_action/{ticket.id}",
                "crossdept_ticket_diagram_live_tour",
                login="it_manager",
            )
            actor.join(10)
        self.assertTrue(acted.is_set(), "the diagram listened to the ticket's channel")
        self.assertEqual(self._states(ticket), {"First": "done", "Second": "ready"})


@tagged("post_install", "-at_install")
class TestFlowImportTour(CrossdeptFlowCase, HttpCase):
    """A flow administrator imports a file drawn in Camunda Modeler through the
    wizard in the browser, reads the report and finds the draft on the canvas."""

    def test_import_a_camunda_modeler_file(self):
        admin = new_test_user(self.env, "import_tour_admin", groups=ADMIN, name="Import Admin")
        with file_open("crossdept_ticket/tests/data/camunda_change.bpmn", "rb") as fixture:
            # the file the administrator will choose, handed over as their attachment
            self.env["ir.attachment"].with_user(admin).create(
                {"name": "camunda_change.bpmn", "raw": fixture.read()}
            )
        self.start_tour(
            "/odoo/action-crossdept_ticket.crossdept_flow_action",
            "crossdept_flow_import_tour",
            login="import_tour_admin",
        )
        flow = self.env["crossdept.flow"].search([("create_uid", "=", admin.id)])
        self.assertEqual((flow.name, flow.state), ("Server change", "draft"))
        steps = {step.name: step for step in flow.step_ids}
        self.assertEqual(len(steps), 5)
        self.assertEqual(steps["Check the budget"].department_id, self.dept_finance)
        self.assertEqual(
            set(steps["Deploy"].predecessor_ids.mapped("name")),
            {"Check the budget", "Quick check", "Assess the risk"},
        )
        self.assertIn("Security Office", flow.message_ids[:1].body)


@tagged("post_install", "-at_install")
class TestFlowAcceptanceTour(CrossdeptFlowCase, HttpCase):
    """The designer's acceptance: a flow administrator (not the superuser) builds a
    two-branch flow with one approval on the canvas, sees the approval marked as a
    problem, fixes it in the side panel and activates the flow; then a user runs a
    ticket through it while its diagram follows, the approver deciding elsewhere."""

    def test_build_on_the_canvas_then_run_a_ticket(self):
        admin = new_test_user(self.env, "acc_admin", groups=ADMIN, name="Acceptance Admin")
        desk = self.env["hr.department"].create({"name": "Acceptance Desk"})
        runner = self._make_user("acc_runner", USER, desk)
        approver = self._make_user("acc_approver", USER, self.dept_finance)
        approver.name = "Acceptance Approver"
        flow = (
            self.env["crossdept.flow"]
            .with_user(admin)
            .create({"name": "Acceptance", "code": "ACCEPT", "type_ids": self.ticket_type.ids})
        )
        self.start_tour(
            f"/odoo/action-crossdept_ticket.crossdept_flow_action/{flow.id}",
            "crossdept_flow_acceptance_tour",
            login="acc_admin",
        )
        # what the server saved
        self.assertEqual(flow.state, "active")
        steps = {step.name: step for step in flow.step_ids}
        self.assertEqual(set(steps), {"Receive", "Hardware", "Software", "Sign-off"})
        self.assertEqual(set(flow.step_ids.mapped("department_id")), {desk})
        self.assertEqual(steps["Sign-off"].kind, "approval")
        self.assertFalse(steps["Receive"].predecessor_ids)
        self.assertEqual(steps["Hardware"].predecessor_ids, steps["Receive"])
        self.assertEqual(steps["Software"].predecessor_ids, steps["Receive"])
        self.assertEqual(steps["Sign-off"].predecessor_ids, steps["Hardware"] | steps["Software"])
        raci = steps["Sign-off"].raci_ids
        self.assertEqual(raci.mapped("role"), ["responsible"])
        self.assertEqual(raci.user_id, approver)
        self.assertEqual(flow.create_uid, admin)

        ticket = (
            self.env["crossdept.ticket"]
            .with_user(runner)
            .create(
                {
                    "title": "New laptop",
                    "type_id": self.ticket_type.id,
                    "department_id": desk.id,
                    "flow_id": flow.id,
                }
            )
        )
        ticket.action_start_flow()
        channel = hashable(channel_with_db(self.env.cr.dbname, ticket))
        sign_off = ticket.step_ids.filtered(lambda step: step.name == "Sign-off")
        tour_waits = threading.Event()
        approved = threading.Event()

        class TourProgress(logging.Handler):
            """The browser's log: the tour has seen Sign-off ready and now waits."""

            def emit(self, record):
                if "Step The approver approves" in record.getMessage():
                    tour_waits.set()

        def approve_once_the_tour_waits():
            if not tour_waits.wait(120):
                return
            with self.registry.cursor() as cr:
                step = api.Environment(cr, approver.id, {})["crossdept.ticket.step"]
                step.browse(sign_off.id).action_approve()
            # a test cursor's commit skips the NOTIFY that wakes the websockets: do it
            for websocket in list(dispatch._channels_to_ws.get(channel, ())):
                websocket.trigger_notification_dispatching()
            approved.set()

        progress = TourProgress()
        logging.getLogger(__name__).addHandler(progress)
        self.addCleanup(logging.getLogger(__name__).removeHandler, progress)
        approver_thread = threading.Thread(target=approve_once_the_tour_waits, daemon=True)
        with patch.object(WebsocketConnectionHandler, "websocket_allowed", return_value=True):
            approver_thread.start()
            self.start_tour(
                f"/odoo/action-crossdept_ticket.crossdept_ticket_action/{ticket.id}",
                "crossdept_flow_acceptance_ticket_tour",
                login="acc_runner",
            )
            approver_thread.join(10)
        self.assertTrue(approved.is_set())
        self.assertEqual(
            {
                step.name: (step.state, step.user_id)
                for step in ticket.step_ids
                if step.kind == "task"
            },
            dict.fromkeys(("Receive", "Hardware", "Software"), ("done", runner)),
        )
        self.assertEqual(sign_off.state, "done")
