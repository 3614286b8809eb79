from odoo import fields, models


class CrossdeptFlow(models.Model):
    """CC (抄送) of a flow: people and departments copied on its tickets when the
    flow starts (at submit) and when the ticket is done (at the end)."""

    _inherit = "crossdept.flow"

    cc_submit_user_ids = fields.Many2many(
        "res.users",
        "crossdept_flow_cc_submit_user_rel",
        "flow_id",
        "user_id",
        string="CC at Submit",
        domain=[("share", "=", False)],
        help="Copied on each ticket when its flow starts: they read it and cannot act.",
    )
    cc_submit_department_ids = fields.Many2many(
        "hr.department",
        "crossdept_flow_cc_submit_department_rel",
        "flow_id",
        "department_id",
        string="Departments CC at Submit",
        help="Their members are copied on each ticket when its flow starts.",
    )
    cc_end_user_ids = fields.Many2many(
        "res.users",
        "crossdept_flow_cc_end_user_rel",
        "flow_id",
        "user_id",
        string="CC at the End",
        domain=[("share", "=", False)],
        help="Copied on each ticket when it is done: they read it and cannot act.",
    )
    cc_end_department_ids = fields.Many2many(
        "hr.department",
        "crossdept_flow_cc_end_department_rel",
        "flow_id",
        "department_id",
        string="Departments CC at the End",
        help="Their members are copied on each ticket when it is done.",
    )
