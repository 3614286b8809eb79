import { registry } from "@web/core/registry";

// A clerk's day, one tour per person (see tests/test_clerk_day_tour.py for the
// flow they run on: "Technical feasibility" by the engineer, then "Management
// approval" by the approver, a refusal returning to the feasibility).

const TITLE = "Tour: offer for 40 standing desks";
const HEADER_ACTION = ".o_form_statusbar button[name='action_next_step']";

function openTicket() {
    return {
        content: "Open the ticket",
        trigger: `.o_data_row:contains('${TITLE}') .o_data_cell`,
        run: "click",
    };
}

registry.category("web_tour.tours").add("crossdept_clerk_submit_tour", {
    url: "/odoo/action-crossdept_ticket.crossdept_ticket_action_my",
    steps: () => [
        {
            content: "Create a ticket",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "The requesting department is the clerk's",
            trigger: ".o_field_widget[name='department_id'] input:value('Sales (tour)')",
        },
        {
            content: "Title",
            trigger: ".o_field_widget[name='title'] input",
            run: `edit ${TITLE}`,
        },
        {
            content: "Type",
            trigger: ".o_field_widget[name='type_id'] input",
            run: "edit Offer request (tour)",
        },
        {
            content: "Pick the type",
            trigger: ".o-autocomplete--dropdown-item a:contains('Offer request (tour)')",
            run: "click",
        },
        {
            content: "Before submitting, the form shows the flow that will run and its steps",
            trigger:
                ".o_crossdept_flow_preview:contains('Offer flow (tour)') .o_data_row:contains('Technical feasibility')",
        },
        {
            content: "The second step is there too",
            trigger: ".o_crossdept_flow_preview .o_data_row:contains('Management approval')",
        },
        {
            content: "One Submit: it opens the ticket and starts its flow",
            trigger: `${HEADER_ACTION}[data-crossdept-action='submit']`,
            run: "click",
        },
        {
            content: "The current step is shown at the top, with whom it waits on",
            trigger:
                ".o_crossdept_current_steps .o_kanban_record:contains('Technical feasibility'):has(.o_field_many2many_avatar_user img)",
        },
        {
            content: "The ticket is assigned to the step's holder",
            trigger: ".o_field_widget[name='user_id']:contains('Tour Engineer')",
        },
        {
            content: "The clerk has nothing to do on it now",
            trigger: ".o_form_statusbar:not(:has(button[name='action_next_step']))",
        },
        {
            content: "In progress",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('In Progress')",
        },
    ],
});

registry.category("web_tour.tours").add("crossdept_holder_finish_tour", {
    url: "/odoo/action-crossdept_ticket.crossdept_ticket_action",
    steps: () => [
        {
            content: "List view",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "The list is shown",
            trigger: ".o_list_renderer .o_data_row",
        },
        {
            content: "Open the filters",
            trigger: ".o_control_panel_actions .o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "What waits on me",
            trigger: ".o_filter_menu .dropdown-item:contains('Waiting on Me')",
            run: "click",
        },
        {
            content: "The filter is on",
            trigger: ".o_searchview_facet:contains('Waiting on Me')",
        },
        {
            content: "The row shows the current step",
            trigger: `.o_data_row:contains('${TITLE}'):contains('Technical feasibility')`,
        },
        openTicket(),
        {
            content: "Start the step from the ticket's header",
            trigger: `${HEADER_ACTION}:contains('Start: Technical feasibility')`,
            run: "click",
        },
        {
            content: "Finish is disabled and says what is missing",
            trigger: `${HEADER_ACTION}:disabled:contains('Finish: Technical feasibility')`,
        },
        {
            content: "The reason names the deliverables",
            trigger: ".o_crossdept_next_action_blocked:contains('Feasibility assessment')",
        },
        {
            content: "Tick off the assessment",
            trigger:
                ".o_field_widget[name='current_deliverable_ids'] .o_data_row:contains('Feasibility assessment') td[name='done'] input",
            run: "click",
        },
        {
            content: "Tick off the estimate",
            trigger:
                ".o_field_widget[name='current_deliverable_ids'] .o_data_row:contains('Effort estimate') td[name='done'] input",
            run: "click",
        },
        {
            content: "Finish is enabled as soon as nothing is missing",
            trigger: `${HEADER_ACTION}:enabled:contains('Finish: Technical feasibility')`,
            run: "click",
        },
        {
            content: "The approval is the current step now",
            trigger: ".o_crossdept_current_steps .o_kanban_record:contains('Management approval')",
        },
        {
            content: "Nothing left for the engineer",
            trigger: ".o_form_statusbar:not(:has(button[name='action_next_step']))",
        },
    ],
});

registry.category("web_tour.tours").add("crossdept_approver_approve_tour", {
    url: "/odoo/action-crossdept_ticket.crossdept_ticket_step_action_approval",
    steps: () => [
        {
            content: "My Approvals lists the step waiting for me",
            trigger: `.o_data_row:contains('${TITLE}'):contains('Management approval')`,
        },
        {
            content: "Approve it from the list",
            trigger: `.o_data_row:contains('${TITLE}') button[name='action_approve']`,
            run: "click",
        },
        {
            content: "Nothing left to approve",
            trigger: ".o_view_nocontent:contains('Nothing to approve')",
        },
    ],
});

registry.category("web_tour.tours").add("crossdept_approver_refuse_tour", {
    url: "/odoo/action-crossdept_ticket.crossdept_ticket_step_action_approval",
    steps: () => [
        {
            content: "Refuse it from the list",
            trigger: `.o_data_row:contains('${TITLE}') button[name='action_reject_wizard']`,
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".modal .o_field_widget[name='reason'] textarea",
            run: "edit Too expensive: ask two more suppliers",
        },
        {
            content: "Refuse",
            trigger: ".modal button[name='action_reject']",
            run: "click",
        },
        {
            content: "Nothing left to approve",
            trigger: ".o_view_nocontent:contains('Nothing to approve')",
        },
    ],
});

registry.category("web_tour.tours").add("crossdept_requester_reads_refusal_tour", {
    url: "/odoo/action-crossdept_ticket.crossdept_ticket_action",
    steps: () => [
        {
            content: "List view",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        openTicket(),
        {
            content: "The chatter tells the requester who refused and why",
            trigger:
                ".o-mail-Message:contains('refused step Management approval'):contains('Too expensive: ask two more suppliers')",
        },
        {
            content: "The work went back to the feasibility",
            trigger:
                ".o_crossdept_current_steps .o_kanban_record:contains('Technical feasibility')",
        },
    ],
});
