import { registry } from "@web/core/registry";

const CANVAS = ".o_crossdept_designer_canvas";

/** A 200-step flow opens in the designer and takes an edit; the times are logged. */
registry.category("web_tour.tours").add("crossdept_flow_designer_big_tour", {
    steps: () => [
        {
            content: "Open the Designer tab",
            trigger: ".o_notebook .nav-link:contains('Designer')",
            run: "click",
        },
        {
            content: "The last of the 200 steps is drawn; time a redraw and an edit",
            trigger: `${CANVAS} .djs-shape[data-element-id^='Step_'] text:contains('Step 200')`,
            async run() {
                const designer = document.querySelector(CANVAS).crossdeptDesigner;
                let start = performance.now();
                await designer.enqueue(() => designer.reload());
                const open = performance.now() - start;
                const modeler = designer.modeler;
                const shape = modeler.get("elementFactory").createShape({ type: "bpmn:UserTask" });
                shape.businessObject.name = "Step 201";
                const pool = modeler
                    .get("elementRegistry")
                    .filter((el) => el.type === "bpmn:Participant")[0];
                start = performance.now();
                modeler.get("modeling").createShape(shape, { x: 400, y: 100 }, pool);
                await designer.queue;
                const edit = performance.now() - start;
                const first = modeler
                    .get("elementRegistry")
                    .filter((el) => el.businessObject.name === "Step 1")[0];
                start = performance.now();
                modeler.get("modeling").moveShape(first, { x: 0, y: 40 });
                await designer.queue;
                const move = performance.now() - start;
                console.log(
                    `crossdept designer, 200 steps: load and draw ${Math.round(open)} ms, ` +
                        `first edit (adds a step, stores the layout) ${Math.round(edit)} ms, ` +
                        `next edit (moves a step) ${Math.round(move)} ms`,
                );
            },
        },
        {
            content: "The new step is drawn",
            trigger: `${CANVAS} .djs-shape[data-element-id^='Step_'] text:contains('Step 201')`,
        },
    ],
});
