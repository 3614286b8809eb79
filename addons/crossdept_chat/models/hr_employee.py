from odoo import fields, models


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    crossdept_dingtalk_user_id = fields.Char(
        "DingTalk User ID",
        groups="hr.group_hr_user",
        copy=False,
        help="The person's userId in DingTalk: chat messages mention them with it, and "
        "card buttons they press act as their Odoo user.",
    )
    crossdept_feishu_user_id = fields.Char(
        "Feishu User ID",
        groups="hr.group_hr_user",
        copy=False,
        help="The person's user_id (or open_id) in Feishu / Lark: chat messages mention "
        "them with it, and card buttons they press act as their Odoo user.",
    )
    crossdept_wecom_user_id = fields.Char(
        "WeCom User ID",
        groups="hr.group_hr_user",
        copy=False,
        help="The person's userid in WeCom: chat messages mention them with it, and card "
        "buttons they press act as their Odoo user.",
    )

    _sql_constraints = [
        (
            "crossdept_dingtalk_user_id_uniq",
            "unique(company_id, crossdept_dingtalk_user_id)",
            "A DingTalk user ID belongs to one employee of a company.",
        ),
        (
            "crossdept_feishu_user_id_uniq",
            "unique(company_id, crossdept_feishu_user_id)",
            "A Feishu user ID belongs to one employee of a company.",
        ),
        (
            "crossdept_wecom_user_id_uniq",
            "unique(company_id, crossdept_wecom_user_id)",
            "A WeCom user ID belongs to one employee of a company.",
        ),
    ]
