from odoo import fields, models


class CrossdeptTicket(models.Model):
    """The effort logged on a ticket's steps, every run of its flow included."""

    _inherit = "crossdept.ticket"

    effort_hours = fields.Float(
        "Logged Hours",
        compute="_compute_effort_hours",
        help="The effort logged on the ticket's steps, running timers left out.",
    )

    def _compute_effort_hours(self):
        # the lines follow their ticket's rules: the reader of a ticket counts them all
        hours = dict(
            self.env["crossdept.ticket.step.effort"]._read_group(
                [("ticket_id", "in", self.ids), ("timer_start", "=", False)],
                ["ticket_id"],
                ["duration:sum"],
            )
        )
        for ticket in self:
            ticket.effort_hours = hours.get(ticket._origin, 0.0)
