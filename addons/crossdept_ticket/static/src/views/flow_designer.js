import { Component, onMounted, onWillUnmount, useRef, useState, useSubEnv, xml } from "@odoo/owl";
import { loadCSS, loadJS } from "@web/core/assets";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { getDefaultConfig, View } from "@web/views/view";

/**
 * The flow designer: the flow version drawn by bpmn-js (vendored in static/lib,
 * loaded when the tab opens) from the BPMN the server exports
 * (crossdept.flow._bpmn_export). The canvas is a view of the records: each edit
 * (palette, connect, delete, move, rename) is turned into operations that
 * ``designer_apply`` performs through the ORM and its guards, and the canvas is
 * redrawn from what the server saved, with the problems that would refuse the
 * activation marked on their steps (a move or a rename, which the canvas already
 * shows, only gets its facts and problems marked: no redraw of a 200-step flow). Undo and redo send the operations the server
 * returned to undo each change. The selected step's own form opens beside the
 * canvas; saving it redraws the step.
 */

const LIB = "/crossdept_ticket/static/lib/bpmn-js";
let modelerClass = null;

export async function loadBpmnModeler() {
    await Promise.all([
        loadCSS(`${LIB}/assets/diagram-js.css`),
        loadCSS(`${LIB}/assets/bpmn-js.css`),
        loadCSS(`${LIB}/assets/bpmn-font/css/bpmn.css`),
    ]);
    if (!modelerClass) {
        await loadJS(`${LIB}/bpmn-modeler.production.min.js`);
        // the viewer bundle uses the same global name: keep the modeler's
        modelerClass = window.BpmnJS;
    }
    return modelerClass;
}

/** The palette: the hand and lasso tools, a task step and an approval step. */
function CrossdeptPaletteProvider(palette, create, elementFactory, handTool, lassoTool) {
    palette.registerProvider(this);
    const createStep = (kind) => (event) => {
        const shape = elementFactory.createShape({ type: "bpmn:UserTask" });
        shape.businessObject.name = kind === "approval" ? _t("New approval") : _t("New task");
        shape.crossdeptKind = kind;
        create.start(event, shape);
    };
    this.getPaletteEntries = () => ({
        "hand-tool": {
            group: "tools",
            className: "bpmn-icon-hand-tool",
            title: _t("Move the canvas"),
            action: { click: (event) => handTool.activateHand(event) },
        },
        "lasso-tool": {
            group: "tools",
            className: "bpmn-icon-lasso-tool",
            title: _t("Select several steps"),
            action: { click: (event) => lassoTool.activateSelection(event) },
        },
        "tool-separator": { group: "tools", separator: true },
        "crossdept-task": {
            group: "activity",
            className: "bpmn-icon-user-task o_crossdept_palette_task",
            title: _t("Add a task step"),
            action: { dragstart: createStep("task"), click: createStep("task") },
        },
        "crossdept-approval": {
            group: "activity",
            className: "bpmn-icon-business-rule o_crossdept_palette_approval",
            title: _t("Add an approval step"),
            action: { dragstart: createStep("approval"), click: createStep("approval") },
        },
    });
}
CrossdeptPaletteProvider.$inject = ["palette", "create", "elementFactory", "handTool", "lassoTool"];

const crossdeptPaletteModule = {
    __init__: ["paletteProvider"],
    paletteProvider: ["type", CrossdeptPaletteProvider],
};

const TASK_TYPES = new Set([
    "bpmn:Task",
    "bpmn:UserTask",
    "bpmn:ManualTask",
    "bpmn:ServiceTask",
    "bpmn:SendTask",
    "bpmn:ReceiveTask",
    "bpmn:ScriptTask",
    "bpmn:BusinessRuleTask",
]);

function stepId(elementId) {
    const match = /^Step_(\d+)$/.exec(elementId || "");
    return match ? Number(match[1]) : null;
}

/** The step a sequence flow leaves (a step, or the split gateway after it). */
function sourceStepId(elementId) {
    const match = /^(?:Step|Gateway_Split)_(\d+)$/.exec(elementId || "");
    return match ? Number(match[1]) : null;
}

/** The step a sequence flow enters (a step, or the join gateway before it). */
function targetStepId(elementId) {
    const match = /^(?:Step|Gateway_Join)_(\d+)$/.exec(elementId || "");
    return match ? Number(match[1]) : null;
}

/**
 * The operations of one edit on the canvas (the commands bpmn-js ran for it, in
 * order), for designer_apply. Steps created by the same edit are "new:<n>".
 * ``laneOf(shape)`` is the department of the lane the shape lies in (false for
 * the "No department" lane, undefined outside every lane): a step dropped or
 * moved into a lane takes its department.
 */
