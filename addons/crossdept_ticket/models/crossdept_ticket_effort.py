from odoo import api, fields, models
from odoo.tools.sql import column_exists, create_column


class CrossdeptTicket(models.Model):
    """The effort logged on a ticket's steps, every run of its flow included."""

    _inherit = "crossdept.ticket"

    effort_ids = fields.One2many(
        "crossdept.ticket.step.effort",
        "ticket_id",
        readonly=True,
        groups="crossdept_ticket.group_crossdept_ticket_user",
    )
    effort_hours = fields.Float(
        "Logged Hours",
        compute="_compute_effort_hours",
        store=True,
        help="The effort logged on the ticket's steps, running timers left out.",
    )

    def _auto_init(self):
        # no effort was logged before the column: create it empty (null reads 0),
        # rather than have the ORM compute it for every ticket of a large database
        if not column_exists(self.env.cr, "crossdept_ticket", "effort_hours"):
            create_column(self.env.cr, "crossdept_ticket", "effort_hours", "float8")
        return super()._auto_init()

    @api.depends("effort_ids.duration", "effort_ids.timer_start")
    def _compute_effort_hours(self):
        # one read of the lines of every ticket (stored: computed as superuser)
        for ticket in self:
            ticket.effort_hours = sum(
                ticket.effort_ids.filtered(lambda line: not line.timer_start).mapped("duration")
            )
