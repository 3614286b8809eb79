from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import graph


class CrossdeptFlowStep(models.Model):
    _name = "crossdept.flow.step"
    _description = "Flow Step"
    _order = "flow_id, sequence, id"

    flow_id = fields.Many2one("crossdept.flow", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    kind = fields.Selection(
        [("task", "Task"), ("approval", "Approval")], default="task", required=True
    )
    department_id = fields.Many2one("hr.department", "Responsible Department")
    raci_ids = fields.One2many("crossdept.flow.step.raci", "step_id", "RACI", copy=True)
    assignment = fields.Selection(
        [
            ("auto", "Automatic dispatch in the department"),
            ("raci", "The Responsible of the RACI lines"),
        ],
        default="auto",
        required=True,
        help="Automatic: when the step is ready, CrossDept picks a person of the responsible "
        "department by skills, availability, capacity and the department's method.",
    )
    skill_requirement_ids = fields.One2many(
        "crossdept.skill.requirement", "flow_step_id", "Required Skills", copy=True
    )
    required_field_ids = fields.Many2many(
        "ir.model.fields",
        string="Required Inputs",
        domain=[("model", "=", "crossdept.ticket"), ("store", "=", True)],
        help="Ticket fields that must be filled before the step can be finished.",
    )
    require_attachment = fields.Boolean(
        help="The ticket must carry at least one attachment before the step is finished."
    )
    deliverable_ids = fields.One2many(
        "crossdept.flow.step.deliverable", "step_id", "Deliverables", copy=True
    )
    sla_hours = fields.Float("SLA (working hours)", default=8.0)
    calendar_id = fields.Many2one(
        "resource.calendar",
        "Working Calendar",
        help="Calendar of the SLA; empty means the department's company calendar, "
        "else the ticket company's.",
    )
    predecessor_ids = fields.Many2many(
        "crossdept.flow.step",
        "crossdept_flow_step_predecessor_rel",
        "step_id",
        "predecessor_id",
        string="Predecessors",
        domain="[('flow_id', '=', flow_id), ('id', '!=', id)]",
        help="The step starts when all of these are done or skipped; none means a start step.",
    )
    condition_domain = fields.Char(
        "Run Condition",
        default="[]",
        help="The step runs only for tickets matching this domain; otherwise it is skipped.",
    )
    skip_when_urgent = fields.Boolean(help="Non-critical step, skipped for urgent tickets.")
    portal_visible = fields.Boolean(
        "Visible to Customer",
        help="Customers follow this step (name, state, deadline) on their portal. Steps "
        "whose RACI names the requester are shown too when the requester is the customer.",
    )
    value_adding = fields.Boolean(
        compute="_compute_value_adding",
        store=True,
        readonly=False,
        precompute=True,
        copy=True,
        help="Whether the step adds value for the customer (analytics). Tasks do unless "
        "told otherwise, approvals do not.",
    )
    approval_policy = fields.Selection(
        [
            ("all", "All approvers"),
            ("any", "Any approver"),
            ("count", "At least N approvers"),
            ("percent", "At least a percentage"),
        ],
        default="all",
    )
    approval_min_count = fields.Integer("Minimum Approvals", default=1)
    allow_requester_approval = fields.Boolean(
        help="The requester of a ticket may approve this step; by default their own "
        "request is never theirs to approve."
    )
    approval_min_percent = fields.Float("Minimum Percentage", default=50.0)
    approval_timeout_action = fields.Selection(
        [
            ("none", "Nothing (escalation rules only)"),
            ("approve", "Approve automatically"),
            ("reject", "Refuse automatically"),
            ("escalate", "Escalate to the department manager"),
        ],
        "When Overdue",
        default="none",
        required=True,
        help="What happens once when the approval step passes its deadline (SLA) without "
        "being decided: approve it, refuse it (as the flow's refusal does), or let the "
        "manager of its department decide instead of the approvers who have not decided.",
    )
    require_decision_comment = fields.Boolean(
        "Comment Required",
        help="Approvers give a comment (审批意见) with every decision, approvals included; "
        "a refusal always needs one.",
    )
    reject_action = fields.Selection(
        [("return", "Return to an earlier step"), ("cancel", "Cancel the ticket")],
        default="cancel",
    )
    reject_return_step_id = fields.Many2one(
        "crossdept.flow.step",
        "Return To",
        domain="[('flow_id', '=', flow_id), ('id', '!=', id)]",
        ondelete="set null",
    )
    escalation_rule_ids = fields.One2many(
        "crossdept.escalation.rule", "flow_step_id", "Escalation Rules"
    )
    # labels "Diagram X" and "Diagram Y", from the field names
    diagram_x = fields.Integer(
        copy=True, help="Position of the step on the flow's diagram (pixels)."
    )
    diagram_y = fields.Integer(
        copy=True, help="Position of the step on the flow's diagram (pixels)."
    )

    @api.depends("kind")
    def _compute_value_adding(self):
        for step in self:
            step.value_adding = step.kind == "task"

    # ------------------------------------------------------------------
    # Constraints (checked on save, and again at activation)
    # ------------------------------------------------------------------

    @api.constrains(
        "sla_hours",
        "kind",
        "approval_policy",
        "approval_min_count",
        "approval_min_percent",
        "raci_ids",
        "condition_domain",
    )
    def _check_settings(self):
        for step in self:
            if step.sla_hours <= 0:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: the SLA must be a positive number of working hours.",
                        step=step.name,
                    )
                )
            if step.approval_min_count < 1:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: the minimum number of approvals must be at least 1.",
                        step=step.name,
                    )
                )
            if not 1 <= step.approval_min_percent <= 100:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: the minimum percentage of approvals must be between "
                        "1 and 100.",
                        step=step.name,
                    )
                )
            step._check_approver_count()
            error = self.env["crossdept.flow"]._ticket_domain_error(step.condition_domain)
            if error:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: the run condition is not a valid condition on "
                        "tickets (%(error)s).",
                        step=step.name,
                        error=error,
                    )
                )

    def _check_approver_count(self):
        """An "at least N" approval asks for no more approvals than it has approver
        lines (RACI lines may change on their own, so they call this too)."""
        for step in self:
            if step.kind != "approval" or step.approval_policy != "count":
                continue
            lines = step.raci_ids.filtered(lambda line: line.role == "responsible")
            if step.approval_min_count > len(lines):
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: it asks for %(needed)s approvals but has only "
                        "%(count)s approver lines.",
                        step=step.name,
                        needed=step.approval_min_count,
                        count=len(lines),
                    )
                )

    @api.constrains("reject_action", "reject_return_step_id", "predecessor_ids", "flow_id")
    def _check_return_steps_of_flows(self):
        # a change of predecessors may cut the path to another step's return step
        self.flow_id.step_ids._check_return_step()

    def _check_return_step(self):
        """A rejection returns to a step before this one on the same path (an
        ancestor through the predecessors), never to a parallel or later step."""
        by_flow = {}
        for step in self:
            target = step.reject_return_step_id
            if step.reject_action != "return" or not target:
                continue
            flow = step.flow_id
            if flow not in by_flow:
                by_flow[flow] = {s.id: set(s.predecessor_ids.ids) for s in flow.step_ids}
            earlier = graph.ancestors([step.id], by_flow[flow]) - {step.id}
            if target.flow_id != flow:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: the step to return to is not in this flow.",
                        step=step.name,
                    )
                )
            if target.id not in earlier:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: a rejection must return to an earlier step, not to "
                        "%(other)s.",
                        step=step.name,
                        other=target.name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD: the flow's lock
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        flows = self.env["crossdept.flow"].browse(
            {vals.get("flow_id") for vals in vals_list if vals.get("flow_id")}
        )
        flows._check_editable()
        steps = super().create(vals_list)
        steps.flow_id._designer_touch()
        return steps

    def write(self, vals):
        flows = self.flow_id
        if vals.get("flow_id"):
            flows |= self.env["crossdept.flow"].browse(vals["flow_id"])
        flows._check_editable()
        res = super().write(vals)
        flows._designer_touch()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked_flow(self):
        self.flow_id._check_editable()

    def unlink(self):
        flows = self.flow_id
        res = super().unlink()
        flows._designer_touch()
        # the steps left must still reach the steps their rejections return to
        flows.step_ids._check_return_step()
        return res

    # ------------------------------------------------------------------
    # Activation checks
    # ------------------------------------------------------------------

    def _check_approval_policy(self):
        """Approvers exist and can meet the policy; a return has its step."""
        self.ensure_one()
        approvers = self.raci_ids.filtered(lambda raci: raci.role == "responsible")
        if not approvers:
            raise ValidationError(
                self.env._(
                    "Step %(step)s: an approval step needs approvers (Responsible RACI lines).",
                    step=self.name,
                )
            )
        self._check_approver_count()
        possible = self._possible_approver_count()
        needed = self.approval_min_count if self.approval_policy == "count" else 1
        if possible < needed:
            raise ValidationError(
                self.env._(
                    "Step %(step)s: its approval policy needs %(needed)s distinct approvers "
                    "but its approver lines can name at most %(count)s (the requester counts "
                    "only where the step allows them to approve their own request).",
                    step=self.name,
                    needed=needed,
                    count=possible,
                )
            )
        if self.reject_action == "return" and not self.reject_return_step_id:
            raise ValidationError(
                self.env._("Step %(step)s: choose the step a rejection returns to.", step=self.name)
            )
        self._check_return_step()

    def _possible_approver_count(self):
        """How many distinct people the Responsible lines can name at run time, at
        most: the users named, the current manager of each department named, the
        requester when allowed, the Accountable."""
        self.ensure_one()
        users = self.env["res.users"]
        roles = set()
        for line in self.raci_ids.filtered(lambda raci: raci.role == "responsible"):
            if line.holder_type == "user":
                users |= line.user_id.filtered("active")
            elif line.holder_type in ("department_manager", "department"):
                manager = line.department_id.manager_id.user_id.filtered("active")
                if not manager:
                    raise ValidationError(
                        self.env._(
                            "Step %(step)s: department %(department)s has no manager with an "
                            "active user to approve.",
                            step=self.name,
                            department=line.department_id.display_name,
                        )
                    )
                users |= manager
            elif line.holder_type == "requester":
                if self.allow_requester_approval:
                    roles.add("requester")
            else:
                roles.add(line.holder_type)
        return len(users) + len(roles)

    def _get_calendar(self, ticket):
        """The working calendar of this flow step's steps on ``ticket``: the step's, its
        department's company's, or the ticket's company's (only the company of the
        ticket counts: a flow start plans a batch's steps by company)."""
        return (
            self.calendar_id
            or self.department_id.company_id.resource_calendar_id
            or ticket.company_id.resource_calendar_id
        )