export function operationsOf(changes, laneOf = () => undefined) {
    const operations = [];
    const created = new Map();
    const deleted = new Set();
    const moved = new Map();
    const ref = (element, side) => {
        if (created.has(element.id)) {
            return created.get(element.id);
        }
        const id = side === "source" ? sourceStepId(element.id) : targetStepId(element.id);
        return id && !deleted.has(id) ? id : null;
    };
    for (const change of changes) {
        if (change.type === "create" && TASK_TYPES.has(change.shape.type)) {
            created.set(change.shape.id, `new:${created.size}`);
            operations.push({
                op: "add_step",
                kind: change.shape.crossdeptKind || "task",
                name: change.shape.businessObject.name || "",
                x: Math.round(change.shape.x),
                y: Math.round(change.shape.y),
                department: laneOf(change.shape) || false,
            });
        } else if (change.type === "delete" && stepId(change.id)) {
            deleted.add(stepId(change.id));
            operations.push({ op: "delete_step", step: stepId(change.id) });
        }
    }
    for (const change of changes) {
        if (change.type === "connect") {
            const source = ref(change.connection.source, "source");
            const target = ref(change.connection.target, "target");
            if (source && target) {
                operations.push({ op: "link", source, target });
            }
        } else if (change.type === "disconnect") {
            const source = ref({ id: change.source }, "source");
            const target = ref({ id: change.target }, "target");
            if (source && target) {
                operations.push({ op: "unlink", source, target });
            }
        } else if (change.type === "move" && stepId(change.shape.id)) {
            moved.set(change.shape.id, change.shape);
        } else if (change.type === "rename" && stepId(change.element.id) && change.name) {
            operations.push({ op: "rename", step: stepId(change.element.id), name: change.name });
        }
    }
    for (const [id, shape] of moved) {
        if (!deleted.has(stepId(id))) {
            const move = {
                op: "move",
                step: stepId(id),
                x: Math.round(shape.x),
                y: Math.round(shape.y),
            };
            const department = laneOf(shape);
            if (department !== undefined) {
                move.department = department;
            }
            operations.push(move);
        }
    }
    return operations;
}

/**
 * The selected step's form, with a configuration of its own: the flow's form
 * around it keeps its title and breadcrumbs.
 */
export class CrossdeptStepPanel extends Component {
    static template = xml`<View t-props="props.viewProps"/>`;
    static components = { View };
    static props = { viewProps: Object };

    setup() {
        useSubEnv({ config: getDefaultConfig() });
    }
}

