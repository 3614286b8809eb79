from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# escalation levels stored on steps, in order
LEVELS = [
    ("0", "None"),
    ("1", "Warned"),
    ("2", "Level 1"),
    ("3", "Level 2"),
]


class CrossdeptEscalationRule(models.Model):
    _name = "crossdept.escalation.rule"
    _description = "Escalation Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)
    flow_id = fields.Many2one(
        "crossdept.flow",
        ondelete="cascade",
        check_company=True,
        help="Empty: every flow (a global rule).",
    )
    flow_step_id = fields.Many2one(
        "crossdept.flow.step",
        ondelete="cascade",
        domain="[('flow_id', '=', flow_id)]",
        help="Applies to this step only; the most specific rule wins.",
    )
    warn_percent = fields.Float(
        "Warn at (% of SLA)",
        default=80.0,
        help="Share of the SLA after which Responsible and Accountable are warned.",
    )
    level1_reassign = fields.Selection(
        [
            ("none", "Keep the assignee"),
            ("manager", "Department manager"),
            ("expert", "Expert group"),
        ],
        "Level 1 Reassigns To",
        default="none",
        required=True,
    )
    level1_raise_priority = fields.Boolean("Level 1 Raises Priority")
    level2_delay_hours = fields.Float(
        "Level 2 After (hours)",
        default=8.0,
        help="Hours after the breach when the manager's manager is told.",
    )

    @api.constrains("warn_percent", "level2_delay_hours")
    def _check_numbers(self):
        for rule in self:
            if not 0 < rule.warn_percent < 100 or rule.level2_delay_hours < 0:
                raise ValidationError(
                    self.env._(
                        "Escalation rule %(rule)s: warn between 0 and 100%% of the SLA and "
                        "a level 2 delay of zero or more hours.",
                        rule=rule.name,
                    )
                )

    @api.constrains("flow_id", "flow_step_id")
    def _check_step_of_flow(self):
        for rule in self:
            if rule.flow_step_id and rule.flow_step_id.flow_id != rule.flow_id:
                raise ValidationError(
                    self.env._(
                        "Escalation rule %(rule)s: step %(step)s is not a step of flow %(flow)s.",
                        rule=rule.name,
                        step=rule.flow_step_id.name,
                        flow=rule.flow_id.display_name or "-",
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self._reschedule_open_steps()
        return rules

    def write(self, vals):
        res = super().write(vals)
        self._reschedule_open_steps()
        return res

    @api.model
    def _reschedule_open_steps(self):
        steps = (
            self.env["crossdept.ticket.step"]
            .sudo()
            .search([("state", "in", ("ready", "in_progress")), ("date_deadline", "!=", False)])
        )
        steps._schedule_escalation()

    @api.model
    def _rules_by_scope(self):
        """Active rules keyed by (company id, flow step id, flow id), with False for
        a shared rule and for "any" step or flow."""
        rules = {}
        # the rules with what the escalation reads of them, in one query
        found = self.sudo().search_fetch(
            [],
            [
                "company_id",
                "flow_step_id",
                "flow_id",
                "warn_percent",
                "level1_reassign",
                "level1_raise_priority",
                "level2_delay_hours",
            ],
        )
        for rule in found:
            key = (rule.company_id.id, rule.flow_step_id.id, rule.flow_id.id)
            rules.setdefault(key, rule)
        return rules

    @api.model
    def _rule_for(self, step, rules):
        """The rule of a ticket step: the one of its flow step, else of its flow, else
        the global one; at each level a rule of the ticket's company comes before a
        shared rule, and a rule of another company never applies."""
        flow_step = step.flow_step_id
        company_id = step.company_id.id
        for scope in (
            (flow_step.id, flow_step.flow_id.id),
            (False, flow_step.flow_id.id),
            (False, False),
        ):
            for company in (company_id, False):
                rule = rules.get((company, *scope))
                if rule:
                    return rule
        return self.browse()

    def _next_due(self, step, level):
        """When the next escalation of a step at ``level`` is due."""
        self.ensure_one()
        if level == "0":
            span = step.date_deadline - step.date_ready
            return step.date_ready + span * (self.warn_percent / 100.0)
        if level == "1":
            return step.date_deadline
        if level == "2":
            return step.date_deadline + timedelta(hours=self.level2_delay_hours)
        return False
