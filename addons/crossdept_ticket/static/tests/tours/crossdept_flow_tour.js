import { registry } from "@web/core/registry";

function addStep(name, predecessor) {
    const steps = [
        {
            content: `Add step ${name}`,
            trigger: ".o_field_widget[name='step_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".modal .o_field_widget[name='name'] input",
            run: `edit ${name}`,
        },
    ];
    if (predecessor) {
        steps.push(
            {
                content: "Choose its predecessor",
                trigger: ".modal .o_field_widget[name='predecessor_ids'] input",
                run: `edit ${predecessor}`,
            },
            {
                content: "Pick it from the list",
                trigger: `.o-autocomplete--dropdown-item a:contains('${predecessor}')`,
                run: "click",
            },
        );
    }
    steps.push(
        {
            content: "Add a RACI line",
            trigger: ".modal .o_field_widget[name='raci_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "The requester is responsible",
            trigger:
                ".modal .o_field_widget[name='raci_ids'] .o_data_row .o_field_widget[name='holder_type'] select",
            run: "selectByLabel The requester",
        },
        {
            content: "Save the step",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The dialog is closed",
            trigger: `body:not(:has(.modal)) .o_field_widget[name='step_ids'] .o_data_row:contains('${name}')`,
        },
        {
            content: "Save the flow",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
        },
    );
    return steps;
}

registry.category("web_tour.tours").add("crossdept_flow_build_tour", {
    url: "/odoo/action-crossdept_ticket.crossdept_flow_action",
    steps: () => [
        {
            content: "Create a flow",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_field_widget[name='name'] input",
            run: "edit Tour two-branch flow",
        },
        {
            content: "Give it a code",
            trigger: ".o_field_widget[name='code'] input",
            run: "edit TOURFLOW",
        },
        {
            content: "Serve the tour ticket type",
            trigger: ".o_field_widget[name='type_ids'] input",
            run: "edit Tour type",
        },
        {
            content: "Pick the type",
            trigger: ".o-autocomplete--dropdown-item a:contains('Tour type')",
            run: "click",
        },
        {
            content: "Save the flow",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
        },
        ...addStep("Collect"),
        ...addStep("Branch left", "Collect"),
        ...addStep("Branch right", "Collect"),
        {
            content: "The diagram shows three steps",
            trigger:
                ".o_field_widget[name='diagram'] svg:has(.o_crossdept_flow_step:nth-of-type(3))",
        },
        {
            content: "Activate",
            trigger: "button[name='action_activate']",
            run: "click",
        },
        {
            content: "It is active",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Active')",
        },
    ],
});

function doStep(name) {
    return [
        {
            content: `Start ${name}`,
            trigger: `.o_field_widget[name='step_ids'] .o_data_row:contains('${name}') button[name='action_start']`,
            run: "click",
        },
        {
            content: `Finish ${name}`,
            trigger: `.o_field_widget[name='step_ids'] .o_data_row:contains('${name}') button[name='action_finish']`,
            run: "click",
        },
        {
            content: `${name} is done`,
            trigger: `.o_field_widget[name='step_ids'] .o_data_row:contains('${name}'):contains('Done')`,
        },
    ];
}

registry.category("web_tour.tours").add("crossdept_flow_run_tour", {
    url: "/odoo/action-crossdept_ticket.crossdept_ticket_action_my",
    steps: () => [
        {
            content: "Create a ticket",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Title",
            trigger: ".o_field_widget[name='title'] input",
            run: "edit Tour flow ticket",
        },
        {
            content: "Type",
            trigger: ".o_field_widget[name='type_id'] input",
            run: "edit Tour type",
        },
        {
            content: "Pick the type",
            trigger: ".o-autocomplete--dropdown-item a:contains('Tour type')",
            run: "click",
        },
        {
            content: "Submit: the flow starts",
            trigger: "button[name='action_next_step'][data-crossdept-action='submit']",
            run: "click",
        },
        {
            content: "The flow tab shows the steps",
            trigger: ".o_notebook a:contains('Flow')",
            run: "click",
        },
        {
            content: "Submit did Collect, the requester's own first step",
            trigger:
                ".o_field_widget[name='step_ids'] .o_data_row:contains('Collect'):contains('Done')",
        },
        ...doStep("Branch left"),
        ...doStep("Branch right"),
        {
            content: "The ticket is done",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Done')",
        },
    ],
});
