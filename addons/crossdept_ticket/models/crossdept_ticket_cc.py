from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from .crossdept_ticket_access import EDITORS


class CrossdeptTicket(models.Model):
    """CC (抄送): people copied on a ticket read it (and its steps, events and
    decisions) and cannot act on it. They are copied by hand (the requester, an
    approver or whoever may edit the ticket) or by the flow: at submit, when a
    step is done, at the end. Departments copy their members."""

    _inherit = "crossdept.ticket"

    cc_user_ids = fields.Many2many(
        "res.users",
        "crossdept_ticket_cc_rel",
        "ticket_id",
        "user_id",
        string="CC (抄送)",
        readonly=True,
        copy=False,
        help="People copied on the ticket, and approvers who delegated their approval: "
        "they read the ticket and cannot act on it.",
    )
    can_cc = fields.Boolean(
        compute="_compute_can_cc", help="Whether the current user may copy people on it."
    )

    def _engine_fields(self):
        return {**super()._engine_fields(), "cc_user_ids": self.env._("CC (抄送)")}

    @api.depends_context("uid")
    @api.depends("requester_id", "step_ids.approver_ids")
    def _compute_can_cc(self):
        for ticket in self:
            ticket.can_cc = not ticket._cc_refusal()

    def _cc_refusal(self):
        """Why the current user may not copy people on the ticket, or False."""
        self.ensure_one()
        if self.env.su or self._is_engine():
            return False
        # approvers copy people on what they decide; readers copied cannot act
        if self.env.user in self.sudo().step_ids.approver_ids:
            return False
        allowed = EDITORS
        if self._crossdept_roles() & allowed:
            return False
        return self.env._(
            "You cannot copy people on ticket %(ticket)s: only %(who)s or one of its "
            "approvers can.",
            ticket=self.display_name,
            who=self._role_labels(allowed),
        )

    def action_cc_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("CC (抄送)"),
            "res_model": "crossdept.ticket.cc",
            "view_mode": "form",
            "target": "new",
            "context": {"default_ticket_id": self.id},
        }

    def action_cc(self, users, departments=None, reason=None):
        """Copy ``users`` and the members of ``departments`` on the ticket (抄送):
        they read it and are notified; they cannot act on it."""
        self.ensure_one()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Copying people on a ticket needs a reason."))
        refusal = self._cc_refusal()
        if refusal:
            raise UserError(refusal)
        users = self.env["res.users"].browse(getattr(users, "ids", users or []))
        departments = self.env["hr.department"].browse(
            getattr(departments, "ids", departments or [])
        )
        if not users and not departments:
            raise UserError(self.env._("Choose the people or departments to copy."))
        outsiders = users.filtered(lambda user: user.share or not user.active)
        if outsiders:
            raise UserError(
                self.env._(
                    "Only active internal users can be copied on a ticket, not %(users)s.",
                    users=", ".join(outsiders.mapped("name")),
                )
            )
        self._lock()
        self._cc(users, departments, reason)
        return True

    def _cc(self, users, departments, reason, step=None):
        """Copy ``users`` and the members of ``departments`` as the engine: each new
        reader gets an event and a notification. Returns the people copied now."""
        self.ensure_one()
        ticket = self.sudo()
        targets = [(user, self.env["hr.department"]) for user in users]
        # the members of a department copied: HR data the copying user may not read
        for department in departments.sudo():
            members = department.member_ids.user_id.filtered(
                lambda user: user.active and not user.share
            )
            targets += [(user, department) for user in members]
        new, seen = [], set(ticket.cc_user_ids.ids)
        for user, department in targets:
            if user.id not in seen:
                seen.add(user.id)
                new.append((user, department))
        if not new:
            return self.env["res.users"]
        copied = self.env["res.users"].browse([user.id for user, _department in new])
        ticket._engine().write({"cc_user_ids": [Command.link(user.id) for user in copied]})
        self._log_events(
            [
                {
                    "ticket_id": self.id,
                    "step_id": step.id if step else False,
                    "event_type": "cc",
                    "to_user_id": user.id,
                    "to_department_id": department.id,
                    "reason": reason,
                }
                for user, department in new
            ]
        )
        ticket.message_post(
            body=self.env._(
                "%(who)s copied on ticket %(ticket)s (CC, read only): %(reason)s",
                who=", ".join(copied.mapped("name")),
                ticket=self.name,
                reason=reason,
            ),
            partner_ids=copied.partner_id.ids,
            subtype_xmlid="mail.mt_note",
        )
        return copied

    def action_start_flow(self):
        res = super().action_start_flow()
        for ticket in self:
            flow = ticket.sudo().flow_id
            if flow.cc_submit_user_ids or flow.cc_submit_department_ids:
                ticket._cc(
                    flow.cc_submit_user_ids,
                    flow.cc_submit_department_ids,
                    self.env._("Copied at submit by flow %(flow)s.", flow=flow.name),
                )
        return res

    def _set_state(self, state, step=None, reason=None):
        res = super()._set_state(state, step=step, reason=reason)
        if state == "done":
            for ticket in self:
                flow = ticket.sudo().flow_id
                if flow.cc_end_user_ids or flow.cc_end_department_ids:
                    ticket._cc(
                        flow.cc_end_user_ids,
                        flow.cc_end_department_ids,
                        self.env._("Copied at the end by flow %(flow)s.", flow=flow.name),
                    )
        return res
