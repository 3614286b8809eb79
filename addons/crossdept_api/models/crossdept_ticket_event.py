from odoo import models

from .crossdept_ticket import to_iso, to_ref


class CrossdeptTicketEvent(models.Model):
    _inherit = "crossdept.ticket.event"

    def _on_logged(self):
        res = super()._on_logged()
        # the whole batch of a ticket operation is queued at once
        self.env["crossdept.webhook"]._enqueue_ticket_events(self)
        return res

    def _api_data(self):
        self.ensure_one()
        return {
            "id": self.id,
            "type": self.event_type,
            "date": to_iso(self.event_date),
            "actor": to_ref(self.actor_id),
            "from_state": self.from_state or None,
            "to_state": self.to_state or None,
            "from_user": to_ref(self.from_user_id),
            "to_user": to_ref(self.to_user_id),
            "from_department": to_ref(self.from_department_id),
            "to_department": to_ref(self.to_department_id),
            "reason": self.reason or None,
        }
