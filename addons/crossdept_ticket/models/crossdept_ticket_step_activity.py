from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import plaintext2html

from ..tools.local_time import format_for_reader, local_date, reader_tz


class CrossdeptTicketStep(models.Model):
    """The holders' to-dos follow the work: a holder or approver gets one activity
    per step when it is theirs, closed when they act, when the step ends, or when it
    goes to someone else."""

    _inherit = "crossdept.ticket.step"

    def _activities(self, users=None):
        domain = [("crossdept_step_id", "in", self.ids)]
        if users is not None:
            domain.append(("user_id", "in", users.ids))
        # the to-dos of a step are the engine's: closing them is part of the step's move
        return self.env["mail.activity"].sudo().search(domain)

    def _schedule_activities(self, users, summary, note=False):
        """One to-do per user and step, on the ticket, due at the step's deadline
        (none twice for the same person and step)."""
        self._schedule_activities_batch([(step, users, summary, note) for step in self])

    @api.model
    def _schedule_activities_batch(self, entries):
        """[(step, users, summary, note)] in one search and one INSERT (the flows of a
        thousand tickets started at once give a thousand to-dos)."""
        steps = self.browse({step.id for step, *_rest in entries})
        existing = {(a.crossdept_step_id.id, a.user_id.id) for a in steps._activities()}
        today = fields.Date.context_today(self)
        self.env["crossdept.ticket"]._schedule_activities_in_one_insert(
            [
                (
                    step.ticket_id,
                    user,
                    summary,
                    # the day the deadline falls on for the person
                    local_date(step.date_deadline, user.partner_id)
                    if step.date_deadline
                    else today,
                    step,
                    note,
                )
                for step, users, summary, note in entries
                for user in users
                if (step.id, user.id) not in existing
            ]
        )

    def _schedule_holder_activities(self):
        self._schedule_activities_batch(
            [
                (step, step.user_id, self.env._("Step %(step)s is yours", step=step.name), False)
                for step in self
                if step.user_id and step.state in ("ready", "in_progress")
            ]
        )

    def _notify_approvers(self, users):
        """Approvers hear of a step as soon as it waits for them: a to-do each and
        a message on the ticket."""
        # the message speaks to its readers: one per language and time zone among them
        readers = defaultdict(lambda: self.env["res.partner"])
        for partner in users.partner_id:
            readers[partner.lang or self.env.lang, reader_tz(partner)] |= partner
        for step in self:
            step._schedule_activities(
                users, self.env._("Approve or refuse: %(step)s", step=step.name)
            )
            for (lang, _tz), partners in readers.items():
                reader = step.with_context(lang=lang)
                step.ticket_id.message_post(
                    body=reader.env._(
                        "Step %(step)s waits for your decision (deadline %(deadline)s).",
                        step=reader.name,
                        deadline=format_for_reader(reader.env, step.date_deadline, partners[0]),
                    ),
                    partner_ids=partners.ids,
                    subtype_xmlid="mail.mt_note",
                )

    def _close_activities(self, users=None, done=False, noted=None):
        """Close the steps' to-dos (of ``users`` only, if given), all in one unlink.
        With ``done``, the current user's are marked done (they did the work): those
        ``noted`` (the steps' done messages recorded them, see ``_notify_done``) go
        with the others, the rest as Odoo marks a to-do done, with its message."""
        activities = self._activities(users)
        if done:
            mine = activities.filtered(lambda a: a.user_id == self.env.user)
            if noted:
                mine -= noted
            if mine:
                mine.with_user(self.env.user)._action_done()
                activities -= mine
        activities.unlink()

    def _todos_done_with_message(self):
        """The current user's to-dos on these steps that the message saying the step
        is done records as done, as Odoo's "mark as done" would with a message of its
        own: those of a type that keeps no done to-do and starts no next one, holding
        no file (Odoo moves a to-do's files to its message)."""
        todos = self._activities(self.env.user).filtered(
            lambda a: not a.activity_type_id.keep_done and a.chaining_type != "trigger"
        )
        if not todos:
            return todos
        # sudo: the engine's to-dos (_activities); only whether they hold files is read
        attached = (
            self.env["ir.attachment"]
            .sudo()
            .search_read([("res_model", "=", todos._name), ("res_id", "in", todos.ids)], ["res_id"])
        )
        attached_ids = {row["res_id"] for row in attached}
        return todos.filtered(lambda a: a.id not in attached_ids)

    def _notify_done(self):
        """The ticket's followers of the "Step Done" milestone (its requester among
        them) hear that the steps are done. The message also records the current
        user's to-do on the step as done (one message, not a second one of Odoo's
        "mark as done"); returns the to-dos so recorded, for ``_close_activities``."""
        todos = self._todos_done_with_message()
        todo_of = {todo.crossdept_step_id: todo for todo in todos}
        for step in self:
            todo = todo_of.get(step)
            step.ticket_id.message_post(
                body=self.env._(
                    "Step %(step)s is done (%(user)s).", step=step.name, user=self.env.user.name
                ),
                subtype_xmlid="crossdept_ticket.mt_ticket_step_done",
                mail_activity_type_id=todo.activity_type_id.id if todo else False,
            )
        return self.env["mail.activity"].union(*todo_of.values())

    def _notify_refusal(self, reason, target=None):
        """The refusal and its reason go to the ticket's followers of the "Step
        Refused" milestone (its requester among them) and to whoever takes the work
        back. A refusal that ends the ticket reaches its requester in a message of
        their own instead (see ``_notify_requester_refusal``)."""
        self.ensure_one()
        reason = _sentence(reason)
        holders = (target.user_id | target.responsible_ids) if target else self.env["res.users"]
        ticket = self.ticket_id
        if target:
            body = self.env._(
                "%(user)s refused step %(step)s: %(reason)s. Back to %(target)s (%(holder)s).",
                user=self.env.user.name,
                step=self.name,
                reason=reason,
                target=target.name,
                holder=", ".join(holders.mapped("name")) or "-",
            )
        else:
            body = self.env._(
                "%(user)s refused step %(step)s: %(reason)s. The ticket is cancelled.",
                user=self.env.user.name,
                step=self.name,
                reason=reason,
            )
            requester = self._refusal_requester()
            if requester:
                ticket = ticket.with_context(
                    crossdept_notify_skip_partner_ids=requester.partner_id.ids
                )
        ticket.message_post(
            body=body,
            partner_ids=(holders - self.env.user).partner_id.ids,
            subtype_xmlid="crossdept_ticket.mt_ticket_step_refused",
        )

    def _refusal_requester(self):
        """The requester who hears of a refusal ending their ticket in a message and a
        to-do of their own (nobody, if they refused it themselves)."""
        requester = self.ticket_id.requester_id
        if not requester.active or requester == self.env.user:
            return self.env["res.users"]
        return requester

    def _notify_requester_refusal(self, reason):
        """A refusal ended the ticket: its requester gets a message in their own
        language and, unless they are a portal customer, a to-do on the ticket, so that
        the cancelled ticket does not silently drop out of their lists. The to-do
        closes when the ticket is reset to draft or archived."""
        self.ensure_one()
        requester = self._refusal_requester()
        if not requester:
            return
        ticket = self.ticket_id
        # their language, not the approver's: the reason stays as the approver wrote it
        env = self.with_context(lang=requester.lang or self.env.lang).env
        body = env._(
            "%(user)s refused step %(step)s of your ticket %(ticket)s: %(reason)s. The "
            "ticket is cancelled; reset it to draft to change it and submit it again.",
            user=self.env.user.name,
            step=self.name,
            ticket=ticket.display_name,
            reason=_sentence(reason),
        )
        ticket.message_post(
            body=body,
            partner_ids=requester.partner_id.ids,
            subtype_xmlid="mail.mt_note",
        )
        if not requester.share:
            today = fields.Date.context_today(self)
            summary = env._("Refused: %(ticket)s", ticket=ticket.display_name)
            ticket._schedule_activities_batch(
                [(ticket, requester, summary, today, self, plaintext2html(body))]
            )


def _sentence(reason):
    """The reason without its closing full stop: the messages end the sentence."""
    return (reason or "").strip().rstrip(".。").rstrip() or "-"
