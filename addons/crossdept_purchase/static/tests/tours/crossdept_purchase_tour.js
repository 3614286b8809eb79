import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crossdept_purchase_submit_tour", {
    steps: () => [
        {
            content: "The buyer confirms the order",
            trigger: ".o_statusbar_buttons button[name='button_confirm']",
            run: "click",
        },
        {
            content: "The order waits for its approval ticket",
            trigger: ".o_field_widget[name='crossdept_ticket_state']:contains('In Progress')",
        },
        {
            content: "It is no longer a quotation to confirm",
            trigger: ".o_form_view:not(:has(.o_statusbar_buttons button[name='button_confirm']))",
        },
        {
            content: "A buyer without CrossDept rights has no button to the ticket",
            trigger: ".o_form_view:not(:has(button[name='action_view_crossdept_tickets']))",
        },
    ],
});

registry.category("web_tour.tours").add("crossdept_purchase_ticket_tour", {
    steps: () => [
        {
            content: "The approval ticket shows the vendor",
            trigger: ".o_field_widget[name='purchase_partner_id']:contains('Tour Vendor')",
        },
        {
            content: "Open the purchase order from the ticket",
            trigger: "button[name='action_view_purchase_order']",
            run: "click",
        },
        {
            content: "The order links back to its approval",
            trigger: "button[name='action_view_crossdept_tickets']:contains('Approvals')",
        },
    ],
});
