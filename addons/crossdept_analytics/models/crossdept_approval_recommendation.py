from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.process_stats import fmt, median

# fewest tickets on which a pattern must hold before it is recommended on
DEFAULT_MIN_TICKETS = 10
# share of tickets decided by the same person above which two levels overlap
SAME_APPROVER_SHARE = 0.8
# a level may run in parallel with the next one when it rejects at most this often
PARALLEL_MAX_REJECTION = 0.10


class CrossdeptApprovalRecommendation(models.Model):
    _name = "crossdept.approval.recommendation"
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
    evidence = fields.Text(required=True)
    ticket_count = fields.Integer("Tickets Observed")
    saving_hours = fields.Float(
        "Expected Saving (h)", help="Median hours per ticket the change would save."
    )
    amount_threshold = fields.Float(
        help="Drop the approval for tickets under this amount (0: the step never rejected)."
    )
    state = fields.Selection(
        [("new", "New"), ("applied", "Applied"), ("dismissed", "Dismissed")],
        default="new",
        required=True,
    )

    @api.depends("kind", "step_ids.name")
    def _compute_name(self):
        labels = dict(self._fields["kind"]._description_selection(self.env))
        for rec in self:
            steps = " + ".join(rec.step_ids.mapped("name"))
            rec.name = f"{labels.get(rec.kind, '')}: {steps}"

    def action_apply(self):
        self.write({"state": "applied"})

    def action_dismiss(self):
        self.write({"state": "dismissed"})

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
                 WHERE flow_step_id IN %s AND state IN ('done', 'rejected')
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
        return self.create(vals_list)

    def _step_figures(self, step, outcomes, delays):
        decided = outcomes.get(step.id, {})
        rejected = sum(1 for outcome, _users in decided.values() if outcome == "reject")
        return len(decided), (rejected / len(decided) if decided else 0.0), delays.get(step.id)

    def _detect_flow(self, flow, outcomes, delays, min_tickets):
        _ = self.env._
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
                    reasons.append(
                        _(
                            "the same person decided both levels on %(same)s of %(count)s tickets",
                            same=same_user,
                            count=count,
                        )
                    )
                if earlier.department_id and earlier.department_id == later.department_id:
                    reasons.append(
                        _(
                            "both levels belong to %(department)s",
                            department=earlier.department_id.name,
                        )
                    )
                if followed == count:
                    reasons.append(
                        _(
                            "%(later)s approved every one of the %(count)s tickets that "
                            "%(earlier)s approved",
                            later=later.name,
                            earlier=earlier.name,
                            count=count,
                        )
                    )
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
                            "evidence": _(
                                "%(later)s repeats %(earlier)s: %(reasons)s. %(earlier)s "
                                "rejects %(rate_first)s%% of %(n_first)s tickets (median "
                                "delay %(delay_first)sh); %(later)s rejects %(rate_second)s%% "
                                "of %(n_second)s tickets and adds a median %(delay_second)sh.",
                                later=later.name,
                                earlier=earlier.name,
                                reasons="; ".join(reasons),
                                rate_first=fmt(100 * rate_first),
                                n_first=n_first,
                                delay_first=fmt(delay_first),
                                rate_second=fmt(100 * rate_second),
                                n_second=n_second,
                                delay_second=fmt(saving),
                            ),
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
                            "evidence": _(
                                "%(earlier)s and %(later)s are independent serial reviews by "
                                "different departments and people (same person on %(same)s "
                                "of %(count)s tickets). %(earlier)s rejects only "
                                "%(rate_first)s%% of %(n_first)s tickets, so running both "
                                "at once wastes little work and saves a median %(saving)sh "
                                "(medians %(delay_first)sh and %(delay_second)sh).",
                                earlier=earlier.name,
                                later=later.name,
                                same=same_user,
                                count=count,
                                rate_first=fmt(100 * rate_first),
                                n_first=n_first,
                                saving=fmt(saving),
                                delay_first=fmt(delay_first),
                                delay_second=fmt(delay_second),
                            ),
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
                        "evidence": _(
                            "%(step)s approved all %(count)s tickets it decided and adds a "
                            "median %(delay)sh: skip it (for instance under an amount, with "
                            "a run condition).",
                            step=step.name,
                            count=count,
                            delay=fmt(delay),
                        ),
                    }
                )
        return vals_list
