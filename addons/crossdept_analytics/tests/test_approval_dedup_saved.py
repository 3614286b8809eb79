from odoo.tests import tagged

from .common_process import CrossdeptProcessCase


@tagged("post_install", "-at_install")
class TestApprovalDedupSaved(CrossdeptProcessCase):
    """The redundant-approval analytics count the decisions that approver
    de-duplication (审批人去重) saved on the levels they recommend merging."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Finance", "kind": "approval", "approvers": cls.approver_3},
                {
                    "name": "Board",
                    "kind": "approval",
                    "preds": ["Finance"],
                    "approvers": cls.approver_3,
                    "department_id": cls.dept_board.id,
                },
            ],
            approver_dedup="consecutive",
        )
        cls.env["ir.config_parameter"].set_param("crossdept_analytics.approval_min_tickets", "3")

    def test_merge_recommendation_counts_the_decisions_saved(self):
        tickets = self.env["crossdept.ticket"]
        for _i in range(3):
            ticket = self._run(self.flow)
            self._step(ticket, "Finance").with_user(self.approver_3).action_approve()
            tickets |= ticket
        self.assertEqual(set(tickets.mapped("state")), {"done"})
        self.assertEqual(
            len(tickets.event_ids.filtered(lambda e: e.event_type == "approval_dedup")), 3
        )
        rec = self.env["crossdept.approval.recommendation"]._detect(self.flow)
        self.assertEqual(
            (rec.kind, rec.step_ids.mapped("name"), rec.ticket_count),
            ("merge", ["Finance", "Board"], 3),
        )
        self.assertIn("the same person decided both levels on 3 of 3 tickets", rec.evidence)
        # read by a CrossDept user, who may not browse the log itself
        self.assertEqual(rec.with_user(self.it_user).dedup_saved_count, 3)
