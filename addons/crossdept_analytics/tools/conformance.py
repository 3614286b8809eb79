"""Conformance of a ticket's trace with its flow version's graph, as plain functions
(no ORM), so that hand-made traces can be checked.

A graph is ``{step: (set of its predecessors, is an approval step)}``. A trace is the
list of ``(event_type, step, reason, target)`` of a ticket in the order they happened
(``target`` is the step a refusal returned to, else None); events of other kinds or
without a step of the graph are ignored.
"""

from odoo.addons.crossdept_ticket.tools.graph import descendants

OUT_OF_ORDER = "out_of_order"
SKIPPED_WITHOUT_REASON = "skipped_without_reason"
APPROVAL_BYPASSED = "approval_bypassed"
REWORK_LOOP = "rework_loop"
KINDS = [OUT_OF_ORDER, SKIPPED_WITHOUT_REASON, APPROVAL_BYPASSED, REWORK_LOOP]

# the events by which a step is worked on or decided: its predecessors must be over
WORK_EVENTS = ("step_start", "step_done", "step_approve", "step_reject")


def check_trace(graph, trace, closed=True):
    """The deviations of ``trace`` from ``graph``, as a list of ``(kind, step)``, each
    at most once:

    - out of order: a step worked on or decided before each of its predecessors was
      done or skipped (steps on parallel branches may interleave freely);
    - skipped without reason: a step skipped with no reason, or, when the ticket is
      ``closed``, a step neither done nor skipped at the end;
    - approval bypassed: an approval step done without an approval in its round, or,
      when the ticket is ``closed``, an approval step that was never done;
    - rework loop: a refusal that returned to an earlier step, or a step done again.
    """
    preds = {step: spec[0] for step, spec in graph.items()}
    over, approved, done = set(), set(), set()
    found = []

    def deviate(kind, step):
        if (kind, step) not in found:
            found.append((kind, step))

    for event, step, reason, target in trace:
        if step not in graph:
            continue
        if event in WORK_EVENTS and preds[step] - over:
            deviate(OUT_OF_ORDER, step)
        if event == "step_ready" and step in over:
            # reopened: a new round for this step
            over.discard(step)
            approved.discard(step)
        elif event == "step_skip":
            if not (reason or "").strip():
                deviate(SKIPPED_WITHOUT_REASON, step)
            over.add(step)
        elif event == "step_approve":
            approved.add(step)
        elif event == "step_done":
            if graph[step][1] and step not in approved:
                deviate(APPROVAL_BYPASSED, step)
            if step in done:
                deviate(REWORK_LOOP, step)
            done.add(step)
            over.add(step)
        elif event == "step_return" and target in graph:
            deviate(REWORK_LOOP, target)
            # the target and the steps after it are done again: one loop, not one
            # per step
            again = descendants([target], preds)
            over -= again
            approved -= again
            done -= again
    if closed:
        for step, (_preds, approval) in graph.items():
            if step not in over:
                deviate(APPROVAL_BYPASSED if approval else SKIPPED_WITHOUT_REASON, step)
    return found