export class CrossdeptFlowDesigner extends Component {
    static template = "crossdept_ticket.FlowDesigner";
    static components = { CrossdeptStepPanel };
    static props = { ...standardFieldProps };

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.canvasRef = useRef("canvas");
        this.state = useState({
            loading: true,
            locked: false,
            errors: [],
            stepId: false,
            busy: false,
        });
        this.undoStack = [];
        this.redoStack = [];
        this.changes = [];
        this.decorations = new Map();
        this.problemMarkers = [];
        this.queue = Promise.resolve();
        // bound here: the template may call the getter below on a scope object
        this.onStepSaved = () => this.enqueue(() => this.reload());
        onMounted(() => this.start());
        onWillUnmount(() => this.modeler?.destroy());
    }

    get flowId() {
        return this.props.record.resId;
    }

    get stepViewProps() {
        return {
            type: "form",
            resModel: "crossdept.flow.step",
            resId: this.state.stepId,
            // the control panel holds the save and discard buttons (its breadcrumbs hidden)
            display: { controlPanel: {} },
            mode: "edit",
            context: { default_flow_id: this.flowId },
            onSave: this.onStepSaved,
            onDiscard: this.onStepSaved,
        };
    }

    async start() {
        if (!this.flowId) {
            this.state.loading = false;
            return;
        }
        const BpmnJS = await loadBpmnModeler();
        this.modeler = new BpmnJS({
            container: this.canvasRef.el,
            additionalModules: [crossdeptPaletteModule],
        });
        // tours drive the canvas through bpmn-js's own modeling API, as the palette does
        this.canvasRef.el.crossdeptDesigner = this;
        this.listen();
        await this.reload();
    }

    listen() {
        const eventBus = this.modeler.get("eventBus");
        const record = (type, read) => (event) => {
            if (!this.drawing) {
                this.changes.push({ type, ...read(event.context) });
            }
        };
        eventBus.on(
            "commandStack.shape.create.postExecuted",
            record("create", (context) => ({ shape: context.shape })),
        );
        eventBus.on(
            "commandStack.shape.delete.preExecute",
            record("delete", (context) => ({ id: context.shape.id })),
        );
        eventBus.on(
            "commandStack.connection.create.postExecuted",
            record("connect", (context) => ({ connection: context.connection })),
        );
        eventBus.on(
            "commandStack.connection.delete.preExecute",
            record("disconnect", (context) => ({
                source: context.connection.source?.id,
                target: context.connection.target?.id,
            })),
        );
        eventBus.on(
            "commandStack.shape.move.postExecuted",
            record("move", (context) => ({ shape: context.shape })),
        );
        eventBus.on(
            "commandStack.element.updateLabel.postExecuted",
            record("rename", (context) => ({ element: context.element, name: context.newLabel })),
        );
        eventBus.on("commandStack.changed", (event) => {
            if (event.trigger !== "execute" || this.drawing) {
                return;
            }
            const changes = this.changes;
            this.changes = [];
            const operations = operationsOf(changes, (shape) => this.laneDepartment(shape));
            this.enqueue(() => (operations.length ? this.apply(operations, "do") : this.redraw()));
        });
        eventBus.on("selection.changed", ({ newSelection }) => {
            const id = newSelection.length === 1 ? stepId(newSelection[0].id) : null;
            this.state.stepId = id || false;
        });
        // undo and redo (buttons, Ctrl+Z / Ctrl+Y) replay the server's inverse operations
        const editorActions = this.modeler.get("editorActions");
        for (const name of ["undo", "redo"]) {
            if (editorActions.isRegistered(name)) {
                editorActions.unregister(name);
            }
        }
        editorActions.register({ undo: () => this.undo(), redo: () => this.redo() });
    }

    /**
     * The department of the lane band around the shape's centre (see operationsOf):
     * lanes are rows across the pool, which bpmn-js widens to what is dropped in it.
     */
    laneDepartment(shape) {
        const lanes = this.lastResult?.lanes || {};
        const y = shape.y + shape.height / 2;
        const lane = this.modeler
            .get("elementRegistry")
            .filter(
                (el) =>
                    el.type === "bpmn:Lane" && el.id in lanes && y >= el.y && y <= el.y + el.height,
            )[0];
        return lane ? lanes[lane.id] : undefined;
    }

    get blockingErrors() {
        return this.state.errors.filter((error) => error.level !== "warning");
    }

    enqueue(job) {
        this.queue = this.queue.then(job).catch((error) => {
            this.notification.add(error.data?.message || error.message || String(error), {
                type: "danger",
                sticky: true,
            });
            return this.reload();
        });
        return this.queue;
    }

    async reload() {
        const result = await this.orm.call("crossdept.flow", "designer_load", [[this.flowId]]);
        await this.draw(result);
    }

    async apply(operations, mode) {
        this.state.busy = true;
        try {
            // an edit the canvas already shows (steps moved within their lane or
            // renamed) is not drawn again: the answer only brings the facts
            const patch = mode === "do" && this.shows(operations);
            const result = await this.orm.call("crossdept.flow", "designer_apply", [
                [this.flowId],
                this.revision,
                operations,
                !patch,
            ]);
            if (mode === "undo") {
                this.redoStack.push(result.undo);
            } else {
                if (mode === "do") {
                    this.redoStack = [];
                }
                this.undoStack.push(result.undo);
            }
            if (patch) {
                this.patch(result);
            } else {
                await this.draw(result);
            }
            // the flow's form lists the steps' names, not their positions
            if (!patch || operations.some((operation) => operation.op === "rename")) {
                this.refreshForm();
            }
        } finally {
            this.state.busy = false;
        }
    }

    /**
     * Whether the canvas already shows what ``operations`` do: moves of steps that
     * stay in their department's lane, and renames.
     */
    shows(operations) {
        const steps = new Map((this.lastResult?.steps || []).map((step) => [step.id, step]));
        return operations.every((operation) => {
            const step = steps.get(operation.step);
            if (!step || !["move", "rename"].includes(operation.op)) {
                return false;
            }
            return !("department" in operation) || operation.department === step.department_id;
        });
    }

    /** The server's answer to an edit the canvas shows: facts, problems, revision. */
    patch(result) {
        // the XML drawn last is older than the canvas now: a redraw reloads
        this.lastResult = { ...result, xml: null, lanes: this.lastResult.lanes };
        this.revision = result.revision;
        this.state.locked = result.locked;
        this.decorate(result);
    }

    undo() {
        const operations = this.undoStack.pop();
        if (operations) {
            this.enqueue(() => this.apply(operations, "undo"));
        }
    }

    redo() {
        const operations = this.redoStack.pop();
        if (operations) {
            this.enqueue(() => this.apply(operations, "redo"));
        }
    }

    validate() {
        this.enqueue(async () => {
            const errors = await this.orm.call("crossdept.flow", "designer_validate", [
                [this.flowId],
            ]);
            this.lastResult = { ...this.lastResult, errors };
            this.decorate(this.lastResult);
        });
    }

    /**
     * The form around the designer shows the steps too: reload it unless edited,
     * one reload at a time, after the canvas is drawn and not in the way of the
     * next edit (a 200-step flow's form takes as long to reload as the canvas).
     */
    refreshForm() {
        this.formLoad = (this.formLoad || Promise.resolve())
            .then(async () => {
                const root = this.props.record.model.root;
                if (root.resId === this.flowId && !(await root.isDirty())) {
                    await root.load();
                }
            })
            .catch((error) => {
                this.notification.add(error.data?.message || error.message || String(error), {
                    type: "danger",
                });
            });
        return this.formLoad;
    }

    redraw() {
        return this.lastResult?.xml ? this.draw(this.lastResult) : this.reload();
    }

    async draw(result) {
        this.lastResult = result;
        this.revision = result.revision;
        this.state.locked = result.locked;
        const canvas = this.modeler.get("canvas");
        const viewbox = this.drawn ? canvas.viewbox() : null;
        this.drawing = true;
        try {
            await this.modeler.importXML(result.xml);
        } finally {
            this.drawing = false;
            // a new drawing has no overlays nor markers yet
            this.decorations = new Map();
            this.problemMarkers = [];
        }
        if (viewbox) {
            canvas.viewbox(viewbox);
        } else {
            canvas.zoom("fit-viewport", "auto");
        }
        this.drawn = true;
        this.state.loading = false;
        this.decorate(result);
        if (this.state.stepId && !result.steps.some((step) => step.id === this.state.stepId)) {
            this.state.stepId = false;
        }
    }

    /**
     * Approvals, conditions, urgent skips and problems marked on the steps. Only
     * what changed since the last time is touched (a 200-step flow has 200 labels
     * of facts); a new drawing starts with none (see draw).
     */
    decorate(result) {
        const canvas = this.modeler.get("canvas");
        const overlays = this.modeler.get("overlays");
        const registry = this.modeler.get("elementRegistry");
        const decorations = new Map();
        for (const step of result.steps) {
            if (!registry.get(step.element)) {
                continue;
            }
            const facts = [step.department || _t("No department"), `${step.sla_hours} h`];
            if (step.approval_policy) {
                facts.push(step.approval_policy);
            }
            if (step.condition) {
                facts.push(_t("conditional"));
            }
            if (step.skip_when_urgent) {
                facts.push(_t("skipped when urgent"));
            }
            const text = facts.join(" · ");
            const known = this.decorations.get(step.element);
            this.decorations.delete(step.element);
            if (known && known.text === text && known.kind === step.kind) {
                decorations.set(step.element, known);
                continue;
            }
            if (known) {
                overlays.remove(known.overlay);
            }
            if (step.kind === "approval") {
                canvas.addMarker(step.element, "o_crossdept_approval");
            } else {
                canvas.removeMarker(step.element, "o_crossdept_approval");
            }
            const html = document.createElement("div");
            html.className = "o_crossdept_step_facts";
            html.textContent = text;
            const overlay = overlays.add(step.element, "crossdept", {
                position: { top: 84, left: -20 },
                html,
            });
            decorations.set(step.element, { text, kind: step.kind, overlay });
        }
        // the steps gone since
        for (const known of this.decorations.values()) {
            overlays.remove(known.overlay);
        }
        this.decorations = decorations;
        for (const [element, marker] of this.problemMarkers) {
            if (registry.get(element)) {
                canvas.removeMarker(element, marker);
            }
        }
        this.problemMarkers = [];
        for (const error of result.errors) {
            if (error.element && registry.get(error.element)) {
                const marker =
                    error.level === "warning" ? "o_crossdept_warning" : "o_crossdept_error";
                canvas.addMarker(error.element, marker);
                this.problemMarkers.push([error.element, marker]);
            }
        }
        this.state.errors = result.errors;
    }

    showError(error) {
        const element = error.element && this.modeler.get("elementRegistry").get(error.element);
        if (element) {
            this.modeler.get("canvas").scrollToElement(element);
            this.modeler.get("selection").select(element);
        }
    }

    zoom(step) {
        this.modeler.get("zoomScroll").stepZoom(step);
    }

    fit() {
        this.modeler.get("canvas").zoom("fit-viewport", "auto");
    }
}

export const crossdeptFlowDesigner = {
    component: CrossdeptFlowDesigner,
    displayName: _t("Flow Designer (CrossDept)"),
    supportedTypes: ["integer"],
};

registry.category("fields").add("crossdept_flow_designer", crossdeptFlowDesigner);
