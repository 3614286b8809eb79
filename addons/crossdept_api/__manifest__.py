{
    "name": "CrossDept API",
    "summary": "REST API with user API keys and signed outgoing webhooks for CrossDept tickets",
    "version": "18.0.1.0.0",
    "category": "Services/CrossDept",
    "website": "https://github.com/crossdept/crossdept",
    "author": "CrossDept",
    "license": "LGPL-3",
    "depends": ["crossdept_ticket"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/crossdept_api_security.xml",
        "data/crossdept_webhook_event_type_data.xml",
        "data/crossdept_webhook_cron.xml",
        "views/crossdept_webhook_delivery_views.xml",
        "views/crossdept_webhook_views.xml",
        "views/crossdept_api_menus.xml",
    ],
    # server-wide (server_wide_modules): see outage.py
    "post_load": "post_load",
    "installable": True,
    "auto_install": False,
}
