from odoo import fields, models


def to_iso(value):
    """ISO 8601 form (UTC, 'Z') of a naive UTC datetime; None when empty."""
    return value.isoformat(timespec="seconds") + "Z" if value else None


def to_ref(record):
    """{id, name} of a many2one value, None when empty."""
    return {"id": record.id, "name": record.display_name} if record else None


class CrossdeptTicket(models.Model):
    _inherit = "crossdept.ticket"

    api_idempotency_key = fields.Char(
        "API Idempotency Key",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Sent by the client that created the ticket through the API, so that a "
        "repeated request returns this ticket instead of creating another.",
    )
    api_request_hash = fields.Char("API Request Hash", readonly=True, copy=False)

    _sql_constraints = [
        (
            "api_idempotency_key_uniq",
            "unique(create_uid, api_idempotency_key)",
            "An API client uses an idempotency key for one ticket only.",
        ),
    ]

    def _field_editors(self, name):
        # the client's idempotency key is given when the ticket is created, never later
        if name in ("api_idempotency_key", "api_request_hash"):
            return set()
        return super()._field_editors(name)

    def _api_data(self, with_steps=False):
        """The ticket as the API and the webhooks show it (JSON-serializable)."""
        self.ensure_one()
        data = {
            "id": self.id,
            "number": self.name,
            "title": self.title,
            "description": self.description or "",
            "state": self.state,
            "priority": self.priority,
            "type": to_ref(self.type_id),
            "customer": to_ref(self.partner_id),
            "department": to_ref(self.department_id),
            "assigned_department": to_ref(self.assigned_department_id),
            "requester": to_ref(self.requester_id),
            "assignee": to_ref(self.user_id),
            "company": to_ref(self.company_id),
            "flow": to_ref(self.flow_id),
            "date_deadline": to_iso(self.date_deadline),
            "date_closed": to_iso(self.date_closed),
            "created_at": to_iso(self.create_date),
            "updated_at": to_iso(self.write_date),
        }
        if with_steps:
            data["steps"] = [step._api_data() for step in self.step_ids]
        return data

    def _message_post_after_hook(self, message, msg_values):
        res = super()._message_post_after_hook(message, msg_values)
        if message.message_type == "comment":
            self.env["crossdept.webhook"]._enqueue_comments(message)
        return res
