import hashlib

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.crossdept_ticket.tools.dates import check_business_date
from odoo.addons.crossdept_ticket.tools.duration import format_hours, format_number

from ..tools.durations import ticket_cycle_query
from ..tools.process_stats import bootstrap_median_difference, mann_whitney_u, median

# fewest finished tickets per arm before a verdict is given
MIN_SAMPLE = 20
SIGNIFICANCE = 0.05
BOOTSTRAP_RUNS = 2000
BOOTSTRAP_SEED = 20240601


def _bucket(ticket_id):
    """Deterministic 0-99 bucket of a ticket id (the same across runs and servers)."""
    return int(hashlib.sha256(str(ticket_id).encode()).hexdigest()[:8], 16) % 100


class CrossdeptPilot(models.Model):
    _name = "crossdept.pilot"
    _description = "Flow Pilot (A/B Test)"
    _inherit = ["mail.thread", "crossdept.engine.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    control_flow_id = fields.Many2one(
        "crossdept.flow",
        "Control Version",
        required=True,
        check_company=True,
        help="The version tickets follow today.",
    )
    variant_flow_id = fields.Many2one(
        "crossdept.flow",
        "Variant Version",
        required=True,
        check_company=True,
        help="The version tried on the pilot's tickets: a draft version of the same flow.",
    )
    flow_code = fields.Char(related="control_flow_id.code")
    scope = fields.Selection(
        [
            ("department", "Pilot departments"),
            ("percent", "Random share of the tickets"),
        ],
        default="percent",
        required=True,
    )
    department_ids = fields.Many2many(
        "hr.department",
        string="Pilot Departments",
        check_company=True,
        help="Requesting departments in the pilot.",
    )
    percent = fields.Integer("Share (%)", default=50)
    date_start = fields.Date("Start", required=True, default=fields.Date.context_today)
    date_end = fields.Date("End")
    state = fields.Selection(
        [("draft", "Draft"), ("running", "Running"), ("done", "Done")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
    )
    promoted = fields.Boolean(readonly=True, copy=False)
    ticket_ids = fields.One2many("crossdept.ticket", "pilot_id", "Tickets")
    control_count = fields.Integer("Control Tickets", compute="_compute_results")
    variant_count = fields.Integer("Variant Tickets", compute="_compute_results")
    control_median_hours = fields.Float("Control Median (h)", compute="_compute_results")
    variant_median_hours = fields.Float("Variant Median (h)", compute="_compute_results")
    control_on_time_rate = fields.Float("Control On Time (%)", compute="_compute_results")
    variant_on_time_rate = fields.Float("Variant On Time (%)", compute="_compute_results")
    control_satisfaction = fields.Float(compute="_compute_results")
    variant_satisfaction = fields.Float(compute="_compute_results")
    u_statistic = fields.Float("Mann-Whitney U", compute="_compute_results")
    p_value = fields.Float("p-value", compute="_compute_results")
    ci_low = fields.Float("Median Difference CI Low (h)", compute="_compute_results")
    ci_high = fields.Float("Median Difference CI High (h)", compute="_compute_results")
    verdict = fields.Text(compute="_compute_results")

    def _engine_fields(self):
        return {
            "state": "action_start, action_stop or action_promote",
            "promoted": "action_promote",
        }

    @api.constrains("control_flow_id", "variant_flow_id", "scope", "percent", "department_ids")
    def _check_flows(self):
        for pilot in self:
            if pilot.control_flow_id == pilot.variant_flow_id:
                raise ValidationError(
                    self.env._(
                        "Pilot %(pilot)s: the variant must be another version.", pilot=pilot.name
                    )
                )
            if pilot.control_flow_id.code != pilot.variant_flow_id.code:
                raise ValidationError(
                    self.env._(
                        "Pilot %(pilot)s: the variant must be a version of flow %(code)s.",
                        pilot=pilot.name,
                        code=pilot.control_flow_id.code,
                    )
                )
            if pilot.scope == "percent" and not 0 < pilot.percent < 100:
                raise ValidationError(
                    self.env._(
                        "Pilot %(pilot)s: the share must be between 1 and 99%%.", pilot=pilot.name
                    )
                )
            if pilot.scope == "department" and not pilot.department_ids:
                raise ValidationError(
                    self.env._("Pilot %(pilot)s: choose its pilot departments.", pilot=pilot.name)
                )

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for pilot in self:
            check_business_date(self.env, pilot, "date_start")
            check_business_date(self.env, pilot, "date_end")
            if pilot.date_end and pilot.date_end < pilot.date_start:
                raise ValidationError(
                    self.env._("Pilot %(pilot)s ends before it starts.", pilot=pilot.name)
                )

    # ------------------------------------------------------------------
    # Results
    # ------------------------------------------------------------------

    def _arm_samples(self):
        """{(pilot id, arm): {"hours": [...], "on_time": n, "ratings": [...]}} over the
        pilots' finished tickets; cycle time: the ticket's cycle working hours (the
        handling working hours along its steps' critical path, tools/durations.py),
        over the run that stands (the steps a rerun archived are left out)."""
        samples = {
            (p.id, arm): {"hours": [], "on_time": 0, "ratings": []}
            for p in self
            for arm in ("control", "variant")
        }
        if not self.ids:
            return samples
        self.env["crossdept.ticket"].flush_model(["pilot_id", "pilot_arm", "state"])
        self.env["crossdept.ticket.step"].flush_model(
            [
                "ticket_id",
                "state",
                "date_ready",
                "date_done",
                "sla_status",
                "active",
                "handling_hours",
                "date_measured",
                "predecessor_ids",
            ]
        )
        pilot_tickets = SQL(
            "t.pilot_id IN %s AND t.state = 'done' AND t.pilot_arm IS NOT NULL", tuple(self.ids)
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT t.pilot_id, t.pilot_arm, cy.hours,
                       BOOL_AND(s.sla_status IS DISTINCT FROM 'breached')
                  FROM crossdept_ticket t
                  JOIN crossdept_ticket_step s ON s.ticket_id = t.id AND s.active
                  JOIN (%s) AS cy(ticket_id, hours, measured) ON cy.ticket_id = t.id
                 WHERE %s
              GROUP BY t.id, t.pilot_id, t.pilot_arm, cy.hours
              ORDER BY t.id
                """,
                ticket_cycle_query(pilot_tickets),
                pilot_tickets,
            )
        )
        for pilot_id, arm, hours, on_time in self.env.cr.fetchall():
            sample = samples[pilot_id, arm]
            sample["hours"].append(float(hours or 0.0))
            sample["on_time"] += bool(on_time)
        # the customer's last rating of each ticket, as in the ticket facts
        self.env["rating.rating"].flush_model(["res_model", "res_id", "rating", "consumed"])
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (r.res_id) t.pilot_id, t.pilot_arm, r.rating
                  FROM rating_rating r
                  JOIN crossdept_ticket t ON t.id = r.res_id
                 WHERE r.res_model = 'crossdept.ticket' AND r.consumed AND r.rating > 0
                   AND t.pilot_id IN %s AND t.pilot_arm IS NOT NULL
              ORDER BY r.res_id, r.write_date DESC, r.id DESC
                """,
                tuple(self.ids),
            )
        )
        for pilot_id, arm, rating in self.env.cr.fetchall():
            samples[pilot_id, arm]["ratings"].append(rating)
        return samples

    @api.depends_context("lang", "uid")
    @api.depends(
        "ticket_ids.state",
        "ticket_ids.pilot_arm",
        "ticket_ids.rating_ids.rating",
        "ticket_ids.rating_ids.consumed",
    )
    def _compute_results(self):
        samples = self._arm_samples()
        for pilot in self:
            control = samples[pilot.id, "control"]
            variant = samples[pilot.id, "variant"]
            for arm, sample in (("control", control), ("variant", variant)):
                hours = sample["hours"]
                pilot[f"{arm}_count"] = len(hours)
                pilot[f"{arm}_median_hours"] = median(hours) or 0.0
                pilot[f"{arm}_on_time_rate"] = (
                    100.0 * sample["on_time"] / len(hours) if hours else 0.0
                )
                ratings = sample["ratings"]
                pilot[f"{arm}_satisfaction"] = sum(ratings) / len(ratings) if ratings else 0.0
            u_stat, p_value = mann_whitney_u(control["hours"], variant["hours"])
            low, high = bootstrap_median_difference(
                control["hours"], variant["hours"], runs=BOOTSTRAP_RUNS, seed=BOOTSTRAP_SEED
            )
            pilot.u_statistic = u_stat or 0.0
            pilot.p_value = p_value if p_value is not None else 1.0
            pilot.ci_low = low or 0.0
            pilot.ci_high = high or 0.0
            pilot.verdict = pilot._verdict(len(control["hours"]), len(variant["hours"]), p_value)

    def _verdict(self, n_control, n_variant, p_value):
        self.ensure_one()
        _ = self.env._
        if min(n_control, n_variant) < MIN_SAMPLE:
            return _(
                "Sample too small: %(control)s control and %(variant)s variant tickets are "
                "finished; at least %(needed)s per arm are needed before deciding.",
                control=n_control,
                variant=n_variant,
                needed=MIN_SAMPLE,
            )
        difference = self.variant_median_hours - self.control_median_hours
        # a p-value too small for four decimals is shown as a bound, not as 0
        p_text = "= " + format_number(self.env, p_value, 4) if p_value >= 0.0001 else "< 0.0001"
        figures = _(
            "median %(variant)s against %(control)s (difference %(diff)s, 95%% CI "
            "%(low)s to %(high)s, p %(p)s)",
            variant=format_hours(self.env, self.variant_median_hours),
            control=format_hours(self.env, self.control_median_hours),
            diff=format_hours(self.env, difference, sign=True),
            low=format_hours(self.env, self.ci_low, sign=True),
            high=format_hours(self.env, self.ci_high, sign=True),
            p=p_text,
        )
        if p_value >= SIGNIFICANCE:
            return _("No significant difference: %(figures)s.", figures=figures)
        if difference < 0:
            # only those whom the Promote Variant button is shown to are told to press it
            if self._may_promote():
                return _("The variant is faster: %(figures)s. Promote it.", figures=figures)
            return _(
                "The variant is faster: %(figures)s. An administrator can promote it.",
                figures=figures,
            )
        return _("The variant is slower: %(figures)s. Keep the control.", figures=figures)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _may_promote(self):
        """Whether the current user may start, stop and promote pilots."""
        return self.env.su or self.env.user.has_group(
            "crossdept_ticket.group_crossdept_ticket_admin"
        )

    def _check_pilot_admin(self):
        if not self._may_promote():
            raise AccessError(
                self.env._(
                    "Only CrossDept administrators start, stop and promote pilots: they "
                    "activate flow versions."
                )
            )

    def action_start(self):
        self._check_pilot_admin()
        for pilot in self:
            if pilot.state != "draft":
                raise UserError(
                    self.env._("Pilot %(pilot)s has already started.", pilot=pilot.name)
                )
            if pilot.control_flow_id.state != "active":
                raise UserError(
                    self.env._(
                        "Pilot %(pilot)s: the control version %(flow)s must be active.",
                        pilot=pilot.name,
                        flow=pilot.control_flow_id.display_name,
                    )
                )
            if pilot.variant_flow_id.state != "draft":
                raise UserError(
                    self.env._(
                        "Pilot %(pilot)s: the variant version %(flow)s must be a draft.",
                        pilot=pilot.name,
                        flow=pilot.variant_flow_id.display_name,
                    )
                )
            if self.search_count(
                [("state", "=", "running"), ("control_flow_id", "=", pilot.control_flow_id.id)]
            ):
                raise UserError(
                    self.env._(
                        "Another pilot already runs on %(flow)s.",
                        flow=pilot.control_flow_id.display_name,
                    )
                )
        # the variant serves only the pilot's tickets: it is active without
        # archiving the control (see crossdept.flow._active_for)
        self.variant_flow_id._activate_as_pilot_variant()
        self._engine().write({"state": "running"})
        return True

    def action_stop(self):
        """End the pilot; a variant that was not promoted goes back to draft, locked
        while tickets still run on it."""
        self._check_pilot_admin()
        running = self.filtered(lambda p: p.state == "running")
        running.filtered(lambda p: not p.promoted).variant_flow_id._end_pilot_variant()
        running._engine().write({"state": "done"})
        return True

    def action_promote(self):
        """Make the variant the version every ticket follows."""
        self.ensure_one()
        self._check_pilot_admin()
        if self.state == "draft":
            raise UserError(self.env._("Start the pilot before promoting its variant."))
        if self.promoted:
            raise UserError(
                self.env._("The variant of %(pilot)s is already promoted.", pilot=self.name)
            )
        self._engine().write({"promoted": True, "state": "done"})
        self.variant_flow_id.action_activate()
        self.message_post(
            body=self.env._(
                "Variant %(flow)s promoted: it now serves every ticket.",
                flow=self.variant_flow_id.display_name,
            )
        )
        return True

    def action_view_tickets(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Pilot Tickets"),
            "res_model": "crossdept.ticket",
            "view_mode": "list,form",
            "domain": [("pilot_id", "=", self.id)],
            "context": {"group_by": "pilot_arm"},
        }

    def action_view_arm_diagrams(self):
        """The diagrams of the two arms side by side, each with the figures of the
        pilot's tickets that ran it."""
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "crossdept_analytics.flow_heat",
            "name": self.env._("Diagrams of pilot %(pilot)s", pilot=self.name),
            "params": {
                "flow_ids": [self.control_flow_id.id, self.variant_flow_id.id],
                "pilot_id": self.id,
            },
        }

    # ------------------------------------------------------------------
    # Routing
    # ------------------------------------------------------------------

    @api.model
    def _running_for(self, flows, company=None):
        """Running pilots of these control versions, today inside their period; of
        ``company`` only when given."""
        today = fields.Date.context_today(self)
        domain = [
            ("state", "=", "running"),
            ("control_flow_id", "in", flows.ids),
            ("date_start", "<=", today),
            "|",
            ("date_end", "=", False),
            ("date_end", ">=", today),
        ]
        if company:
            domain.append(("company_id", "=", company.id))
        return self.search(domain)

    def _in_scope(self, ticket):
        """Whether the pilot routes the ticket to its variant: never a ticket of
        another company."""
        self.ensure_one()
        if ticket.company_id != self.company_id:
            return False
        if self.scope == "department":
            return ticket.department_id in self.department_ids
        return _bucket(ticket.id) < self.percent

    def _arm_of(self, ticket):
        """The pilot's arm of a ticket, by the flow it started on: "variant",
        "control", or False for a ticket the pilot does not count (another company,
        or another flow)."""
        self.ensure_one()
        if ticket.company_id != self.company_id:
            return False
        if ticket.flow_id == self.variant_flow_id:
            return "variant"
        if ticket.flow_id == self.control_flow_id:
            return "control"
        return False
