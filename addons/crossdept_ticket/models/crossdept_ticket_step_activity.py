from odoo import api, fields, models


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
        """[(step, users, summary, note)] in one search and one create."""
        steps = self.browse({step.id for step, *_rest in entries})
        existing = {(a.crossdept_step_id.id, a.user_id.id) for a in steps._activities()}
        today = fields.Date.context_today(self)
        self.env["crossdept.ticket"]._schedule_activities_batch(
            [
                (
                    step.ticket_id,
                    user,
                    summary,
                    step.date_deadline.date() if step.date_deadline else today,
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
        for step in self:
            step._schedule_activities(
                users, self.env._("Approve or refuse: %(step)s", step=step.name)
            )
            step.ticket_id.message_post(
                body=self.env._(
                    "Step %(step)s waits for your decision (deadline %(deadline)s).",
                    step=step.name,
                    deadline=step.date_deadline or "-",
                ),
                partner_ids=users.partner_id.ids,
                subtype_xmlid="mail.mt_note",
            )

    def _close_activities(self, users=None, done=False):
        """Close the steps' to-dos (of ``users`` only, if given). With ``done``, the
        current user's are marked done (they did the work); the others are removed."""
        activities = self._activities(users)
        if done:
            mine = activities.filtered(lambda a: a.user_id == self.env.user)
            mine.with_user(self.env.user)._action_done()
            activities -= mine
        activities.unlink()

    def _notify_done(self):
        """The ticket's followers of the "Step Done" milestone (its requester among
        them) hear that the steps are done."""
        for step in self:
            step.ticket_id.message_post(
                body=self.env._(
                    "Step %(step)s is done (%(user)s).", step=step.name, user=self.env.user.name
                ),
                subtype_xmlid="crossdept_ticket.mt_ticket_step_done",
            )

    def _notify_refusal(self, reason, target=None):
        """The refusal and its reason go to the ticket's followers of the "Step
        Refused" milestone (its requester among them) and to whoever takes the work
        back."""
        self.ensure_one()
        holders = (target.user_id | target.responsible_ids) if target else self.env["res.users"]
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
        self.ticket_id.message_post(
            body=body,
            partner_ids=(holders - self.env.user).partner_id.ids,
            subtype_xmlid="crossdept_ticket.mt_ticket_step_refused",
        )
