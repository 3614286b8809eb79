import { registry } from "@web/core/registry";

/**
 * The designer's acceptance (issue 21). A flow administrator builds a two-branch
 * flow with one approval on the canvas (palette, connect, side panel), sees the
 * approval marked as a problem, fixes it and activates the flow. Then a user runs
 * a ticket through it while its diagram shows the progress live.
 */

const CANVAS = ".o_crossdept_designer_canvas";
const DIAGRAM = ".o_crossdept_flow_diagram_view";
const DESK = "Acceptance Desk";

function modeler() {
    return document.querySelector(CANVAS).crossdeptDesigner.modeler;
}

function element(predicate) {
    return modeler().get("elementRegistry").filter(predicate)[0];
}

function stepNamed(name) {
    return element((el) => el.id.startsWith("Step_") && el.businessObject.name === name);
}

/** A palette entry's shape dropped at (x, y), as its create tool drops it. */
function dropStep(name, kind, x, y) {
    const shape = modeler().get("elementFactory").createShape({ type: "bpmn:UserTask" });
    shape.businessObject.name = name;
    shape.crossdeptKind = kind;
    const parent =
        element((el) => el.type === "bpmn:Participant") || modeler().get("canvas").getRootElement();
    modeler().get("modeling").createShape(shape, { x, y }, parent);
}

