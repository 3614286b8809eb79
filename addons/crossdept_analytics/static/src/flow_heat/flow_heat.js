import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { CrossdeptFlowDiagram } from "@crossdept_ticket/views/flow_diagram";
import { formatKpi } from "../dashboard/crossdept_dashboard";

// white (nothing) to red (the largest value), as the bottleneck heat map
const COLD = [255, 255, 255];
const HOT = [220, 53, 69];
// past this share of the largest value, the step's name is written in white
const DARK_FROM = 0.55;
// room around the diagram and under it (the figures below the last steps), in px
const MARGIN = 40;
const FIGURES_HEIGHT = 50;

/** The heat colour of a value, ``ratio`` of the largest (0 to 1). */
export function heatColour(ratio) {
    const share = Math.max(0, Math.min(1, ratio || 0));
    const channels = COLD.map((cold, index) => Math.round(cold + (HOT[index] - cold) * share));
    return `rgb(${channels.join(", ")})`;
}

/**
 * The core's read-only flow diagram (bpmn-js, loaded by it) with each step filled
 * by one of its figures and all its figures written under it.
 */
export class CrossdeptFlowHeatDiagram extends CrossdeptFlowDiagram {
    static template = "crossdept_analytics.FlowHeatDiagram";
    static props = { data: Object, measure: Object, scale: Number };

    setup() {
        super.setup();
        this.ui = useService("ui");
    }

    flowId(props) {
        return props.data.flow_id;
    }

    key(props) {
        return `${props.data.flow_id}|${props.measure.key}|${props.scale}`;
    }

    fetchData(flowId, props) {
        return props.data;
    }

    fit(canvas) {
        if (!this.ui.isSmall) {
            // fit and centre, as "fit-viewport" does, with room for the figures
            // under the lowest steps
            const inner = canvas.viewbox().inner;
            const size = canvas.getSize();
            const width = inner.width + MARGIN;
            const height = inner.height + MARGIN + FIGURES_HEIGHT;
            const scale = Math.min(1, size.width / width, size.height / height);
            const view = { width: size.width / scale, height: size.height / scale };
            canvas.viewbox({
                x: inner.x - MARGIN / 2 - (view.width - width) / 2,
                y: inner.y - MARGIN / 2 - (view.height - height) / 2,
                ...view,
            });
            return;
        }
        // on a phone, fitting shrinks the steps below reading size: the diagram
        // keeps its own size and its frame scrolls
        const box = canvas.viewbox().inner;
        const width = box.width + 2 * MARGIN;
        const height = box.height + 2 * MARGIN + FIGURES_HEIGHT;
        this.canvasRef.el.style.width = `${Math.ceil(width)}px`;
        this.canvasRef.el.style.height = `${Math.ceil(height)}px`;
        canvas.resized();
        canvas.viewbox({ x: box.x - MARGIN, y: box.y - MARGIN, width, height });
    }

    decorate(data, props) {
        const canvas = this.viewer.get("canvas");
        const overlays = this.viewer.get("overlays");
        const elements = this.viewer.get("elementRegistry");
        const measure = props.measure;
        for (const step of data.steps) {
            const figures = data.figures[step.element];
            const value = figures[measure.key];
            const shape = elements.getGraphics(step.element)?.querySelector(".djs-visual > rect");
            const ratio = props.scale && value ? value / props.scale : 0;
            if (shape && value !== null) {
                shape.style.fill = heatColour(ratio);
            }
            canvas.addMarker(
                step.element,
                ratio > DARK_FROM ? "o_crossdept_heat_dark" : "o_crossdept_heat",
            );
            const html = document.createElement("div");
            html.className = "o_crossdept_heat_figures";
            html.dataset.step = figures.name;
            html.dataset.value = value === null ? "" : String(Math.round(value * 10) / 10);
            const main = document.createElement("strong");
            main.textContent = formatKpi(value, measure.unit);
            const count = document.createElement("div");
            count.textContent = _t("%(count)s finished of %(reached)s", {
                count: figures.done_count,
                reached: figures.count,
            });
            html.append(main, count);
            html.title = data.measures
                .map((other) => `${other.label}: ${formatKpi(figures[other.key], other.unit)}`)
                .join("\n");
            overlays.add(step.element, "crossdept_heat", {
                position: { top: 84, left: -10 },
                html,
            });
        }
    }
}

/**
 * A flow version's diagram coloured by a chosen figure of its steps, with a
 * legend and the figures in a table; for a pilot, its two arms side by side on
 * one scale. Read only.
 */
export class CrossdeptFlowHeat extends Component {
    static template = "crossdept_analytics.FlowHeat";
    static components = { CrossdeptFlowHeatDiagram };
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        const params = this.props.action.params || {};
        this.state = useState({ measureKey: "wait_median", panels: [] });
        onWillStart(async () => {
            this.state.panels = await Promise.all(
                (params.flow_ids || []).map((flowId) =>
                    this.orm.call("crossdept.flow", "get_step_figures", [[flowId]], {
                        pilot_id: params.pilot_id || false,
                    }),
                ),
            );
        });
    }

    get title() {
        return this.props.action.name || _t("Diagram");
    }

    get breadcrumbs() {
        return this.env.config?.breadcrumbs || [];
    }

    get measures() {
        return this.state.panels[0]?.measures || [];
    }

    get measure() {
        return this.measures.find((measure) => measure.key === this.state.measureKey);
    }

    /** The largest value of the measure over every step shown: the red end. */
    get scale() {
        const values = this.state.panels.flatMap((panel) =>
            Object.values(panel.figures).map((figures) => figures[this.state.measureKey] || 0),
        );
        return Math.max(0, ...values);
    }

    get legendStyle() {
        return `background: linear-gradient(to right, ${heatColour(0)}, ${heatColour(1)})`;
    }

    format(value, unit) {
        return formatKpi(value, unit);
    }

    armLabel(panel) {
        return { control: _t("Control"), variant: _t("Variant") }[panel.arm] || "";
    }

    rows(panel) {
        return panel.steps.map((step) => panel.figures[step.element]);
    }

    onMeasureChange(ev) {
        this.state.measureKey = ev.target.value;
    }

    onBack() {
        this.breadcrumbs.at(-2)?.onSelected();
    }
}

registry.category("actions").add("crossdept_analytics.flow_heat", CrossdeptFlowHeat);
