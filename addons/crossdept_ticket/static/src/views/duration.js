import { _t } from "@web/core/l10n/translation";
import { evaluateBooleanExpr } from "@web/core/py_js/py";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { FloatField, floatField } from "@web/views/fields/float/float_field";

/**
 * How CrossDept shows durations and measures, on every screen: hours with one
 * decimal and the unit ("52.8 h"), rates with one decimal ("85.3%"), in the
 * user's language; nothing to show is an en dash, never 0. The server side of the
 * same rule is crossdept_ticket/tools/duration.py.
 */
export const EMPTY = "\u2013";

function isEmpty(value) {
    return value === null || value === undefined || value === false || Number.isNaN(value);
}

export function formatNumber(value, { digits = 1, sign = false } = {}) {
    if (isEmpty(value)) {
        return EMPTY;
    }
    const text = formatFloat(value, { digits: [false, digits] });
    return sign && value > 0 ? `+${text}` : text;
}

export function formatHours(value, { sign = false } = {}) {
    if (isEmpty(value)) {
        return EMPTY;
    }
    return _t("%(hours)s h", { hours: formatNumber(value, { sign }) });
}

export function formatPercent(value, { sign = false } = {}) {
    if (isEmpty(value)) {
        return EMPTY;
    }
    return `${formatNumber(value, { sign })}%`;
}

// pivot and graph measures: <field name="..." type="measure" widget="crossdept_hours"/>
registry
    .category("formatters")
    .add("crossdept_hours", (value) => formatHours(value))
    .add("crossdept_percent", (value) => formatPercent(value));

/**
 * Float fields shown with the rule above when read-only (an ordinary number input
 * when edited). Options:
 * - empty_if: an expression on the record, like invisible=; while it holds the
 *   value shows "–" (nothing was measured, e.g. the hours of a month without
 *   closed tickets, which the ORM reads as 0.0): "not closed_count";
 * - zero_is_empty: 0 itself means "nothing" (e.g. satisfaction without rating).
 */
export class CrossdeptMeasureField extends FloatField {
    static props = {
        ...FloatField.props,
        unit: { type: String, optional: true },
        emptyIf: { type: String, optional: true },
        zeroIsEmpty: { type: Boolean, optional: true },
    };

    get formattedValue() {
        if (!this.props.readonly) {
            return super.formattedValue;
        }
        const { record, emptyIf, zeroIsEmpty } = this.props;
        let value = this.value;
        if (
            (emptyIf && evaluateBooleanExpr(emptyIf, record.evalContextWithVirtualIds)) ||
            (zeroIsEmpty && !value)
        ) {
            value = null;
        }
        if (this.props.unit === "hours") {
            return formatHours(value);
        }
        if (this.props.unit === "percent") {
            return formatPercent(value);
        }
        return formatNumber(value, { digits: this.props.digits ? this.props.digits[1] : 1 });
    }
}

function measureField(unit, displayName) {
    return {
        ...floatField,
        component: CrossdeptMeasureField,
        displayName,
        supportedOptions: [
            {
                label: _t("Empty if"),
                name: "empty_if",
                type: "string",
                help: _t("Show a dash while this expression holds."),
            },
            {
                label: _t("Zero is empty"),
                name: "zero_is_empty",
                type: "boolean",
            },
        ],
        extractProps: (fieldInfo, dynamicInfo) => ({
            ...floatField.extractProps(fieldInfo, dynamicInfo),
            unit,
            emptyIf: fieldInfo.options.empty_if,
            zeroIsEmpty: Boolean(fieldInfo.options.zero_is_empty),
        }),
    };
}

registry
    .category("fields")
    .add("crossdept_hours", measureField("hours", _t("Hours (CrossDept)")))
    .add("crossdept_percent", measureField("percent", _t("Rate (CrossDept)")))
    .add("crossdept_number", measureField("number", _t("Measure (CrossDept)")));
