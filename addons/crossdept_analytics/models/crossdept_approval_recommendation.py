from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.crossdept_ticket.tools.duration import format_hours, format_percent

from ..tools.process_stats import median

# fewest tickets on which a pattern must hold before it is recommended on
DEFAULT_MIN_TICKETS = 10
# share of tickets decided by the same person above which two levels overlap
SAME_APPROVER_SHARE = 0.8
# a level may run in parallel with the next one when it rejects at most this often
PARALLEL_MAX_REJECTION = 0.10


class CrossdeptApprovalRecommendation(models.Model):
    _name = "crossdept.approval.recommendation"
    _inherit = ["crossdept.engine.mixin"]
    _description = "Approval Recommendation"
    _order = "flow_id, saving_hours desc, id"

    name = fields.Char(compute="_compute_name", store=True)
    flow_id = fields.Many2one(
        "crossdept.flow", "Flow Version", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="flow_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [
            ("merge", "Merge"),
            ("parallelise", "Run in parallel"),
            ("drop_under_amount", "Drop (under an amount)"),
        ],
        required=True,
    )
    step_ids = fields.Many2many("crossdept.flow.step", string="Steps", required=True)
    evidence_data = fields.Json(
        readonly=True,
        help="The figures the evidence is written from (step ids, counts, rates in %, "
        "median hours), kept as data so that each reader reads it in their language.",
    )
    evidence = fields.Text(compute="_compute_evidence")
    ticket_count = fields.Integer("Tickets Observed")
    saving_hours = fields.Float(
        "Expected Saving (h)", help="Median hours per ticket the change would save."
    )
    dedup_saved_count = fields.Integer(
        "Decisions Saved",
        compute="_compute_dedup_saved_count",
        help="Approvals of these steps taken automatically because the approver had already "
        "approved an earlier step of the same ticket (审批人去重 on the flow).",
    )
    amount_threshold = fields.Float(
        help="Drop the approval for tickets under this amount (0: the step never rejected)."
    )
    state = fields.Selection(
        [("new", "New"), ("applied", "Applied"), ("dismissed", "Dismissed")],
        default="new",
        required=True,
    )

    @api.depends("step_ids")
    def _compute_dedup_saved_count(self):
        # counts only, from the engine's log, which analytics readers may not browse
        counts = {
            step.id: count
            for step, count in self.env["crossdept.ticket.event"]
            .sudo()
            ._read_group(
                [
                    ("event_type", "=", "approval_dedup"),
                    ("step_id.flow_step_id", "in", self.step_ids.ids),
                ],
                ["step_id"],
                ["__count"],
            )
        }
        saved = {}
        steps = self.env["crossdept.ticket.step"].sudo().browse(counts)
        for step in steps:
            key = step.flow_step_id.id
            saved[key] = saved.get(key, 0) + counts[step.id]
        for rec in self:
            rec.dedup_saved_count = sum(saved.get(step.id, 0) for step in rec.step_ids)

    @api.depends("kind", "step_ids.name")
    def _compute_name(self):
        for rec in self:
            rec.name = rec._label()

    @api.depends_context("lang")
    @api.depends("kind", "step_ids.name")
    def _compute_display_name(self):
        # the stored name serves searches; readers see the kind in their language
        for rec in self:
            rec.display_name = rec._label()

    def _label(self):
        self.ensure_one()
        labels = dict(self._fields["kind"]._description_selection(self.env))
        return f"{labels.get(self.kind, '')}: {' + '.join(self.step_ids.mapped('name'))}"

    @api.depends_context("lang")
    @api.depends("kind", "evidence_data", "step_ids.name")
    def _compute_evidence(self):
        for rec in self:
            rec.evidence = rec._render_evidence(rec.evidence_data) if rec.evidence_data else ""

    def _render_evidence(self, data):
        """The evidence in the reader's language, from its figures."""
        _ = self.env._
        steps = self.env["crossdept.flow.step"].browse(
            [data[key] for key in ("earlier", "later", "step") if data.get(key)]
        )
        names = {step.id: step.name for step in steps}
        env = self.env

        def hours(value):
            return format_hours(env, value)

        def percent(value):
            return format_percent(env, value)

        if self.kind == "drop_under_amount":
            return _(
                "%(step)s approved all %(count)s tickets it decided and adds a median "
                "%(delay)s: skip it (for instance under an amount, with a run condition).",
                step=names.get(data["step"], ""),
                count=data["count"],
                delay=hours(data["delay"]),
            )
        earlier, later = names.get(data["earlier"], ""), names.get(data["later"], "")
        if self.kind == "parallelise":
            return _(
                "%(earlier)s and %(later)s are independent serial reviews by different "
                "departments and people (same person on %(same)s of %(count)s tickets). "
                "%(earlier)s rejects only %(rate_first)s of %(n_first)s tickets, so running "
                "both at once wastes little work and saves a median %(saving)s (medians "
                "%(delay_first)s and %(delay_second)s).",
                earlier=earlier,
                later=later,
                same=data["same"],
                count=data["count"],
                rate_first=percent(data["rate_first"]),
                n_first=data["n_first"],
                saving=hours(data["saving"]),
                delay_first=hours(data["delay_first"]),
                delay_second=hours(data["delay_second"]),
            )
        reasons = []
        for reason in data["reasons"]:
            if reason == "same_person":
                reasons.append(
                    _(
                        "the same person decided both levels on %(same)s of %(count)s tickets",
                        same=data["same"],
                        count=data["count"],
                    )
                )
            elif reason == "same_department":
                department = self.env["hr.department"].browse(data["department"])
                reasons.append(
                    _("both levels belong to %(department)s", department=department.name)
                )
            elif reason == "always_followed":
                reasons.append(
                    _(
                        "%(later)s approved every one of the %(count)s tickets that "
                        "%(earlier)s approved",
                        later=later,
                        earlier=earlier,
                        count=data["count"],
                    )
                )
        return _(
            "%(later)s repeats %(earlier)s: %(reasons)s. %(earlier)s rejects "
            "%(rate_first)s of %(n_first)s tickets (median delay %(delay_first)s); "
            "%(later)s rejects %(rate_second)s of %(n_second)s tickets and adds a median "
            "%(delay_second)s.",
            later=later,
            earlier=earlier,
            reasons="; ".join(reasons),
            rate_first=percent(data["rate_first"]),
            n_first=data["n_first"],
            delay_first=hours(data["delay_first"]),
            rate_second=percent(data["rate_second"]),
            n_second=data["n_second"],
            delay_second=hours(data["delay_second"]),
        )

    def _engine_fields(self):
        return self._engine_all_fields(self.env._("Detect Recommendations, then Apply or Dismiss"))

    def action_apply(self):
        self._engine().write({"state": "applied"})

    def action_dismiss(self):
        self._engine().write({"state": "dismissed"})

    # ------------------------------------------------------------------
    # Detection
    # ------------------------------------------------------------------

    @api.model
    def _min_tickets(self):
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crossdept_analytics.approval_min_tickets")
        )
        return int(param or DEFAULT_MIN_TICKETS)

    @api.model
    def _cron_detect(self):
        flows = self.env["crossdept.flow"].search([("state", "in", ("active", "archived"))])
        self._detect(flows)

    @api.model
    def _approval_stats(self, approval_steps):
        """Per flow step: {ticket id: (outcome, approvers)} from the event log (a
        rejection that returned the ticket counts even though the core resets the
        step), and the hours each finished pass took (ready -> done)."""
        outcomes = defaultdict(dict)
        if not approval_steps:
            return outcomes, {}
        self.env.cr.execute(
            SQL(
                """
                SELECT ts.flow_step_id, ts.ticket_id,
                       BOOL_OR(e.event_type = 'step_reject') AS rejected,
                       ARRAY_AGG(DISTINCT e.actor_id) AS actors
                  FROM crossdept_ticket_event e
                  JOIN crossdept_ticket_step ts ON ts.id = e.step_id
                 WHERE ts.flow_step_id IN %s
                   AND e.event_type IN ('step_approve', 'step_reject')
              GROUP BY ts.flow_step_id, ts.ticket_id
                """,
                tuple(approval_steps.ids),
            )
        )
        for flow_step_id, ticket_id, rejected, actors in self.env.cr.fetchall():
            outcomes[flow_step_id][ticket_id] = (
                "reject" if rejected else "approve",
                set(actors) - {None},
            )
        self.env.cr.execute(
            SQL(
                """
                SELECT flow_step_id,
                       ARRAY_AGG(EXTRACT(EPOCH FROM date_done - date_ready) / 3600.0)
                  FROM crossdept_ticket_step
                 WHERE flow_step_id IN %s AND state IN ('done', 'rejected') AND active
                   AND date_ready IS NOT NULL AND date_done IS NOT NULL
              GROUP BY flow_step_id
                """,
                tuple(approval_steps.ids),
            )
        )
        delays = {row[0]: median([float(h) for h in row[1]]) for row in self.env.cr.fetchall()}
        return outcomes, delays

    @api.model
    def _detect(self, flows):
        """Replace the new recommendations of these flow versions by fresh ones."""
        self.search([("flow_id", "in", flows.ids), ("state", "=", "new")]).unlink()
        approvals = flows.step_ids.filtered(lambda step: step.kind == "approval")
        outcomes, delays = self._approval_stats(approvals)
        min_tickets = self._min_tickets()
        vals_list = []
        for flow in flows:
            vals_list += self._detect_flow(flow, outcomes, delays, min_tickets)
        return self._engine().create(vals_list).with_env(self.env)

    def _step_figures(self, step, outcomes, delays):
        decided = outcomes.get(step.id, {})
        rejected = sum(1 for outcome, _users in decided.values() if outcome == "reject")
        return len(decided), (rejected / len(decided) if decided else 0.0), delays.get(step.id)

    def _detect_flow(self, flow, outcomes, delays, min_tickets):
        vals_list = []
        merged = set()
        steps = flow.step_ids.filtered(lambda step: step.kind == "approval")
        for later in steps:
            for earlier in later.predecessor_ids.filtered(lambda step: step.kind == "approval"):
                first, second = outcomes.get(earlier.id, {}), outcomes.get(later.id, {})
                common = [t for t in second if t in first and first[t][0] == "approve"]
                count = len(common)
                if count < min_tickets:
                    continue
                same_user = sum(1 for t in common if first[t][1] & second[t][1])
                followed = sum(1 for t in common if second[t][0] == "approve")
                n_first, rate_first, delay_first = self._step_figures(earlier, outcomes, delays)
                n_second, rate_second, delay_second = self._step_figures(later, outcomes, delays)
                reasons = []
                if same_user / count >= SAME_APPROVER_SHARE:
                    reasons.append("same_person")
                if earlier.department_id and earlier.department_id == later.department_id:
                    reasons.append("same_department")
                if followed == count:
                    reasons.append("always_followed")
                data = {
                    "earlier": earlier.id,
                    "later": later.id,
                    "same": same_user,
                    "count": count,
                    "rate_first": 100 * rate_first,
                    "n_first": n_first,
                    "delay_first": delay_first,
                }
                if reasons:
                    merged |= {earlier.id, later.id}
                    saving = delays.get(later.id) or 0.0
                    vals_list.append(
                        {
                            "flow_id": flow.id,
                            "kind": "merge",
                            "step_ids": [(6, 0, [earlier.id, later.id])],
                            "ticket_count": count,
                            "saving_hours": saving,
                            "evidence_data": {
                                **data,
                                "reasons": reasons,
                                "department": earlier.department_id.id,
                                "rate_second": 100 * rate_second,
                                "n_second": n_second,
                                "delay_second": saving,
                            },
                        }
                    )
                elif (
                    rate_first <= PARALLEL_MAX_REJECTION
                    and earlier.department_id != later.department_id
                ):
                    saving = min(delay_first or 0.0, delay_second or 0.0)
                    vals_list.append(
                        {
                            "flow_id": flow.id,
                            "kind": "parallelise",
                            "step_ids": [(6, 0, [earlier.id, later.id])],
                            "ticket_count": count,
                            "saving_hours": saving,
                            "evidence_data": {
                                **data,
                                "saving": saving,
                                "delay_second": delay_second,
                            },
                        }
                    )
        for step in steps:
            if step.id in merged:
                continue
            count, rate, delay = self._step_figures(step, outcomes, delays)
            if count >= min_tickets and not rate:
                vals_list.append(
                    {
                        "flow_id": flow.id,
                        "kind": "drop_under_amount",
                        "step_ids": [(6, 0, step.ids)],
                        "ticket_count": count,
                        "saving_hours": delay or 0.0,
                        "evidence_data": {"step": step.id, "count": count, "delay": delay},
                    }
                )
        return vals_list
