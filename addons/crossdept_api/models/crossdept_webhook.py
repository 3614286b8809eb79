import json
import secrets
import uuid
from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from .crossdept_ticket import to_iso

ADMIN_GROUP = "crossdept_ticket.group_crossdept_ticket_admin"

# ticket event log type -> webhook event type code
EVENT_CODES = {
    "create": "ticket.created",
    "state": "ticket.state_changed",
    "assign": "ticket.assigned",
    "transfer": "ticket.assigned",
    "step_ready": "step.ready",
    "step_start": "step.started",
    "step_done": "step.done",
    "step_skip": "step.skipped",
    "step_return": "step.returned",
    "step_approve": "approval.decided",
    "step_reject": "approval.decided",
    "escalation": "step.escalated",
    "step_cancel": "step.cancelled",
    "approver_add": "approval.approver_added",
    "approval_blocked": "approval.blocked",
    "approver_hand_over": "approval.handed_over",
    "withdraw": "ticket.withdrawn",
    "approval_urge": "approval.urged",
    "approval_dedup": "approval.deduplicated",
    "approval_timeout": "approval.timed_out",
    "approver_add_before": "approval.approver_added_before",
    "approver_add_after": "approval.approver_added_after",
    "approval_delegate": "approval.delegated",
    "cc": "ticket.copied",
}
COMMENT_CODE = "ticket.comment"


