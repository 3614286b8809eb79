import { localization } from "@web/core/l10n/localization";
import { registry } from "@web/core/registry";
import { session } from "@web/session";

// One tour per person of issue 20 (clerk, step holder, approver, portal customer),
// run by tests/test_person_tours.py in en_US and zh_CN, at 1366x768 and 390x844.
// Selectors name classes, fields and actions, never English labels; the records'
// titles carry the run ("[zh_CN 390]") so that each run finds its own. One label
// per tour is checked in the reader's language.

/** The user's language, that of the page: en_US, zh_CN (a portal page says it in
 * its session's bundle parameters only). */
function lang() {
    return session.bundle_params?.lang || localization.code;
}

/** The title of a record the test made for this run (see the Python test). */
function titled(what) {
    return `${what} [${lang()} ${window.innerWidth}]`;
}

/** A row of a list (desktop) or a card of a kanban (phone) holding ``text``. */
function record(text) {
    return `.o_data_row:contains('${text}'), .o_kanban_record:contains('${text}')`;
}

/** Where to click to open the step of ``text`` in a list row or on a card. */
function stepOf(text) {
    return [
        `.o_data_row:contains('${text}') td[name='ticket_id']`,
        `.o_kanban_record:contains('${text}')`,
    ].join(", ");
}

/** A step checking that ``selector`` shows ``labels[lang]``. */
function translated(content, selector, labels) {
    return {
        content,
        trigger: selector,
        run() {
            const expected = labels[lang()];
            if (!expected || !this.anchor.textContent.includes(expected)) {
                throw new Error(
                    `${selector} shows "${this.anchor.textContent}", not "${expected}"`,
                );
            }
        },
    };
}

/** The element lies wholly inside the window (nothing pushed off-screen). */
function onScreen(content, selector) {
    return {
        content,
        trigger: selector,
        run() {
            const box = this.anchor.getBoundingClientRect();
            if (box.left < 0 || box.right > window.innerWidth || box.width === 0) {
                throw new Error(`${selector} is off-screen: ${box.left}-${box.right}`);
            }
        },
    };
}

const NO_ERROR = "body:not(:has(.o_error_dialog))";
// no dialog open (nor an error): the page under it
const CLOSED = "body:not(:has(.modal)) .o_action_manager";
const HEADER_ACTION = ".o_form_statusbar .o_crossdept_next_action button";

function noErrorDialog() {
    return { content: "No error dialog was shown", trigger: `${NO_ERROR} .o_action_manager` };
}

registry.category("web_tour.tours").add("crossdept_person_clerk_tour", {
    steps: () => {
        let draftNumber = null;
        return [
            {
                content: "A new request: its number is shown, not a field to type in",
                trigger: ".o_form_editable .oe_title .o_field_widget[name='name']:not(:has(input))",
                run() {
                    draftNumber = this.anchor.textContent.trim();
                    if (!draftNumber || draftNumber === "/") {
                        throw new Error(`the draft's number reads "${draftNumber}"`);
                    }
                },
            },
            {
                content: "The requesting department is the clerk's",
                trigger: ".o_field_widget[name='department_id'] input:value('Sales (tour)')",
            },
            {
                content: "Title",
                trigger: ".o_field_widget[name='title'] input",
                run: `edit ${titled("Tour: offer for desks")}`,
            },
            {
                content: "Type",
                trigger: ".o_field_widget[name='type_id'] input",
                run: "edit Offer request (tour)",
            },
            {
                content: "Pick the type (on a phone, in the search dialog)",
                trigger: [
                    ".o-autocomplete--dropdown-item a:contains('Offer request (tour)')",
                    ".modal .o_data_row:contains('Offer request (tour)') td",
                    ".modal .o_kanban_record:contains('Offer request (tour)')",
                ].join(", "),
                run: "click",
            },
            {
                content: "The type is set",
                trigger: ".o_field_widget[name='type_id'] input:value('Offer request (tour)')",
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
                content: "Describe the request",
                trigger: ".o_field_widget[name='description'] .odoo-editor-editable",
                run: "editor 40 height-adjustable desks for the sales floor",
            },
            translated(
                "Submit, in the clerk's language",
                `${HEADER_ACTION}[data-crossdept-action='submit']`,
                { en_US: "Submit", zh_CN: "提交" },
            ),
            {
                content: "One Submit: the flow starts and the clerk's own step is done",
                trigger: `${HEADER_ACTION}[data-crossdept-action='submit']`,
                run: "click",
            },
            {
                content: "The clerk is told who has the request now",
                trigger: ".o_notification:contains('Tour Engineer')",
            },
            {
                content: "Waiting on: the holder's name, not only an avatar's initial",
                trigger: `${NO_ERROR} .o_crossdept_current_steps .o_kanban_record .o_field_widget[name='waiting_on_user_ids'] .o_tag_badge_text:contains('Tour Engineer')`,
            },
            translated(
                "The card's label is in the clerk's language",
                ".o_crossdept_current_steps .o_kanban_record",
                { en_US: "Waiting on", zh_CN: "等待" },
            ),
            {
                content: "The ticket is assigned to the step's holder, read-only",
                trigger:
                    ".o_field_widget[name='user_id'].o_readonly_modifier:contains('Tour Engineer')",
            },
            {
                content: "The ticket has its number now",
                trigger: ".oe_title .o_field_widget[name='name']:not(:has(input))",
                run() {
                    const number = this.anchor.textContent.trim();
                    if (number === draftNumber || number === "/") {
                        throw new Error(`the submitted ticket's number reads "${number}"`);
                    }
                },
            },
            {
                content: "My Requests",
                trigger: ".o_form_saved",
                run: "goToUrl /odoo/action-crossdept_ticket.crossdept_ticket_action_request",
            },
            {
                content: "My Requests lists the new request",
                trigger: record(titled("Tour: offer for desks")),
            },
            {
                content: "And the refused one",
                trigger: record(titled("Tour: refused chairs")),
            },
            noErrorDialog(),
        ];
    },
});

