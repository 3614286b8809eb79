{
    "name": "CrossDept Chat",
    "summary": "Notify and act in DingTalk, Feishu (Lark) and WeCom group chats",
    "version": "18.0.1.0.0",
    "category": "Services/CrossDept",
    "website": "https://github.com/crossdept/crossdept",
    "author": "CrossDept",
    "license": "LGPL-3",
    "depends": ["crossdept_api"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/crossdept_chat_security.xml",
        "data/crossdept_chat_cron.xml",
        "views/crossdept_chat_message_views.xml",
        "views/crossdept_chat_channel_views.xml",
        "views/hr_employee_views.xml",
        "views/crossdept_chat_menus.xml",
    ],
    "installable": True,
    # a company chooses to wire its chat tools: installed on purpose, not with the API
    "auto_install": False,
}
