from collections import defaultdict

from odoo import fields, models

from ..tools import calendar as work_calendar


class CrossdeptTicketStep(models.Model):
    """The working time a step took, measured by the engine when it ends.

    Both figures are working hours on the step's calendar for its assignee at the
    end (their time zone, their leaves and the public holidays), from the moment the
    step became ready to the moment it was done (or refused):

    * on hold: the working hours while its ticket waited for the requester or the
      customer (Wait, then Start on the ticket), added up at each resume;
    * handling: the rest of the working hours between ready and done.

    A step made ready again (a return, a reopening) starts both afresh, like its
    SLA clock; ``date_measured`` says the figures belong to the step's last end
    (steps finished before the figures existed have none)."""

    _inherit = "crossdept.ticket.step"

    handling_hours = fields.Float(
        "Handling Working Hours",
        readonly=True,
        copy=False,
        help="Working hours on the step's calendar from ready to done, the hours on hold left out.",
    )
    hold_hours = fields.Float(
        "On Hold Working Hours",
        readonly=True,
        copy=False,
        help="Working hours on the step's calendar the step spent on hold, its ticket "
        "waiting for the requester or the customer.",
    )
    date_measured = fields.Datetime(
        "Working Hours Measured on",
        readonly=True,
        copy=False,
        help="When the engine measured the step's handling and on-hold hours (its end).",
    )

    def _engine_fields(self):
        return {
            **super()._engine_fields(),
            "handling_hours": self.env._("the step's Start, Finish, Approve or Refuse"),
            "hold_hours": self.env._("Wait and Start on the ticket"),
            "date_measured": self.env._("the step's Start, Finish, Approve or Refuse"),
        }

    def _work_hours_between(self, starts, ends):
        """{step: working hours from starts[step] to ends[step]} on each step's
        calendar for its assignee; one calendar read per (calendar, start, end)."""
        groups = defaultdict(lambda: self.browse())
        for step in self:
            if starts[step] and ends[step]:
                groups[step.calendar_id, starts[step], ends[step]] |= step
        hours = dict.fromkeys(self, 0.0)
        for (calendar, start, end), steps in groups.items():
            resources = self.env["resource.resource"].union(*(s._resource() for s in steps))
            by_resource = work_calendar.work_hours_batch(
                calendar.sudo(), start, end, resources.sudo()
            )
            for step in steps:
                hours[step] = by_resource[step._resource().id]
        return hours

    def _resume(self, now):
        paused = self.filtered("date_paused")
        held = paused._work_hours_between(
            {step: step.date_paused for step in paused}, dict.fromkeys(paused, now)
        )
        self._write_per_step(
            {step: {"hold_hours": step.hold_hours + hours} for step, hours in held.items() if hours}
        )
        # the SLA counts the same pause: one calendar read serves both
        return super()._resume(now, held=held)

    def _make_ready(self, now, reason=None):
        # measured again at the step's next end
        self.filtered(lambda s: s.date_measured or s.hold_hours)._engine().write(
            {"handling_hours": 0.0, "hold_hours": 0.0, "date_measured": False}
        )
        return super()._make_ready(now, reason=reason)

    def _measure_work_hours(self):
        """Store the handling and on-hold working hours of steps that just ended
        (done or refused); a step ending while paused counts its pause up to its end."""
        ended = self.filtered(lambda s: s.date_ready and s.date_done)
        if not ended:
            return
        still_paused = ended.filtered("date_paused")
        held = still_paused._work_hours_between(
            {step: step.date_paused for step in still_paused},
            {step: step.date_done for step in still_paused},
        )
        total = ended._work_hours_between(
            {step: step.date_ready for step in ended}, {step: step.date_done for step in ended}
        )
        vals_by_step = {}
        for step in ended:
            hold = step.hold_hours + held.get(step, 0.0)
            vals_by_step[step] = {
                "hold_hours": hold,
                "handling_hours": max(total[step] - hold, 0.0),
                "date_measured": step.date_done,
            }
        self._write_per_step(vals_by_step)

    def _on_done(self):
        res = super()._on_done()
        self._measure_work_hours()
        return res

    def _apply_rejection(self, reason, target=None):
        res = super()._apply_rejection(reason, target=target)
        # a refusal returning to an earlier step makes this step pending again: only
        # a refusal that ends the ticket leaves a refused step to measure
        self.filtered(lambda s: s.state == "rejected")._measure_work_hours()
        return res
