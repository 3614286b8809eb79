{
    "name": "CrossDept CRM",
    "summary": "Tickets raised from leads and customers, with the customer's history on the ticket",
    "version": "18.0.1.0.0",
    "category": "Services/CrossDept",
    "website": "https://github.com/crossdept/crossdept",
    "author": "CrossDept",
    "license": "LGPL-3",
    "depends": ["crossdept_ticket", "crm", "rating"],
    "data": [
        "views/crossdept_ticket_views.xml",
        "views/crm_lead_views.xml",
        "views/res_partner_views.xml",
    ],
    "demo": [
        "demo/crossdept_crm_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crossdept_crm/static/tests/tours/**/*",
        ],
    },
    "auto_install": True,
    "installable": True,
}
