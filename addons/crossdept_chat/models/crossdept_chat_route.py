from odoo import api, fields, models
from odoo.exceptions import ValidationError

EVENTS = [
    ("step_ready", "Step ready"),
    ("approval", "Approval needed"),
    ("warning", "SLA warning"),
    ("breach", "SLA breach"),
    ("escalation", "Escalation"),
    ("done", "Done"),
]


class CrossdeptChatRoute(models.Model):
    """Which events of which flow step or department a chat channel hears of, and
    whom the message mentions."""

    _name = "crossdept.chat.route"
    _description = "Chat Route"
    _order = "channel_id, sequence, id"

    channel_id = fields.Many2one(
        "crossdept.chat.channel", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="channel_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    event = fields.Selection(EVENTS, required=True, default="approval")
    flow_step_id = fields.Many2one(
        "crossdept.flow.step",
        ondelete="cascade",
        index="btree_not_null",
        help="Only the events of this step of a flow (empty: any step).",
    )
    department_id = fields.Many2one(
        "hr.department",
        ondelete="cascade",
        index="btree_not_null",
        help="Only the events of steps of this department (for a ticket's own events, "
        "its assigned department); empty: any department.",
    )
    mention_holders = fields.Boolean(
        default=True,
        help="Mention the step's holder and, for an approval, its approvers who have "
        "not decided yet, by their chat user id (on their employee).",
    )
    mention_user_ids = fields.Many2many(
        "res.users", string="Also Mention", help="Mentioned in every message of this route."
    )

    @api.constrains("flow_step_id", "department_id", "channel_id")
    def _check_company(self):
        for route in self:
            company = route.channel_id.company_id
            for record in (route.flow_step_id.flow_id, route.department_id):
                if record.company_id and record.company_id != company:
                    raise ValidationError(
                        self.env._(
                            "Route of chat channel %(channel)s: %(record)s belongs to another "
                            "company than the channel.",
                            channel=route.channel_id.name,
                            record=record.display_name,
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        routes = super().create(vals_list)
        self.env.registry.clear_cache()
        return routes

    def write(self, vals):
        res = super().write(vals)
        self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res

    def _mention_users(self, event, kind):
        """The users a message of this route about ``event`` mentions."""
        self.ensure_one()
        users = self.mention_user_ids
        if self.mention_holders:
            step = event.step_id
            users |= step.user_id if step else event.ticket_id.user_id
            if kind == "approval" and step:
                decided = step.decision_ids.user_id
                users |= step.approver_ids - decided
        return users
