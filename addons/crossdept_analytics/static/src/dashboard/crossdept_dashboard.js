import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

const KPI_MODEL = "crossdept.analytics.kpi";

function formatValue(value, kpi) {
    if (value === null || value === undefined) {
        return "-";
    }
    if (kpi === "ticket_count" || kpi === "open_overdue") {
        return String(Math.round(value));
    }
    return (Math.round(value * 10) / 10).toFixed(1);
}

/** One KPI over the last 30 days against the 30 days before: one RPC. */
export class CrossdeptKpiTile extends Component {
    static template = "crossdept_analytics.KpiTile";
    static props = { kpi: String, onOpen: Function };

    setup() {
        this.orm = useService("orm");
        this.state = useState({ tile: null });
        onWillStart(async () => {
            this.state.tile = await this.orm.call(KPI_MODEL, "get_dashboard_tile", [
                this.props.kpi,
            ]);
        });
    }

    get value() {
        return formatValue(this.state.tile.value, this.props.kpi);
    }

    get trend() {
        const { value, previous, higher_is_better } = this.state.tile;
        // more tickets is neither good nor bad
        if (
            this.props.kpi === "ticket_count" ||
            value === null ||
            previous === null ||
            value === previous
        ) {
            return "";
        }
        return value > previous === higher_is_better ? "text-success" : "text-danger";
    }

    get previous() {
        return formatValue(this.state.tile.previous, this.props.kpi);
    }
}

/** Six months of a KPI as bars: one RPC. */
export class CrossdeptKpiChart extends Component {
    static template = "crossdept_analytics.KpiChart";
    static props = { kpi: String };

    setup() {
        this.orm = useService("orm");
        this.state = useState({ series: null });
        onWillStart(async () => {
            this.state.series = await this.orm.call(KPI_MODEL, "get_dashboard_series", [
                this.props.kpi,
            ]);
        });
    }

    get bars() {
        const { labels, values } = this.state.series;
        const max = Math.max(...values.map((value) => value || 0)) || 1;
        return labels.map((label, index) => ({
            label,
            value: formatValue(values[index], this.props.kpi),
            height: Math.round((100 * (values[index] || 0)) / max),
        }));
    }
}

/** The steps taking the largest share of step time: one RPC. */
export class CrossdeptBottlenecks extends Component {
    static template = "crossdept_analytics.Bottlenecks";
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.state = useState({ steps: null });
        onWillStart(async () => {
            this.state.steps = await this.orm.call(KPI_MODEL, "get_bottlenecks", []);
        });
    }

    format(value) {
        return formatValue(value, "hours");
    }
}

/** Open health alerts: one RPC. */
export class CrossdeptAlerts extends Component {
    static template = "crossdept_analytics.Alerts";
    static props = { onOpen: Function };

    setup() {
        this.orm = useService("orm");
        this.state = useState({ alerts: null });
        onWillStart(async () => {
            this.state.alerts = await this.orm.searchRead(
                "crossdept.health.alert",
                [["state", "=", "open"]],
                ["name", "value", "limit_value", "date_open"],
                { limit: 8 },
            );
        });
    }

    format(value) {
        return formatValue(value, "value");
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
        this.action = useService("action");
        this.tiles = [
            "ticket_count",
            "avg_hours",
            "median_hours",
            "p90_hours",
            "on_time_rate",
            "open_overdue",
            "transfer_rate",
            "reopen_rate",
            "satisfaction",
        ];
        this.charts = ["median_hours", "on_time_rate", "transfer_rate"];
        this.title = _t("Process Dashboard");
    }

    openTickets() {
        this.action.doAction("crossdept_analytics.crossdept_analytics_ticket_action");
    }

    openAlerts() {
        this.action.doAction("crossdept_analytics.crossdept_health_alert_action");
    }
}

registry.category("actions").add("crossdept_analytics.dashboard", CrossdeptDashboard);
