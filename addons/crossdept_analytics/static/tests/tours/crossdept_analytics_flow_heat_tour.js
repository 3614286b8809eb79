import { registry } from "@web/core/registry";

const FLOW_ROW = ".o_data_row:contains('Heat flow'):has(td[name='version']:contains('1'))";

function assert(condition, message) {
    if (!condition) {
        throw new Error(message);
    }
}

registry.category("web_tour.tours").add("crossdept_flow_heat_tour", {
    steps: () => [
        {
            content: "Open the diagram of the flow version",
            trigger: `${FLOW_ROW} button[name='action_view_step_heat']`,
            run: "click",
        },
        {
            content: "Prepare is coloured by its median waiting time (1, 0.5, 2 and 3 h)",
            trigger:
                ".o_crossdept_flow_heat .djs-overlay .o_crossdept_heat_figures[data-step='Prepare'][data-value='1.5']",
        },
        {
            content: "The legend reads from nothing to the longest median wait",
            trigger:
                ".o_crossdept_heat_legend:contains('Waiting, median') .o_crossdept_heat_max:contains('1.5')",
        },
        {
            content: "The diagram is bpmn-js's, read only: no palette",
            trigger: ".o_crossdept_heat_canvas .djs-container:not(:has(.djs-palette))",
        },
        {
            content: "Colour by rework instead",
            trigger: "select.o_crossdept_heat_measure",
            run: "select rework_count",
        },
        {
            content: "Review sent one ticket back",
            trigger: ".o_crossdept_heat_figures[data-step='Review'][data-value='1']",
        },
        {
            content: "The table gives every figure: one Prepare of four was transferred",
            trigger:
                ".o_crossdept_heat_table tr[data-step='Prepare'] td[data-measure='transfer_rate']:contains('25')",
        },
    ],
});

registry.category("web_tour.tours").add("crossdept_pilot_heat_tour", {
    steps: () => [
        {
            content: "Open the pilot's diagrams",
            trigger: ".o_form_view button[name='action_view_arm_diagrams']",
            run: "click",
        },
        {
            content: "The control arm waits 3 h in Prepare",
            trigger:
                ".o_crossdept_heat_panel[data-arm='control'] .o_crossdept_heat_figures[data-step='Prepare'][data-value='3']",
        },
        {
            content: "The variant arm half an hour, beside it",
            trigger:
                ".o_crossdept_heat_panel[data-arm='variant'] .o_crossdept_heat_figures[data-step='Prepare'][data-value='0.5']",
            run() {
                const [control, variant] = document.querySelectorAll(".o_crossdept_heat_panel");
                const left = control.getBoundingClientRect();
                const right = variant.getBoundingClientRect();
                assert(left.top === right.top, "the two arms are side by side");
                assert(left.right <= right.left + 1, "the control arm is on the left");
            },
        },
    ],
});

registry.category("web_tour.tours").add("crossdept_flow_heat_phone_tour", {
    steps: () => [
        {
            content: "Open the diagram of the flow version",
            trigger: `${FLOW_ROW} button[name='action_view_step_heat']`,
            run: "click",
        },
        {
            content: "The steps keep a readable size; their frame scrolls",
            trigger:
                ".o_crossdept_heat_scroll .o_crossdept_heat_figures[data-step='Prepare'][data-value='1']",
            run() {
                const frame = document.querySelector(".o_crossdept_heat_scroll");
                assert(frame.scrollWidth > frame.clientWidth, "the diagram scrolls sideways");
                assert(frame.clientWidth <= window.innerWidth, "the frame fits the screen");
                const figures = document.querySelector(".o_crossdept_heat_figures");
                const size = parseFloat(getComputedStyle(figures).fontSize);
                assert(size >= 11, `figures are written at ${size}px`);
                const step = document.querySelector(
                    ".djs-element:is(.o_crossdept_heat, .o_crossdept_heat_dark) rect",
                );
                assert(step.getBoundingClientRect().width >= 90, "a step is drawn full size");
                frame.scrollLeft = frame.scrollWidth;
                assert(frame.scrollLeft > 0, "the frame scrolled");
            },
        },
        {
            content: "Read only: no palette, no context pad",
            trigger: ".o_crossdept_heat_canvas .djs-container:not(:has(.djs-palette))",
            run() {
                assert(!document.querySelector(".djs-context-pad"), "no context pad");
            },
        },
    ],
});
