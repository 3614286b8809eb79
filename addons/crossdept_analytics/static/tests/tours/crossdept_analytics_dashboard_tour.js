import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crossdept_analytics_dashboard_tour", {
    url: "/odoo/crossdept-dashboard",
    steps: () => [
        {
            content: "The median handling time tile shows the tour's ticket",
            trigger:
                ".o_crossdept_tile[data-kpi='median_hours'] .o_crossdept_tile_value:contains('6.0')",
        },
        {
            content: "The transfer rate chart is drawn",
            trigger: ".o_crossdept_chart:contains('Transfer rate')",
        },
        {
            content: "The bottleneck table lists the tour's step",
            trigger: ".o_crossdept_bottlenecks td:contains('Tour review')",
        },
        {
            content: "The open alert is listed; open the alerts",
            trigger: ".o_crossdept_alerts:contains('Tour transfers')",
            run: "click",
        },
        {
            content: "The alerts list opens",
            trigger: ".o_list_view .o_data_row:contains('Tour transfers')",
        },
    ],
});
