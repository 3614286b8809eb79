import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import {
    BooleanToggleField,
    booleanToggleField,
} from "@web/views/fields/boolean_toggle/boolean_toggle_field";

/**
 * A deliverable ticked off on its ticket: a toggle that saves the ticket at once
 * (Odoo's toggle saves a record of its own, not a line of another record's list).
 * The ticket is read again after the save, so that its header (``next_action``,
 * "Finish: ...") follows what the screen shows, and nothing waits for the save icon.
 */
export class CrossdeptTickField extends BooleanToggleField {
    async onChange(newValue) {
        await super.onChange(newValue);
        const root = this.props.record.model.root;
        if (root !== this.props.record) {
            await root.save();
        }
    }
}

export const crossdeptTickField = {
    ...booleanToggleField,
    component: CrossdeptTickField,
    displayName: _t("Tick Off and Save (CrossDept)"),
};

registry.category("fields").add("crossdept_tick", crossdeptTickField);
