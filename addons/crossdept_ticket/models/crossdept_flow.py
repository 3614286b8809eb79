from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import html_escape
from odoo.tools.safe_eval import safe_eval


def _shorten(text, size):
    return text if len(text) <= size else text[: size - 1] + "…"


# fields whose change on an active flow needs a new version
STRUCTURE_FIELDS = {"type_ids", "domain", "step_ids", "company_id", "code"}


class CrossdeptFlow(models.Model):
    _name = "crossdept.flow"
    _description = "Flow Template"
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
    previous_version_id = fields.Many2one("crossdept.flow", readonly=True, copy=False)
    ticket_ids = fields.One2many("crossdept.ticket", "flow_id", "Tickets")
    ticket_count = fields.Integer(compute="_compute_ticket_count")
    diagram = fields.Html(compute="_compute_diagram", sanitize=False)

    _sql_constraints = [
        (
            "code_version_uniq",
            "unique(code, version, company_id)",
            "A flow code exists only once per version and company.",
        ),
    ]

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

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def write(self, vals):
        if STRUCTURE_FIELDS & set(vals):
            self._check_editable()
        return super().write(vals)

    def unlink(self):
        if self.ticket_ids:
            raise UserError(
                self.env._(
                    "Flows used by tickets cannot be deleted; archive them instead: %(flows)s",
                    flows=", ".join(self.filtered("ticket_ids").mapped("display_name")),
                )
            )
        return super().unlink()

    def _check_editable(self):
        if self.env.context.get("crossdept_flow_versioning"):
            return
        for flow in self:
            if flow.state != "draft":
                raise UserError(
                    self.env._(
                        "Flow %(flow)s is not a draft: use New Version to change its steps.",
                        flow=flow.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # Versions
    # ------------------------------------------------------------------

    def action_new_version(self):
        """Copy the flow into a new draft version (steps and their links included)."""
        self.ensure_one()
        existing = self.search(
            [
                ("code", "=", self.code),
                ("company_id", "=", self.company_id.id),
                ("state", "=", "draft"),
            ],
            limit=1,
        )
        if existing:
            new_flow = existing
        else:
            latest = self.with_context(active_test=False).search(
                [("code", "=", self.code), ("company_id", "=", self.company_id.id)],
                order="version desc",
                limit=1,
            )
            new_flow = self._copy_as_version(latest.version + 1)
        return {
            "type": "ir.actions.act_window",
            "res_model": "crossdept.flow",
            "res_id": new_flow.id,
            "view_mode": "form",
        }

    def _copy_as_version(self, version):
        self.ensure_one()
        new_flow = self.copy(
            {"version": version, "previous_version_id": self.id, "step_ids": False}
        )
        mapping = {}
        for step in self.step_ids:
            mapping[step] = step.copy({"flow_id": new_flow.id, "predecessor_ids": False})
        for step, new_step in mapping.items():
            new_step.predecessor_ids = [Command.set([mapping[p].id for p in step.predecessor_ids])]
            if step.reject_return_step_id:
                new_step.reject_return_step_id = mapping[step.reject_return_step_id]
        return new_flow

    def action_activate(self):
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
            others.write({"state": "archived"})
            flow.write({"state": "active"})
        return True

    def action_archive_flow(self):
        return self.write({"state": "archived"})

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

    def _check_activation(self):
        self.ensure_one()
        steps = self.step_ids
        if not steps:
            raise ValidationError(self.env._("Flow %(flow)s has no step.", flow=self.display_name))
        for step in steps:
            if step.sla_hours <= 0:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: the SLA must be a positive number of working hours.",
                        step=step.name,
                    )
                )
            outside = step.predecessor_ids - steps
            if outside:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: its predecessor %(other)s belongs to another flow.",
                        step=step.name,
                        other=outside[0].name,
                    )
                )
            if step.kind == "approval":
                step._check_approval_policy()
            if step.reject_return_step_id and step.reject_return_step_id not in steps:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: the step to return to is not in this flow.",
                        step=step.name,
                    )
                )
        cycle = steps._find_cycle()
        if cycle:
            raise ValidationError(
                self.env._(
                    "Step %(step)s: it is part of a cycle (%(cycle)s).",
                    step=cycle[0].name,
                    cycle=" → ".join(cycle.mapped("name")),
                )
            )
        starts = steps.filtered(lambda step: not step.predecessor_ids)
        reachable = starts._successors_closure()
        for step in steps - reachable:
            raise ValidationError(
                self.env._("Step %(step)s: it cannot be reached from a start step.", step=step.name)
            )

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

    def _layers(self):
        """Steps by depth (longest path from a start), for drawing."""
        depth = {}
        steps = self.step_ids.sorted(lambda step: (step.sequence, step.id))
        for _round in range(len(steps) + 1):
            changed = False
            for step in steps:
                value = max(
                    (depth.get(p, 0) + 1 for p in step.predecessor_ids if p in steps), default=0
                )
                if depth.get(step) != value:
                    depth[step] = value
                    changed = True
            if not changed:
                break
        layers = defaultdict(list)
        for step in steps:
            layers[min(depth.get(step, 0), len(steps))].append(step)
        return [layers[key] for key in sorted(layers)]

    def _render_diagram(self):
        if not self.step_ids:
            return ""
        box_w, box_h, gap_x, gap_y, pad = 170, 54, 60, 22, 12
        layers = self._layers()
        rows = max(len(layer) for layer in layers)
        height = rows * (box_h + gap_y) - gap_y + 2 * pad
        width = len(layers) * (box_w + gap_x) - gap_x + 2 * pad
        pos = {}
        for col, layer in enumerate(layers):
            offset = (height - 2 * pad - (len(layer) * (box_h + gap_y) - gap_y)) / 2
            for row, step in enumerate(layer):
                pos[step] = (pad + col * (box_w + gap_x), pad + offset + row * (box_h + gap_y))
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="o_crossdept_flow_diagram" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
            '<defs><marker id="cd-arrow" markerWidth="10" markerHeight="8" refX="9" refY="4" '
            'orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="#6c757d"/></marker></defs>',
        ]
        for step, (x, y) in pos.items():
            for pred in step.predecessor_ids:
                if pred in pos:
                    px, py = pos[pred]
                    parts.append(
                        f'<line x1="{px + box_w}" y1="{py + box_h / 2}" '
                        f'x2="{x}" y2="{y + box_h / 2}" stroke="#6c757d" '
                        'stroke-width="1.5" marker-end="url(#cd-arrow)"/>'
                    )
        for step, (x, y) in pos.items():
            fill = "#fff4e5" if step.kind == "approval" else "#e7f1ff"
            parts.append(
                f'<g class="o_crossdept_flow_step" data-step-id="{step.id}">'
                f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="8" fill="{fill}" '
                'stroke="#495057"/>'
                f'<text x="{x + 8}" y="{y + 20}" font-size="13" font-weight="bold">'
                f"{html_escape(_shorten(step.name, 22))}</text>"
                f'<text x="{x + 8}" y="{y + 40}" font-size="11" fill="#495057">'
                f"{html_escape(_shorten(step.department_id.name or '', 18))}"
                f" · {step.sla_hours:g}h</text>"
                "</g>"
            )
        parts.append("</svg>")
        return "".join(parts)