// the card's returned note (a kanban card's fields are bare text)
const RETURNED = ".o_crossdept_current_steps .o_kanban_record .text-warning-emphasis";

registry.category("web_tour.tours").add("crossdept_person_holder_tour", {
    steps: () => [
        // the to-do is due at the step's deadline: today or a later day, as the
        // time of day has it, so it is looked for in the menu, not in the counter
        {
            content: "Open the holder's activities",
            trigger: ".o_menu_systray button:has(.fa-clock-o)",
            run: "click",
        },
        {
            content: "The queued step is among the holder's to-dos",
            trigger:
                ".o-mail-ActivityMenu .o-mail-ActivityGroup[data-model_name='crossdept.ticket']",
        },
        {
            content: "Close the activities",
            trigger: ".o_menu_systray button:has(.fa-clock-o)",
            run: "click",
        },
        translated(
            "The department queue offers to take the step, in the holder's language",
            `.o_data_row:contains('${titled("Tour: repair the press")}') button[name='action_take']`,
            { en_US: "Take", zh_CN: "领取" },
        ),
        {
            content: "Take it",
            trigger: `.o_data_row:contains('${titled("Tour: repair the press")}') button[name='action_take']`,
            run: "click",
        },
        {
            content: "It leaves the queue",
            trigger: `.o_list_renderer:not(:has(.o_data_row:contains('${titled("Tour: repair the press")}')))`,
        },
        {
            content: "Tickets",
            trigger: NO_ERROR,
            run: "goToUrl /odoo/action-crossdept_ticket.crossdept_ticket_action",
        },
        {
            content: "Open the ticket whose step was returned",
            trigger: record(titled("Tour: returned press")),
            run: "click",
        },
        translated(
            "The step's card says it was returned: by whom, from which step and why",
            `${RETURNED}:contains('Tour Approver'):contains('Management approval'):contains('Quote the spare parts too')`,
            { en_US: "Returned by", zh_CN: "退回人" },
        ),
        {
            content: "Back to the tickets",
            trigger: ".o_back_button",
            run: "click",
        },
        {
            content: "Open the ticket just taken",
            trigger: record(titled("Tour: repair the press")),
            run: "click",
        },
        {
            content: "Start the step",
            trigger: `${HEADER_ACTION}[data-crossdept-action='start']`,
            run: "click",
        },
        {
            content: "Finish waits for the outputs",
            trigger: `${HEADER_ACTION}[data-crossdept-action='finish']:disabled`,
        },
        {
            content: "It names the amount still to give",
            trigger: ".o_crossdept_next_action_blocked:contains('Estimated cost')",
        },
        {
            content: "Give the amount",
            trigger:
                ".o_field_widget[name='current_deliverable_ids'] .o_data_row:contains('Estimated cost') td[name='value_amount']",
            run: "click",
        },
        {
            content: "Type it",
            trigger:
                ".o_field_widget[name='current_deliverable_ids'] .o_data_row:contains('Estimated cost') td[name='value_amount'] input",
            run: "edit 1250",
        },
        {
            content: "Tick off the last deliverable",
            trigger:
                ".o_field_widget[name='current_deliverable_ids'] .o_data_row:contains('Feasibility assessment') td[name='done'] input",
            run: "click",
        },
        {
            content: "Saved without the save icon, Finish is offered",
            trigger: `.o_form_view:has(.o_form_status_indicator_buttons.invisible) ${HEADER_ACTION}[data-crossdept-action='finish']:enabled`,
            run: "click",
        },
        {
            content: "No access error; the form says who holds the ticket now",
            trigger: `${NO_ERROR} .o_field_widget[name='user_id']:contains('Tour Approver')`,
        },
        {
            content: "The approval is the current step",
            trigger: ".o_crossdept_current_steps .o_kanban_record:contains('Management approval')",
        },
        noErrorDialog(),
    ],
});

const APPROVE = "button[name='action_approve_wizard']";
const REFUSE = "button[name='action_reject_wizard']";
// the header's buttons on a desktop; on a phone, where Odoo folds the header into
// the gear menu, the page's own
const DECIDE = (button) => `.o_form_statusbar ${button}, .o_crossdept_decide ${button}`;

