import logging

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from ..tools import diagram, graph

_logger = logging.getLogger(__name__)

# fields of a flow that only an editable flow (a draft no ticket runs on) may change
STRUCTURE_FIELDS = {"type_ids", "domain", "step_ids", "company_id", "code"}
# a ticket in one of these states no longer runs on its flow
FINISHED_TICKET_STATES = ("done", "cancelled")


class CrossdeptFlow(models.Model):
    _name = "crossdept.flow"
    _description = "Flow Template"
    # the chatter keeps what happened to the flow, e.g. the report of a BPMN import
    _inherit = ["crossdept.engine.mixin", "mail.thread"]
    _order = "code, version desc, id desc"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Identifies the flow across its versions, e.g. CHANGE.")
    version = fields.Integer(default=1, required=True, readonly=True, copy=False)
    state = fields.Selection(
        [("draft", "Draft"), ("active", "Active"), ("archived", "Archived")],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
    )
    type_ids = fields.Many2many(
        "crossdept.ticket.type",
        string="Ticket Types",
        help="Ticket types this flow serves; empty means every type.",
    )
    domain = fields.Char(
        "Applies to",
        default="[]",
        help="Tickets this flow applies to, on top of the ticket types.",
    )
    description = fields.Html()
    company_id = fields.Many2one(
        "res.company", index=True, help="Leave empty to share the flow between companies."
    )
    step_ids = fields.One2many("crossdept.flow.step", "flow_id", "Steps", copy=True)
    escalation_rule_ids = fields.One2many(
        "crossdept.escalation.rule",
        "flow_id",
        "Escalation Rules",
        help="Rules of this flow and of its steps; a new version copies them.",
    )
    previous_version_id = fields.Many2one("crossdept.flow", readonly=True, copy=False)
    ticket_ids = fields.One2many("crossdept.ticket", "flow_id", "Tickets")
    ticket_count = fields.Integer(compute="_compute_ticket_count")
    locked = fields.Boolean(
        compute="_compute_locked",
        help="Not a draft, or tickets still run on it: its configuration cannot change.",
    )
    diagram = fields.Html(compute="_compute_diagram", sanitize=False)
    approver_dedup = fields.Selection(
        [
            ("never", "Never"),
            ("consecutive", "Consecutive steps only"),
            ("always", "Always"),
        ],
        "Approver De-duplication",
        default="never",
        required=True,
        help="When an approver already approved an earlier step of the same ticket, their "
        "approval of a later step is taken automatically (审批人去重): never, only when the "
        "earlier step comes right before, or always.",
    )
    urge_interval_hours = fields.Float(
        "Urge Interval (hours)",
        help="How long a requester waits between two urges (催办) of the same approval step; "
        "0 uses the system parameter crossdept_ticket.urge_interval_hours (4 hours unless "
        "set).",
    )

    _sql_constraints = [
        (
            "code_version_uniq",
            # flows without a company are alike too: one CHANGE v1 shared by all
            "UNIQUE NULLS NOT DISTINCT (code, version, company_id)",
            "A flow code exists only once per version and company.",
        ),
    ]

    def init(self):
        # The former constraint let flows without a company share a code and version.
        # Number such duplicates after the highest version of their code, so that the
        # constraint above can be added when an existing database is updated.
        self.env.cr.execute(
            SQL(
                """
                WITH ranked AS (
                    SELECT id, code, company_id,
                           ROW_NUMBER() OVER (
                               PARTITION BY code, version, company_id ORDER BY id
                           ) AS rank
                      FROM crossdept_flow
                ), top AS (
                    SELECT code, company_id, MAX(version) AS version
                      FROM crossdept_flow
                  GROUP BY code, company_id
                ), renumbered AS (
                    SELECT r.id, t.version + ROW_NUMBER() OVER (
                               PARTITION BY r.code, r.company_id ORDER BY r.id
                           ) AS version
                      FROM ranked r
                      JOIN top t ON t.code = r.code
                                AND t.company_id IS NOT DISTINCT FROM r.company_id
                     WHERE r.rank > 1
                )
                UPDATE crossdept_flow f
                   SET version = n.version
                  FROM renumbered n
                 WHERE f.id = n.id
             RETURNING f.id, f.code, f.version
                """
            )
        )
        for flow_id, code, version in self.env.cr.fetchall():
            _logger.info(
                "Flow %s (%s) shared its code and version: now version %s", flow_id, code, version
            )

    def _engine_fields(self):
        return {
            "state": "action_activate or action_archive_flow",
            "version": "action_new_version",
            "previous_version_id": "action_new_version",
        }

    @api.depends("name", "version")
    def _compute_display_name(self):
        for flow in self:
            flow.display_name = self.env._(
                "%(name)s (v%(version)s)", name=flow.name or "", version=flow.version
            )

    def _compute_ticket_count(self):
        counts = dict(
            self.env["crossdept.ticket"]._read_group(
                [("flow_id", "in", self.ids)], ["flow_id"], ["__count"]
            )
        )
        for flow in self:
            flow.ticket_count = counts.get(flow, 0)

    @api.depends("state")
    def _compute_locked(self):
        running = self.filtered(lambda flow: flow.state == "draft")._running_ticket_counts()
        for flow in self:
            flow.locked = flow.state != "draft" or bool(running.get(flow.id))

    @api.depends(
        "step_ids.name",
        "step_ids.kind",
        "step_ids.predecessor_ids",
        "step_ids.department_id",
        "step_ids.sla_hours",
    )
    def _compute_diagram(self):
        for flow in self:
            flow.diagram = flow._render_diagram()

    @api.constrains("domain")
    def _check_domain(self):
        for flow in self:
            error = self._ticket_domain_error(flow.domain)
            if error:
                raise ValidationError(
                    self.env._(
                        "Flow %(flow)s: “Applies to” is not a valid condition on tickets "
                        "(%(error)s).",
                        flow=flow.display_name,
                        error=error,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD and lock
    # ------------------------------------------------------------------

    def write(self, vals):
        if STRUCTURE_FIELDS & set(vals):
            self._check_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        if self.ticket_ids:
            raise UserError(
                self.env._(
                    "Flows used by tickets cannot be deleted; archive them instead: %(flows)s",
                    flows=", ".join(self.filtered("ticket_ids").mapped("display_name")),
                )
            )
        for flow in self:
            if flow.state != "draft":
                raise UserError(
                    self.env._(
                        "Flow %(flow)s is %(state)s: only drafts can be deleted; archive it "
                        "instead.",
                        flow=flow.display_name,
                        state=flow._state_label(),
                    )
                )
        self._check_editable()

    def _check_editable(self):
        """Refuse a change of the configuration of locked flows: flows that are not
        drafts, and drafts that tickets still run on (e.g. the variant of a stopped
        pilot), so that no running ticket sees its flow change under it."""
        for flow in self:
            if flow.state != "draft":
                raise UserError(
                    self.env._(
                        "Flow %(flow)s is %(state)s, so its configuration is locked: use New "
                        "Version to change it.",
                        flow=flow.display_name,
                        state=flow._state_label(),
                    )
                )
        running = self._running_ticket_counts()
        for flow in self:
            if running.get(flow.id):
                raise UserError(
                    self.env._(
                        "Flow %(flow)s is locked while tickets run on it (%(count)s now): "
                        "wait until they are done or cancelled, or use New Version to "
                        "change it.",
                        flow=flow.display_name,
                        count=running[flow.id],
                    )
                )

    def _running_ticket_counts(self):
        """{flow id: number of tickets, done and cancelled ones aside, that have steps
        of the flow}. Every ticket counts, whoever asks: plain SQL, no record rules."""
        flows = self.filtered(lambda flow: isinstance(flow.id, int))
        if not flows:
            return {}
        self.env["crossdept.flow.step"].flush_model(["flow_id"])
        self.env["crossdept.ticket.step"].flush_model(["flow_step_id", "ticket_id"])
        self.env["crossdept.ticket"].flush_model(["state"])
        self.env.cr.execute(
            SQL(
                """
                SELECT fs.flow_id, COUNT(DISTINCT s.ticket_id)
                  FROM crossdept_ticket_step s
                  JOIN crossdept_flow_step fs ON fs.id = s.flow_step_id
                  JOIN crossdept_ticket t ON t.id = s.ticket_id
                 WHERE fs.flow_id IN %s AND t.state NOT IN %s
              GROUP BY fs.flow_id
                """,
                tuple(flows.ids),
                FINISHED_TICKET_STATES,
            )
        )
        return dict(self.env.cr.fetchall())

    def _state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_activate(self):
        """Check the flow and make it the version that serves new tickets; the version
        active before is archived (its running tickets keep it)."""
        for flow in self:
            flow._check_activation()
            others = self.search(
                [
                    ("code", "=", flow.code),
                    ("company_id", "=", flow.company_id.id),
                    ("state", "=", "active"),
                    ("id", "!=", flow.id),
                ]
            )
            others._engine().write({"state": "archived"})
            flow._engine().write({"state": "active"})
        return True

    def action_archive_flow(self):
        self._engine().write({"state": "archived"})
        return True

    def action_view_tickets(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Tickets"),
            "res_model": "crossdept.ticket",
            "view_mode": "list,form",
            "domain": [("flow_id", "=", self.id)],
        }

    # ------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------

    @api.model
    def _ticket_domain_error(self, text):
        """Why ``text`` cannot select tickets the way the engine uses it (safe_eval,
        then a domain on crossdept.ticket), or an empty string."""
        if not text or text.strip() == "[]":  # most steps: no condition, nothing to check
            return ""
        try:
            domain = safe_eval(text or "[]")
        except (ValueError, SyntaxError, TypeError, ZeroDivisionError) as error:
            return str(error).splitlines()[0]
        if not isinstance(domain, (list, tuple)):
            return self.env._("it is not a list of conditions")
        try:
            expression.normalize_domain(list(domain))
            self.env["crossdept.ticket"]._where_calc(list(domain))
        except (ValueError, TypeError, KeyError, IndexError, AssertionError) as error:
            return str(error).splitlines()[0] if str(error) else repr(error)
        return ""

    def _check_activation(self):
        """Refuse to activate a flow with a problem, naming the first one."""
        self.ensure_one()
        errors = self._activation_errors()
        if errors:
            raise ValidationError(errors[0][1])

    def _activation_errors(self):
        """Every problem that refuses the activation of the flow, in the order the
        activation meets them: [(step or an empty recordset, message)]. The designer
        shows them on the canvas; ``_check_activation`` raises the first."""
        self.ensure_one()
        errors = []
        no_step = self.env["crossdept.flow.step"]

        def collect(step, check):
            try:
                check()
            except ValidationError as error:
                errors.append((step, error.args[0]))

        steps = self.step_ids
        if not steps:
            return [(no_step, self.env._("Flow %(flow)s has no step.", flow=self.display_name))]
        collect(no_step, self._check_domain)
        for step in steps:
            collect(step, step._check_settings)
        for step in steps:
            outside = step.predecessor_ids - steps
            if outside:
                errors.append(
                    (
                        step,
                        self.env._(
                            "Step %(step)s: its predecessor %(other)s belongs to another flow.",
                            step=step.name,
                            other=outside[0].name,
                        ),
                    )
                )
            if step.kind == "approval":
                collect(step, step._check_approval_policy)
        preds = {step.id: set(step.predecessor_ids.ids) for step in steps}
        cycle = graph.find_cycle(preds)
        if cycle:
            cycle_steps = self.env["crossdept.flow.step"].browse(cycle)
            message = self.env._(
                "Step %(step)s: it is part of a cycle (%(cycle)s).",
                step=cycle_steps[0].name,
                cycle=" → ".join(cycle_steps.mapped("name")),
            )
            errors.extend((step, message) for step in cycle_steps)
        starts = [step.id for step in steps if not step.predecessor_ids]
        reachable = graph.descendants(starts, preds)
        for step in steps.filtered(lambda step: step.id not in reachable):
            if step.id not in cycle:
                errors.append(
                    (
                        step,
                        self.env._(
                            "Step %(step)s: it cannot be reached from a start step.",
                            step=step.name,
                        ),
                    )
                )
        for step in steps:
            collect(step, step._check_return_step)
        # an approval's policy check already checks its return step
        unique = []
        for error in errors:
            if error not in unique:
                unique.append(error)
        return unique

    # ------------------------------------------------------------------
    # Matching
    # ------------------------------------------------------------------

    def _matches(self, ticket):
        """Whether the flow applies to the ticket: its type and its domain."""
        self.ensure_one()
        if self.type_ids and ticket.type_id not in self.type_ids:
            return False
        domain = self._get_domain()
        return not domain or bool(ticket.filtered_domain(domain))

    def _get_domain(self):
        return safe_eval(self.domain or "[]")

    def _specificity(self):
        return (bool(self._get_domain()), bool(self.type_ids), self.version)

    @api.model
    def _active_for(self, ticket_type, company):
        """Active flows that may serve tickets of this type and company, the most
        specific first."""
        flows = self.search(
            [
                ("state", "=", "active"),
                ("company_id", "in", (False, company.id)),
                "|",
                ("type_ids", "=", False),
                ("type_ids", "in", ticket_type.ids),
            ]
        )
        return flows.sorted(lambda flow: flow._specificity(), reverse=True)

    @api.model
    def _find_for_ticket(self, ticket):
        flows = self._active_for(ticket.type_id, ticket.company_id)
        return flows.filtered(lambda flow: flow._matches(ticket))

    # ------------------------------------------------------------------
    # Diagram
    # ------------------------------------------------------------------

    def _render_diagram(self):
        steps = self.step_ids.sorted(lambda step: (step.sequence, step.id))
        return diagram.render_svg(
            [
                {
                    "id": step.id,
                    "preds": step.predecessor_ids.ids,
                    "name": step.name or "",
                    "subtitle": diagram.step_subtitle(step.department_id.name, step.sla_hours),
                    "approval": step.kind == "approval",
                }
                for step in steps
            ]
        )
