import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crossdept_kb_tour", {
    steps: () => [
        {
            content: "Open the Knowledge tab of the ticket",
            trigger: ".o_notebook a:contains('Knowledge')",
            run: "click",
        },
        {
            content: "The matching article is suggested",
            trigger:
                ".o_field_widget[name='kb_suggestion_ids'] .o_data_row:contains('Tour: reset the VPN token')",
        },
        {
            content: "Apply it",
            trigger:
                ".o_field_widget[name='kb_suggestion_ids'] .o_data_row:contains('Tour: reset the VPN token') button[name='action_apply_to_ticket']",
            run: "click",
        },
        {
            content: "It is listed as applied",
            trigger:
                ".o_field_widget[name='applied_article_ids'] .o_data_row:contains('Tour: reset the VPN token')",
        },
        {
            content: "And no longer suggested",
            trigger:
                ".o_field_widget[name='kb_suggestion_ids']:not(:has(.o_data_row:contains('Tour: reset the VPN token')))",
        },
    ],
});
