import { registry } from "@web/core/registry";

const CANVAS = ".o_crossdept_designer_canvas";
const LAST_STEP = `${CANVAS} .djs-shape[data-element-id^='Step_'] text:contains('Step 200')`;
// a loaded machine (2 cores shared by several test runs) gets a step more time
// than the default 10 s; the times logged are what the figures are read from
const TIMEOUT = 60000;

const timings = {};

function designer() {
    return document.querySelector(CANVAS).crossdeptDesigner;
}

/**
 * Run ``job`` and return how long it took: in all, in the browser before the
 * first call to the server (bpmn-js's own edit), waiting for the server, and in
 * the browser after it (drawing the answer).
 */
async function timed(job) {
    const canvas = designer();
    let rpc = 0;
    let firstCall = null;
    let lastAnswer = null;
    const call = canvas.orm.call.bind(canvas.orm);
    canvas.orm.call = async (...args) => {
        const begin = performance.now();
        firstCall ??= begin;
        try {
            return await call(...args);
        } finally {
            lastAnswer = performance.now();
            rpc += lastAnswer - begin;
        }
    };
    const begin = performance.now();
    try {
        await job(canvas);
    } finally {
        canvas.orm.call = call;
    }
    const end = performance.now();
    const ms = (value) => `${Math.round(value)} ms`;
    return (
        `${ms(end - begin)} (browser before the call ${ms((firstCall ?? end) - begin)}, ` +
        `server ${ms(rpc)}, browser after ${ms(end - (lastAnswer ?? end))})`
    );
}

function stepNamed(canvas, name) {
    return canvas.modeler.get("elementRegistry").filter((el) => el.businessObject.name === name)[0];
}

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
            content: "The last of the 200 steps is drawn; time a reload (read and draw)",
            trigger: LAST_STEP,
            timeout: TIMEOUT,
            async run() {
                timings.open = await timed((canvas) => canvas.enqueue(() => canvas.reload()));
            },
        },
        {
            content: "Time the first edit: a step added (the layout is stored)",
            trigger: LAST_STEP,
            timeout: TIMEOUT,
            async run() {
                timings.add = await timed(async (canvas) => {
                    const modeler = canvas.modeler;
                    const shape = modeler
                        .get("elementFactory")
                        .createShape({ type: "bpmn:UserTask" });
                    shape.businessObject.name = "Step 201";
                    const pool = modeler
                        .get("elementRegistry")
                        .filter((el) => el.type === "bpmn:Participant")[0];
                    modeler.get("modeling").createShape(shape, { x: 400, y: 100 }, pool);
                    await canvas.queue;
                });
            },
        },
        {
            content: "The new step is drawn",
            trigger: `${CANVAS} .djs-shape[data-element-id^='Step_'] text:contains('Step 201')`,
            timeout: TIMEOUT,
        },
        {
            content: "Time three moves, one after the other",
            trigger: LAST_STEP,
            timeout: TIMEOUT,
            async run() {
                timings.moves = [];
                for (const name of ["Step 1", "Step 2", "Step 3"]) {
                    timings.moves.push(
                        await timed(async (canvas) => {
                            const shape = stepNamed(canvas, name);
                            canvas.modeler.get("modeling").moveShape(shape, { x: 0, y: 40 });
                            await canvas.queue;
                        }),
                    );
                }
            },
        },
        {
            content: "Time a rename, then log the times",
            trigger: LAST_STEP,
            timeout: TIMEOUT,
            async run() {
                const rename = await timed(async (canvas) => {
                    const shape = stepNamed(canvas, "Step 4");
                    canvas.modeler.get("modeling").updateLabel(shape, "Step 4 renamed");
                    await canvas.queue;
                });
                console.log(
                    `crossdept designer, 200 steps: load and draw ${timings.open}, ` +
                        `first edit (adds a step, stores the layout) ${timings.add}, ` +
                        `next edits (moves a step) ${timings.moves.join(", ")}, ` +
                        `rename ${rename}`,
                );
            },
        },
        {
            content: "The renamed step is drawn",
            trigger: `${CANVAS} .djs-shape text:contains('Step 4 renamed')`,
            timeout: TIMEOUT,
        },
    ],
});
