import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { utils as uiUtils } from "@web/core/ui/ui_service";

const isSmall = () => uiUtils.isSmall();

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
            content: "Once filtered on the department, open the open overdue tickets",
            trigger:
                ".o_crossdept_dashboard:not([data-department='0']) .o_crossdept_tile[data-kpi='open_overdue']:contains('1')",
            run: "click",
        },
        {
            content: "They are the live overdue tickets, not facts of closed ones",
            trigger:
                ".o_list_view:not(:has(.o_data_row ~ .o_data_row)) .o_data_row:contains('Tour overdue ticket')",
        },
        {
            content: "The list shows what it is filtered on: overdue, the handling department",
            trigger:
                ".o_searchview:has(.o_searchview_facet:contains('Tour department')) .o_searchview_facet:contains('Overdue')",
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

// what the manager tour reads on the page, in the language it runs in: only
// assertions use text, selectors use classes and data attributes
const MANAGER_LABELS = {
    en: { tickets: "Tickets, each in the department handling it", handled: "Tickets handled by" },
    zh: { tickets: "工单：按处理部门计", handled: "处理的工单" },
};

/** A department manager's round trip, in any language and screen size: drill into
 * a tile, see what the list is filtered on, come back with the filters kept. */
registry.category("web_tour.tours").add("crossdept_analytics_manager_tour", {
    url: "/odoo/crossdept-dashboard",
    steps: () => {
        const labels = user.lang.startsWith("zh") ? MANAGER_LABELS.zh : MANAGER_LABELS.en;
        const picked = {};
        const steps = [
            {
                content: "The tiles say which department counts a ticket, in the user's language",
                trigger: `.o_crossdept_scope_tickets:contains('${labels.tickets}')`,
            },
            {
                content: "The steps block says which department counts a step",
                trigger: ".o_crossdept_bottlenecks .o_crossdept_scope_steps",
            },
            {
                content: "Filter on the department of the first bar of the tickets per department",
                trigger:
                    ".o_crossdept_chart[data-kpi='ticket_count'] .o_crossdept_bar:not([data-key='False'])",
                run() {
                    const bar = document.querySelector(
                        ".o_crossdept_chart[data-kpi='ticket_count'] .o_crossdept_bar:not([data-key='False'])",
                    );
                    const select = document.querySelector(".o_crossdept_filter_department");
                    select.value = bar.dataset.key;
                    picked.id = bar.dataset.key;
                    picked.count = bar.dataset.value;
                    picked.name = select.selectedOptions[0].textContent.trim();
                    select.dispatchEvent(new Event("change", { bubbles: true }));
                },
            },
            {
                content: "The tiles now count the tickets that department handles",
                trigger: `.o_crossdept_dashboard:not([data-department='0']) .o_crossdept_scope_tickets:contains('${labels.handled}')`,
            },
            {
                content: "Open the tickets of the ticket count tile, as many as its bar said",
                trigger: ".o_crossdept_tile[data-kpi='ticket_count']",
                run(helpers) {
                    const value = Number(this.anchor.dataset.value);
                    if (value !== Number(picked.count)) {
                        throw new Error(
                            `The tile counts ${value} tickets, its bar ${picked.count}`,
                        );
                    }
                    return helpers.click();
                },
            },
            {
                content: "The list of the tile opens",
                trigger: ".o_list_view .o_data_row",
            },
        ];
        if (isSmall()) {
            steps.push({
                content: "On a phone, show the search bar",
                trigger: ".o_control_panel button:has(.fa-search)",
                run: "click",
            });
        }
        steps.push(
            {
                content:
                    "The list shows its period and department as facets; as many rows as the tile",
                trigger: ".o_searchview_facet ~ .o_searchview_facet",
                run() {
                    const facets = [...document.querySelectorAll(".o_searchview_facet")].map(
                        (facet) => facet.textContent,
                    );
                    if (!facets.some((text) => text.includes(picked.name))) {
                        throw new Error(`No facet of ${picked.name} among ${facets.join(" | ")}`);
                    }
                    if (
                        !facets.some((text) => /\d{4}-\d{2}-\d{2}\D+\d{4}-\d{2}-\d{2}/.test(text))
                    ) {
                        throw new Error(`No facet of the period among ${facets.join(" | ")}`);
                    }
                    const limit = document.querySelector(".o_pager_limit");
                    const rows = limit
                        ? Number(limit.textContent)
                        : document.querySelectorAll(".o_data_row").length;
                    if (rows !== Number(picked.count)) {
                        throw new Error(`The list has ${rows} tickets, the tile ${picked.count}`);
                    }
                },
            },
            {
                content: "The department facet can be removed",
                trigger: ".o_searchview_facet .o_facet_remove",
                run() {
                    const facet = [...document.querySelectorAll(".o_searchview_facet")].find(
                        (facet) => facet.textContent.includes(picked.name),
                    );
                    facet.querySelector(".o_facet_remove").click();
                },
            },
            {
                content: "Only the period facet is left",
                trigger:
                    ".o_searchview:has(.o_searchview_facet):not(:has(.o_searchview_facet ~ .o_searchview_facet))",
            },
            {
                content: "Back to the dashboard",
                trigger: ".o_breadcrumb .o_back_button",
                run: "click",
            },
            {
                content: "Back on the dashboard, its department filter is kept, with no error",
                trigger: ".o_crossdept_dashboard:not([data-department='0']) .o_crossdept_tile",
                run() {
                    const select = document.querySelector(".o_crossdept_filter_department");
                    if (select.value !== picked.id) {
                        throw new Error(`The filter is ${select.value}, not ${picked.id}`);
                    }
                    if (document.querySelector(".o_error_dialog")) {
                        throw new Error("An error dialog is open");
                    }
                },
            },
        );
        return steps;
    },
});
