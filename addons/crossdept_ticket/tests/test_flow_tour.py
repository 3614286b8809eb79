from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestFlowTour(HttpCase):
    def test_build_a_two_branch_flow_then_run_a_ticket(self):
        self.env["crossdept.ticket.type"].create({"name": "Tour type"})
        self.start_tour("/odoo", "crossdept_flow_build_tour", login="admin")
        flow = self.env["crossdept.flow"].search([("code", "=", "TOURFLOW")])
        self.assertEqual(flow.state, "active")
        collect = flow.step_ids.filtered(lambda step: step.name == "Collect")
        self.assertEqual(
            (flow.step_ids - collect).predecessor_ids, collect, "two branches after Collect"
        )
        new_test_user(
            self.env, "tour_runner", groups="crossdept_ticket.group_crossdept_ticket_user"
        )
        self.start_tour("/odoo", "crossdept_flow_run_tour", login="tour_runner")
        ticket = self.env["crossdept.ticket"].search([("title", "=", "Tour flow ticket")])
        self.assertEqual(ticket.flow_id, flow)
        self.assertEqual(ticket.state, "done")
        self.assertEqual(set(ticket.step_ids.mapped("state")), {"done"})
