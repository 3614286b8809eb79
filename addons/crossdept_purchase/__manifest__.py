{
    "name": "CrossDept Purchase Approvals",
    "summary": "Purchase orders above a threshold run a CrossDept approval flow",
    "version": "18.0.1.0.0",
    "category": "Services/CrossDept",
    "website": "https://github.com/crossdept/crossdept",
    "author": "CrossDept",
    "license": "LGPL-3",
    "depends": ["crossdept_ticket", "purchase"],
    "data": [
        "views/res_config_settings_views.xml",
        "views/purchase_order_views.xml",
        "views/crossdept_ticket_views.xml",
    ],
    "demo": [
        "demo/crossdept_purchase_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crossdept_purchase/static/tests/tours/**/*",
        ],
    },
    "auto_install": True,
    "installable": True,
}
