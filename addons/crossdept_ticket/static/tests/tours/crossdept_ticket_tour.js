import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("crossdept_ticket_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the CrossDept app",
            trigger: ".o_app[data-menu-xmlid='crossdept_ticket.crossdept_menu_root']",
            run: "click",
        },
        {
            content: "Create a ticket",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Give it a title",
            trigger: ".o_field_widget[name='title'] input",
            run: "edit Tour ticket: projector broken",
        },
        {
            content: "Save it",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "It got a number",
            trigger: ".o_field_widget[name='name'] span:contains('TK')",
        },
        {
            content: "No flow matches it: Submit opens it for work by hand",
            trigger: ".o_crossdept_flow_preview:contains('No flow matches this ticket yet')",
        },
        {
            content: "Submit it",
            trigger: "button[name='action_next_step'][data-crossdept-action='submit']",
            run: "click",
        },
        {
            content: "The status bar shows Open",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Open')",
        },
        {
            content: "The history tab lists the state change",
            trigger: ".o_notebook a:contains('History')",
            run: "click",
        },
        {
            content: "Event rows are there",
            trigger: ".o_field_widget[name='event_ids'] .o_data_row:contains('State change')",
        },
    ],
});
