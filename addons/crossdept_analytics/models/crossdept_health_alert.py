from odoo import api, fields, models
from odoo.tools import SQL


class CrossdeptHealthAlert(models.Model):
    """A KPI of a scope out of its normal range; closes itself when it returns."""

    _name = "crossdept.health.alert"
    _description = "Process Health Alert"
    _inherit = ["crossdept.engine.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "state desc, date_open desc, id desc"

    rule_id = fields.Many2one(
        "crossdept.health.rule", required=True, ondelete="cascade", index=True, readonly=True
    )
    name = fields.Char(compute="_compute_name", search="_search_name")
    description = fields.Text(compute="_compute_description")
    value_display = fields.Char("Current Value", compute="_compute_description")
    baseline_display = fields.Char("Usual Value", compute="_compute_description")
    limit_display = fields.Char("Threshold", compute="_compute_description")
    kpi = fields.Selection(related="rule_id.kpi", store=True, string="KPI")
    scope = fields.Selection(related="rule_id.scope", store=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    department_id = fields.Many2one("hr.department", readonly=True, index="btree_not_null")
    flow_id = fields.Many2one("crossdept.flow", "Flow Version", readonly=True)
    type_id = fields.Many2one("crossdept.ticket.type", "Ticket Type", readonly=True)
    value = fields.Float(readonly=True, tracking=True, aggregator=None)
    baseline = fields.Float(
        readonly=True, aggregator=None, help="Threshold, or mean of the past windows."
    )
    limit_value = fields.Float("Limit", readonly=True, aggregator=None)
    state = fields.Selection(
        [("open", "Open"), ("closed", "Closed")],
        default="open",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    date_open = fields.Datetime("Opened on", default=fields.Datetime.now, readonly=True)
    date_closed = fields.Datetime("Closed on", readonly=True)
    user_id = fields.Many2one("res.users", "Notified", readonly=True)

    def _engine_fields(self):
        # alerts are opened, updated and closed by the daily health check
        return self._engine_all_fields(self.env._("the daily health check"))

    def init(self):
        # one open alert per rule and scope, whatever runs the evaluation
        self.env.cr.execute(
            SQL(
                """
            CREATE UNIQUE INDEX IF NOT EXISTS crossdept_health_alert_open_uniq
                ON crossdept_health_alert (
                    rule_id, COALESCE(department_id, 0), COALESCE(flow_id, 0), COALESCE(type_id, 0)
                ) WHERE state = 'open'
                """
            )
        )

    @api.depends_context("lang")
    @api.depends("rule_id.name", "department_id", "flow_id", "type_id")
    def _compute_name(self):
        # read in the reader's language (rule names are translated), never stored
        for alert in self:
            scope = alert._scope_record()
            alert.name = (
                f"{alert.rule_id.name} - {scope.display_name}" if scope else alert.rule_id.name
            )

    def _search_name(self, operator, value):
        return [
            "|",
            "|",
            "|",
            ("rule_id.name", operator, value),
            ("department_id.name", operator, value),
            ("flow_id.name", operator, value),
            ("type_id.name", operator, value),
        ]

    @api.depends_context("lang")
    @api.depends("kpi", "value", "baseline", "limit_value", "rule_id.mode", "rule_id.operator")
    def _compute_description(self):
        """What the alert says, written at read time in the reader's language from
        the figures it stores."""
        KPI = self.env["crossdept.analytics.kpi"]
        operators = dict(
            self.env["crossdept.health.rule"]._fields["operator"]._description_selection(self.env)
        )
        for alert in self:
            alert.value_display = alert._format_kpi_value(alert.value)
            alert.baseline_display = alert._format_kpi_value(alert.baseline)
            alert.limit_display = alert._format_kpi_value(alert.limit_value)
            if not alert.kpi:
                alert.description = ""
                continue
            scope = alert._scope_record()
            values = {
                "kpi": KPI._kpi_label(alert.kpi),
                "scope": scope.display_name if scope else self.env._("all tickets"),
                "value": alert.value_display,
                "limit": alert.limit_display,
                "baseline": alert.baseline_display,
                "days": alert.rule_id.window_days,
            }
            if alert.rule_id.mode == "anomaly":
                alert.description = self.env._(
                    "%(kpi)s of %(scope)s over the last %(days)s days is %(value)s, beyond "
                    "its usual %(baseline)s (limit %(limit)s).",
                    **values,
                )
            else:
                alert.description = self.env._(
                    "%(kpi)s of %(scope)s over the last %(days)s days is %(value)s, "
                    "%(operator)s the threshold of %(limit)s.",
                    operator=operators.get(alert.rule_id.operator, ""),
                    **values,
                )

    def _format_kpi_value(self, value):
        return self.env["crossdept.analytics.kpi"]._format_kpi(self.kpi, value) if self.kpi else ""

    def _scope_record(self):
        self.ensure_one()
        return self.department_id or self.flow_id or self.type_id

    def _scope_id(self):
        self.ensure_one()
        return (self.department_id or self.flow_id or self.type_id).id or False

    def _notify_owner(self):
        """A to-do for the department's manager (else the rule's user)."""
        if not self:
            return
        todo = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        vals_list = []
        for alert in self:
            user = alert.department_id.manager_id.user_id or alert.rule_id.user_id
            if not user:
                continue
            alert._engine().user_id = user
            # a to-do addressed to one person: written in their language
            alert_in_lang = alert.with_context(lang=user.lang)
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": alert.id,
                    "activity_type_id": todo.id,
                    "user_id": user.id,
                    "summary": alert_in_lang.name,
                    "note": alert_in_lang.description,
                }
            )
        self.env["mail.activity"].create(vals_list)

    def _close(self):
        if not self:
            return
        self._engine().write({"state": "closed", "date_closed": fields.Datetime.now()})
        self.activity_ids.action_feedback(feedback=self.env._("The KPI is back to normal."))
