import { Component, onMounted, onWillUnmount, onWillUpdateProps, useRef } from "@odoo/owl";
import { loadCSS, loadJS } from "@web/core/assets";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { pick } from "@web/core/utils/objects";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/**
 * A flow version drawn read-only by bpmn-js's NavigatedViewer (zoom and pan, no
 * editing), on a many2one to crossdept.flow: the flow a new ticket will run (the
 * steps an urgent ticket skips are marked) or the flow a ticket runs, each step
 * coloured by its state there, with its holder and deadline.
 * Options: ``ticket``: colour the steps by the state of this ticket's steps, and
 * follow them live: the diagram listens to the ticket's bus channel and, when the
 * server says its steps changed, re-reads them (with the reader's rights) and
 * redraws, without reloading the form.
 *
 * Other addons draw other facts on the same diagram by extending the component:
 * ``fetchData`` (the BPMN and what to draw), ``fit`` (the first zoom) and
 * ``decorate`` (markers and overlays).
 */

const TICKET_NOTIFICATION = "crossdept.ticket/steps_updated";

const LIB = "/crossdept_ticket/static/lib/bpmn-js";
let viewerClass = null;

/** bpmn-js's NavigatedViewer class, loaded once, with its styles. */
export async function loadBpmnViewer() {
    await Promise.all([
        loadCSS(`${LIB}/assets/diagram-js.css`),
        loadCSS(`${LIB}/assets/bpmn-js.css`),
        loadCSS(`${LIB}/assets/bpmn-font/css/bpmn.css`),
    ]);
    if (!viewerClass) {
        await loadJS(`${LIB}/bpmn-navigated-viewer.production.min.js`);
        // the modeler bundle uses the same global name: keep the viewer's
        viewerClass = window.BpmnJS;
    }
    return viewerClass;
}

export class CrossdeptFlowDiagram extends Component {
    static template = "crossdept_ticket.FlowDiagram";
    static props = { ...standardFieldProps, ticket: { type: Boolean, optional: true } };

    setup() {
        this.orm = useService("orm");
        this.busService = useService("bus_service");
        this.canvasRef = useRef("canvas");
        this.onTicketNotification = ({ ticket_id }) => {
            if (ticket_id === this.listenedTicketId) {
                this.redrawSoon();
            }
        };
        onMounted(() => {
            this.listen(this.props);
            this.draw(this.props);
        });
        onWillUpdateProps((next) => {
            this.listen(next);
            if (this.key(next) !== this.drawnKey) {
                this.draw(next);
            }
        });
        onWillUnmount(() => {
            this.listen(null);
            this.viewer?.destroy();
        });
    }

    /**
     * Redraw for a notification: several may come at once (one per transaction
     * that changed the ticket's steps): while one redraw reads, the others make
     * one more redraw after it.
     */
    async redrawSoon() {
        if (this.redrawing) {
            this.redrawAgain = true;
            return;
        }
        this.redrawing = true;
        try {
            do {
                this.redrawAgain = false;
                await this.draw(this.props);
            } while (this.redrawAgain);
        } finally {
            this.redrawing = false;
        }
    }

    /** Listen to the channel of the ticket drawn (none when props is null). */
    listen(props) {
        const ticketId = (props?.ticket && props.record.resId) || false;
        if (ticketId === (this.listenedTicketId || false)) {
            return;
        }
        if (this.listenedTicketId) {
            this.busService.deleteChannel(`crossdept.ticket_${this.listenedTicketId}`);
        } else {
            this.busService.subscribe(TICKET_NOTIFICATION, this.onTicketNotification);
        }
        if (!ticketId) {
            this.busService.unsubscribe(TICKET_NOTIFICATION, this.onTicketNotification);
        } else {
            this.busService.addChannel(`crossdept.ticket_${ticketId}`);
        }
        this.listenedTicketId = ticketId;
    }

    flowId(props) {
        // a many2one's value: [id, name] (or a record-like object)
        const value = props.record.data[props.name];
        return (Array.isArray(value) ? value[0] : value?.id) || false;
    }

    key(props) {
        const record = props.record;
        const runs = (props.ticket && record.data.step_ids?.records) || [];
        const states = runs.map((run) => `${run.resId}:${run.data.state}:${run.data.sla_status}`);
        // the reader's next action is drawn on its step
        const next = props.ticket ? JSON.stringify(record.data.next_action || []) : "";
        return `${this.flowId(props)}|${record.data.priority}|${states.join(",")}|${next}`;
    }

