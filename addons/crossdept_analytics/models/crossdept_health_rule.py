import statistics
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .crossdept_analytics_kpi import HIGHER_IS_BETTER, SCOPE_COLUMNS

OPERATORS = [(">", "above"), (">=", "at or above"), ("<", "below"), ("<=", "at or below")]
COMPARE = {
    ">": lambda value, limit: value > limit,
    ">=": lambda value, limit: value >= limit,
    "<": lambda value, limit: value < limit,
    "<=": lambda value, limit: value <= limit,
}
# fewer past windows than this make no baseline
MIN_BASELINE_POINTS = 3


class CrossdeptHealthRule(models.Model):
    """Watches one KPI over a sliding window, for one scope record or for every
    record of a scope (each department, flow version or type), and raises an
    alert when it crosses a fixed threshold or drifts from its own past."""

    _name = "crossdept.health.rule"
    _description = "Process Health Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    kpi = fields.Selection(
        selection="_selection_kpi", string="KPI", required=True, default="transfer_rate"
    )
    scope = fields.Selection(
        [
            ("all", "All tickets"),
            ("department", "Department"),
            ("flow", "Flow version"),
            ("type", "Ticket type"),
        ],
        required=True,
        default="department",
    )
    department_id = fields.Many2one(
        "hr.department", help="Leave empty to watch every department separately."
    )
    flow_id = fields.Many2one(
        "crossdept.flow", "Flow Version", help="Leave empty to watch every flow version."
    )
    type_id = fields.Many2one(
        "crossdept.ticket.type", "Ticket Type", help="Leave empty to watch every type."
    )
    mode = fields.Selection(
        [("threshold", "Threshold"), ("anomaly", "Anomaly vs own baseline")],
        required=True,
        default="threshold",
    )
    operator = fields.Selection(OPERATORS, default=">")
    threshold = fields.Float()
    window_days = fields.Integer(
        "Window (days)", default=7, required=True, help="The KPI is measured over the last days."
    )
    baseline_windows = fields.Integer(
        default=8,
        help="Anomaly: number of past windows of the same length forming the baseline.",
    )
    sigma = fields.Float(
        "Deviations (k)",
        default=2.0,
        help="Anomaly: alert beyond the baseline mean plus k standard deviations "
        "(minus, for KPIs where higher is better).",
    )
    user_id = fields.Many2one(
        "res.users",
        "Notify",
        default=lambda self: self.env.user,
        help="Gets the to-do when the scope has no department manager.",
    )
    alert_ids = fields.One2many("crossdept.health.alert", "rule_id", "Alerts")
    open_alert_count = fields.Integer(compute="_compute_open_alert_count")

    _sql_constraints = [
        ("window_positive", "CHECK (window_days > 0)", "The window must last at least one day."),
    ]

    @api.model
    def _selection_kpi(self):
        return self.env["crossdept.analytics.kpi"]._kpi_selection()

    def _compute_open_alert_count(self):
        counts = dict(
            self.env["crossdept.health.alert"]._read_group(
                [("rule_id", "in", self.ids), ("state", "=", "open")], ["rule_id"], ["__count"]
            )
        )
        for rule in self:
            rule.open_alert_count = counts.get(rule, 0)

    @api.constrains("mode", "operator", "kpi", "baseline_windows", "sigma")
    def _check_mode(self):
        for rule in self:
            if rule.mode == "threshold" and not rule.operator:
                raise ValidationError(
                    self.env._("Rule %(rule)s: a threshold needs an operator.", rule=rule.name)
                )
            if rule.mode == "anomaly":
                if rule.kpi == "open_overdue":
                    raise ValidationError(
                        self.env._(
                            "Rule %(rule)s: open overdue tickets are a live count without "
                            "history; use a threshold.",
                            rule=rule.name,
                        )
                    )
                if rule.baseline_windows < MIN_BASELINE_POINTS or rule.sigma < 0:
                    raise ValidationError(
                        self.env._(
                            "Rule %(rule)s: an anomaly baseline needs at least %(count)s past "
                            "windows and a non-negative k.",
                            rule=rule.name,
                            count=MIN_BASELINE_POINTS,
                        )
                    )

    def _scope_record_id(self):
        self.ensure_one()
        if self.scope == "all":
            return False
        return self[SCOPE_COLUMNS[self.scope][0]].id

    def _windows(self, today):
        """The current window (index 0) then the past ones, newest first."""
        self.ensure_one()
        count = 1 + (self.baseline_windows if self.mode == "anomaly" else 0)
        length = timedelta(days=self.window_days)
        return [
            (today - length * (index + 1) + timedelta(days=1), today - length * index)
            for index in range(count)
        ]

    def _evaluate(self, today=None):
        """Return {scope id: (value, baseline, limit, breached)} for the rule."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        windows = self._windows(today)
        scope_id = self._scope_record_id()
        values = self.env["crossdept.analytics.kpi"].compute_windows(
            self.kpi,
            self.scope,
            windows,
            self.company_id.ids,
            scope_ids=[scope_id] if scope_id else None,
        )
        scopes = {key[1] for key in values if key[0] == 0}
        higher_is_better = self.kpi in HIGHER_IS_BETTER
        result = {}
        for scope in scopes:
            value = values[(0, scope)]
            if value is None:
                continue
            if self.mode == "threshold":
                baseline = limit = self.threshold
                breached = COMPARE[self.operator](value, limit)
            else:
                past = [
                    values[(index, scope)]
                    for index in range(1, len(windows))
                    if values.get((index, scope)) is not None
                ]
                if len(past) < MIN_BASELINE_POINTS:
                    continue
                baseline = statistics.fmean(past)
                spread = self.sigma * statistics.pstdev(past)
                limit = baseline - spread if higher_is_better else baseline + spread
                breached = value < limit if higher_is_better else value > limit
            result[scope] = (value, baseline, limit, breached)
        return result

    def _run(self, today=None):
        """Evaluate the rules: open an alert (and a to-do) per newly breaching scope,
        refresh the open ones still breaching, close those back to normal."""
        Alert = self.env["crossdept.health.alert"]
        open_alerts = Alert.search([("rule_id", "in", self.ids), ("state", "=", "open")])
        open_by_key = {(alert.rule_id.id, alert._scope_id()): alert for alert in open_alerts}
        to_create, to_close = [], Alert
        for rule in self:
            results = rule._evaluate(today)
            for scope, (value, baseline, limit, breached) in results.items():
                alert = open_by_key.pop((rule.id, scope), None)
                if alert and breached:
                    alert._engine().write(
                        {"value": value, "baseline": baseline, "limit_value": limit}
                    )
                elif alert:
                    alert._engine().value = value
                    to_close |= alert
                elif breached:
                    to_create.append(
                        {
                            "rule_id": rule.id,
                            "company_id": rule.company_id.id,
                            "value": value,
                            "baseline": baseline,
                            "limit_value": limit,
                            **rule._scope_vals(scope),
                        }
                    )
        # scopes without data in the window any more are back to normal too
        for (rule_id, _scope), alert in open_by_key.items():
            if rule_id in self.ids:
                to_close |= alert
        to_close._close()
        alerts = Alert._engine().create(to_create).with_env(Alert.env)
        alerts._notify_owner()
        return alerts

    def _scope_vals(self, scope_id):
        self.ensure_one()
        if self.scope == "all" or not scope_id:
            return {}
        return {SCOPE_COLUMNS[self.scope][0]: scope_id}

    def action_evaluate(self):
        # sudo: the health check is the company's (the daily cron runs it as the
        # superuser): a manager who runs it now measures every department and
        # updates every alert of the rule, and then reads the alerts through their
        # record rules like anybody else
        self.sudo()._run()
        return self.action_view_alerts()

    def action_view_alerts(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crossdept_analytics.crossdept_health_alert_action"
        )
        action["domain"] = [("rule_id", "in", self.ids)]
        return action

    @api.model
    def _cron_evaluate(self):
        self.search([])._run()
