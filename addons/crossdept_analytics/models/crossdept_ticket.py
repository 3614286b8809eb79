from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression


class CrossdeptTicket(models.Model):
    _inherit = "crossdept.ticket"

    pilot_id = fields.Many2one("crossdept.pilot", readonly=True, copy=False, index="btree_not_null")
    pilot_arm = fields.Selection(
        [("control", "Control"), ("variant", "Variant")],
        readonly=True,
        copy=False,
    )
    # the department the analytics count a ticket in: its handling department, else
    # its requesting one (the ticket facts' department_id)
    handling_department_id = fields.Many2one(
        "hr.department",
        "Handled by",
        compute="_compute_handling_department_id",
        search="_search_handling_department_id",
        help="The department handling the ticket (assigned, else requesting), as the "
        "analytics count it.",
    )

    @api.depends("assigned_department_id", "department_id")
    def _compute_handling_department_id(self):
        for ticket in self:
            ticket.handling_department_id = ticket.assigned_department_id or ticket.department_id

    def _search_handling_department_id(self, operator, value):
        if operator in expression.NEGATIVE_TERM_OPERATORS:
            raise UserError(
                self.env._("The department handling a ticket can only be searched for.")
            )
        return [
            "|",
            ("assigned_department_id", operator, value),
            "&",
            ("assigned_department_id", "=", False),
            ("department_id", operator, value),
        ]

    def _engine_fields(self):
        pilot = self.env._("a running Pilot, when the ticket's flow starts")
        return {**super()._engine_fields(), "pilot_id": pilot, "pilot_arm": pilot}

    def _pilot_for(self, flow, candidates=None):
        """The running pilot whose control version is ``flow``, for this ticket's
        company, cached in ``candidates`` across a batch."""
        self.ensure_one()
        key = ("crossdept_pilot", flow.id, self.company_id.id)
        if candidates is not None and key in candidates:
            return candidates[key]
        # routing applies to every requester, whatever their rights on pilots
        pilot = self.env["crossdept.pilot"].sudo()._running_for(flow, self.company_id)[:1]
        if candidates is not None:
            candidates[key] = pilot
        return pilot

    def _find_flow(self, candidates=None):
        flow = super()._find_flow(candidates)
        if not flow:
            return flow
        pilot = self._pilot_for(flow, candidates)
        if pilot and pilot._in_scope(self) and pilot.variant_flow_id._matches(self):
            return pilot.variant_flow_id.with_env(self.env)
        return flow

    def action_start_flow(self):
        res = super().action_start_flow()
        Pilot = self.env["crossdept.pilot"].sudo()
        pilots = Pilot._running_for(self.flow_id) | Pilot.search(
            [("state", "=", "running"), ("variant_flow_id", "in", self.flow_id.ids)]
        )
        arms = defaultdict(lambda: self.browse())
        for ticket in self:
            for pilot in pilots:
                arm = pilot._arm_of(ticket)
                if arm:
                    arms[pilot, arm] |= ticket
        for (pilot, arm), tickets in arms.items():
            # the arm is the pilot's record of the ticket, not a user's edit
            tickets.sudo()._engine().write({"pilot_id": pilot.id, "pilot_arm": arm})
        return res
