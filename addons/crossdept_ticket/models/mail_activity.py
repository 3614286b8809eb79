from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    crossdept_step_id = fields.Many2one(
        "crossdept.ticket.step",
        "Ticket Step",
        index="btree_not_null",
        ondelete="cascade",
        help="The step this to-do is about: it closes when the step is done, skipped, "
        "cancelled or handed to someone else.",
    )
