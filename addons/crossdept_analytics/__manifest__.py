{
    "name": "CrossDept Analytics",
    "summary": "Process analytics for cross-department tickets: facts, KPIs, health monitor, "
    "recognition and quarterly process review",
    "version": "18.0.1.0.0",
    "category": "Services/CrossDept",
    "website": "https://github.com/crossdept/crossdept",
    "author": "CrossDept",
    "license": "LGPL-3",
    "depends": ["crossdept_ticket"],
    "data": [
        "security/ir.model.access.csv",
        "security/crossdept_analytics_security.xml",
        "data/crossdept_analytics_cron.xml",
        "views/crossdept_analytics_ticket_views.xml",
        "views/crossdept_analytics_step_views.xml",
        "views/crossdept_analytics_kpi_month_views.xml",
        "views/crossdept_health_alert_views.xml",
        "views/crossdept_health_rule_views.xml",
        "views/crossdept_analytics_dashboard_views.xml",
        "views/crossdept_analytics_scoreboard_views.xml",
        "report/crossdept_process_review_report.xml",
        "wizard/crossdept_process_review_wizard_views.xml",
        "views/crossdept_analytics_menus.xml",
    ],
    "demo": [
        "demo/crossdept_analytics_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "crossdept_analytics/static/src/**/*",
        ],
        "web.assets_tests": [
            "crossdept_analytics/static/tests/tours/**/*",
        ],
    },
    "installable": True,
}
