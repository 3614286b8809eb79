from collections import defaultdict

from odoo import Command, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from .crossdept_ticket_raci import RACI_ROLES


class CrossdeptTicket(models.Model):
    """Running a ticket on its flow: choosing the flow, instantiating its steps and
    moving through them."""

    _inherit = "crossdept.ticket"

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
            tickets.flow_id = flow
        self._create_steps()
        self.filtered(lambda t: t.state == "draft").action_open()
        self._ensure_responsible()
        self.action_start()
        self._activate_steps()
        return True

    def _create_steps(self):
        """Instantiate every ticket's flow steps in one create, then link their
        predecessors in one insert."""
        vals_list, keys = [], []
        for ticket in self:
            for flow_step in ticket.flow_id.step_ids:
                vals_list.append(ticket._prepare_step_vals(flow_step))
                keys.append((ticket.id, flow_step.id))
        steps = self.env["crossdept.ticket.step"].create(vals_list)
        step_of = dict(zip(keys, steps.ids, strict=True))
        links = [
            (step_of[ticket_id, flow_step_id], step_of[ticket_id, pred.id])
            for (ticket_id, flow_step_id), step in zip(keys, steps, strict=True)
            for pred in step.flow_step_id.predecessor_ids
        ]
        if links:
            self.env.cr.execute(
                SQL(
                    "INSERT INTO crossdept_ticket_step_predecessor_rel (step_id, predecessor_id) "
                    "VALUES %s",
                    SQL(", ").join(SQL("(%s, %s)", a, b) for a, b in links),
                )
            )
            steps.invalidate_recordset(["predecessor_ids"])
        return steps

    def _prepare_step_vals(self, flow_step):
        self.ensure_one()
        holders = {role: self.env["res.users"] for role, _label in RACI_ROLES}
        names_requester = False
        for line in flow_step.raci_ids:
            holders[line.role] |= line._resolve(self)
            names_requester = names_requester or line.holder_type == "requester"
        responsible = holders["responsible"]
        is_approval = flow_step.kind == "approval"
        # automatic dispatch happens when the step becomes ready
        assignee = self.env["res.users"]
        if not is_approval and (flow_step.assignment == "raci" or not flow_step.department_id):
            assignee = responsible[:1] or flow_step.department_id.manager_id.user_id
        return {
            "ticket_id": self.id,
            "flow_step_id": flow_step.id,
            "name": flow_step.name,
            "sequence": flow_step.sequence,
            "department_id": flow_step.department_id.id,
            "user_id": assignee.id,
            "responsible_ids": [Command.set(responsible.ids)],
            "approver_ids": [Command.set(responsible.ids if is_approval else [])],
            "accountable_id": (holders["accountable"][:1] or self.accountable_user_id).id,
            "calendar_id": flow_step._get_calendar(self).id,
            "sla_hours": flow_step.sla_hours,
            # the customer follows the steps flagged for them and those they take part in
            "portal_visible": flow_step.portal_visible
            or (names_requester and self.requester_id.share),
            "deliverable_ids": [
                Command.create({"name": line.name, "sequence": line.sequence})
                for line in flow_step.deliverable_ids
            ],
        }

    def _ensure_responsible(self):
        """A running ticket has a Responsible: its first step's assignee by default."""
        vals = []
        self.step_ids.mapped("approver_ids")  # read for the whole batch at once
        for ticket in self:
            if any(line.role == "responsible" for line in ticket.raci_ids):
                continue
            first = ticket.step_ids.filtered(lambda s: not s.predecessor_ids)
            user = (first.user_id | first.approver_ids)[:1] or ticket.accountable_user_id
            vals.append({"ticket_id": ticket.id, "role": "responsible", "user_id": user.id})
        if vals:
            self.env["crossdept.ticket.raci"].create(vals)

    def _step_skip_reason(self, step):
        flow_step = step.flow_step_id
        if flow_step.skip_when_urgent and self.priority == "3":
            return self.env._("Urgent ticket: non-critical step skipped.")
        domain = safe_eval(flow_step.condition_domain or "[]")
        if domain and not self.filtered_domain(domain):
            return self.env._("Run condition not met.")
        return False

    def _activate_steps(self):
        """Make ready (or skip) every pending step whose predecessors are finished,
        for all these tickets at once, then close the tickets whose flow is complete."""
        now = fields.Datetime.now()
        while True:
            candidates = self.step_ids.filtered(
                lambda s: (
                    s.state == "pending"
                    and all(p.state in ("done", "skipped") for p in s.predecessor_ids)
                )
            )
            if not candidates:
                break
            skipped = self.env["crossdept.ticket.step"]
            for step in candidates:
                reason = step.ticket_id._step_skip_reason(step)
                if reason:
                    step.write({"state": "skipped", "skip_reason": reason})
                    skipped |= step
            skipped._log_step_events("step_skip")
            (candidates - skipped)._make_ready(now)
            if not skipped:
                break
        for ticket in self:
            ticket._close_when_flow_done()

    def _close_when_flow_done(self):
        self.ensure_one()
        steps = self.step_ids
        if not steps or self.state != "in_progress":
            return
        if any(s.state in ("pending", "ready", "in_progress") for s in steps):
            return
        ends = steps.filtered(lambda s: not s._successors())
        if all(s.state in ("done", "skipped") for s in ends) and any(
            s.state == "done" for s in steps
        ):
            self.action_done()
