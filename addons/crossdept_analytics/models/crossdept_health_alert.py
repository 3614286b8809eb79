from odoo import api, fields, models
from odoo.tools import SQL


class CrossdeptHealthAlert(models.Model):
    """A KPI of a scope out of its normal range; closes itself when it returns."""

    _name = "crossdept.health.alert"
    _description = "Process Health Alert"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state desc, date_open desc, id desc"

    rule_id = fields.Many2one(
        "crossdept.health.rule", required=True, ondelete="cascade", index=True, readonly=True
    )
    name = fields.Char(compute="_compute_name", store=True)
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

    @api.depends("rule_id.name", "department_id", "flow_id", "type_id")
    def _compute_name(self):
        for alert in self:
            scope = alert.department_id or alert.flow_id or alert.type_id
            alert.name = (
                f"{alert.rule_id.name} - {scope.display_name}" if scope else alert.rule_id.name
            )

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
            alert.user_id = user
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": alert.id,
                    "activity_type_id": todo.id,
                    "user_id": user.id,
                    "summary": self.env._(
                        "%(alert)s: %(value)s (limit %(limit)s)",
                        alert=alert.name,
                        value=round(alert.value, 2),
                        limit=round(alert.limit_value, 2),
                    ),
                }
            )
        self.env["mail.activity"].create(vals_list)

    def _close(self):
        if not self:
            return
        self.write({"state": "closed", "date_closed": fields.Datetime.now()})
        self.activity_ids.action_feedback(feedback=self.env._("The KPI is back to normal."))
