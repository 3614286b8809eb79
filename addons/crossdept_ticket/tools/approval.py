"""Approval policies as plain functions: how many approvals a policy needs from a
number of approvers, and what the decisions so far decide."""

import math

POLICIES = ("all", "any", "count", "percent")


def needed_approvals(policy, approvers, min_count=1, min_percent=100.0):
    """Approvals the policy needs from ``approvers`` distinct people; more than
    ``approvers`` (or 0 with nobody to decide) means it cannot be met."""
    if policy == "all":
        return max(approvers, 1)
    if policy == "any":
        return 1
    if policy == "count":
        return max(int(min_count), 1)
    return max(math.ceil(approvers * min_percent / 100.0 - 1e-9), 1)


def can_be_met(needed, approvers):
    return 0 < needed <= approvers


def outcome(needed, approvers, approvals, rejections):
    """'approved', 'rejected' or None (still open, or a policy that cannot be met)."""
    if not can_be_met(needed, approvers):
        return None
    if approvals >= needed:
        return "approved"
    if approvers - rejections < needed:
        return "rejected"
    return None