registry.category("web_tour.tours").add("crossdept_person_approver_tour", {
    steps: () => [
        {
            content: "My Approvals: open the desks' approval",
            trigger: stepOf(titled("Tour: approve the desks")),
            run: "click",
        },
        {
            content: "One page: the request",
            trigger:
                "[name='approval_review'] .o_field_widget[name='ticket_description']:contains('40 height-adjustable desks')",
        },
        {
            content: "Its files",
            trigger:
                "[name='approval_review'] .o_field_widget[name='ticket_attachment_ids']:contains('offer.pdf')",
        },
        {
            content: "The earlier steps' outputs",
            trigger:
                "[name='approval_review'] .o_field_widget[name='ticket_result_ids'] .o_data_row:contains('Estimated cost'):contains('Tour Engineer')",
        },
        {
            content: "The earlier decisions, with their comments",
            trigger:
                "[name='approval_review'] .o_field_widget[name='earlier_decision_ids'] .o_data_row:contains('Within the yearly budget')",
        },
        translated(
            "The page's headings are in the approver's language",
            "[name='approval_review']",
            {
                en_US: "Earlier Decisions",
                zh_CN: "之前的审批决定",
            },
        ),
        onScreen("Approve is on the screen", DECIDE(APPROVE)),
        onScreen("Refuse is on the screen", DECIDE(REFUSE)),
        {
            content: "Approve with a comment",
            trigger: DECIDE(APPROVE),
            run: "click",
        },
        {
            content: "The comment",
            trigger: ".modal .o_field_widget[name='comment'] textarea",
            run: "edit Go ahead with the cheaper model",
        },
        {
            content: "Approve",
            trigger: ".modal footer button[name='action_approve']",
            run: "click",
        },
        {
            content: "Decided: nothing left to decide on this page",
            trigger: `${CLOSED} .o_form_view:not(:has(${APPROVE}))`,
        },
        {
            content: "Back to My Approvals",
            trigger: ".o_back_button",
            run: "click",
        },
        {
            content: "Open the chairs' approval",
            trigger: stepOf(titled("Tour: refuse the chairs")),
            run: "click",
        },
        onScreen("Refuse is on the screen", DECIDE(REFUSE)),
        {
            content: "Refuse",
            trigger: DECIDE(REFUSE),
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".modal .o_field_widget[name='reason'] textarea",
            run: "edit Ask two more suppliers",
        },
        {
            content: "Refuse",
            trigger: ".modal footer button[name='action_reject']",
            run: "click",
        },
        {
            content: "Refused: nothing left to decide on this page",
            trigger: `${CLOSED} .o_form_view:not(:has(${REFUSE}))`,
        },
        noErrorDialog(),
    ],
});

/** The dates of the page's ``selector`` elements share one format (their numbers
 * and the half of the day aside). */
function oneDateFormat(content, selector) {
    return {
        content,
        trigger: selector,
        run() {
            const shapes = new Set(
                [...document.querySelectorAll(selector)]
                    .map((element) => element.textContent.trim())
                    .filter(Boolean)
                    .map((text) => text.replace(/\d+/g, "9").replace(/\b[AP]M\b/, "AM")),
            );
            if (shapes.size !== 1) {
                throw new Error(`dates in ${shapes.size} formats: ${[...shapes].join(", ")}`);
            }
        },
    };
}

registry.category("web_tour.tours").add("crossdept_person_portal_tour", {
    steps: () => [
        {
            content: "A new ticket",
            trigger: "a[href='/my/tickets/new']",
            run: "click",
        },
        {
            content: "Title",
            trigger: ".o_crossdept_portal_new_ticket input[name='title']",
            run: "fill The printer smudges every page",
        },
        {
            content: "Choose the type (the first offered after 'Not sure')",
            trigger: ".o_crossdept_portal_new_ticket select[name='type_id']",
            run: "selectByIndex 1",
        },
        {
            content: "Describe it",
            trigger: ".o_crossdept_portal_new_ticket textarea[name='description']",
            run: "fill Grey stripes down the left side.",
        },
        {
            content: "Submit",
            trigger: ".o_crossdept_portal_new_ticket button[type='submit']",
            run: "click",
        },
        {
            content: "The confirmation shows the type",
            trigger: ".o_crossdept_portal_created:contains('Printer repair (tour)')",
        },
        {
            content: "And when to expect a reply",
            trigger: ".o_crossdept_portal_created p:has(strong) > span:not(:empty)",
        },
        translated(
            "The confirmation is in the customer's language",
            ".o_crossdept_portal_created",
            {
                en_US: "Request received",
                zh_CN: "已收到您的请求",
            },
        ),
        {
            content: "The progress, with the step the customer may see",
            trigger:
                "#crossdept_ticket_steps .o_crossdept_portal_step:contains('Diagnose the printer')",
        },
        oneDateFormat(
            "The dates of the page share one format",
            ".o_crossdept_portal_created p > span, .card-body .row span, #crossdept_ticket_steps td:nth-child(2) span",
        ),
        {
            content: "No error on the page",
            trigger:
                "body:not(:has(.o_error_dialog)):not(:has(.alert-danger)) .o_crossdept_portal_created",
        },
    ],
});
