from odoo import models


class CrossdeptApprovalMixin(models.AbstractModel):
    """委托: approvals that would go to a user during their delegation go to the
    delegate, who replaces them (the policy's count stays) and decides on behalf
    of them. A model tells which flow an approval belongs to (for delegations of
    certain flows) through ``_approval_delegation_flow``."""

    _inherit = "crossdept.approval.mixin"

    def _approval_delegation_flow(self):
        """The flow the approval belongs to (for delegations of certain flows)."""
        return self.env["crossdept.flow"]

    def _on_approval_delegated(self, delegator, delegate, delegation):
        """``delegate`` decides instead of ``delegator`` under ``delegation``."""

    def _approval_delegators(self):
        """{delegate: delegator} of the current round."""
        return {}

    def _approval_apply_delegations(self):
        """Hand the approvals of undecided approvers on delegation to their
        delegates. A delegate who may not take the approval (already an approver,
        the requester, not a CrossDept user) leaves it with the approver."""
        Delegation = self.env["crossdept.approval.delegation"]
        for record in self:
            if record.approval_state != "pending" or not record._approval_is_open():
                continue
            decisions = record._approval_decisions()
            waiting = record._approval_effective_approvers().filtered(
                lambda user, decisions=decisions: user not in decisions
            )
            if not waiting:
                continue
            flow = record._approval_delegation_flow()
            for delegator, delegation in Delegation._delegations_for(waiting).items():
                delegate = delegation.delegate_id
                if (
                    not delegation._covers(flow)
                    or delegate in record._approval_approvers()
                    or delegate in decisions
                    or (
                        not record._approval_requester_may_decide()
                        and delegate in record._approval_requester()
                    )
                    or record._approval_colleague_refusal(delegate)
                ):
                    continue
                record._approval_replace_approver(delegator, delegate)
                record._on_approval_delegated(delegator, delegate, delegation)
