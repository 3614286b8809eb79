import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { ViewButton } from "@web/views/view_button/view_button";

/**
 * The primary action of a ticket for its reader ("Finish: Technical feasibility",
 * "Approve: Management approval" and "Refuse", "Start: ...", "Take: ...", "Submit"),
 * computed on the server by the checks the actions apply (field ``next_action``).
 * Odoo's buttons have a fixed label: each action is rendered as a standard header
 * button (saving the form first, reloading it after, opening what the server
 * returns) that calls ``action_next_step(step_id, what)``, which checks everything
 * again. An action that cannot be done yet is shown disabled, with the reason.
 */
export class CrossdeptNextActionField extends Component {
    static template = "crossdept_ticket.NextActionField";
    static components = { ViewButton };
    static props = { ...standardFieldProps };

    get actions() {
        return this.props.record.data[this.props.name] || [];
    }

    get blocked() {
        return this.actions.map((action) => action.blocked).find(Boolean) || "";
    }

    clickParams(action) {
        return {
            type: "object",
            name: "action_next_step",
            args: JSON.stringify([action.step_id || false, action.what]),
        };
    }
}

export const crossdeptNextActionField = {
    component: CrossdeptNextActionField,
    displayName: _t("Next Action (CrossDept)"),
    supportedTypes: ["json"],
};

registry.category("fields").add("crossdept_next_action", crossdeptNextActionField);
