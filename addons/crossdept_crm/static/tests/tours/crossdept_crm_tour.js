import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crossdept_crm_tour", {
    url: "/odoo/action-crm.crm_lead_action_pipeline",
    steps: () => [
        {
            content: "Open the lead",
            trigger: ".o_kanban_record:contains('Tour lead: wobbly chairs')",
            run: "click",
        },
        {
            content: "Create a ticket from it",
            trigger: "button[name='action_crossdept_ticket_new']",
            run: "click",
        },
        {
            content: "The title comes from the lead",
            trigger: ".o_field_widget[name='title'] input:value('Tour lead: wobbly chairs')",
        },
        {
            content: "The customer too",
            trigger: ".o_field_widget[name='partner_id'] input:value('Tour Customer Ltd')",
        },
        {
            content: "Save the ticket",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "It got a number",
            trigger: ".o_field_widget[name='name'] span:contains('TK')",
        },
        {
            content: "Open the customer's history",
            trigger: ".o_notebook_headers a.nav-link[name='customer_history']",
            run: "click",
        },
        {
            content: "The earlier ticket is listed with its outcome and handling time",
            trigger:
                ".o_field_widget[name='customer_ticket_ids'] .o_data_row:contains('Tour: earlier complaint'):contains('Done'):contains('6.5 h')",
        },
        {
            content: "The opportunity is among the open leads",
            trigger:
                ".o_field_widget[name='customer_lead_ids'] .o_data_row:contains('Tour lead: wobbly chairs')",
        },
        {
            content: "The customer's rating is shown",
            trigger:
                ".o_field_widget[name='customer_rating_ids'] .o_data_row:contains('Tour: solved the same day')",
        },
    ],
});
