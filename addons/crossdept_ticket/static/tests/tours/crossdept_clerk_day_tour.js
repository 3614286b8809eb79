import { registry } from "@web/core/registry";

// A clerk's day, one tour per person (see tests/test_clerk_day_tour.py for the
// flow they run on: "Submit offer request", the clerk's own part that Submit does,
// then "Technical feasibility" by the engineer, then "Management approval" by the
// approver, a refusal returning to the feasibility).

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
            content: "A new ticket has no number yet: it says New",
            trigger: ".o_form_editable .oe_title .o_field_widget[name='name']:contains('New')",
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
                ".o_crossdept_flow_preview:contains('Offer flow (tour)') .o_data_row:contains('Submit offer request')",
        },
        {
            content: "The engineer's step is there too",
            trigger: ".o_crossdept_flow_preview .o_data_row:contains('Technical feasibility')",
        },
        // an empty read-only field has no size: the tour looks for it in its group
        {
            content: "The flow fills the assignee: not for the clerk to type",
            trigger: ".o_inner_group:has(.o_field_widget[name='user_id'].o_readonly_modifier)",
        },
        {
            content: "Nor the handling department",
            trigger:
                ".o_inner_group:has(.o_field_widget[name='assigned_department_id'].o_readonly_modifier)",
        },
        {
            content: "Nor the deadline",
            trigger:
                ".o_inner_group:has(.o_field_widget[name='date_deadline'].o_readonly_modifier)",
        },
        {
            content: "The header action explains itself in a sentence for the user",
            trigger:
                ".o_crossdept_header_action[data-tooltip-info*='What you can do on this ticket now']",
        },
        {
            content: "Submit without saying what is needed",
            trigger: `${HEADER_ACTION}[data-crossdept-action='submit']`,
            run: "click",
        },
        {
            content: "Submit names what the clerk's own step still needs",
            trigger: ".modal:contains('Submit offer request'):contains('Offer details')",
        },
        {
            content: "Close the message",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Describe the request",
            trigger: ".o_field_widget[name='description'] .odoo-editor-editable",
            run: "editor 40 height-adjustable desks for the sales floor, delivered by March",
        },
        {
            content: "One Submit: it opens the ticket, starts its flow and does the clerk's part",
            trigger: `${HEADER_ACTION}[data-crossdept-action='submit']`,
            run: "click",
        },
        {
            content: "The clerk is told who has the request now",
            trigger: ".o_notification:contains('now waits on Tour Engineer')",
        },
        {
            content: "The current step is shown at the top, with the name of whom it waits on",
            trigger:
                ".o_crossdept_current_steps .o_kanban_record:contains('Technical feasibility') .o_field_widget[name='waiting_on_user_ids'] .o_tag:has(img) .o_tag_badge_text:contains('Tour Engineer')",
        },
        {
            content: "The ticket is assigned to the step's holder",
            trigger: ".o_field_widget[name='user_id']:contains('Tour Engineer')",
        },
        {
            content: "The ticket has its number",
            trigger: ".oe_title .o_field_widget[name='name']:not(:contains('New'))",
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

registry.category("web_tour.tours").add("crossdept_clerk_requests_tour", {
    url: "/odoo/action-crossdept_ticket.crossdept_ticket_action_my",
    steps: () => [
        {
            content: "My Tickets: what is assigned to the clerk; IT holds the request",
            trigger: `.o_action_manager:not(:has(.o_data_row:contains('${TITLE}')))`,
        },
        {
            content: "Open the Tickets menu",
            trigger: ".o_main_navbar .dropdown-toggle:contains('Tickets')",
            run: "click",
        },
        {
            content: "My Requests",
            trigger: ".dropdown-menu .dropdown-item:contains('My Requests')",
            run: "click",
        },
        {
            content: "The request IT holds is there, the newest first",
            trigger: `.o_list_renderer .o_data_row:first-child:contains('${TITLE}'):contains('Tour Engineer')`,
        },
        {
            content: "The dropped request too",
            trigger:
                ".o_list_renderer .o_data_row:nth-child(2):contains('Tour: a request dropped'):contains('Cancelled')",
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
            content: "The ticket says who holds it now",
            trigger: ".o_field_widget[name='user_id']:contains('Tour Approver')",
        },
        {
            content: "The engineer's step is done, in the flow",
            trigger:
                ".o_notebook .o_field_widget[name='step_ids'] .o_data_row:contains('Technical feasibility'):contains('Done')",
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

registry.category("web_tour.tours").add("crossdept_holder_tick_saves_tour", {
    url: "/odoo/action-crossdept_ticket.crossdept_ticket_action",
    steps: () => [
        {
            content: "List view",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        openTicket(),
        {
            content: "Finish waits for the deliverables",
            trigger: `${HEADER_ACTION}:disabled:contains('Finish: Technical feasibility')`,
        },
        {
            content: "Tick off the assessment",
            trigger:
                ".o_field_widget[name='current_deliverable_ids'] .o_data_row:contains('Feasibility assessment') td[name='done'] input",
            run: "click",
        },
        {
            content: "Ticked and saved: nothing waits for the save icon",
            trigger:
                ".o_form_view:has(.o_form_status_indicator_buttons.invisible) .o_data_row:contains('Feasibility assessment') td[name='done'] input:checked",
        },
        {
            content: "Finish still names the estimate",
            trigger: ".o_crossdept_next_action_blocked:contains('Effort estimate')",
        },
        {
            content: "Tick off the last deliverable",
            trigger:
                ".o_field_widget[name='current_deliverable_ids'] .o_data_row:contains('Effort estimate') td[name='done'] input",
            run: "click",
        },
        {
            content: "The ticket is saved and Finish is offered at once",
            trigger: `.o_form_view:has(.o_form_status_indicator_buttons.invisible) ${HEADER_ACTION}:enabled:contains('Finish: Technical feasibility')`,
        },
        {
            content: "Nothing is missing any more",
            trigger: ".o_form_view:not(:has(.o_crossdept_next_action_blocked))",
        },
    ],
});
