import { registry } from "@web/core/registry";

// Run at 390x844: the daily screens of an approver and of a step holder fit a phone.

/** The element lies wholly inside the window (nothing pushed off-screen). */
function assertOnScreen(selector) {
    const element = document.querySelector(selector);
    const box = element.getBoundingClientRect();
    if (box.left < 0 || box.right > window.innerWidth || box.width === 0) {
        throw new Error(
            `${selector} is off-screen: ${box.left}-${box.right} of ${window.innerWidth}px`,
        );
    }
}

registry.category("web_tour.tours").add("crossdept_phone_approver_tour", {
    steps: () => [
        {
            content: "My Approvals opens as cards on a phone, with the whole ticket title",
            trigger: ".o_kanban_view .o_kanban_record:contains('Phone: replace the badge reader')",
            run() {
                assertOnScreen(".o_kanban_record .o_crossdept_approve");
                assertOnScreen(".o_kanban_record .o_crossdept_refuse");
            },
        },
        {
            content: "Approve from the card",
            trigger: ".o_kanban_record .o_crossdept_approve",
            run: "click",
        },
        {
            content: "The decided approval leaves the list",
            trigger: ".o_kanban_view:not(:has(.o_kanban_record:contains('Phone: replace')))",
        },
    ],
});

registry.category("web_tour.tours").add("crossdept_phone_holder_tour", {
    steps: () => [
        {
            content: "My Steps opens as cards on a phone",
            trigger: ".o_kanban_view .o_kanban_record:contains('Phone: replace the badge reader')",
            run() {
                assertOnScreen(".o_kanban_record:not(.o_kanban_ghost)");
            },
        },
        {
            content: "The card opens the step",
            trigger: ".o_kanban_record:contains('Phone: replace the badge reader')",
            run: "click",
        },
        {
            content: "The step's form",
            trigger: ".o_form_view .o_field_widget[name='ticket_id']",
        },
    ],
});