    async draw(props) {
        const flowId = this.flowId(props);
        this.drawnKey = this.key(props);
        if (!flowId) {
            return;
        }
        // the form's reload and the ticket's notification may both ask for a drawing:
        // the imports run one at a time, and only the last one asked for is drawn
        const drawing = (this.drawing = (this.drawing || 0) + 1);
        const data = await this.fetchData(flowId, props);
        const BpmnJS = await loadBpmnViewer();
        // (a failed import does not stop the next one)
        const previous = (this.painted || Promise.resolve()).catch(() => {});
        this.painted = previous.then(() =>
            drawing === this.drawing ? this.paint(BpmnJS, data, props) : undefined,
        );
        await this.painted;
    }

    async paint(BpmnJS, data, props) {
        if (!this.viewer) {
            this.viewer = new BpmnJS({ container: this.canvasRef.el });
        }
        await this.viewer.importXML(data.xml);
        this.fit(this.viewer.get("canvas"), props);
        this.decorate(data, props);
    }

    /** The diagram's BPMN and steps, and for a ticket the state of its steps. */
    fetchData(flowId, props) {
        const ticketId = props.ticket && props.record.resId;
        return this.orm.call("crossdept.flow", "diagram_data", [[flowId]], {
            ticket_id: ticketId || false,
        });
    }

    fit(canvas) {
        canvas.zoom("fit-viewport", "auto");
    }

    decorate(data, props) {
        const canvas = this.viewer.get("canvas");
        const overlays = this.viewer.get("overlays");
        const urgent = props.record.data.priority === "3";
        for (const step of data.steps) {
            if (step.kind === "approval") {
                canvas.addMarker(step.element, "o_crossdept_approval");
            }
            const run = data.states[step.element];
            const facts = [step.department || _t("No department"), `${step.sla_hours} h`];
            if (run) {
                canvas.addMarker(step.element, `o_crossdept_state_${run.state}`);
                if (run.sla_status === "breached") {
                    canvas.addMarker(step.element, "o_crossdept_breached");
                }
                facts.splice(0, facts.length, run.label);
                if (run.holder) {
                    facts.push(run.holder);
                }
                if (run.deadline && ["ready", "in_progress"].includes(run.state)) {
                    facts.push(formatDateTime(deserializeDateTime(run.deadline)));
                }
            } else if (step.skip_when_urgent && urgent) {
                canvas.addMarker(step.element, "o_crossdept_skipped_urgent");
                facts.push(_t("skipped: urgent"));
            } else if (step.skip_when_urgent) {
                facts.push(_t("skipped when urgent"));
            }
            const html = document.createElement("div");
            html.className = "o_crossdept_step_facts";
            html.textContent = facts.join(" · ");
            overlays.add(step.element, "crossdept", { position: { top: 84, left: -20 }, html });
        }
        if (props.ticket) {
            this.decorateNextAction(data, props);
        }
    }

    /**
     * The reader's own step stands out, with its next action (the header's, from
     * the same server checks: ``next_action``) as a button on it, which does what
     * the header's button does: save the form, call ``action_next_step`` (checked
     * again there) and reload.
     */
    decorateNextAction(data, props) {
        const record = props.record;
        const action = (record.data.next_action || []).find((entry) => entry.step_id);
        const element = Object.keys(data.states).find(
            (key) => action && data.states[key].step_id === action.step_id,
        );
        if (!element) {
            return;
        }
        this.viewer.get("canvas").addMarker(element, "o_crossdept_mine");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-sm btn-primary o_crossdept_diagram_action text-nowrap";
        button.textContent = action.label;
        button.dataset.crossdeptAction = action.what;
        if (action.blocked) {
            button.disabled = true;
            button.title = action.blocked;
        }
        button.addEventListener("click", () =>
            this.env.onClickViewButton({
                clickParams: {
                    type: "object",
                    name: "action_next_step",
                    args: JSON.stringify([action.step_id, action.what]),
                },
                getResParams: () =>
                    pick(record, "context", "evalContext", "resModel", "resId", "resIds"),
            }),
        );
        this.viewer
            .get("overlays")
            .add(element, "crossdept", { position: { top: -36, left: 0 }, html: button });
    }
}

export const crossdeptFlowDiagram = {
    component: CrossdeptFlowDiagram,
    displayName: _t("Flow Diagram (CrossDept)"),
    supportedTypes: ["many2one"],
    extractProps: ({ options }) => ({ ticket: Boolean(options.ticket) }),
};

registry.category("fields").add("crossdept_flow_diagram", crossdeptFlowDiagram);
