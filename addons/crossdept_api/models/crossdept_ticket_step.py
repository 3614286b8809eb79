from odoo import models

from .crossdept_ticket import to_iso, to_ref


class CrossdeptTicketStep(models.Model):
    _inherit = "crossdept.ticket.step"

    def _api_data(self):
        """The step as the API and the webhooks show it (JSON-serializable)."""
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.name,
            "sequence": self.sequence,
            "kind": self.kind,
            "state": self.state,
            "department": to_ref(self.department_id),
            "assignee": to_ref(self.user_id),
            "predecessor_ids": self.predecessor_ids.ids,
            "date_ready": to_iso(self.date_ready),
            "date_started": to_iso(self.date_started),
            "date_done": to_iso(self.date_done),
            "date_deadline": to_iso(self.date_deadline),
            "sla_status": self.sla_status or None,
            "decisions": [
                {
                    "approver": to_ref(decision.user_id),
                    "decision": decision.decision,
                    "reason": decision.reason or None,
                    "date": to_iso(decision.date),
                }
                for decision in self.decision_ids
            ],
            "outputs": [output._api_data() for output in self.deliverable_ids],
        }
