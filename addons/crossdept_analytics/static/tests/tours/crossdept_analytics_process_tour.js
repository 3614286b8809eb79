import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crossdept_bottleneck_tour", {
    steps: () => [
        {
            content: "Open the flow's bottlenecks",
            trigger: ".o_form_view button[name='action_view_bottlenecks']",
            run: "click",
        },
        {
            content: "The diagram is coloured by time",
            trigger: ".o_crossdept_heat_map svg .o_crossdept_heat_step[data-share='75.0']",
        },
        {
            content: "Each step's share is listed",
            trigger: ".o_field_widget[name='bottleneck_ids'] .o_data_row:contains('Deliver')",
        },
    ],
});

registry.category("web_tour.tours").add("crossdept_pilot_results_tour", {
    steps: () => [
        {
            content: "Open the pilot",
            trigger: ".o_list_view .o_data_row:contains('Tour pilot') .o_data_cell",
            run: "click",
        },
        {
            content: "The verdict compares both arms",
            trigger: ".o_crossdept_pilot_verdict:contains('The variant is faster')",
        },
        {
            content: "Both arms are counted",
            trigger: ".o_field_widget[name='variant_count']:contains('25')",
        },
    ],
});
