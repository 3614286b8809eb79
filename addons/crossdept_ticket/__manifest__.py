{
    "name": "CrossDept Tickets",
    "summary": "Cross-department work orders with RACI ownership and an event log",
    "version": "18.0.1.0.0",
    "category": "Services/CrossDept",
    "website": "https://github.com/crossdept/crossdept",
    "author": "CrossDept",
    "license": "LGPL-3",
    "depends": ["mail", "portal", "hr"],
    "data": [
        "security/crossdept_ticket_groups.xml",
        "security/ir.model.access.csv",
        "security/crossdept_ticket_security.xml",
        "data/crossdept_ticket_data.xml",
        "views/crossdept_ticket_event_views.xml",
        "views/crossdept_ticket_views.xml",
        "views/crossdept_ticket_type_views.xml",
        "views/crossdept_ticket_tag_views.xml",
        "views/crossdept_ticket_portal_templates.xml",
        "wizard/crossdept_ticket_transfer_views.xml",
        "views/crossdept_ticket_menus.xml",
    ],
    "demo": [
        "demo/crossdept_ticket_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crossdept_ticket/static/tests/tours/**/*",
        ],
    },
    "application": True,
    "installable": True,
}
