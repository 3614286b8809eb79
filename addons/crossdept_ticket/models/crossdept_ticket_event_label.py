from odoo import api, fields, models

# events whose states are the ticket's (the others name a step's, or an
# escalation level for escalations)
TICKET_STATE_EVENTS = {"create", "state"}


class CrossdeptTicketEvent(models.Model):
    """The states an event stores as keys, shown as the labels of the field they
    come from (ticket state, step state, escalation level), in the reader's
    language."""

    _inherit = "crossdept.ticket.event"

    from_state_label = fields.Char("State Before", compute="_compute_state_labels")
    to_state_label = fields.Char("State After", compute="_compute_state_labels")

    @api.depends_context("lang")
    @api.depends("event_type", "step_id", "from_state", "to_state")
    def _compute_state_labels(self):
        env = self.env
        labels = {
            "ticket": dict(env["crossdept.ticket"]._fields["state"]._description_selection(env)),
            "step": dict(env["crossdept.ticket.step"]._fields["state"]._description_selection(env)),
            "escalation": dict(
                env["crossdept.ticket.step"]._fields["escalation_level"]._description_selection(env)
            ),
        }
        for event in self:
            names = labels[event._state_kind()]
            # a key no selection knows (an older version's) is shown as it is
            event.from_state_label = names.get(event.from_state, event.from_state or False)
            event.to_state_label = names.get(event.to_state, event.to_state or False)

    def _state_kind(self):
        self.ensure_one()
        if self.event_type == "escalation":
            return "escalation"
        if self.event_type in TICKET_STATE_EVENTS or not self.step_id:
            return "ticket"
        return "step"
