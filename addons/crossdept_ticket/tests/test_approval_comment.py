import base64

from odoo.exceptions import UserError
from odoo.tests import Form, HttpCase, tagged
from odoo.tools import mute_logger

from .common_flow import CrossdeptFlowCase
from .rpc import jsonrpc_execute


@tagged("post_install", "-at_install")
class TestApprovalComment(HttpCase, CrossdeptFlowCase):
    """审批意见: a comment and files go with a decision, required on approvals too
    where the flow step says so, kept on the decision, in the event, and read by
    later approvers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow, _steps = cls._make_flow(
            [
                {"name": "Prepare"},
                {
                    "name": "Review",
                    "kind": "approval",
                    "preds": ["Prepare"],
                    "approvers": cls.approver_1 | cls.approver_2,
                    "approval_policy": "all",
                    "require_decision_comment": True,
                },
                {
                    "name": "Sign",
                    "kind": "approval",
                    "preds": ["Review"],
                    "approvers": cls.approver_3,
                },
            ]
        )

    def _waiting_step(self):
        ticket = self._run(self.flow)  # requested by it_user
        self._do(ticket, "Prepare")
        step = self._step(ticket, "Review")
        self.assertEqual(step.approval_state, "pending")
        return ticket, step

    def _upload(self, user, name="quote.txt", **vals):
        return (
            self.env["ir.attachment"]
            .with_user(user)
            .create({"name": name, "raw": b"Quote 1200 CNY", **vals})
        )

    def test_comment_and_files_go_with_the_decision_to_later_approvers(self):
        ticket, step = self._waiting_step()
        as_1 = step.with_user(self.approver_1)
        self.assertTrue(as_1.decision_comment_required)
        for empty in (None, "  "):
            with self.assertRaisesRegex(
                UserError, r"A decision on .* needs a comment: say why you approve it"
            ):
                as_1.action_approve(empty)
        self.assertFalse(step.decision_ids)
        # the approver's wizard: comment and a file uploaded for it
        wizard = Form(
            self.env["crossdept.ticket.step.approve"]
            .with_user(self.approver_1)
            .with_context(default_step_id=step.id)
        )
        self.assertTrue(wizard.comment_required)
        wizard.comment = "  Price checked against last year "
        upload = self._upload(self.approver_1, res_model="crossdept.ticket.step.approve", res_id=0)
        wizard.attachment_ids.add(upload)
        wizard.save().action_approve()
        decision = step.decision_ids
        self.assertEqual(
            (decision.user_id, decision.decision, decision.reason, decision.attachment_ids),
            (self.approver_1, "approve", "Price checked against last year", upload),
        )
        self.assertEqual((upload.res_model, upload.res_id), (decision._name, decision.id))
        event = ticket.event_ids.filtered(lambda e: e.event_type == "step_approve")
        self.assertEqual((event.actor_id, event.reason), (self.approver_1, decision.reason))
        step.with_user(self.approver_2).action_approve("Fine by me")
        sign = self._step(ticket, "Sign")
        self.assertEqual(sign.approval_state, "pending")
        # the later approver reads the comments and the file
        later = ticket.with_user(self.approver_3)
        self.assertEqual(
            later.approval_decision_ids.mapped("reason"),
            ["Price checked against last year", "Fine by me"],
        )
        self.assertEqual(
            base64.b64decode(later.approval_decision_ids.attachment_ids.datas), b"Quote 1200 CNY"
        )
        # a step that does not require one approves without a comment
        sign.with_user(self.approver_3).action_approve()
        self.assertEqual(ticket.state, "done")

    def test_files_of_others_or_of_other_records_are_refused(self):
        ticket, step = self._waiting_step()
        theirs = self._upload(self.approver_2, "theirs.txt")
        with self.assertRaisesRegex(
            UserError,
            "File theirs.txt cannot go with a decision: only files you uploaded for it can",
        ):
            step.with_user(self.approver_1).action_approve("ok", [theirs.id])
        on_ticket = self._upload(
            self.approver_1, "ticket.txt", res_model="crossdept.ticket", res_id=ticket.id
        )
        with self.assertRaisesRegex(UserError, "File ticket.txt cannot go with a decision"):
            step.with_user(self.approver_1).action_reject("no", attachment_ids=[on_ticket.id])
        self.assertFalse(step.decision_ids)
        self.assertEqual((on_ticket.res_model, on_ticket.res_id), ("crossdept.ticket", ticket.id))

    def test_refusal_with_files_through_the_wizard(self):
        ticket, step = self._waiting_step()
        wizard = Form(
            self.env["crossdept.ticket.step.reject"]
            .with_user(self.approver_2)
            .with_context(default_step_id=step.id)
        )
        wizard.reason = "Over budget"
        upload = self._upload(self.approver_2, "budget.txt")
        wizard.attachment_ids.add(upload)
        wizard.save().action_reject()
        self.assertEqual(ticket.state, "cancelled")
        decision = step.decision_ids
        self.assertEqual((decision.reason, decision.attachment_ids), ("Over budget", upload))

    def test_comment_over_jsonrpc_as_the_approver(self):
        _ticket, step = self._waiting_step()
        with mute_logger("odoo.http"):
            refused = jsonrpc_execute(
                self, self.approver_1, "crossdept.ticket.step", "action_approve", [[step.id]]
            )
        self.assertIn("needs a comment", refused["error"]["data"]["message"])
        upload = self._upload(self.approver_1)
        result = jsonrpc_execute(
            self,
            self.approver_1,
            "crossdept.ticket.step",
            "action_approve",
            [[step.id], "Over JSON-RPC", [upload.id]],
        )
        self.assertTrue(result["result"])
        step.invalidate_recordset()
        self.assertEqual(
            (step.decision_ids.reason, step.decision_ids.attachment_ids),
            ("Over JSON-RPC", upload),
        )
