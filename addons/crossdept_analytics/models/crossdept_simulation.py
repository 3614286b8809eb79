import random
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, html_escape

from odoo.addons.crossdept_ticket.tools.duration import format_hours

from ..tools.process_stats import mean, median, percentile

HISTOGRAM_BINS = 12


class CrossdeptSimulation(models.Model):
    """What-if: replay a flow version's finished tickets with one change, by Monte
    Carlo over the measured step durations, and compare the predicted cycle times
    with the actual ones."""

    _name = "crossdept.simulation"
    _inherit = ["crossdept.engine.mixin"]
    _description = "Flow What-if Simulation"
    _order = "id desc"

    name = fields.Char(required=True, default=lambda self: self.env._("New simulation"))
    flow_id = fields.Many2one("crossdept.flow", "Flow Version", required=True, ondelete="cascade")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    change = fields.Selection(
        [
            ("remove", "Remove a step"),
            ("parallel", "Run two steps in parallel"),
            ("sla", "Change a step's SLA"),
            ("headcount", "Change a department's headcount"),
        ],
        required=True,
        default="remove",
    )
    step_id = fields.Many2one(
        "crossdept.flow.step", domain="[('flow_id', '=', flow_id)]", ondelete="cascade"
    )
    other_step_id = fields.Many2one(
        "crossdept.flow.step",
        "In Parallel With",
        domain="[('flow_id', '=', flow_id), ('id', '!=', step_id)]",
        ondelete="cascade",
    )
    new_sla_hours = fields.Float("New SLA (h)")
    department_id = fields.Many2one("hr.department")
    headcount_old = fields.Integer("People Today", default=1)
    headcount_new = fields.Integer("People After", default=1)
    runs = fields.Integer(default=200, help="Monte Carlo runs; each replays every ticket once.")
    seed = fields.Integer(default=42)
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft", readonly=True)
    ticket_count = fields.Integer("Historical Tickets", readonly=True)
    actual_mean = fields.Float("Actual Mean (h)", readonly=True)
    actual_median = fields.Float("Actual Median (h)", readonly=True)
    actual_p90 = fields.Float("Actual P90 (h)", readonly=True)
    baseline_median = fields.Float(
        "Replayed Median (h)", readonly=True, help="Median of the replay without the change."
    )
    predicted_mean = fields.Float("Predicted Mean (h)", readonly=True)
    predicted_median = fields.Float("Predicted Median (h)", readonly=True)
    predicted_p90 = fields.Float("Predicted P90 (h)", readonly=True)
    histogram_data = fields.Json(
        readonly=True,
        help="Share of the tickets per cycle-time bin, actual and predicted: the chart is "
        "drawn from it in the reader's language.",
    )
    histogram = fields.Html(compute="_compute_histogram", sanitize=False)

    def _engine_fields(self):
        # the results are the simulation's: managers set its inputs and run it
        run = self.env._("Run")
        return {
            **super()._engine_fields(),
            **dict.fromkeys(
                "state ticket_count actual_mean actual_median actual_p90 baseline_median "
                "predicted_mean predicted_median predicted_p90 histogram_data".split(),
                run,
            ),
        }

    @api.constrains("change", "step_id", "other_step_id", "new_sla_hours", "department_id")
    def _check_change(self):
        for sim in self:
            if sim.change in ("remove", "parallel", "sla") and not sim.step_id:
                raise ValidationError(self.env._("Choose the step the change applies to."))
            if sim.step_id and sim.step_id.flow_id != sim.flow_id:
                raise ValidationError(
                    self.env._("Step %(step)s is not in this flow version.", step=sim.step_id.name)
                )
            if sim.change == "parallel" and (
                not sim.other_step_id or sim.other_step_id.flow_id != sim.flow_id
            ):
                raise ValidationError(
                    self.env._("Choose the other step of this flow version to run in parallel.")
                )
            if sim.change == "sla" and sim.new_sla_hours <= 0:
                raise ValidationError(self.env._("The new SLA must be a positive number of hours."))
            if sim.change == "headcount" and (
                not sim.department_id or sim.headcount_old < 1 or sim.headcount_new < 1
            ):
                raise ValidationError(
                    self.env._("Choose the department and headcounts of at least one person.")
                )

    @api.constrains("runs")
    def _check_runs(self):
        for sim in self:
            if not 1 <= sim.runs <= 5000:
                raise ValidationError(self.env._("Between 1 and 5000 runs, please."))

    # ------------------------------------------------------------------
    # Data
    # ------------------------------------------------------------------

    def _history_steps(self):
        """The steps a replay draws from: done steps of the flow version's finished
        tickets, in the run that stands (a rerun's archived steps are left out)."""
        self.ensure_one()
        return SQL(
            """
            crossdept_ticket_step s
            JOIN crossdept_ticket t ON t.id = s.ticket_id
            WHERE t.flow_id = %s AND t.state = 'done' AND s.state = 'done' AND s.active
              AND s.date_ready IS NOT NULL AND s.date_done IS NOT NULL
            """,
            self.flow_id.id,
        )

    def _check_history(self):
        """Refuse simulations whose flow version has nothing to replay."""
        self.env["crossdept.ticket.step"].flush_model()
        self.env["crossdept.ticket"].flush_model(["flow_id", "state"])
        for sim in self:
            self.env.cr.execute(SQL("SELECT 1 FROM %s LIMIT 1", sim._history_steps()))
            if not self.env.cr.fetchone():
                raise UserError(
                    self.env._(
                        "Flow %(flow)s has no finished ticket to replay.",
                        flow=sim.flow_id.display_name,
                    )
                )

    def _history(self):
        """Per ticket of the flow version, finished: its cycle time and each step's
        (waiting, working) hours, over the steps of the run that stands (a rerun's
        archived steps are left out)."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                """
                SELECT s.ticket_id, s.flow_step_id,
                       EXTRACT(EPOCH FROM COALESCE(s.date_started, s.date_ready)
                                          - s.date_ready) / 3600.0,
                       EXTRACT(EPOCH FROM s.date_done
                                          - COALESCE(s.date_started, s.date_ready)) / 3600.0,
                       EXTRACT(EPOCH FROM s.date_done) / 3600.0,
                       EXTRACT(EPOCH FROM s.date_ready) / 3600.0
                  FROM %s
                """,
                self._history_steps(),
            )
        )
        samples = defaultdict(list)
        bounds = {}
        for ticket_id, step_id, wait, work, done, ready in self.env.cr.fetchall():
            samples[step_id].append((float(wait), float(work)))
            low, high = bounds.get(ticket_id, (ready, done))
            bounds[ticket_id] = (min(low, ready), max(high, done))
        actual = [float(high - low) for low, high in bounds.values()]
        return samples, actual

    def _graph(self, changed):
        """{step id: set of predecessor ids}, with the change applied if asked."""
        self.ensure_one()
        preds = {step.id: set(step.predecessor_ids.ids) for step in self.flow_id.step_ids}
        if not changed:
            return preds
        if self.change == "remove":
            removed = self.step_id.id
            before = preds.pop(removed, set())
            for step_preds in preds.values():
                if removed in step_preds:
                    step_preds.discard(removed)
                    step_preds |= before
        elif self.change == "parallel":
            first, second = self.step_id.id, self.other_step_id.id
            if second in self._ancestors(preds, first):
                first, second = second, first
            # ``second`` no longer waits for ``first``: it starts with ``first``'s
            # own predecessors, and whatever followed ``second`` now waits for both
            preds[second] = (preds[second] - {first}) | preds[first]
            for step_id, step_preds in preds.items():
                if second in step_preds and step_id != first:
                    step_preds.add(first)
        return preds

    @staticmethod
    def _ancestors(preds, step_id):
        seen, stack = set(), [step_id]
        while stack:
            for pred in preds.get(stack.pop(), ()):
                if pred not in seen:
                    seen.add(pred)
                    stack.append(pred)
        return seen

    def _scale(self, step):
        """Factor applied to the waiting time of this step by the change."""
        self.ensure_one()
        if self.change == "sla" and step == self.step_id and step.sla_hours:
            # people plan their queue against the deadline: waiting follows the SLA
            return self.new_sla_hours / step.sla_hours
        if self.change == "headcount" and step.department_id == self.department_id:
            return self.headcount_old / self.headcount_new
        return 1.0

    def _topological_order(self, preds):
        order, placed = [], set()
        while len(order) < len(preds):
            ready = [s for s in sorted(preds) if s not in placed and preds[s] <= placed]
            if not ready:
                raise UserError(
                    self.env._(
                        "Flow %(flow)s has a cycle: it cannot be replayed.",
                        flow=self.flow_id.display_name,
                    )
                )
            order += ready
            placed |= set(ready)
        return order

    def _replay(self, samples, preds, scales, count, rng, progress=None):
        order = self._topological_order(preds)
        cycles = []
        step = max(self.runs // 10, 1)
        for run in range(1, self.runs + 1):
            for _ticket in range(count):
                finish = {}
                for step_id in order:
                    start = max((finish[p] for p in preds[step_id]), default=0.0)
                    options = samples.get(step_id)
                    if options:
                        wait, work = options[rng.randrange(len(options))]
                        start += wait * scales.get(step_id, 1.0) + work
                    finish[step_id] = start
                cycles.append(max(finish.values(), default=0.0))
            if progress and (run % step == 0 or run == self.runs):
                progress(run)
        return cycles

    # ------------------------------------------------------------------
    # Action
    # ------------------------------------------------------------------

    def action_run(self):
        """Queue the simulations: the runner replays them in the background and
        tells the requester when the results are in. A flow version with nothing to
        replay is refused at once."""
        self._check_history()
        jobs = self.env["crossdept.analytics.job"]._queue(
            [
                {
                    "kind": "simulation",
                    "name": self.env._("Simulation %(name)s", name=sim.name),
                    "simulation_id": sim.id,
                }
                for sim in self
            ]
        )
        return jobs._queued_notification()

    def _simulate(self, progress=None):
        """Replay each simulation's history without and with its change and keep the
        figures; ``progress(done=, total=)`` hears of the runs replayed."""
        for sim in self:
            samples, actual = sim._history()
            if not actual:
                # reopened since it was queued
                sim._check_history()
            scales = {step.id: sim._scale(step) for step in sim.flow_id.step_ids}
            runs = sim.runs
            if progress:
                progress(done=0, total=2 * runs)
            baseline = sim._replay(
                samples,
                sim._graph(False),
                {},
                len(actual),
                random.Random(sim.seed),
                progress and (lambda done: progress(done=done)),
            )
            predicted = sim._replay(
                samples,
                sim._graph(True),
                scales,
                len(actual),
                random.Random(sim.seed),
                progress and (lambda done, runs=runs: progress(done=runs + done)),
            )
            sim._engine().write(
                {
                    "state": "done",
                    "ticket_count": len(actual),
                    "actual_mean": mean(actual),
                    "actual_median": median(actual),
                    "actual_p90": percentile(actual, 90),
                    "baseline_median": median(baseline),
                    "predicted_mean": mean(predicted),
                    "predicted_median": median(predicted),
                    "predicted_p90": percentile(predicted, 90),
                    "histogram_data": sim._histogram_data(actual, predicted),
                }
            )
        return True

    @staticmethod
    def _histogram_data(actual, predicted):
        """Share of the tickets per cycle-time bin, for both series."""
        low = min(min(actual), min(predicted))
        high = max(max(actual), max(predicted))
        width = (high - low) / HISTOGRAM_BINS or 1.0

        def shares(values):
            counts = [0] * HISTOGRAM_BINS
            for value in values:
                counts[min(int((value - low) / width), HISTOGRAM_BINS - 1)] += 1
            return [count / len(values) for count in counts]

        return {
            "low": low,
            "width": width,
            "actual": shares(actual),
            "predicted": shares(predicted),
        }

    @api.depends_context("lang")
    @api.depends("histogram_data")
    def _compute_histogram(self):
        for sim in self:
            sim.histogram = (
                sim._render_histogram(sim.histogram_data) if sim.histogram_data else False
            )

    def _render_histogram(self, data):
        """Two-series bar chart (share of tickets per cycle-time bin) as inline SVG."""
        low, width = data["low"], data["width"]
        series = [
            (data["actual"], "#6c757d", self.env._("Actual")),
            (data["predicted"], "#0d6efd", self.env._("Predicted")),
        ]
        top = max(max(values) for values, _c, _l in series) or 1.0
        chart_w, chart_h, pad, bar_gap = 600, 200, 30, 4
        slot = chart_w / HISTOGRAM_BINS
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="o_crossdept_simulation_histogram" '
            f'width="{chart_w + 2 * pad}" height="{chart_h + 3 * pad}">'
        ]
        for index, (values, colour, label) in enumerate(series):
            bar_w = (slot - bar_gap) / 2
            for position, value in enumerate(values):
                height = chart_h * value / top
                x = pad + position * slot + index * bar_w
                parts.append(
                    f'<rect x="{x:.1f}" y="{pad + chart_h - height:.1f}" width="{bar_w:.1f}" '
                    f'height="{height:.1f}" fill="{colour}"><title>{html_escape(label)}: '
                    f"{100 * value:.0f}%</title></rect>"
                )
            legend_x = pad + index * 110
            parts.append(
                f'<rect x="{legend_x}" y="8" width="12" height="12" fill="{colour}"/>'
                f'<text x="{legend_x + 16}" y="18" font-size="12">{html_escape(label)}</text>'
            )
        for position in range(0, HISTOGRAM_BINS + 1, 3):
            tick = format_hours(self.env, low + position * width)
            parts.append(
                f'<text x="{pad + position * slot:.1f}" y="{pad + chart_h + 16}" font-size="11" '
                f'text-anchor="middle">{html_escape(tick)}</text>'
            )
        parts.append("</svg>")
        return "".join(parts)
