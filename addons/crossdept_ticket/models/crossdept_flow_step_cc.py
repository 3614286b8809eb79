from odoo import fields, models


class CrossdeptFlowStep(models.Model):
    """CC (抄送) at a step: people and departments copied on the ticket when the
    step is done."""

    _inherit = "crossdept.flow.step"

    cc_user_ids = fields.Many2many(
        "res.users",
        "crossdept_flow_step_cc_user_rel",
        "flow_step_id",
        "user_id",
        string="CC When Done",
        domain=[("share", "=", False)],
        help="Copied on the ticket when this step is done: they read it and cannot act.",
    )
    cc_department_ids = fields.Many2many(
        "hr.department",
        "crossdept_flow_step_cc_department_rel",
        "flow_step_id",
        "department_id",
        string="Departments CC When Done",
        help="Their members are copied on the ticket when this step is done.",
    )
