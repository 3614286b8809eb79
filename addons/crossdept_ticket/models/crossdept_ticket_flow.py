from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from ..tools.batch import create_computed, shared_defaults
from ..tools.graph import successors_of
from .crossdept_ticket import SUBMITTERS
from .crossdept_ticket_raci import RACI_ROLES

# step states in which a step still has work to do
OPEN_STEP_STATES = ("pending", "ready", "in_progress")
# step states that let the steps after them start
PASSED_STEP_STATES = ("done", "skipped")
# the stored computed fields of a new step, given by _prepare_step_vals
STEP_COMPUTED = ("company_id", "kind", "priority", "effort_hours")
# those of a new RACI line, given by _ensure_responsible
RACI_COMPUTED = ("company_id", "holder_user_id")


class CrossdeptTicket(models.Model):
    """Running a ticket on its flow: choosing the flow, instantiating its steps and
    moving through them."""

    _inherit = "crossdept.ticket"

    def _lock(self):
        """Serialise everything that moves these tickets' flows.

        The ticket rows are locked in id order (no deadlock between two batches)
        and updated, so that a concurrent transaction that moves the same ticket
        waits for this one and then fails with a serialization error, which Odoo
        retries (RPC and HTTP; a cron job runs again at its next call): the retry
        sees this transaction's work. A
        lock alone would not do under repeatable read: both transactions could
        decide on snapshots taken before either committed (two parallel branches
        finishing at once would then never start their join step).

        What this transaction read of the tickets before the lock stays valid: under
        repeatable read every statement reads the transaction's one snapshot, so
        reading them again after the lock would read the same rows (a commit or
        rollback empties the caches); only the write date the lock itself wrote is
        read again. Their steps and decisions are read again, as the acting user: what
        the transaction cached of them (as the superuser, or as somebody else) then
        goes through the user's record rules again, so that somebody who may not read
        a step cannot move it."""
        if not self.ids:
            return
        self._lock_where(SQL("id IN %s", tuple(self.ids)))

    @api.model
    def _lock_where(self, condition):
        """``_lock`` of the tickets ``condition`` selects (an SQL condition on the
        ticket table), in the lock's own query."""
        self.env.cr.execute(
            SQL(
                "UPDATE crossdept_ticket SET write_date = (now() AT TIME ZONE 'UTC') "
                "WHERE id IN (SELECT id FROM crossdept_ticket WHERE %s "
                "ORDER BY id FOR NO KEY UPDATE)",
                condition,
            ),
            log_exceptions=False,
        )
        # the write date the lock wrote is read again (of every ticket: the condition
        # may name them through their steps)
        self.invalidate_model(["write_date"])
        self.env["crossdept.ticket.step"].invalidate_model()
        self.env["crossdept.ticket.step.decision"].invalidate_model()

    def _find_flow(self, candidates=None):
        """The most specific active flow for this ticket; ``candidates`` caches the
        active flows of each (type, company) across a batch of tickets."""
        self.ensure_one()
        Flow = self.env["crossdept.flow"]
        if candidates is None:
            return Flow._find_for_ticket(self)[:1]
        key = (self.type_id, self.company_id)
        if key not in candidates:
            candidates[key] = Flow._active_for(self.type_id, self.company_id)
        return candidates[key].filtered(lambda flow: flow._matches(self))[:1]

    def action_start_flow(self):
        """Submit the tickets and run them on their flow."""
        self._check_actor(SUBMITTERS, self.env._("start the flow of"))
        self._lock()
        by_flow = defaultdict(lambda: self.browse())
        candidates = {}  # flows that may apply, by (ticket type, company)
        for ticket in self:
            if ticket.step_ids:
                raise UserError(
                    self.env._(
                        "The flow of ticket %(ticket)s has already started.",
                        ticket=ticket.display_name,
                    )
                )
            if ticket.state not in ("draft", "open"):
                raise UserError(
                    self.env._(
                        "Ticket %(ticket)s must be Draft or Open to start its flow.",
                        ticket=ticket.display_name,
                    )
                )
            flow = ticket.flow_id or ticket._find_flow(candidates)
            if not flow:
                raise UserError(
                    self.env._(
                        "No active flow matches ticket %(ticket)s.", ticket=ticket.display_name
                    )
                )
            if flow.state != "active" or not flow._matches(ticket):
                raise UserError(
                    self.env._(
                        "Flow %(flow)s does not apply to ticket %(ticket)s.",
                        flow=flow.display_name,
                        ticket=ticket.display_name,
                    )
                )
            by_flow[flow] |= ticket
        for flow, tickets in by_flow.items():
            tickets._engine().write({"flow_id": flow.id})
        self._run_flow()
        return True

    def _run_flow(self):
        """Instantiate the flow's steps and start the work on these tickets. The rows
        created meanwhile (steps, RACI lines, events, to-dos) share their defaults."""
        with shared_defaults(self) as tickets:
            tickets._create_steps()
            tickets.filtered(lambda t: t.state == "draft")._set_state("open")
            tickets._ensure_responsible()
            tickets._set_state("in_progress")
            tickets._activate_steps()

    def _create_steps(self):
        """Instantiate every ticket's flow steps in one create, then link their
        predecessors in one insert."""
        vals_list, keys = [], []
        shared = {}  # what the steps of each flow step share, read once for the batch
        for ticket in self:
            for flow_step in ticket.flow_id.step_ids:
                if flow_step not in shared:
                    shared[flow_step] = self._step_shared_vals(flow_step)
                vals_list.append(ticket._prepare_step_vals(flow_step, shared[flow_step]))
                keys.append((ticket.id, flow_step.id))
        steps = create_computed(
            self.env["crossdept.ticket.step"]._engine(), vals_list, STEP_COMPUTED
        )
        # the names in every language, not only in the language of who starts the flow
        steps._copy_flow_names()
        step_of = dict(zip(keys, steps.ids, strict=True))
        flow_steps = {flow_step.id: flow_step for flow_step in shared}
        links = [
            (step_of[ticket_id, flow_step_id], step_of[ticket_id, pred.id])
            for ticket_id, flow_step_id in keys
            for pred in flow_steps[flow_step_id].predecessor_ids
        ]
        if links:
            self.env.cr.execute(
                SQL(
                    "INSERT INTO crossdept_ticket_step_predecessor_rel (step_id, predecessor_id) "
                    "VALUES %s",
                    SQL(", ").join(SQL("(%s, %s)", a, b) for a, b in links),
                )
            )
        # the links just written, as reading them would give them: a new step's
        # predecessors in the steps' order (its ticket's, then sequence and id)
        sequence_of = {
            step_id: vals["sequence"] for step_id, vals in zip(steps.ids, vals_list, strict=True)
        }
        predecessors = defaultdict(list)
        for step_id, pred_id in links:
            predecessors[step_id].append(pred_id)
        self.env.cache.update(
            steps,
            steps._fields["predecessor_ids"],
            [
                tuple(sorted(predecessors[step_id], key=lambda i: (sequence_of[i], i)))
                for step_id in steps.ids
            ],
        )
        self.invalidate_recordset(["step_ids"])
        return steps.with_env(self.env)

    @api.model
    def _step_shared_vals(self, flow_step):
        """What the steps of ``flow_step`` take from it whatever their ticket (read
        once for a batch of tickets): their values, their RACI lines with the users
        of those whose holders do not depend on the ticket, their deliverables."""
        is_approval = flow_step.kind == "approval"
        return {
            "vals": {
                "flow_step_id": flow_step.id,
                "name": flow_step.name,
                "sequence": flow_step.sequence,
                "department_id": flow_step.department_id.id,
                "sla_hours": flow_step.sla_hours,
                "kind": flow_step.kind,
            },
            "raci": [
                (line.role, line, None if line._holds_per_ticket() else line._resolve(self))
                for line in flow_step.raci_ids
            ],
            "names_requester": any(line.holder_type == "requester" for line in flow_step.raci_ids),
            "is_approval": is_approval,
            # automatic dispatch happens when the step becomes ready
            "assigns": not is_approval
            and (flow_step.assignment == "raci" or not flow_step.department_id),
            "manager": flow_step.department_id.manager_id.user_id,
            "portal_visible": flow_step.portal_visible,
            "calendars": {},  # by the ticket's company (_get_calendar)
            "deliverables": [
                {
                    "flow_deliverable_id": line.id,
                    "name": line.name,
                    "sequence": line.sequence,
                    "value_type": line.value_type,
                    "required": line.required,
                }
                for line in flow_step.deliverable_ids
            ],
        }

    def _prepare_step_vals(self, flow_step, shared=None):
        self.ensure_one()
        shared = shared or self._step_shared_vals(flow_step)
        holders = {role: self.env["res.users"] for role, _label in RACI_ROLES}
        for role, line, users in shared["raci"]:
            holders[role] |= line._resolve(self) if users is None else users
        responsible = holders["responsible"]
        assignee = self.env["res.users"]
        if shared["assigns"]:
            assignee = responsible[:1] or shared["manager"]
        calendars = shared["calendars"]
        if self.company_id not in calendars:
            calendars[self.company_id] = flow_step._get_calendar(self)
        vals = dict(
            shared["vals"],
            ticket_id=self.id,
            user_id=assignee.id,
            accountable_id=(holders["accountable"][:1] or self.accountable_user_id).id,
            calendar_id=calendars[self.company_id].id,
            # the customer follows the steps flagged for them and those they take part in
            portal_visible=shared["portal_visible"]
            or (shared["names_requester"] and self.requester_id.share),
            # the stored computed fields (STEP_COMPUTED), as their computes give them
            # for a new step: written by the INSERT, not once more after it
            company_id=self.company_id.id,
            priority=self.priority,
            effort_hours=0.0,
        )
        # a new step's lists start empty: only those with lines are given
        if responsible:
            vals["responsible_ids"] = [Command.set(responsible.ids)]
            if shared["is_approval"]:
                # the approvers see the ticket from its start; who decides is settled
                # again when the step is ready
                vals["approver_ids"] = [Command.set(responsible.ids)]
        if shared["deliverables"]:
            currency = self.company_id.currency_id.id
            vals["deliverable_ids"] = [
                Command.create(
                    dict(line, currency_id=currency if line["value_type"] == "amount" else False)
                )
                for line in shared["deliverables"]
            ]
        return vals

    def _ensure_responsible(self):
        """A running ticket has a Responsible: its first step's assignee by default."""
        vals = []
        for ticket in self:
            if any(line.role == "responsible" for line in ticket.raci_ids):
                continue
            first = ticket.step_ids.filtered(lambda s: not s.predecessor_ids)
            user = (first.user_id | first.responsible_ids)[:1] or ticket.accountable_user_id
            vals.append(
                {
                    "ticket_id": ticket.id,
                    "role": "responsible",
                    "user_id": user.id,
                    # RACI_COMPUTED, as their computes give them: the line names a user
                    "company_id": ticket.company_id.id,
                    "holder_user_id": user.id,
                }
            )
        if vals:
            create_computed(self._engine().env["crossdept.ticket.raci"], vals, RACI_COMPUTED)

    def _step_skip_reason(self, step):
        flow_step = step.flow_step_id
        if flow_step.skip_when_urgent and self.priority == "3":
            return self.env._("Urgent ticket: non-critical step skipped.")
        domain = safe_eval(flow_step.condition_domain or "[]")
        if domain and not self.filtered_domain(domain):
            return self.env._("Run condition not met.")
        return False

    def _activate_steps(self, cause=None):
        """Make ready (or skip) every pending step whose predecessors are finished,
        for all these tickets at once, then close the tickets whose flow is complete.
        ``cause`` is the step whose end moved the flow, named by the events."""
        now = fields.Datetime.now()
        while True:
            candidates = self.step_ids.filtered(
                lambda s: (
                    s.state == "pending"
                    and all(p.state in PASSED_STEP_STATES for p in s.predecessor_ids)
                )
            )
            if not candidates:
                break
            skipped = self.env["crossdept.ticket.step"]
            for step in candidates:
                reason = step.ticket_id._step_skip_reason(step)
                if reason:
                    step._engine().write({"state": "skipped", "skip_reason": reason})
                    skipped |= step
            skipped._log_step_events("step_skip")
            (candidates - skipped)._make_ready(now)
            if not skipped:
                break
        for ticket in self:
            ticket._close_when_flow_done(cause)
        self._sync_current_step()

    def _close_when_flow_done(self, cause=None):
        """A ticket whose flow has no open step left and whose last steps are done or
        skipped is done (a flow whose every step was skipped included)."""
        self.ensure_one()
        steps = self.step_ids
        if not steps or self.state != "in_progress":
            return
        if any(s.state in OPEN_STEP_STATES for s in steps):
            return
        succs = successors_of({step: set(step.predecessor_ids) for step in steps})
        ends = steps.filtered(lambda s: not succs.get(s))
        if all(s.state in PASSED_STEP_STATES for s in ends):
            self._set_state("done", step=cause)

    # ------------------------------------------------------------------
    # The steps follow their ticket
    # ------------------------------------------------------------------

    def _on_state_change(self, before, reason):
        res = super()._on_state_change(before, reason)
        self.filtered(lambda t: t.state == "cancelled")._cancel_open_steps(reason)
        self.filtered(lambda t: t.state == "draft" and before[t.id] == "cancelled")._archive_steps()
        self.filtered(lambda t: t.state == "in_progress" and before[t.id] == "done")._reopen_steps()
        return res

    def _cancel_open_steps(self, reason=None):
        """Cancel the open steps: their clocks, escalations and activities stop,
        and they leave their holders' load and "My Steps"."""
        steps = self.step_ids.filtered(lambda s: s.state in OPEN_STEP_STATES)
        if not steps:
            return
        steps._engine().write({"state": "cancelled", "date_escalation_due": False})
        steps._log_step_events("step_cancel", reason=reason)
        steps._close_activities()

    def _archive_steps(self):
        """A cancelled ticket reset to draft keeps its steps in its history (archived)
        and starts its flow again from the first step, with the flow's current
        version, when it is started again."""
        for ticket in self.filtered("step_ids"):
            count = len(ticket.step_ids)
            ticket.step_ids._engine().write({"active": False})
            vals = {}
            if ticket.flow_id.state != "active":
                vals["flow_id"] = False
            if vals:
                ticket._engine().write(vals)
            ticket.message_post(
                body=self.env._(
                    "Back to draft: the %(count)s steps of the earlier run stay in the "
                    "history; Start Flow runs the flow again from its first step.",
                    count=count,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _reopen_steps(self):
        """A done ticket reopened works again on its last done steps (they are ready
        for their holders again); a ticket whose steps were all skipped runs its
        flow again."""
        for ticket in self.filtered("step_ids"):
            steps = ticket.step_ids
            done = steps.filtered(lambda s: s.state == "done")
            if not done:
                ticket.step_ids._engine().write({"active": False})
                ticket._run_flow()
                names = ticket.step_ids.filtered(lambda s: s.state == "ready").mapped("name")
                body = self.env._(
                    "Reopened: the flow runs again; ready now: %(steps)s.",
                    steps=", ".join(names) or "-",
                )
            else:
                succs = successors_of({step: set(step.predecessor_ids) for step in steps})
                last = done.filtered(
                    lambda s, succs=succs: not any(n.state == "done" for n in succs[s])
                )
                last._reopen()
                body = self.env._(
                    "Reopened: %(steps)s ready again for %(holders)s.",
                    steps=", ".join(last.mapped("name")),
                    holders=", ".join((last.user_id | last.approver_ids).mapped("name")) or "-",
                )
            ticket.message_post(body=body, subtype_xmlid="mail.mt_note")
