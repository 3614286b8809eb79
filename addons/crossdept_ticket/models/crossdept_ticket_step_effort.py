from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

# the steps effort is logged on: worked now, or worked before (a late entry)
EFFORT_STATES = ("ready", "in_progress", "done", "rejected")
# the most one line may hold: a day
MAX_HOURS = 24.0
# who may change anybody's effort on a ticket (crossdept.ticket._crossdept_roles)
MANAGING_ROLES = frozenset({"manager", "admin"})


class CrossdeptTicketStepEffort(models.Model):
    """Time a person spent on a step (touch time), entered by hand or measured by
    the step's timer.

    An own model rather than ``hr_timesheet``'s analytic lines: those need a
    project (an analytic account) on every line, and CrossDept's tickets have none.
    Effort follows its ticket's visibility, like RACI lines; a line is logged by
    someone who may work on the step and changed only by its author or by a
    manager of the ticket."""

    _name = "crossdept.ticket.step.effort"
    _description = "Step Effort"
    # the timer is the step's Start Timer and Stop Timer, nobody writes it
    _inherit = ["crossdept.engine.mixin"]
    _order = "date desc, id desc"
    _rec_name = "step_id"

    step_id = fields.Many2one(
        "crossdept.ticket.step", required=True, ondelete="cascade", index=True
    )
    ticket_id = fields.Many2one(related="step_id.ticket_id", store=True, index=True)
    company_id = fields.Many2one(related="step_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        "res.users", "Person", required=True, index=True, default=lambda self: self.env.user
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    duration = fields.Float(
        "Duration (h)", help="Hours spent on the step: more than 0, at most 24 per line."
    )
    description = fields.Char()
    timer_start = fields.Datetime(
        "Timer Started on",
        readonly=True,
        copy=False,
        help="Set while the timer runs; stopping it writes the duration.",
    )

    def init(self):
        # one running timer per person, also against two tabs starting one at once
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS crossdept_ticket_step_effort_timer_uniq "
                "ON crossdept_ticket_step_effort (user_id) WHERE timer_start IS NOT NULL"
            )
        )

    def _engine_fields(self):
        return {
            **super()._engine_fields(),
            "timer_start": self.env._("Start Timer and Stop Timer on the step"),
        }

    @api.constrains("duration", "timer_start")
    def _check_duration(self):
        label = self._fields["duration"]._description_string(self.env)
        for line in self.filtered(lambda line: not line.timer_start):
            if not 0 < line.duration <= MAX_HOURS:
                raise ValidationError(
                    self.env._(
                        "%(field)s of the effort on step %(step)s must be more than 0 and "
                        "at most %(max)s hours, not %(hours)s.",
                        field=label,
                        step=line.step_id.display_name,
                        max=MAX_HOURS,
                        hours=line.duration,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                step = self.env["crossdept.ticket.step"].browse(vals.get("step_id"))
                if not step:
                    continue  # the ORM names the missing step
                user = self.env["res.users"].browse(vals.get("user_id") or self.env.uid)
                self._check_loggable(step, user)
        self._check_one_timer(
            [vals.get("user_id") or self.env.uid for vals in vals_list if vals.get("timer_start")]
        )
        return super().create(vals_list)

    def write(self, vals):
        if "step_id" in vals and any(line.step_id.id != vals["step_id"] for line in self):
            raise UserError(
                self.env._("An effort line stays on its step: log a new line on the other step.")
            )
        if not self.env.su:
            self._check_author()
            if "user_id" in vals:
                for line in self:
                    self._check_loggable(line.step_id, line.user_id.browse(vals["user_id"]))
        if vals.get("timer_start"):
            self._check_one_timer(
                [vals.get("user_id") or line.user_id.id for line in self], exclude=self
            )
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            self._check_author()
        return super().unlink()

    @api.model
    def _check_loggable(self, step, user):
        """Refuse effort of ``user`` on ``step`` logged by the current user: the step
        must be one the current user sees and may work on, in a state that is worked
        or was, and only a manager of the ticket logs for someone else."""
        if not step._filtered_access("read"):
            raise AccessError(
                self.env._(
                    "You cannot log effort on step #%(id)s: it belongs to a ticket you cannot see.",
                    id=step.id,
                )
            )
        me = self.env.user
        if not step._may_log_effort(me):
            raise UserError(
                self.env._(
                    "You cannot log effort on step %(step)s: only its assignee, its "
                    "Responsible holders, its approvers, the members of its department and "
                    "the ticket's managers can.",
                    step=step.display_name,
                )
            )
        if user != me and not MANAGING_ROLES & step.ticket_id._crossdept_roles():
            raise UserError(
                self.env._(
                    "You log your own effort on step %(step)s: only a manager of the ticket "
                    "logs effort for %(user)s.",
                    step=step.display_name,
                    user=user.name,
                )
            )
        if step.state not in EFFORT_STATES:
            raise UserError(
                self.env._(
                    "Step %(step)s is %(state)s: effort is logged on steps that are ready, "
                    "in progress or finished.",
                    step=step.display_name,
                    state=step._state_label(),
                )
            )

    @api.model
    def _check_one_timer(self, user_ids, exclude=None):
        """Refuse a second running timer of a person, before it is written.

        Two timers started at once (two tabs) serialise on the person's row, as
        delegations do (``res.users._crossdept_lock_rows``): the second waits for
        the first, is run again by Odoo and its check sees the first timer. The
        unique index is the last guard."""
        if not user_ids:
            return
        self.env["res.users"].browse(user_ids)._crossdept_lock_rows()
        # other people's timers are not the reader's to see: look at them all
        running = self.sudo().search(
            [
                ("timer_start", "!=", False),
                ("user_id", "in", user_ids),
                ("id", "not in", exclude.ids if exclude else []),
            ]
        )
        seen = set()
        for user_id in user_ids:
            other = running.filtered(lambda line, user_id=user_id: line.user_id.id == user_id)
            if other or user_id in seen:
                user = self.env["res.users"].browse(user_id)
                raise ValidationError(
                    self.env._(
                        "%(user)s already has a timer running on step %(step)s: stop it first.",
                        user=user.sudo().name,
                        step=other[:1].step_id.display_name
                        if other
                        else self.env._("another step"),
                    )
                )
            seen.add(user_id)

    def _check_author(self):
        me = self.env.user
        for line in self:
            if line.user_id != me and not MANAGING_ROLES & line.ticket_id._crossdept_roles():
                raise UserError(
                    self.env._(
                        "The effort %(user)s logged on step %(step)s is theirs: only they or a "
                        "manager of the ticket can change or delete it.",
                        user=line.user_id.name,
                        step=line.step_id.display_name,
                    )
                )

    def _stop_timer(self, now):
        """Write the measured duration of these running timers: whole minutes,
        rounded to the nearest, at least one, at most a day (a timer forgotten over
        a weekend is a day's work at most; its author corrects the line)."""
        for line in self:
            minutes = max(1, round((now - line.timer_start).total_seconds() / 60))
            line._engine().write({"duration": min(minutes / 60, MAX_HOURS), "timer_start": False})
