import { registry } from "@web/core/registry";

const CANVAS = ".o_crossdept_designer_canvas";

function designer() {
    return document.querySelector(CANVAS).crossdeptDesigner;
}

function element(predicate) {
    return designer().modeler.get("elementRegistry").filter(predicate)[0];
}

function stepNamed(name) {
    return element((el) => el.id.startsWith("Step_") && el.businessObject.name === name);
}

function laneNamed(name) {
    return element((el) => el.type === "bpmn:Lane" && el.businessObject.name === name);
}

registry.category("web_tour.tours").add("crossdept_flow_designer_tour", {
    steps: () => [
        {
            content: "Open the Designer tab",
            trigger: ".o_notebook .nav-link:contains('Designer')",
            run: "click",
        },
        {
            content: "The flow is drawn: its steps, with their facts",
            trigger: `${CANVAS} .djs-shape[data-element-id^='Step_'] text:contains('Fix')`,
        },
        {
            content: "bpmn.io's watermark is shown, as its licence asks",
            trigger: `${CANVAS} .bjs-powered-by`,
        },
        {
            content: "Add an approval from the palette's create tool",
            trigger: `${CANVAS} .djs-palette .o_crossdept_palette_approval`,
            run() {
                const modeler = designer().modeler;
                const shape = modeler.get("elementFactory").createShape({ type: "bpmn:UserTask" });
                shape.businessObject.name = "Sign-off";
                shape.crossdeptKind = "approval";
                const pool = element((el) => el.type === "bpmn:Participant");
                const lane = laneNamed("Tour Repair");
                modeler
                    .get("modeling")
                    .createShape(shape, { x: 900, y: lane.y + lane.height / 2 }, pool);
            },
        },
        {
            content: "Dropped in the Repair lane: the approval is Repair's",
            trigger: `${CANVAS} .o_crossdept_step_facts:contains('Tour Repair'):contains('All approvers')`,
        },
        {
            content: "Move it down into the Intake lane",
            trigger: `${CANVAS} .djs-element.o_crossdept_approval`,
            run() {
                const shape = stepNamed("Sign-off");
                const lane = laneNamed("Tour Intake");
                const dy = lane.y + lane.height / 2 - (shape.y + shape.height / 2);
                designer().modeler.get("modeling").moveShape(shape, { x: 0, y: dy });
            },
        },
        {
            content: "The approval follows the lane: Intake's now",
            trigger: `${CANVAS} .o_crossdept_step_facts:contains('Tour Intake'):contains('All approvers')`,
        },
        {
            content: "The server saved it: an approval, marked as a problem (no approvers)",
            trigger: `${CANVAS} .djs-element.o_crossdept_approval.o_crossdept_error`,
        },
        {
            content: "The problem is named",
            trigger:
                ".o_crossdept_designer_error:contains('Sign-off: an approval step needs approvers')",
        },
        {
            content: "Connect Fix to Sign-off",
            trigger: `${CANVAS} [data-element-id='Gateway_Start']`,
            run() {
                designer().modeler.get("modeling").connect(stepNamed("Fix"), stepNamed("Sign-off"));
            },
        },
        {
            content: "One path now: no start gateway any more",
            trigger: `${CANVAS}:not(:has([data-element-id='Gateway_Start'])) .djs-element.o_crossdept_approval`,
        },
        {
            content: "Undo the connection",
            trigger: ".o_crossdept_designer_undo",
            run: "click",
        },
        {
            content: "Two start steps again",
            trigger: `${CANVAS} [data-element-id='Gateway_Start']`,
        },
        {
            content: "Redo it with the keyboard (Ctrl+Y)",
            trigger: `${CANVAS} svg`,
            run() {
                document
                    .querySelector(`${CANVAS} svg`)
                    .dispatchEvent(
                        new KeyboardEvent("keydown", { key: "y", ctrlKey: true, bubbles: true }),
                    );
            },
        },
        {
            content: "Linked again",
            trigger: `${CANVAS}:not(:has([data-element-id='Gateway_Start'])) .djs-element.o_crossdept_approval`,
        },
        {
            content: "Select Sign-off: its form opens beside the canvas",
            trigger: `${CANVAS} .djs-element.o_crossdept_approval`,
            run() {
                designer().modeler.get("selection").select(stepNamed("Sign-off"));
            },
        },
        {
            content: "Rename it in the side panel",
            trigger: ".o_crossdept_designer_panel .o_field_widget[name='name'] input",
            run: "edit Final sign-off",
        },
        {
            content: "Save the step",
            trigger: ".o_crossdept_designer_panel .o_form_button_save",
            run: "click",
        },
        {
            content: "The canvas shows the saved name",
            trigger: `${CANVAS} .djs-element.o_crossdept_approval text:contains('Final sign-off')`,
        },
        {
            content: "Add a task step, then delete it with the Delete key",
            trigger: `${CANVAS} .djs-palette .o_crossdept_palette_task`,
            run() {
                const modeler = designer().modeler;
                const shape = modeler.get("elementFactory").createShape({ type: "bpmn:UserTask" });
                shape.businessObject.name = "Scratch";
                const pool = element((el) => el.type === "bpmn:Participant");
                modeler.get("modeling").createShape(shape, { x: 900, y: 300 }, pool);
            },
        },
        {
            content: "Scratch is saved",
            trigger: `${CANVAS} .djs-element[data-element-id^='Step_'] text:contains('Scratch')`,
            run() {
                designer().modeler.get("selection").select(stepNamed("Scratch"));
                document
                    .querySelector(`${CANVAS} svg`)
                    .dispatchEvent(new KeyboardEvent("keydown", { key: "Delete", bubbles: true }));
            },
        },
        {
            content: "Scratch is gone",
            trigger: `${CANVAS}:not(:has(text:contains('Scratch'))) .djs-element.o_crossdept_approval`,
        },
    ],
});

