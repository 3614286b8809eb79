import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

const FILE_NAME = "camunda_change.bpmn";
const CANVAS = ".o_crossdept_designer_canvas";

/**
 * A flow administrator imports a BPMN file drawn in Camunda Modeler through the
 * import wizard (the test hands the fixture over as one of the administrator's
 * attachments, which the tour drops into the wizard's file input as a user's file
 * choice would), reads the report and finds the new draft flow on the canvas.
 */
registry.category("web_tour.tours").add("crossdept_flow_import_tour", {
    steps: () => [
        {
            content: "Open Configuration",
            trigger: ".o_main_navbar .dropdown-toggle:contains('Configuration')",
            run: "click",
        },
        {
            content: "Import a Flow from BPMN",
            trigger: ".dropdown-item:contains('Import a Flow from BPMN')",
            run: "click",
        },
        {
            content: "Choose the file drawn in Camunda Modeler",
            trigger: ".modal .o_field_widget[name='bpmn_file']",
            async run() {
                const [attachment] = await rpc("/web/dataset/call_kw/ir.attachment/search_read", {
                    model: "ir.attachment",
                    method: "search_read",
                    args: [[["name", "=", FILE_NAME]], ["datas", "mimetype"]],
                    kwargs: {},
                });
                const bytes = Uint8Array.from(atob(attachment.datas), (c) => c.charCodeAt(0));
                const transfer = new DataTransfer();
                transfer.items.add(new File([bytes], FILE_NAME, { type: "application/xml" }));
                const input = document.querySelector(
                    ".modal .o_field_widget[name='bpmn_file'] input[type='file']",
                );
                input.files = transfer.files;
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "The file is chosen",
            trigger: ".modal .o_field_widget[name='bpmn_file'] .o_clear_file_button",
            run() {
                const shown = document.querySelector(
                    ".modal .o_field_widget[name='bpmn_file'] input.o_input",
                ).value;
                if (shown !== FILE_NAME) {
                    throw new Error(`${FILE_NAME} expected in the file field, not ${shown}`);
                }
            },
        },
        {
            content: "Import it",
            trigger: ".modal footer button[name='action_import']",
            run: "click",
        },
        {
            content: "The report counts the steps",
            trigger: `.modal .o_field_widget[name='report']:contains('5 steps imported from ${FILE_NAME}')`,
        },
        {
            content: "and names what could not be mapped: the unknown lane, the timer",
            trigger:
                ".modal .o_field_widget[name='report']:contains('Security Office'):contains('Event_Timer')",
        },
        {
            content: "Open the new flow",
            trigger: ".modal footer button[name='action_open_flow']",
            run: "click",
        },
        {
            content: "A draft",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Draft')",
        },
        {
            content: "Open its Designer tab",
            trigger: ".o_notebook .nav-link:contains('Designer')",
            run: "click",
        },
        {
            content: "The imported steps are drawn",
            trigger: `${CANVAS} .djs-shape[data-element-id^='Step_'] text:contains('Describe the change')`,
        },
        {
            content: "in their lanes, the known departments matched",
            trigger: `${CANVAS} .djs-element[data-element-id^='Lane'] text:contains('Finance (test)')`,
        },
        {
            content: "all five",
            trigger: `${CANVAS} .djs-shape[data-element-id^='Step_'] text:contains('Deploy')`,
            run() {
                const steps = document.querySelectorAll(
                    `${CANVAS} .djs-shape[data-element-id^='Step_']`,
                );
                if (steps.length !== 5) {
                    throw new Error(`5 steps expected on the canvas, ${steps.length} drawn`);
                }
            },
        },
    ],
});
