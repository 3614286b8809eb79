from odoo import api, models

from ..tools.conformance import KINDS, check_trace

BATCH = 500
TRACE_EVENTS = (
    "step_ready",
    "step_start",
    "step_done",
    "step_skip",
    "step_approve",
    "step_reject",
    "step_return",
)


class CrossdeptProcessConformance(models.AbstractModel):
    """Conformance checking: each closed ticket's trace against the graph of the flow
    version it ran on (tools/conformance.py says what counts as a deviation). Read
    as the current user: record rules decide which tickets are checked."""

    _name = "crossdept.process.conformance"
    _description = "Process Conformance"

    @api.model
    def _check(self, domain=None):
        """Check the closed (done) tickets that ``domain`` selects. Returns
        ``{"checked": n, "conforming": n, "rate": share or None, "deviations":
        {kind: tickets}, "steps": {ticket id: [(kind, flow step)]}}``."""
        Ticket = self.env["crossdept.ticket"]
        Event = self.env["crossdept.ticket.event"]
        domain = [*(domain or []), ("state", "=", "done"), ("flow_id", "!=", False)]
        graphs, by_kind, steps = {}, {kind: [] for kind in KINDS}, {}
        checked = conforming = last = 0
        while True:
            tickets = Ticket.search_fetch(
                [*domain, ("id", ">", last)], ["flow_id"], order="id", limit=BATCH
            )
            if not tickets:
                break
            last = tickets[-1].id
            # the run that stands: a rerun archives the steps of the earlier run,
            # whose events are history, not part of the trace being checked
            events = Event.search_fetch(
                [
                    ("ticket_id", "in", tickets.ids),
                    ("event_type", "in", TRACE_EVENTS),
                    ("step_id.active", "=", True),
                ],
                ["ticket_id", "step_id", "event_type", "reason", "target_step_id"],
                order="ticket_id, event_date, id",
            )
            traces = {}
            for event in events:
                traces.setdefault(event.ticket_id.id, []).append(
                    (
                        event.event_type,
                        event.step_id.flow_step_id,
                        event.reason,
                        event.target_step_id.flow_step_id or None,
                    )
                )
            for ticket in tickets:
                flow = ticket.flow_id
                if flow not in graphs:
                    graphs[flow] = {
                        step: (set(step.predecessor_ids), step.kind == "approval")
                        for step in flow.step_ids
                    }
                found = check_trace(graphs[flow], traces.get(ticket.id, []))
                checked += 1
                if not found:
                    conforming += 1
                    continue
                steps[ticket.id] = found
                for kind in dict.fromkeys(kind for kind, _step in found):
                    by_kind[kind].append(ticket.id)
            self.env.invalidate_all()
        return {
            "checked": checked,
            "conforming": conforming,
            "rate": conforming / checked if checked else None,
            "deviations": {kind: Ticket.browse(ids) for kind, ids in by_kind.items()},
            "steps": steps,
        }

    @api.model
    def _conformance_rate(self, domain=None):
        """Share of the closed tickets whose trace follows their flow version's
        graph; None when no ticket is closed."""
        return self._check(domain)["rate"]
