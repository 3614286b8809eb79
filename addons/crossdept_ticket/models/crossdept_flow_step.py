from odoo import api, fields, models
from odoo.exceptions import ValidationError


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
        default=True, help="Whether the step adds value for the customer (analytics)."
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
    approval_min_percent = fields.Float("Minimum Percentage", default=50.0)
    allow_requester_approval = fields.Boolean(
        help="The requester of a ticket may approve this step; by default their own "
        "request is never theirs to approve."
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

    @api.constrains("approval_min_count", "approval_min_percent")
    def _check_policy_numbers(self):
        for step in self:
            if step.approval_min_count < 1 or not 0 < step.approval_min_percent <= 100:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: at least 1 approval and a percentage between 0 and "
                        "100 are needed.",
                        step=step.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        flows = self.env["crossdept.flow"].browse(
            {vals.get("flow_id") for vals in vals_list if vals.get("flow_id")}
        )
        flows._check_editable()
        return super().create(vals_list)

    def write(self, vals):
        self.flow_id._check_editable()
        return super().write(vals)

    def unlink(self):
        self.flow_id._check_editable()
        return super().unlink()

    def _check_approval_policy(self):
        self.ensure_one()
        approvers = self.raci_ids.filtered(lambda raci: raci.role == "responsible")
        if not approvers:
            raise ValidationError(
                self.env._(
                    "Step %(step)s: an approval step needs approvers (Responsible RACI lines).",
                    step=self.name,
                )
            )
        if self.approval_policy == "count" and self.approval_min_count > len(approvers):
            raise ValidationError(
                self.env._(
                    "Step %(step)s: it asks for %(needed)s approvals but has only "
                    "%(count)s approver lines.",
                    step=self.name,
                    needed=self.approval_min_count,
                    count=len(approvers),
                )
            )
        if self.reject_action == "return" and not self.reject_return_step_id:
            raise ValidationError(
                self.env._("Step %(step)s: choose the step a rejection returns to.", step=self.name)
            )
        if (
            self.reject_action == "return"
            and self.reject_return_step_id in self._successors_closure()
        ):
            raise ValidationError(
                self.env._(
                    "Step %(step)s: a rejection must return to an earlier step, not to %(other)s.",
                    step=self.name,
                    other=self.reject_return_step_id.name,
                )
            )

    def _successors(self):
        return self.flow_id.step_ids.filtered(lambda step: step.predecessor_ids & self)

    def _successors_closure(self):
        """These steps and every step after them."""
        seen = self
        frontier = self
        while frontier:
            frontier = frontier._successors() - seen
            seen |= frontier
        return seen

    def _find_cycle(self):
        """Return the steps of a cycle among these steps, or an empty recordset."""
        state = {}
        path = []

        def visit(step):
            state[step] = "visiting"
            path.append(step)
            for pred in step.predecessor_ids & self:
                if state.get(pred) == "visiting":
                    return path[path.index(pred) :]
                if pred not in state:
                    found = visit(pred)
                    if found:
                        return found
            path.pop()
            state[step] = "done"
            return None

        for step in self:
            if step not in state:
                found = visit(step)
                if found:
                    return self.browse([s.id for s in reversed(found)])
        return self.browse()

    def _get_calendar(self, ticket):
        return (
            self.calendar_id
            or self.department_id.company_id.resource_calendar_id
            or ticket.company_id.resource_calendar_id
        )
