from odoo import api, fields, models
from odoo.exceptions import UserError

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
        return True
