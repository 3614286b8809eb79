import { PortalHomeCounters } from "@portal/js/portal";

PortalHomeCounters.include({
    /**
     * Every customer can open a ticket: the entry shows even before the first one.
     * @override
     */
    _getCountersAlwaysDisplayed() {
        return this._super(...arguments).concat(["crossdept_ticket_count"]);
    },
});
