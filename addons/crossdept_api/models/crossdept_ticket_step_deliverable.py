from odoo import fields, models

from .crossdept_ticket import to_iso, to_ref


class CrossdeptTicketStepDeliverable(models.Model):
    _inherit = "crossdept.ticket.step.deliverable"

    def _api_value(self):
        """The output's value in its JSON type, None until it is given."""
        self.ensure_one()
        if self.value_type == "check":
            return self.done
        if not self._is_filled():
            return None
        match self.value_type:
            case "amount":
                return self.value_amount
            case "text":
                return self.value_text
            case "date":
                return fields.Date.to_string(self.value_date)
            case "boolean":
                return self.value_yes_no == "yes"
            case _:
                return self.value_filename or ""

    def _api_data(self):
        """The output as the API and the webhooks show it (JSON-serializable)."""
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.name,
            "type": self.value_type,
            "required": self.required,
            "filled": self._is_filled(),
            "value": self._api_value(),
            "currency": self.currency_id.name
            if self.value_type == "amount" and self.currency_id
            else None,
            "filled_by": to_ref(self.filled_by_id),
            "date_filled": to_iso(self.date_filled),
        }
