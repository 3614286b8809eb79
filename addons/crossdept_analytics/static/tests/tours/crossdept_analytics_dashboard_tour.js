import { registry } from "@web/core/registry";

const backToDashboard = {
    content: "Back to the dashboard",
    trigger: ".o_breadcrumb a:contains('Process Dashboard')",
    run: "click",
};

registry.category("web_tour.tours").add("crossdept_analytics_dashboard_tour", {
    url: "/odoo/crossdept-dashboard",
    steps: () => [
        {
            content: "The median handling time tile shows the tour's ticket in hours",
            trigger:
                ".o_crossdept_tile[data-kpi='median_hours'] .o_crossdept_tile_value:contains('6.0 h')",
        },
        {
            content: "Nobody rated the ticket: its satisfaction is a dash, not 0",
            trigger:
                ".o_crossdept_tile[data-kpi='satisfaction'] .o_crossdept_tile_value:contains('–')",
        },
        {
            content: "The transfer rate chart is drawn",
            trigger: ".o_crossdept_chart[data-kpi='transfer_rate'] .o_crossdept_bar",
        },
        {
            content: "The bottleneck table lists the tour's step",
            trigger: ".o_crossdept_bottleneck_row:contains('Tour review')",
        },
        {
            content: "The open alert is listed",
            trigger: ".o_crossdept_alert:contains('Tour transfers')",
        },
        {
            content: "Filter on the tour's department",
            trigger: ".o_crossdept_filter_department",
            run: "selectByLabel Tour department",
        },
        {
            content: "Open the open overdue tickets",
            trigger: ".o_crossdept_tile[data-kpi='open_overdue']:contains('1')",
            run: "click",
        },
        {
            content: "They are the live overdue tickets, not facts of closed ones",
            trigger:
                ".o_list_view:not(:has(.o_data_row ~ .o_data_row)) .o_data_row:contains('Tour overdue ticket')",
        },
        backToDashboard,
        {
            content: "Back on the dashboard, the department filter is still set",
            trigger:
                ".o_crossdept_filter_department:has(option:selected:contains('Tour department'))",
        },
        {
            content: "Open the tickets measured by the median handling time",
            trigger: ".o_crossdept_tile[data-kpi='median_hours']",
            run: "click",
        },
        {
            content: "The one closed ticket of the period, six hours",
            trigger:
                ".o_list_view:not(:has(.o_data_row ~ .o_data_row)) .o_data_row:contains('6.0 h')",
        },
        backToDashboard,
        {
            content: "Open the step of the bottleneck row",
            trigger: ".o_crossdept_bottleneck_row:contains('Tour review')",
            run: "click",
        },
        {
            content: "Its finished step instance: an hour of waiting, five of work",
            trigger:
                ".o_list_view .o_data_row:contains('Tour review'):contains('1.0 h'):contains('5.0 h')",
        },
        backToDashboard,
        {
            content: "The company-wide alert is not one of the department's: all departments again",
            trigger: ".o_crossdept_filter_department",
            run: "selectByLabel All departments",
        },
        {
            content: "The company-wide alert is listed again",
            trigger: ".o_crossdept_alert:contains('Tour transfers')",
        },
        {
            content: "Open the alerts",
            trigger: ".o_crossdept_alerts_title",
            run: "click",
        },
        {
            content: "The alerts list opens",
            trigger: ".o_list_view .o_data_row:contains('Tour transfers')",
        },
    ],
});

registry.category("web_tour.tours").add("crossdept_analytics_dashboard_bars_tour", {
    url: "/odoo/crossdept-dashboard",
    steps: () => [
        {
            content: "Each bar of the handling time is as high as its value says",
            trigger:
                ".o_crossdept_chart[data-kpi='median_hours'] .o_crossdept_bar[data-value='7'] .o_crossdept_bar_fill",
            run() {
                const chart = document.querySelector(".o_crossdept_chart[data-kpi='median_hours']");
                const height = (value) =>
                    chart
                        .querySelector(
                            `.o_crossdept_bar[data-value='${value}'] .o_crossdept_bar_fill`,
                        )
                        .getBoundingClientRect().height;
                const [six, seven] = [height("6"), height("7")];
                // 6.0 h and 7.0 h: the shorter bar is 6/7 of the taller one, not as high
                if (!seven || Math.abs(six / seven - 6 / 7) > 0.02) {
                    throw new Error(`Bars of 6.0 h and 7.0 h are ${six}px and ${seven}px high`);
                }
                const area = chart.querySelector(".o_crossdept_bar_fill").parentElement;
                if (Math.abs(seven - area.getBoundingClientRect().height) > 1) {
                    throw new Error(
                        `The longest bar is ${seven}px high, not its area's full height`,
                    );
                }
            },
        },
    ],
});
