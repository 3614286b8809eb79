from collections import defaultdict

from odoo import fields, models

from ..tools.local_time import format_for_reader, reader_tz


class CrossdeptTicketStep(models.Model):
    """Urge (催办) on approval steps: the requester reminds the approvers who have
    not decided yet, with a message and a to-do each, at most once per interval
    (the flow's, else the system parameter's)."""

    _inherit = "crossdept.ticket.step"

    def action_urge(self, note=None):
        """The requester urges the approvers of the step who have not decided yet."""
        self.ensure_one()
        self._check_approval_step()
        return self._approval_urge(note)

    def _approval_urge_interval(self):
        hours = self.flow_step_id.flow_id.urge_interval_hours
        return hours if hours > 0 else super()._approval_urge_interval()

    def _approval_last_urge(self):
        # the log is the engine's; the requester may not read every event of the
        # ticket, but when the step was last urged is theirs to know
        event = (
            self.env["crossdept.ticket.event"]
            .sudo()
            .search(
                [("step_id", "=", self.id), ("event_type", "=", "approval_urge")],
                order="event_date desc, id desc",
                limit=1,
            )
        )
        return event.event_date

    def _on_approval_urged(self, users, note):
        ticket = self.ticket_id
        ticket._log_events(
            [
                {
                    "ticket_id": ticket.id,
                    "step_id": self.id,
                    "event_type": "approval_urge",
                    "to_user_id": user.id,
                    "to_department_id": self.department_id.id,
                    "reason": note or False,
                }
                for user in users
            ]
        )
        requester = self.env.user.name
        today = fields.Date.context_today(self)
        self.env["crossdept.ticket"]._schedule_activities_batch(
            [
                (
                    ticket,
                    user,
                    self.with_context(lang=user.lang).env._(
                        "Urged by %(user)s: approve or refuse %(step)s",
                        user=requester,
                        step=self.with_context(lang=user.lang).name,
                    ),
                    today,
                    self,
                    note,
                )
                for user in users
            ]
        )
        # the message speaks to its readers: one per language and time zone among them
        readers = defaultdict(lambda: self.env["res.partner"])
        for partner in users.partner_id:
            readers[partner.lang or self.env.lang, reader_tz(partner)] |= partner
        for (lang, _tz), partners in readers.items():
            reader = self.with_context(lang=lang)
            body = reader.env._(
                "%(user)s urges you to decide on step %(step)s (deadline %(deadline)s).",
                user=requester,
                step=reader.name,
                deadline=format_for_reader(reader.env, self.date_deadline, partners[0]),
            )
            if note:
                body = reader.env._("%(message)s Note: %(note)s", message=body, note=note)
            ticket.message_post(body=body, partner_ids=partners.ids, subtype_xmlid="mail.mt_note")
