import random
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# outcome of one pass of a step -> state it leaves the ticket step in
PASS_STATES = {"done": "done", "approve": "done", "reject": "rejected", "return": "rejected"}


class CrossdeptProcessHistory(models.AbstractModel):
    """Builds finished tickets with a known past: their steps, approval decisions
    and event log dated as given. Process analytics reads exactly these tables,
    so demo data and tests use it to replay months of work in one call."""

    _name = "crossdept.process.history"
    _description = "Process History Builder"

    @api.model
    def _create_history(self, flow, histories):
        """Create one finished ticket per history on ``flow`` and return them.

        A history is a dict with:
        - ``start``: datetime the ticket was created;
        - ``passes``: list of (step name, ready h, started h, done h, outcome, users),
          hours counted from ``start``; outcome is ``done`` (task), ``approve``,
          ``reject`` (the ticket is cancelled) or ``return`` (rejected, the flow
          goes back: the returned steps appear again in later passes); users are
          the approvers who decided (approvals only);
        - ``transfers`` (optional): list of (hours, from department, to department);
        - ``vals`` (optional): extra ticket values.
        """
        if not histories:
            return self.env["crossdept.ticket"]
        steps_by_name = {step.name: step for step in flow.step_ids}
        for history in histories:
            for step_pass in history["passes"]:
                if step_pass[0] not in steps_by_name:
                    raise UserError(
                        self.env._(
                            "Flow %(flow)s has no step named %(step)s.",
                            flow=flow.display_name,
                            step=step_pass[0],
                        )
                    )
        ticket_type = flow.type_ids[:1] or self.env["crossdept.ticket.type"].search([], limit=1)
        # the history is the engine's record of the past: states, pilots and dates
        tickets = (
            self.env["crossdept.ticket"]
            ._engine()
            .create(
                [
                    {
                        "title": self.env._("History of %(flow)s", flow=flow.name),
                        "type_id": ticket_type.id,
                        "flow_id": flow.id,
                        "company_id": (flow.company_id or self.env.company).id,
                        "raci_ids": [
                            Command.create({"role": "responsible", "user_id": self.env.uid})
                        ],
                        **history.get("vals", {}),
                    }
                    for history in histories
                ]
            )
        )
        tickets = tickets.with_env(self.env)
        tickets._create_steps()
        step_rows, decisions, events, event_dates, ticket_rows = [], [], [], [], []
        for ticket, history in zip(tickets, histories, strict=True):
            start = history["start"]
            by_flow_step = {step.flow_step_id.id: step for step in ticket.step_ids}
            last_pass = {}
            closed = start
            for name, ready, started, done, outcome, users in history["passes"]:
                step = by_flow_step[steps_by_name[name].id]
                dates = [start + timedelta(hours=h) for h in (ready, started, done)]
                last_pass[step] = (dates, outcome, users)
                closed = max(closed, dates[2])
                self._pass_events(ticket, step, dates, outcome, users, events, event_dates)
            for hours, from_dept, to_dept in history.get("transfers", []):
                events.append(
                    {
                        "ticket_id": ticket.id,
                        "event_type": "transfer",
                        "from_department_id": from_dept.id,
                        "to_department_id": to_dept.id,
                    }
                )
                event_dates.append(start + timedelta(hours=hours))
            for step, (dates, outcome, users) in last_pass.items():
                deadline = dates[0] + timedelta(hours=step.sla_hours)
                step_rows.append(
                    SQL(
                        "(%s, %s, %s::timestamp, %s::timestamp, %s::timestamp, %s::timestamp, %s)",
                        step.id,
                        PASS_STATES[outcome],
                        dates[0],
                        dates[1],
                        dates[2],
                        deadline,
                        "breached" if dates[2] > deadline else "on_track",
                    )
                )
                decisions += [
                    {
                        "step_id": step.id,
                        "user_id": user.id,
                        "decision": "approve" if outcome == "approve" else "reject",
                        "reason": False if outcome == "approve" else self.env._("Not justified"),
                        "date": dates[2],
                    }
                    for user in users
                ]
            rejected = any(outcome == "reject" for _d, outcome, _u in last_pass.values())
            # steps never reached: cut off by the rejection that cancelled the ticket
            # (cancelled, as the engine cancels a ticket's open steps), else skipped by
            # their conditions; each with its event, as the engine writes it
            unreached = ticket.step_ids.filtered(lambda s, passed=last_pass: s not in passed)
            for step in unreached:
                step_rows.append(
                    SQL(
                        "(%s, %s, NULL::timestamp, NULL::timestamp, NULL::timestamp, "
                        "NULL::timestamp, NULL)",
                        step.id,
                        "cancelled" if rejected else "skipped",
                    )
                )
                events.append(
                    {
                        "ticket_id": ticket.id,
                        "step_id": step.id,
                        "event_type": "step_cancel" if rejected else "step_skip",
                        "to_department_id": step.department_id.id,
                    }
                )
                event_dates.append(closed)
            ticket_rows.append(
                SQL(
                    "(%s, %s, %s::timestamp, %s::timestamp)",
                    ticket.id,
                    "cancelled" if rejected else "done",
                    start,
                    closed,
                )
            )
        # creation events are dated with the tickets
        creations = tickets.event_ids
        new_events = tickets._log_events(events)
        # a history is the engine's record of decisions taken in the past
        self.env["crossdept.ticket.step.decision"].sudo()._engine().create(decisions)
        date_rows = [
            SQL("(%s, %s::timestamp)", event.id, date)
            for event, date in zip(new_events, event_dates, strict=True)
        ]
        cr = self.env.cr
        cr.execute(
            SQL(
                "UPDATE crossdept_ticket t SET state = v.state, create_date = v.created, "
                "date_closed = CASE WHEN v.state = 'done' THEN v.closed END "
                "FROM (VALUES %s) AS v(id, state, created, closed) WHERE t.id = v.id",
                SQL(", ").join(ticket_rows),
            )
        )
        cr.execute(
            SQL(
                "UPDATE crossdept_ticket_event e SET event_date = t.create_date "
                "FROM crossdept_ticket t WHERE t.id = e.ticket_id AND e.id IN %s",
                tuple(creations.ids) or (0,),
            )
        )
        if date_rows:
            cr.execute(
                SQL(
                    "UPDATE crossdept_ticket_event e SET event_date = v.date "
                    "FROM (VALUES %s) AS v(id, date) WHERE e.id = v.id",
                    SQL(", ").join(date_rows),
                )
            )
        if step_rows:
            cr.execute(
                SQL(
                    "UPDATE crossdept_ticket_step s SET state = v.state, date_ready = v.ready, "
                    "date_started = v.started, date_done = v.done, date_deadline = v.deadline, "
                    "sla_status = v.sla FROM (VALUES %s) "
                    "AS v(id, state, ready, started, done, deadline, sla) WHERE s.id = v.id",
                    SQL(", ").join(step_rows),
                )
            )
        self.env.invalidate_all()
        return tickets

    @api.model
    def _pass_events(self, ticket, step, dates, outcome, users, events, event_dates):
        ready, started, done = dates
        base = {
            "ticket_id": ticket.id,
            "step_id": step.id,
            "to_department_id": step.department_id.id,
        }
        entries = [("step_ready", ready, {})]
        if outcome == "done":
            entries += [("step_start", started, {}), ("step_done", done, {})]
        else:
            # an approval step starts with its first decision, as the engine does
            decision = "step_approve" if outcome == "approve" else "step_reject"
            entries.append(("step_start", started, {}))
            entries += [(decision, done, {"actor_id": user.id}) for user in users]
            if outcome == "approve":
                entries.append(("step_done", done, {}))
            elif outcome == "return":
                entries.append(("step_return", done, {}))
        for event_type, date, extra in entries:
            events.append({**base, "event_type": event_type, **extra})
            event_dates.append(date)

    # ------------------------------------------------------------------
    # Demo data
    # ------------------------------------------------------------------

    @api.model
    def _demo_contract_history(self, serial_id, parallel_id, pilot_id, per_arm=60, seed=42):
        """Six months of supplier contracts: ``per_arm`` tickets on the serial
        four-level version and as many on the parallel one (the pilot's two arms).
        The vice-president approves every contract finance approved: the two
        levels overlap, which the redundant-approval detector must find."""
        rng = random.Random(seed)
        Flow = self.env["crossdept.flow"]
        serial, parallel = Flow.browse(serial_id), Flow.browse(parallel_id)
        ref = self.env.ref
        users = {
            "Department head approval": ref("crossdept_ticket.user_procurement_manager"),
            "Legal review": ref("crossdept_ticket.user_legal_manager"),
            "Finance review": ref("crossdept_ticket.user_finance_manager"),
            "Vice-president approval": ref("crossdept_ticket.user_vp"),
        }
        # (wait range, work range) in hours and rejection rate of each level
        profile = {
            "Department head approval": ((2, 20), (0.5, 2), 0.18),
            "Legal review": ((8, 40), (1, 4), 0.06),
            "Finance review": ((6, 30), (1, 3), 0.08),
            "Vice-president approval": ((4, 24), (0.2, 1), 0.0),
        }
        departments = [
            ref("crossdept_ticket.dep_procurement"),
            ref("crossdept_ticket.dep_it"),
            ref("hr.dep_sales"),
        ]
        finance = ref("crossdept_ticket.dep_finance")
        now = fields.Datetime.now().replace(minute=0, second=0, microsecond=0)

        def decide(name, ready):
            (wait_low, wait_high), (work_low, work_high), reject = profile[name]
            wait = round(rng.uniform(wait_low, wait_high), 1)
            work = round(rng.uniform(work_low, work_high), 1)
            outcome = "reject" if rng.random() < reject else "approve"
            return (name, ready, ready + wait, ready + wait + work, outcome, users[name])

        for flow, arm in ((serial, "control"), (parallel, "variant")):
            histories = []
            for index in range(per_arm):
                start = now - timedelta(days=rng.uniform(7, 180))
                passes = [decide("Department head approval", 0.0)]
                if passes[-1][4] == "approve":
                    if arm == "control":
                        for name in ("Legal review", "Finance review"):
                            passes.append(decide(name, passes[-1][3]))
                            if passes[-1][4] == "reject":
                                break
                    else:
                        head_done = passes[-1][3]
                        passes += [decide(n, head_done) for n in ("Legal review", "Finance review")]
                    if all(p[4] == "approve" for p in passes):
                        passes.append(decide("Vice-president approval", max(p[3] for p in passes)))
                # one contract in eight bounces between procurement and finance
                bounce = [(0.5, departments[0], finance), (1.5, finance, departments[0])]
                histories.append(
                    {
                        "start": start,
                        "passes": passes,
                        "transfers": bounce if index % 8 == 0 else [],
                        "vals": {
                            "title": self.env._("Supplier contract %(number)s", number=index + 1),
                            "department_id": departments[index % len(departments)].id,
                            "requester_id": ref("crossdept_ticket.user_procurement_buyer").id,
                            "pilot_id": pilot_id,
                            "pilot_arm": arm,
                        },
                    }
                )
            self._create_history(flow, histories)
        return True
