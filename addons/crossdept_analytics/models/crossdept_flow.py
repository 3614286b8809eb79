from lxml import etree

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.crossdept_ticket.tools import bpmn_export
from odoo.addons.crossdept_ticket.tools.duration import format_hours, format_percent

SVG_NS = "http://www.w3.org/2000/svg"

# the figures of a step on the analytics diagram, in the order of its measure menu:
# (key, unit); their labels are in _step_measures
STEP_MEASURES = [
    ("wait_median", "hours"),
    ("wait_p90", "hours"),
    ("work_median", "hours"),
    ("work_p90", "hours"),
    ("breach_share", "percent"),
    ("rework_count", "count"),
    ("transfer_rate", "percent"),
]


def _heat_colour(ratio):
    """White (0) to red (1), through light orange."""
    ratio = max(0.0, min(1.0, ratio))
    green_blue = round(255 - ratio * (255 - 53))
    red = round(255 - ratio * (255 - 220))
    return f"#{red:02x}{green_blue:02x}{round(255 - ratio * (255 - 69)):02x}"


class CrossdeptFlow(models.Model):
    _inherit = "crossdept.flow"

    bottleneck_ids = fields.One2many(
        "crossdept.step.bottleneck", "flow_id", "Time per Step", readonly=True
    )
    bottleneck_diagram = fields.Html(
        "Time Heat Map", compute="_compute_value_stream", sanitize=False
    )
    wait_hours = fields.Float(
        "Total Ready to Started (clock h)",
        compute="_compute_value_stream",
        help="Elapsed clock hours of the finished steps from ready to started.",
    )
    work_hours = fields.Float(
        "Total Started to Done (clock h)",
        compute="_compute_value_stream",
        help="Elapsed clock hours of the finished steps from started to done.",
    )
    handling_hours = fields.Float(
        "Total Handling (working h)",
        compute="_compute_value_stream",
        help="Working hours the finished steps were handled, on their calendars.",
    )
    hold_hours = fields.Float(
        "Total On Hold (working h)",
        compute="_compute_value_stream",
        help="Working hours the finished steps were on hold (the ticket waiting).",
    )
    # handling time (tools/durations.py): working hours, clock hours where not measured
    value_adding_hours = fields.Float("Value-adding Time (h)", compute="_compute_value_stream")
    non_value_adding_hours = fields.Float(
        "Non-value-adding Time (h)", compute="_compute_value_stream"
    )
    value_adding_ratio = fields.Float("Value-adding Share (%)", compute="_compute_value_stream")
    top_bottleneck_ids = fields.Many2many(
        "crossdept.flow.step",
        string="Top Bottlenecks",
        compute="_compute_value_stream",
        help="The three steps that take the largest share of the handling time.",
    )
    touch_hours = fields.Float(
        "Touch Time (h)",
        compute="_compute_flow_efficiency",
        help="Effort logged on the finished steps, each at most its lead time.",
    )
    touch_wait_hours = fields.Float(
        "Waiting Time (h)",
        compute="_compute_flow_efficiency",
        help="Lead time of the finished steps (working hours where measured) less their "
        "touch time.",
    )
    flow_efficiency = fields.Float(
        "Flow Efficiency (%)",
        compute="_compute_flow_efficiency",
        help="Touch time over lead time of the finished steps of this version.",
    )
    recommendation_ids = fields.One2many(
        "crossdept.approval.recommendation", "flow_id", "Approval Recommendations"
    )

    @api.depends_context("lang")
    @api.depends("step_ids")
    def _compute_value_stream(self):
        rows = self.env["crossdept.step.bottleneck"].search_fetch(
            [("flow_id", "in", self.ids)],
            [
                "flow_id",
                "flow_step_id",
                "value_adding",
                "total_hours_sum",
                "share",
                "sample_count",
                "wait_hours",
                "work_hours",
                "measured_count",
                "handling_hours",
                "hold_hours",
            ],
        )
        for flow in self:
            lines = rows.filtered(lambda line, flow=flow: line.flow_id == flow)
            totals = {"wait": 0.0, "work": 0.0, "va": 0.0, "nva": 0.0, "handling": 0.0, "hold": 0.0}
            for line in lines:
                totals["wait"] += line.wait_hours * line.sample_count
                totals["work"] += line.work_hours * line.sample_count
                totals["handling"] += line.handling_hours * line.measured_count
                totals["hold"] += line.hold_hours * line.measured_count
                totals["va" if line.value_adding else "nva"] += line.total_hours_sum
            everything = totals["va"] + totals["nva"]
            flow.wait_hours = totals["wait"]
            flow.work_hours = totals["work"]
            flow.handling_hours = totals["handling"]
            flow.hold_hours = totals["hold"]
            flow.value_adding_hours = totals["va"]
            flow.non_value_adding_hours = totals["nva"]
            flow.value_adding_ratio = 100.0 * totals["va"] / everything if everything else 0.0
            ranked = lines.filtered("total_hours_sum").sorted(
                lambda line: (-line.total_hours_sum, line.flow_step_id.id)
            )
            flow.top_bottleneck_ids = ranked[:3].flow_step_id
            flow.bottleneck_diagram = flow._render_heat_diagram(lines)

    def _compute_flow_efficiency(self):
        figures = self.env["crossdept.analytics.effort"]._figures(
            "flow_id", [("flow_id", "in", self.ids)]
        )
        for flow in self:
            _count, _lead, touch, wait, efficiency = figures.get(flow, (0, 0.0, 0.0, 0.0, None))
            flow.touch_hours = touch
            flow.touch_wait_hours = wait
            flow.flow_efficiency = efficiency or 0.0

    def _render_heat_diagram(self, lines):
        """The core's flow diagram, each step filled from white to red by its share of
        the time and labelled with its share, waiting and working hours."""
        self.ensure_one()
        svg = self._render_diagram()
        if not svg:
            return ""
        by_step = {line.flow_step_id.id: line for line in lines}
        top = max((line.share for line in lines), default=0.0) or 1.0
        root = etree.fromstring(svg)
        for group in root.iter(f"{{{SVG_NS}}}g"):
            line = by_step.get(int(group.get("data-step-id", 0)))
            rect = group.find(f"{{{SVG_NS}}}rect")
            texts = group.findall(f"{{{SVG_NS}}}text")
            if line is None or rect is None or len(texts) < 2:
                continue
            ratio = line.share / top
            rect.set("fill", _heat_colour(ratio))
            if ratio > 0.55:
                # dark enough to need light text
                for text in texts:
                    text.set("fill", "#ffffff")
            group.set("data-share", f"{line.share:.1f}")
            group.set("class", group.get("class", "") + " o_crossdept_heat_step")
            # per finished step: its handling time, and apart its time on hold
            texts[1].text = self.env._(
                "%(share)s · handling %(handling)s · on hold %(hold)s",
                share=format_percent(self.env, line.share),
                handling=format_hours(
                    self.env,
                    line.total_hours_sum / line.sample_count if line.sample_count else None,
                ),
                hold=format_hours(self.env, line.hold_hours if line.measured_count else None),
            )
            texts[1].set("font-size", "10")
            title = etree.SubElement(group, f"{{{SVG_NS}}}title")
            title.text = self.env._(
                "%(step)s: %(share)s of the handling time over %(count)s finished steps",
                step=line.flow_step_id.name,
                share=format_percent(self.env, line.share),
                count=line.sample_count,
            )
        return etree.tostring(root, encoding="unicode")

    def action_view_bottlenecks(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Bottlenecks of %(flow)s", flow=self.display_name),
            "res_model": "crossdept.flow",
            "res_id": self.id,
            "view_mode": "form",
            "views": [
                (self.env.ref("crossdept_analytics.crossdept_flow_view_form_bottleneck").id, "form")
            ],
        }

    def action_detect_recommendations(self):
        self.env["crossdept.approval.recommendation"]._detect(self)
        return True

    def action_view_step_heat(self):
        """The flow version's diagram with the figures of its steps."""
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "crossdept_analytics.flow_heat",
            "name": self.env._("Diagram of %(flow)s", flow=self.display_name),
            "params": {"flow_ids": self.ids},
        }

    @api.model
    def _step_measures(self):
        labels = {
            "wait_median": self.env._("Waiting, median"),
            "wait_p90": self.env._("Waiting, 90th percentile"),
            "work_median": self.env._("Handling, median"),
            "work_p90": self.env._("Handling, 90th percentile"),
            "breach_share": self.env._("SLA breached"),
            "rework_count": self.env._("Rework"),
            "transfer_rate": self.env._("Transferred"),
        }
        return [{"key": key, "label": labels[key], "unit": unit} for key, unit in STEP_MEASURES]

    @api.readonly
    def get_step_figures(self, pilot_id=False, date_from=False, date_to=False):
        """Per step of this flow version, over the step facts the reader may see
        (their record rules): median and 90th percentile of the waiting time (ready
        to started) and of the handling time (started to done) of the finished
        steps, the share of them done after their deadline, the rework (steps done
        again, returns) and the share of the steps transferred to someone else.

        Steps never reached (pending, skipped, cancelled) do not count. An approval
        starts when it is decided (step facts): its time is waiting. ``pilot_id``:
        only the pilot's tickets that ran this version (its arm). Returns the
        diagram to draw (``diagram_data``) with ``figures`` by BPMN element and the
        ``measures`` to colour by."""
        self.ensure_one()
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to)
        if date_from and date_to and date_from > date_to:
            raise UserError(self.env._("The period starts after it ends."))
        Kpi = self.env["crossdept.analytics.kpi"]
        conditions = [
            SQL("a.flow_id = %s", self.id),
            SQL("a.company_id IN %s", tuple(self.env.companies.ids)),
            SQL("a.state IN ('ready', 'in_progress', 'done', 'rejected')"),
            # the steps of the tickets the reader may see (record rules)
            Kpi._rule_condition("crossdept.analytics.step", "a"),
        ]
        if date_from:
            conditions.append(SQL("a.date >= %s", date_from))
        if date_to:
            conditions.append(SQL("a.date <= %s", date_to))
        arm = False
        if pilot_id:
            pilot = self.env["crossdept.pilot"].browse(int(pilot_id))
            pilot.check_access("read")
            if self not in pilot.control_flow_id | pilot.variant_flow_id:
                raise UserError(
                    self.env._(
                        "Flow version %(flow)s is not an arm of pilot %(pilot)s.",
                        flow=self.display_name,
                        pilot=pilot.name,
                    )
                )
            arm = "control" if self == pilot.control_flow_id else "variant"
            self.env["crossdept.ticket"].flush_model(["pilot_id", "pilot_arm"])
            # the arm's tickets; which of them count is the facts' rules' business
            conditions.append(
                SQL(
                    "a.ticket_id IN (SELECT id FROM crossdept_ticket"
                    " WHERE pilot_id = %s AND pilot_arm = %s)",
                    pilot.id,
                    arm,
                )
            )
        self.env.cr.execute(
            SQL(
                """
                WITH f AS (
                    SELECT a.flow_step_id, a.state, a.sla_met, a.transfer_count,
                           a.rework_count,
                           EXTRACT(EPOCH FROM COALESCE(a.date_started, a.date_ready)
                                              - a.date_ready) / 3600.0 AS wait,
                           EXTRACT(EPOCH FROM a.date_done
                                              - COALESCE(a.date_started, a.date_ready))
                               / 3600.0 AS work
                      FROM crossdept_analytics_step a
                     WHERE %(where)s
                )
                SELECT flow_step_id,
                       count(*),
                       count(*) FILTER (WHERE state = 'done'),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY wait)
                           FILTER (WHERE state = 'done'),
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY wait)
                           FILTER (WHERE state = 'done'),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY work)
                           FILTER (WHERE state = 'done'),
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY work)
                           FILTER (WHERE state = 'done'),
                       100.0 * count(*) FILTER (WHERE state = 'done' AND NOT sla_met)
                           / NULLIF(count(*) FILTER (WHERE state = 'done'), 0),
                       sum(rework_count),
                       100.0 * count(*) FILTER (WHERE transfer_count > 0) / count(*)
                  FROM f
              GROUP BY flow_step_id
                """,
                where=SQL(" AND ").join(conditions),
            )
        )
        rows = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        figures = {}
        for step in self.step_ids:
            count, done, *values = rows.get(step.id) or (0, 0, *[None] * len(STEP_MEASURES))
            figures[bpmn_export.element_id("Step", step.id)] = {
                "flow_step_id": step.id,
                "name": step.name,
                "count": count,
                "done_count": done,
                **{
                    key: float(value) if value is not None else None
                    for (key, _unit), value in zip(STEP_MEASURES, values, strict=True)
                },
            }
        return {
            **self.diagram_data(),
            "flow_id": self.id,
            "title": self.display_name,
            "arm": arm,
            "figures": figures,
            "measures": self._step_measures(),
        }

    @api.model
    def _active_for(self, ticket_type, company):
        """A running pilot's variant serves only the tickets the pilot routes to it."""
        flows = super()._active_for(ticket_type, company)
        # routing applies to every requester, whatever their rights on pilots
        variants = (
            self.env["crossdept.pilot"]
            .sudo()
            .search([("state", "=", "running"), ("variant_flow_id", "in", flows.ids)])
            .variant_flow_id
        )
        return flows - variants
