import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { EMPTY, formatHours, formatNumber, formatPercent } from "@crossdept_ticket/views/duration";

const KPI_MODEL = "crossdept.analytics.kpi";
// the shortest bar drawn for a value above zero, in % of the longest
const MIN_BAR_SIZE = 2;

/** A KPI value in its unit, "–" when nothing was measured. */
export function formatKpi(value, unit) {
    if (value === null || value === undefined) {
        return EMPTY;
    }
    if (unit === "hours") {
        return formatHours(value);
    }
    if (unit === "percent") {
        return formatPercent(value);
    }
    if (unit === "count") {
        return formatNumber(value, { digits: 0 });
    }
    return formatNumber(value);
}

const TREND_CLASSES = { good: "text-success", bad: "text-danger", neutral: "" };

/** One KPI over the period against the period before; opens what it counts. */
export class CrossdeptKpiTile extends Component {
    static template = "crossdept_analytics.KpiTile";
    static props = { tile: Object, onOpen: Function };

    get value() {
        return formatKpi(this.props.tile.value, this.props.tile.unit);
    }

    get previous() {
        return formatKpi(this.props.tile.previous, this.props.tile.unit);
    }

    get trendClass() {
        return TREND_CLASSES[this.props.tile.trend] || "";
    }

    get trendTitle() {
        return {
            good: _t("Better than the previous period"),
            bad: _t("Worse than the previous period"),
            neutral: _t("No change that matters"),
        }[this.props.tile.trend];
    }
}

/** Bars of a KPI (per week, month or department); each bar opens its records. */
export class CrossdeptKpiChart extends Component {
    static template = "crossdept_analytics.KpiChart";
    static props = { chart: Object, onOpen: Function };

    /** Each bar's length in % of the longest, in proportion to its value; a value
     * above zero keeps a sliver so that it does not look like nothing. */
    get bars() {
        const { bars, unit } = this.props.chart;
        const max = Math.max(...bars.map((bar) => bar.value || 0)) || 1;
        return bars.map((bar) => {
            const value = Math.max(bar.value || 0, 0);
            return {
                ...bar,
                display: formatKpi(bar.value, unit),
                size: value ? Math.max((100 * value) / max, MIN_BAR_SIZE) : 0,
            };
        });
    }
}

/** The steps taking the largest share of step time; each row opens its steps. */
export class CrossdeptBottlenecks extends Component {
    static template = "crossdept_analytics.Bottlenecks";
    static props = { scope: String, steps: Array, onOpen: Function };

    hours(value) {
        return formatHours(value);
    }

    percent(value) {
        return formatPercent(value);
    }
}

/** Open health alerts of the filter; a row opens its alert, the title all of them. */
export class CrossdeptAlerts extends Component {
    static template = "crossdept_analytics.Alerts";
    static props = { alerts: Object, onOpenList: Function, onOpenAlert: Function };

    format(value, unit) {
        return formatKpi(value, unit);
    }
}

export class CrossdeptDashboard extends Component {
    static template = "crossdept_analytics.Dashboard";
    static components = {
        CrossdeptKpiTile,
        CrossdeptKpiChart,
        CrossdeptBottlenecks,
        CrossdeptAlerts,
    };
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.title = _t("Process Dashboard");
        // coming back from a drill-through restores the filters it was opened with
        const filters = this.props.state?.crossdeptFilters || {};
        this.state = useState({
            data: null,
            period: filters.period || "30d",
            dateFrom: filters.dateFrom || "",
            dateTo: filters.dateTo || "",
            departmentId: filters.departmentId || 0,
            flowId: filters.flowId || 0,
            loading: false,
        });
        // only the answer to the last request is shown (filters changed quickly)
        this.lastRequest = 0;
        useSetupAction({
            getLocalState: () => {
                const { period, dateFrom, dateTo, departmentId, flowId } = this.state;
                return { crossdeptFilters: { period, dateFrom, dateTo, departmentId, flowId } };
            },
        });
        onWillStart(() => this.load());
    }

    /** Everything the dashboard shows, for the current filter: one RPC. */
    async load() {
        const { period, dateFrom, dateTo, departmentId, flowId } = this.state;
        if (period === "custom" && (!dateFrom || !dateTo)) {
            return;
        }
        const request = ++this.lastRequest;
        this.state.loading = true;
        let data;
        try {
            data = await this.orm.call(KPI_MODEL, "get_dashboard", [], {
                period,
                date_from: period === "custom" ? dateFrom : false,
                date_to: period === "custom" ? dateTo : false,
                department_id: departmentId || false,
                flow_id: flowId || false,
            });
        } finally {
            if (request === this.lastRequest) {
                this.state.loading = false;
            }
        }
        if (request !== this.lastRequest) {
            return;
        }
        this.state.data = data;
        if (period !== "custom") {
            this.state.dateFrom = data.date_from;
            this.state.dateTo = data.date_to;
        }
    }

    get filterArgs() {
        const { filters } = this.state.data;
        return { department_id: filters.department_id, flow_id: filters.flow_id };
    }

    onPeriodChange(ev) {
        this.state.period = ev.target.value;
        this.load();
    }

    onDateChange(field, ev) {
        this.state[field] = ev.target.value;
        this.load();
    }

    onDepartmentChange(ev) {
        this.state.departmentId = parseInt(ev.target.value) || 0;
        this.load();
    }

    onFlowChange(ev) {
        this.state.flowId = parseInt(ev.target.value) || 0;
        this.load();
    }

    async open(method, args, kwargs = {}) {
        const action = await this.orm.call(KPI_MODEL, method, args, {
            ...this.filterArgs,
            ...kwargs,
        });
        return this.action.doAction(action);
    }

    openTile(tile) {
        const { date_from, date_to } = this.state.data;
        return this.open("action_open_kpi", [tile.kpi, date_from, date_to]);
    }

    openBar(chart, bar) {
        return this.open("action_open_kpi", [chart.kpi, bar.date_from, bar.date_to], {
            department_id: bar.department_id,
            without_department: Boolean(bar.without_department),
        });
    }

    openBottleneck(step) {
        const { date_from, date_to } = this.state.data;
        return this.open("action_open_bottleneck", [step.flow_step_id, date_from, date_to]);
    }

    openAlerts() {
        return this.open("action_open_alerts", []);
    }

    openAlert(alert) {
        return this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "crossdept.health.alert",
            res_id: alert.id,
            views: [[false, "form"]],
        });
    }
}

registry.category("actions").add("crossdept_analytics.dashboard", CrossdeptDashboard);