/** The first truthy value of ``read()``, tried for up to 5 seconds. */
async function eventually(read) {
    for (let tries = 0; tries < 50; tries++) {
        const value = read();
        if (value) {
            return value;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("nothing came within 5 seconds");
}

/** y of the middle of the lane of a department */
function laneMiddle(name) {
    const lane = element((el) => el.type === "bpmn:Lane" && el.businessObject.name === name);
    return lane.y + lane.height / 2;
}

function saved(name) {
    return `${CANVAS} .djs-shape[data-element-id^='Step_'] text:contains('${name}')`;
}

function dropInDesk(name, kind, x) {
    return [
        {
            content: `Drop ${name} from the palette into the ${DESK} lane`,
            trigger: `${CANVAS} .djs-palette .o_crossdept_palette_${kind}`,
            run: () => dropStep(name, kind, x, laneMiddle(DESK)),
        },
        {
            content: `${name} is saved, in ${DESK}`,
            trigger: saved(name),
            async run() {
                // the shapes are drawn a moment before their facts are laid over them
                const facts = await eventually(() => {
                    const id = stepNamed(name).id;
                    return document.querySelector(
                        `${CANVAS} .djs-overlays[data-container-id='${id}'] .o_crossdept_step_facts`,
                    )?.textContent;
                });
                if (!facts.includes(DESK)) {
                    throw new Error(`${name} should be in ${DESK}: ${facts}`);
                }
            },
        },
    ];
}

function selectStep(name, panelField) {
    return [
        {
            content: `Select ${name}: its form opens beside the canvas`,
            trigger: saved(name),
            run: () => modeler().get("selection").select(stepNamed(name)),
        },
        {
            content: `${name}'s form`,
            trigger: `.o_crossdept_designer_panel .o_field_widget[name='${panelField}']`,
            run() {
                const shown = document.querySelector(
                    ".o_crossdept_designer_panel .o_field_widget[name='name'] input",
                ).value;
                if (shown !== name) {
                    throw new Error(`the panel shows ${shown}, not ${name}`);
                }
            },
        },
    ];
}

registry.category("web_tour.tours").add("crossdept_flow_acceptance_tour", {
    steps: () => [
        {
            content: "Open the Designer tab of the new, empty flow",
            trigger: ".o_notebook .nav-link:contains('Designer')",
            run: "click",
        },
        {
            content: "An empty flow: it has no step",
            trigger: ".o_crossdept_designer_error:contains('has no step')",
        },
        {
            content: "Drop a task from the palette",
            trigger: `${CANVAS} .djs-palette .o_crossdept_palette_task`,
            run: () => dropStep("Receive", "task", 200, 200),
        },
        ...selectStep("Receive", "department_id"),
        {
            content: `Give it the ${DESK} department in the side panel`,
            trigger: ".o_crossdept_designer_panel .o_field_widget[name='department_id'] input",
            run: `edit ${DESK}`,
        },
        {
            content: "Pick it",
            trigger: `.o_crossdept_designer_panel .o-autocomplete--dropdown-item a:contains('${DESK}')`,
            run: "click",
        },
        {
            content: "Save the step",
            trigger: ".o_crossdept_designer_panel .o_form_button_save",
            run: "click",
        },
        {
            content: `A lane for ${DESK} is drawn`,
            trigger: `${CANVAS} .djs-element[data-element-id^='Lane'] text:contains('${DESK}')`,
        },
        ...dropInDesk("Hardware", "task", 420),
        ...dropInDesk("Software", "task", 580),
        ...dropInDesk("Sign-off", "approval", 760),
        {
            content: "Connect the branches: Receive to both checks, both checks to Sign-off",
            trigger: `${CANVAS} .djs-element.o_crossdept_approval`,
            run() {
                const modeling = modeler().get("modeling");
                const [receive, hardware, software, signOff] = [
                    "Receive",
                    "Hardware",
                    "Software",
                    "Sign-off",
                ].map(stepNamed);
                modeling.connect(receive, hardware);
                modeling.connect(receive, software);
                modeling.connect(hardware, signOff);
                modeling.connect(software, signOff);
            },
        },
        {
            content: "Two branches: a split after Receive, a join before Sign-off, one start",
            trigger: `${CANVAS}:not(:has([data-element-id='Gateway_Start'])):has([data-element-id^='Gateway_Split_']) [data-element-id^='Gateway_Join_']`,
        },
        {
            content: "Check the flow",
            trigger: ".o_crossdept_designer_check",
            run: "click",
        },
        {
            content: "The approval is marked: it has no approvers",
            trigger: `${CANVAS} .djs-element.o_crossdept_approval.o_crossdept_error`,
        },
        {
            content: "The problem is named; it is the only one",
            trigger:
                ".o_crossdept_designer_errors:not(:has(.o_crossdept_designer_error:not(:contains('Sign-off')))) .o_crossdept_designer_error:contains('Sign-off: an approval step needs approvers')",
        },
        {
            content: "Click the problem: the approval is selected, its form opens",
            trigger: ".o_crossdept_designer_error:contains('Sign-off')",
            run: "click",
        },
        {
            content: "The side panel now holds the approval",
            trigger: ".o_crossdept_designer_panel .o_field_widget[name='raci_ids']",
            run: () =>
                eventually(
                    () =>
                        document.querySelector(
                            ".o_crossdept_designer_panel .o_field_widget[name='name'] input",
                        )?.value === "Sign-off",
                ),
        },
        {
            content: "Add an approver (a Responsible RACI line)",
            trigger:
                ".o_crossdept_designer_panel .o_field_widget[name='raci_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "The approver",
            trigger:
                ".o_crossdept_designer_panel .o_field_widget[name='raci_ids'] .o_data_row .o_field_widget[name='user_id'] input",
            run: "edit Acceptance Approver",
        },
        {
            content: "Pick them",
            trigger:
                ".o_crossdept_designer_panel .o-autocomplete--dropdown-item a:contains('Acceptance Approver')",
            run: "click",
        },
        {
            content: "Save the approval",
            trigger: ".o_crossdept_designer_panel .o_form_button_save",
            run: "click",
        },
        {
            content: "Fixed: nothing stops the activation",
            trigger: `${CANVAS}:not(:has(.o_crossdept_error)) ~ .o_crossdept_designer_errors .text-success`,
        },
        {
            content: "Activate the flow",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_activate']",
            run: "click",
        },
        {
            content: "The flow is active",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Active')",
        },
    ],
});

function diagramState(name, state) {
    return `${DIAGRAM} .djs-element.o_crossdept_state_${state} text:contains('${name}')`;
}

const BOTH_DONE = `${DIAGRAM}:has(.o_crossdept_state_done text:contains('Hardware')) .o_crossdept_state_done text:contains('Software')`;

/** The user takes the step from the department queue (or finds it theirs), starts
 * and finishes it, with the form's next-action buttons, above the diagram. */
function runStep(name) {
    // the step waits in its department's queue (Take) or was given to the runner at
    // once (Start), as the holders' calendars have them at work or not; a clicked
    // button is marked, so that each step waits for the form to offer the next action
    const offered = (verb) =>
        `.o_crossdept_next_action button:not([data-tour-clicked]):contains('${verb}: ${name}')`;
    const click = async (helpers) => {
        helpers.anchor.dataset.tourClicked = "1";
        await helpers.click();
    };
    return [
        {
            content: `Take ${name}, or start it when it is already the runner's`,
            trigger: `${offered("Take")}, ${offered("Start")}`,
            run: click,
        },
        {
            content: `Start ${name} (once taken)`,
            trigger: `${offered("Start")}, ${offered("Finish")}`,
            async run(helpers) {
                if (helpers.anchor.textContent.includes(`Start: ${name}`)) {
                    await click(helpers);
                }
            },
        },
        {
            content: `Finish ${name}`,
            trigger: offered("Finish"),
            run: click,
        },
        {
            content: `The diagram draws ${name} done`,
            trigger: diagramState(name, "done"),
        },
    ];
}

registry.category("web_tour.tours").add("crossdept_flow_acceptance_ticket_tour", {
    steps: () => [
        {
            content: "Open the ticket's Flow tab",
            trigger: ".o_notebook .nav-link:contains('Flow')",
            run: "click",
        },
        {
            content: "Receive is ready, the rest waits",
            trigger: `${diagramState("Receive", "ready")}, ${diagramState("Receive", "in_progress")}`,
        },
        {
            content: "Sign-off is pending",
            trigger: diagramState("Sign-off", "pending"),
        },
        ...runStep("Receive"),
        {
            content: "Both branches are ready at once",
            trigger: `${DIAGRAM}:has(.o_crossdept_state_ready text:contains('Hardware')) .o_crossdept_state_ready text:contains('Software')`,
        },
        // take (when queued), start and finish each branch through the header's next
        // action, in the order the form offers them (the branch due first first:
        // their deadlines follow their holders' calendars, which also decide whether
        // a branch waits in the queue or is given at once: 4 to 6 clicks); a clicked
        // button is marked, so that each step waits for the form to offer the next
        ...[1, 2, 3, 4, 5, 6].map((count) => ({
            content: `The branches from the header's action (${count} of at most 6)`,
            trigger: ["Hardware", "Software"]
                .map(
                    (branch) =>
                        `.o_crossdept_next_action button.btn-primary:not([data-tour-clicked]):contains(': ${branch}')`,
                )
                .concat(BOTH_DONE)
                .join(", "),
            async run(helpers) {
                if (helpers.anchor.matches("button")) {
                    helpers.anchor.dataset.tourClicked = "1";
                    await helpers.click();
                }
            },
        })),
        {
            content: "The diagram draws both branches done",
            trigger: BOTH_DONE,
        },
        {
            content: "Sign-off is ready: the approver decides elsewhere",
            trigger: diagramState("Sign-off", "ready"),
        },
        {
            content: "The approver approves: the diagram draws Sign-off done, live",
            trigger: diagramState("Sign-off", "done"),
            timeout: 30000,
        },
    ],
});
