import { registry } from "@web/core/registry";

// The OA approval verbs in the browser, at 1366x768: an approver adds an approver
// after them (加签) and hands an approval over (转交); the requester urges the
// approvers (催办) and withdraws a request (撤回). The Python test checks the records.

const NO_DIALOG = "body:not(:has(.modal)):not(:has(.o_error_dialog))";

/** Pick a user in a many2one / many2many field of the open dialog. */
function pickUser(field, name) {
    return [
        {
            content: `Type ${name}`,
            trigger: `.modal .o_field_widget[name='${field}'] input`,
            run: `edit ${name}`,
        },
        {
            content: `Pick ${name}`,
            trigger: `.o-autocomplete--dropdown-item a:contains('${name}')`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("crossdept_oa_approver_tour", {
    steps: () => [
        {
            content: "My Approvals lists both approvals waiting for me",
            trigger: ".o_list_view .o_data_row:contains('OA tour: hand over the chairs')",
        },
        {
            content: "Open the laptop approval",
            trigger: ".o_data_row:contains('OA tour: sign the laptop') td.o_data_cell[name='name']",
            run: "click",
        },
        {
            content: "Add Approvers (加签) from the step's header",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_add_approvers_wizard']",
            run: "click",
        },
        {
            content: "After me",
            trigger: ".modal .o_field_widget[name='position'] input[data-value='after']",
            run: "click",
        },
        ...pickUser("user_ids", "Approver 3"),
        {
            content: "The chosen approver is a tag",
            trigger: ".modal .o_field_widget[name='user_ids'] .o_tag:contains('Approver 3')",
        },
        {
            content: "Why",
            trigger: ".modal .o_field_widget[name='reason'] textarea",
            run: "edit Legal checks the licence",
        },
        {
            content: "Add",
            trigger: ".modal footer button[name='action_add']",
            run: "click",
        },
        {
            content: "The dialog closes without an error; the step still waits for me",
            trigger: `${NO_DIALOG} .o_form_view .o_statusbar_buttons button[name='action_hand_over_wizard']`,
        },
        {
            content: "Back to My Approvals",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('My Approvals')",
            run: "click",
        },
        {
            content: "Hand Over (转交) the chairs' approval from the list",
            trigger:
                ".o_data_row:contains('OA tour: hand over the chairs') button[name='action_hand_over_wizard']",
            run: "click",
        },
        ...pickUser("user_id", "Approver 3"),
        {
            content: "Why",
            trigger: ".modal .o_field_widget[name='reason'] textarea",
            run: "edit On leave next week",
        },
        {
            content: "Hand over",
            trigger: ".modal footer button[name='action_hand_over']",
            run: "click",
        },
        {
            content: "The handed-over approval leaves My Approvals; the laptop's stays",
            trigger: `${NO_DIALOG} .o_list_view:not(:has(.o_data_row:contains('OA tour: hand over the chairs'))) .o_data_row:contains('OA tour: sign the laptop')`,
        },
    ],
});

registry.category("web_tour.tours").add("crossdept_oa_requester_tour", {
    steps: () => [
        {
            content: "My Requests: open the projector request",
            trigger:
                ".o_list_view .o_data_row:contains('OA tour: urge the projector') td.o_data_cell",
            run: "click",
        },
        {
            content: "Urge (催办) the approvers",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_urge']:enabled",
            run: "click",
        },
        {
            content: "The chatter shows the reminder",
            trigger: ".o-mail-Message:contains('urges you to decide on step Approve')",
        },
        {
            content: "Urge again at once",
            trigger: `${NO_DIALOG} .o_form_view .o_statusbar_buttons button[name='action_urge']:enabled`,
            run: "click",
        },
        {
            content: "Refused, with when urging is possible again",
            trigger: ".modal .o_error_dialog:contains('you can urge them again from')",
        },
        {
            content: "Close the refusal",
            trigger: ".modal .o_error_dialog .modal-footer button:contains('Close')",
            run: "click",
        },
        {
            content: "Back to My Requests",
            trigger: `${NO_DIALOG} .o_breadcrumb .breadcrumb-item a:contains('My Requests')`,
            run: "click",
        },
        {
            content: "Open the trip request",
            trigger:
                ".o_list_view .o_data_row:contains('OA tour: withdraw the trip') td.o_data_cell",
            run: "click",
        },
        {
            content: "Withdraw (撤回)",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_withdraw_wizard']",
            run: "click",
        },
        {
            content: "Why",
            trigger: ".modal .o_field_widget[name='reason'] textarea",
            run: "edit The conference was cancelled",
        },
        {
            content: "Withdraw",
            trigger: ".modal footer button[name='action_withdraw']",
            run: "click",
        },
        {
            content: "No error; the withdrawn request offers neither Withdraw nor Urge",
            trigger: `${NO_DIALOG} .o_form_view .o_form_statusbar:not(:has(button[name='action_withdraw_wizard'])):not(:has(button[name='action_urge']))`,
        },
    ],
});
