import { registry } from "@web/core/registry";

const CANVAS = ".o_crossdept_designer_canvas";

/**
 * A 200-step flow opens in the designer and takes edits (an added step, moves, a
 * rename); the times are logged, each with the part spent waiting for the server.
 */
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
                // the time spent waiting for the server, apart from the browser's
                let rpc = 0;
                const call = designer.orm.call.bind(designer.orm);
                designer.orm.call = async (...args) => {
                    const begin = performance.now();
                    try {
                        return await call(...args);
                    } finally {
                        rpc += performance.now() - begin;
                    }
                };
                const timed = async (job) => {
                    rpc = 0;
                    const begin = performance.now();
                    await job();
                    const total = performance.now() - begin;
                    return `${Math.round(total)} ms (server ${Math.round(rpc)} ms)`;
                };
                const open = await timed(() => designer.enqueue(() => designer.reload()));
                const modeler = designer.modeler;
                const shape = modeler.get("elementFactory").createShape({ type: "bpmn:UserTask" });
                shape.businessObject.name = "Step 201";
                const pool = modeler
                    .get("elementRegistry")
                    .filter((el) => el.type === "bpmn:Participant")[0];
                const edit = await timed(async () => {
                    modeler.get("modeling").createShape(shape, { x: 400, y: 100 }, pool);
                    await designer.queue;
                });
                const stepNamed = (name) =>
                    modeler
                        .get("elementRegistry")
                        .filter((el) => el.businessObject.name === name)[0];
                const moves = [];
                for (const name of ["Step 1", "Step 2", "Step 3"]) {
                    moves.push(
                        await timed(async () => {
                            modeler.get("modeling").moveShape(stepNamed(name), { x: 0, y: 40 });
                            await designer.queue;
                        }),
                    );
                }
                const rename = await timed(async () => {
                    modeler.get("modeling").updateLabel(stepNamed("Step 4"), "Step 4 renamed");
                    await designer.queue;
                });
                designer.orm.call = call;
                console.log(
                    `crossdept designer, 200 steps: load and draw ${open}, ` +
                        `first edit (adds a step, stores the layout) ${edit}, ` +
                        `next edits (moves a step) ${moves.join(", ")}, ` +
                        `rename ${rename}`,
                );
            },
        },
        {
            content: "The new step is drawn",
            trigger: `${CANVAS} .djs-shape[data-element-id^='Step_'] text:contains('Step 201')`,
        },
    ],
});
