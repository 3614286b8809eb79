from odoo import models

from .crossdept_ticket import to_iso, to_ref


class CrossdeptApprovalDelegation(models.Model):
    _inherit = "crossdept.approval.delegation"

    def _api_data(self):
        """The delegation as the API shows it (JSON-serializable)."""
        self.ensure_one()
        return {
            "id": self.id,
            "user": to_ref(self.user_id),
            "delegate": to_ref(self.delegate_id),
            "date_from": to_iso(self.date_from),
            "date_to": to_iso(self.date_to),
            "scope": self.scope,
            "flow_ids": self.flow_ids.ids,
            "note": self.note or None,
        }