registry.category("web_tour.tours").add("crossdept_ticket_diagram_tour", {
    steps: () => [
        {
            content: "Open the ticket's Flow tab",
            trigger: ".o_notebook .nav-link:contains('Flow')",
            run: "click",
        },
        {
            content: "The finished step is drawn as done",
            trigger:
                ".o_crossdept_flow_diagram_view .djs-element.o_crossdept_state_done text:contains('First')",
        },
        {
            content: "The next step is drawn as ready, with its holder",
            trigger:
                ".o_crossdept_flow_diagram_view .djs-element.o_crossdept_state_ready text:contains('Second')",
        },
        {
            content: "Its facts name its state and holder",
            trigger: ".o_crossdept_flow_diagram_view .o_crossdept_step_facts:contains('It User')",
        },
        {
            content: "The holder's own step stands out",
            trigger:
                ".o_crossdept_flow_diagram_view .djs-element.o_crossdept_mine text:contains('Second')",
        },
        {
            content: "Its next action is on it, as in the header: start it from the diagram",
            trigger:
                ".o_crossdept_flow_diagram_view .o_crossdept_diagram_action[data-crossdept-action='start']",
            run: "click",
        },
        {
            content: "The step is drawn as in progress once the server started it",
            trigger:
                ".o_crossdept_flow_diagram_view .djs-element.o_crossdept_state_in_progress text:contains('Second')",
        },
        {
            content: "The header offers what comes next: Finish",
            trigger:
                ".o_form_statusbar button[name='action_next_step'][data-crossdept-action='finish']",
        },
    ],
});

registry.category("web_tour.tours").add("crossdept_ticket_diagram_live_tour", {
    steps: () => [
        {
            content: "Open the ticket's Flow tab",
            trigger: ".o_notebook .nav-link:contains('Flow')",
            run: "click",
        },
        {
            content: "First is drawn ready",
            trigger:
                ".o_crossdept_flow_diagram_view .djs-element.o_crossdept_state_ready text:contains('First')",
        },
        {
            content: "Another user finishes First: the diagram redraws it done, live",
            trigger:
                ".o_crossdept_flow_diagram_view .djs-element.o_crossdept_state_done text:contains('First')",
            timeout: 30000,
        },
        {
            content: "and Second ready, with its holder",
            trigger:
                ".o_crossdept_flow_diagram_view .djs-element.o_crossdept_state_ready text:contains('Second')",
        },
        {
            content: "The form itself was not reloaded: no unsaved-change prompt, same tab",
            trigger: ".o_notebook .nav-link.active:contains('Flow')",
        },
    ],
});
