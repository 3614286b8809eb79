import base64

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common_flow import CrossdeptFlowCase


@tagged("post_install", "-at_install")
class TestApprovalReview(HttpCase, CrossdeptFlowCase):
    """An approver opening an approval sees on its page what to judge: the request and
    its files, the results of the earlier steps and the decisions taken before."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [
                {
                    "name": "Estimate",
                    "deliverable_ids": [
                        Command.create({"name": "Estimated cost", "value_type": "amount"})
                    ],
                },
                {
                    "name": "Team lead approval",
                    "kind": "approval",
                    "preds": ["Estimate"],
                    "approvers": cls.approver_1,
                },
                {
                    "name": "Finance approval",
                    "kind": "approval",
                    "preds": ["Team lead approval"],
                    "approvers": cls.approver_2,
                },
            ]
        )

    def test_the_approver_reads_request_files_results_and_earlier_decisions(self):
        ticket = self._run(self.flow, description="<p>Two new laptops for the help desk</p>")
        attachment = self.env["ir.attachment"].create(
            {
                "name": "quote.pdf",
                "datas": base64.b64encode(b"%PDF-1.4 quote"),
                "res_model": "crossdept.ticket",
                "res_id": ticket.id,
            }
        )
        estimate = self._step(ticket, "Estimate").with_user(self.it_user)
        estimate.action_start()
        estimate.deliverable_ids.write({"value_amount": 2400.0})
        estimate.action_finish()
        self._step(ticket, "Team lead approval").with_user(self.approver_1).action_approve()
        finance = self._step(ticket, "Finance approval").with_user(self.approver_2)
        self.assertTrue(finance.can_decide)
        self.assertIn("Two new laptops", finance.ticket_description)
        self.assertEqual(finance.ticket_attachment_ids, attachment)
        result = finance.ticket_result_ids
        self.assertEqual(result.mapped("name"), ["Estimated cost"])
        self.assertIn("2,400.00", result.value_display)
        self.assertEqual(result.filled_by_id, self.it_user)
        decision = finance.earlier_decision_ids
        self.assertEqual(
            (decision.user_id, decision.decision, decision.step_id.name),
            (self.approver_1, "approve", "Team lead approval"),
        )

    def test_the_form_loads_for_the_approver_over_rpc(self):
        ticket = self._run(self.flow, description="<p>One monitor</p>")
        estimate = self._step(ticket, "Estimate").with_user(self.it_user)
        estimate.action_start()
        estimate.deliverable_ids.write({"value_amount": 180.0})
        estimate.action_finish()
        lead = self._step(ticket, "Team lead approval")
        self.authenticate("approver_1", "approver_1")
        view = self.make_jsonrpc_request(
            "/web/dataset/call_kw/crossdept.ticket.step/get_views",
            {
                "model": "crossdept.ticket.step",
                "method": "get_views",
                "args": [[[False, "form"]]],
                "kwargs": {},
            },
        )
        arch = view["views"]["form"]["arch"]
        self.assertIn('name="approval_review"', arch)
        records = self.make_jsonrpc_request(
            "/web/dataset/call_kw/crossdept.ticket.step/web_read",
            {
                "model": "crossdept.ticket.step",
                "method": "web_read",
                "args": [lead.ids],
                "kwargs": {
                    "specification": {
                        "ticket_description": {},
                        "ticket_result_ids": {"fields": {"name": {}, "value_display": {}}},
                        "earlier_decision_ids": {"fields": {"user_id": {}}},
                    }
                },
            },
        )
        self.assertIn("One monitor", records[0]["ticket_description"])
        self.assertEqual(records[0]["ticket_result_ids"][0]["name"], "Estimated cost")
        self.assertEqual(records[0]["earlier_decision_ids"], [])
