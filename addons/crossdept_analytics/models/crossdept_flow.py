from lxml import etree

from odoo import api, fields, models

from odoo.addons.crossdept_ticket.tools.duration import format_hours, format_percent

SVG_NS = "http://www.w3.org/2000/svg"


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
    wait_hours = fields.Float("Total Waiting (h)", compute="_compute_value_stream")
    work_hours = fields.Float("Total Working (h)", compute="_compute_value_stream")
    value_adding_hours = fields.Float("Value-adding Time (h)", compute="_compute_value_stream")
    non_value_adding_hours = fields.Float(
        "Non-value-adding Time (h)", compute="_compute_value_stream"
    )
    value_adding_ratio = fields.Float("Value-adding Share (%)", compute="_compute_value_stream")
    top_bottleneck_ids = fields.Many2many(
        "crossdept.flow.step",
        string="Top Bottlenecks",
        compute="_compute_value_stream",
        help="The three steps that take the largest share of the time.",
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
            ],
        )
        for flow in self:
            lines = rows.filtered(lambda line, flow=flow: line.flow_id == flow)
            totals = {"wait": 0.0, "work": 0.0, "va": 0.0, "nva": 0.0}
            for line in lines:
                totals["wait"] += line.wait_hours * line.sample_count
                totals["work"] += line.work_hours * line.sample_count
                totals["va" if line.value_adding else "nva"] += line.total_hours_sum
            everything = totals["va"] + totals["nva"]
            flow.wait_hours = totals["wait"]
            flow.work_hours = totals["work"]
            flow.value_adding_hours = totals["va"]
            flow.non_value_adding_hours = totals["nva"]
            flow.value_adding_ratio = 100.0 * totals["va"] / everything if everything else 0.0
            ranked = lines.filtered("total_hours_sum").sorted(
                lambda line: (-line.total_hours_sum, line.flow_step_id.id)
            )
            flow.top_bottleneck_ids = ranked[:3].flow_step_id
            flow.bottleneck_diagram = flow._render_heat_diagram(lines)

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
            texts[1].text = self.env._(
                "%(share)s · wait %(wait)s · work %(work)s",
                share=format_percent(self.env, line.share),
                wait=format_hours(self.env, line.wait_hours),
                work=format_hours(self.env, line.work_hours),
            )
            texts[1].set("font-size", "10")
            title = etree.SubElement(group, f"{{{SVG_NS}}}title")
            title.text = self.env._(
                "%(step)s: %(share)s of the time over %(count)s finished steps",
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
