from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import is_html_empty

from .crossdept_ticket import SUBMITTERS


class CrossdeptTicket(models.Model):
    """Creating and submitting a ticket: the requesting department is the user's,
    the form shows which flow will run before it does, and one Submit opens the
    ticket and starts that flow."""

    _inherit = "crossdept.ticket"

    department_id = fields.Many2one(default=lambda self: self._default_department_id())
    flow_preview_id = fields.Many2one(
        "crossdept.flow",
        "Flow to Run",
        compute="_compute_flow_preview",
        help="The flow that Submit will start: the chosen one, else the most specific "
        "active flow that matches the ticket as it is now.",
    )
    flow_preview_step_ids = fields.Many2many(
        "crossdept.flow.step", string="Steps to Run", compute="_compute_flow_preview"
    )

    @api.model
    def _default_department_id(self):
        # the department of the user's own employee (HR data that plain users and
        # portal customers may not read) in the current company
        employee = (
            self.env["hr.employee"]
            .sudo()
            .search(
                [
                    ("user_id", "=", self.env.uid),
                    ("company_id", "in", (self.env.company.id, False)),
                ],
                limit=1,
            )
        )
        return employee.department_id.id

    # a flow matches on the ticket's type and on a domain over any of its values
    @api.depends(lambda self: [*self._screen_fields(), "state", "step_ids"])
    def _compute_flow_preview(self):
        candidates = {}  # flows that may apply, by (ticket type, company), as at Submit
        for ticket in self:
            flow = self.env["crossdept.flow"]
            if ticket.state in ("draft", "open") and not ticket.step_ids:
                flow = ticket.flow_id or ticket._find_flow(candidates)
            ticket.flow_preview_id = flow
            ticket.flow_preview_step_ids = flow.step_ids.sorted(lambda s: (s.sequence, s.id))

    def action_submit(self):
        """Submit drafts: those a flow matches run on it (the ticket opens and its
        first steps are ready), the others are open for work."""
        self._check_actor(SUBMITTERS, self.env._("submit"))
        submitted = self.filtered(lambda ticket: ticket.state != "draft")
        if submitted:
            raise UserError(
                self.env._(
                    "Only a draft is submitted; %(tickets)s already is %(state)s.",
                    tickets=", ".join(submitted.mapped("display_name")),
                    state=submitted[0]._state_label(submitted[0].state),
                )
            )
        candidates = {}
        with_flow = self.filtered(lambda ticket: ticket.flow_id or ticket._find_flow(candidates))
        (self - with_flow).action_open()
        if with_flow:
            with_flow.action_start_flow()
            with_flow._finish_requester_steps()
        if len(self) == 1:
            return self._submitted_notification()
        return True

    def _requester_steps(self):
        """The steps that are the submitting requester's own part of the flow: ready
        tasks whose flow step names the requester as Responsible, held by the
        requester (or by nobody else), on tickets the current user requested."""
        user = self.env.user
        return self.step_ids.filtered(
            lambda step: (
                step.kind == "task"
                and step.state == "ready"
                and step.ticket_id.requester_id == user
                and step.user_id in (user, user.browse())
                and any(
                    line.role == "responsible" and line.holder_type == "requester"
                    for line in step.flow_step_id.raci_ids
                )
            )
        )

    def _finish_requester_steps(self):
        """Submitting a request completes what its requester had to do: their own
        first steps (see ``_requester_steps``) are finished by the step's Finish, as
        if they had clicked it, so the flow moves on to the next holders at once.

        What those steps require comes from the ticket: their required inputs and
        attachment as Finish checks them, and their deliverables from the request's
        Description (Submit ticks them off when it is filled). What is missing is
        refused by name, and nothing of the Submit is kept."""
        steps = self._requester_steps()
        for step in steps:
            missing = step._missing_for_completion(deliverables=step.deliverable_ids.browse())
            if step.deliverable_ids and is_html_empty(step.ticket_id.description):
                missing.append(
                    self.env._(
                        "input: %(field)s, which carries the deliverables %(deliverables)s",
                        field=self._fields["description"]._description_string(self.env),
                        deliverables=", ".join(step.deliverable_ids.mapped("name")),
                    )
                )
            if missing:
                raise UserError(
                    self.env._(
                        "Submit also finishes step %(step)s, which is yours as the "
                        "requester, and it still needs:\n%(missing)s",
                        step=step.display_name,
                        missing="\n".join(f"- {item}" for item in missing),
                    )
                )
        if steps:
            steps.deliverable_ids.filtered(lambda line: not line.done).write({"done": True})
            steps.action_finish()

    def _submitted_notification(self):
        """A notification naming who the submitted ticket waits on now (the form
        reloads behind it)."""
        self.ensure_one()
        steps = self._current_steps()
        waits_on = [
            self.env._(
                "%(holders)s (%(step)s)",
                holders=", ".join(step._current_holders().mapped("name"))
                or self.env._(
                    "the queue of %(department)s", department=step.department_id.display_name
                ),
                step=step.name,
            )
            for step in steps
        ]
        if not waits_on and self.user_id:
            waits_on = [self.user_id.name]
        if waits_on:
            message = self.env._(
                "%(ticket)s now waits on %(holders)s.",
                ticket=self.display_name,
                holders=", ".join(waits_on),
            )
        else:
            message = self.env._("%(ticket)s is open for work.", ticket=self.display_name)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Submitted"),
                "message": message,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
