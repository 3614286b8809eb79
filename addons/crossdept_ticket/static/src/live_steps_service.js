import { registry } from "@web/core/registry";
import { useBus } from "@web/core/utils/hooks";
import { patch } from "@web/core/utils/patch";
import { FormController } from "@web/views/form/form_controller";
import { KanbanController } from "@web/views/kanban/kanban_controller";
import { ListController } from "@web/views/list/list_controller";

/**
 * Live updates of CrossDept steps. The server sends "crossdept.step/updated" on a
 * user's channel when a step becomes ready, is assigned, reassigned or escalated to
 * them, or gets its approvers ({step_ids, ticket_ids}). This service passes it on
 * to the open views: step lists and kanbans (My Steps, approvals) reload, and so do
 * an open ticket or step form that the notification names, unless the user is
 * editing it.
 */
export const STEPS_UPDATED = "CROSSDEPT:STEPS-UPDATED";
const NOTIFICATION = "crossdept.step/updated";
const STEP_MODEL = "crossdept.ticket.step";
const TICKET_MODEL = "crossdept.ticket";

export const crossdeptLiveStepsService = {
    dependencies: ["bus_service"],
    start(env, { bus_service }) {
        bus_service.subscribe(NOTIFICATION, (payload) => {
            env.bus.trigger(STEPS_UPDATED, payload);
        });
        bus_service.start();
    },
};

registry.category("services").add("crossdept_live_steps", crossdeptLiveStepsService);

function useLiveReload(controller, concerns) {
    useBus(controller.env.bus, STEPS_UPDATED, async ({ detail: payload }) => {
        const root = controller.model.root;
        if (!root || !concerns(root, payload)) {
            return;
        }
        // never throw away what the user is typing
        if (root.editedRecord || (root.isDirty && (await root.isDirty()))) {
            return;
        }
        await controller.model.load();
    });
}

patch(ListController.prototype, {
    setup() {
        super.setup(...arguments);
        if (this.props.resModel === STEP_MODEL) {
            useLiveReload(this, () => true);
        }
    },
});

patch(KanbanController.prototype, {
    setup() {
        super.setup(...arguments);
        if (this.props.resModel === STEP_MODEL) {
            useLiveReload(this, () => true);
        }
    },
});

patch(FormController.prototype, {
    setup() {
        super.setup(...arguments);
        if (this.props.resModel === TICKET_MODEL) {
            useLiveReload(this, (root, payload) => payload.ticket_ids.includes(root.resId));
        } else if (this.props.resModel === STEP_MODEL) {
            useLiveReload(this, (root, payload) => payload.step_ids.includes(root.resId));
        }
    },
});