class CrossdeptWebhook(models.Model):
    """A subscription of an outside system to ticket events: each matching event
    queues a signed JSON delivery to its URL, sent by a cron after the ticket's
    transaction has committed."""

    _name = "crossdept.webhook"
    _description = "Webhook Subscription"
    _order = "name, id"

    name = fields.Char(required=True)
    url = fields.Char("URL", required=True, help="Receives a JSON POST for each event.")
    secret = fields.Char(
        required=True,
        copy=False,
        groups=ADMIN_GROUP,
        default=lambda self: secrets.token_hex(32),
        help="Key of the HMAC-SHA256 signature sent in the X-CrossDept-Signature header.",
    )
    event_type_ids = fields.Many2many(
        "crossdept.webhook.event.type", string="Events", required=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    max_attempts = fields.Integer(
        default=8,
        required=True,
        help="Failed deliveries are retried after 1, 2, 4, 8... minutes, up to this "
        "number of attempts in all.",
    )
    timeout = fields.Float("Timeout (seconds)", default=10.0, required=True)
    delivery_ids = fields.One2many("crossdept.webhook.delivery", "webhook_id", "Deliveries")
    delivery_count = fields.Integer(compute="_compute_delivery_count")
    failed_count = fields.Integer("Failed Deliveries", compute="_compute_delivery_count")

    @api.depends("delivery_ids.state")
    def _compute_delivery_count(self):
        counts = defaultdict(lambda: defaultdict(int))
        for webhook, state, count in self.env["crossdept.webhook.delivery"]._read_group(
            [("webhook_id", "in", self.ids)], ["webhook_id", "state"], ["__count"]
        ):
            counts[webhook][state] = count
        for webhook in self:
            webhook.delivery_count = sum(counts[webhook].values())
            webhook.failed_count = counts[webhook]["failed"]

    @api.constrains("url")
    def _check_url(self):
        for webhook in self:
            if not (webhook.url or "").startswith(("http://", "https://")):
                raise ValidationError(
                    self.env._(
                        "The URL of webhook %(webhook)s must start with http:// or https://.",
                        webhook=webhook.name,
                    )
                )

    @api.constrains("max_attempts", "timeout")
    def _check_limits(self):
        for webhook in self:
            if webhook.max_attempts < 1 or webhook.timeout <= 0:
                raise ValidationError(
                    self.env._(
                        "Webhook %(webhook)s needs at least one attempt and a positive timeout.",
                        webhook=webhook.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        webhooks = super().create(vals_list)
        self.env.registry.clear_cache()
        return webhooks

    def write(self, vals):
        res = super().write(vals)
        if {"active", "company_id", "event_type_ids"} & set(vals):
            self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res

    def action_view_deliveries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crossdept_api.crossdept_webhook_delivery_action"
        )
        action["domain"] = [("webhook_id", "=", self.id)]
        action["context"] = {"default_webhook_id": self.id}
        return action

    def action_regenerate_secret(self):
        for webhook in self:
            webhook.secret = secrets.token_hex(32)

    # ------------------------------------------------------------------
    # Queueing
    # ------------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _subscriptions(self):
        """{(company id, event code): webhook ids} of the active subscriptions, cached
        so that tickets cost no query when nobody listens."""
        result = defaultdict(list)
        for webhook in self.sudo().search([]):
            for code in webhook.event_type_ids.mapped("code"):
                result[webhook.company_id.id, code].append(webhook.id)
        return {key: tuple(ids) for key, ids in result.items()}

    @api.model
    def _enqueue_ticket_events(self, events):
        """Queue the deliveries of these ticket events, in the events' transaction."""
        subscriptions = self._subscriptions()
        if not subscriptions:
            return self.env["crossdept.webhook.delivery"]
        entries = []
        # the payload shows the ticket as its subscribers' administrator sees it, not
        # as the user whose action raised the event
        for event in events.sudo():
            code = EVENT_CODES.get(event.event_type)
            webhook_ids = subscriptions.get((event.company_id.id, code))
            if not webhook_ids:
                continue
            data = {
                "ticket": event.ticket_id._api_data(),
                "event": event._api_data(),
            }
            if event.step_id:
                data["step"] = event.step_id._api_data()
            entries.append((webhook_ids, code, event.ticket_id, data))
        return self._enqueue(entries)

    @api.model
    def _enqueue_comments(self, messages):
        """Queue the deliveries of comments posted on tickets."""
        subscriptions = self._subscriptions()
        if not subscriptions:
            return self.env["crossdept.webhook.delivery"]
        tickets = self.env["crossdept.ticket"].sudo().browse(messages.mapped("res_id"))
        entries = []
        for message, ticket in zip(messages.sudo(), tickets, strict=True):
            webhook_ids = subscriptions.get((ticket.company_id.id, COMMENT_CODE))
            if not webhook_ids:
                continue
            data = {
                "ticket": ticket._api_data(),
                "comment": {
                    "id": message.id,
                    "body": tools.html2plaintext(message.body or ""),
                    "author": {"id": message.author_id.id, "name": message.author_id.name}
                    if message.author_id
                    else None,
                    "internal": bool(message.subtype_id.internal),
                    "date": to_iso(message.date),
                },
            }
            entries.append((webhook_ids, COMMENT_CODE, ticket, data))
        return self._enqueue(entries)

    @api.model
    def _enqueue(self, entries):
        """Create one delivery per (event, subscription) in one go and wake the
        sending cron up once the transaction commits.

        :param entries: [(webhook ids, event code, ticket, data)]
        """
        if not entries:
            return self.env["crossdept.webhook.delivery"]
        # the cache may outlive a subscription created in a transaction rolled back since
        existing = set(
            self.sudo()
            .browse({wid for webhook_ids, *_rest in entries for wid in webhook_ids})
            .exists()
            .ids
        )
        now = fields.Datetime.now()
        vals_list = []
        for webhook_ids, code, ticket, data in entries:
            event_uid = str(uuid.uuid4())
            payload = json.dumps(
                {
                    "id": event_uid,
                    "type": code,
                    "created_at": to_iso(now),
                    "company_id": ticket.company_id.id,
                    "data": data,
                },
                ensure_ascii=False,
                sort_keys=True,
            )
            vals_list.extend(
                {
                    "webhook_id": webhook_id,
                    "event_type": code,
                    "event_uid": event_uid,
                    "ticket_id": ticket.id,
                    "payload": payload,
                    "next_attempt": now,
                }
                for webhook_id in webhook_ids
                if webhook_id in existing
            )
        if not vals_list:
            return self.env["crossdept.webhook.delivery"]
        # users who change tickets may not read subscriptions: queueing is the
        # system's business, and the deliveries are only visible to managers
        deliveries = self.env["crossdept.webhook.delivery"].sudo()._engine().create(vals_list)
        # ir.cron notifies the cron workers after commit, never before: sending
        # therefore never happens inside (nor slows down) the ticket's transaction
        self.env.ref("crossdept_api.ir_cron_crossdept_webhook_send").sudo()._trigger()
        return deliveries
