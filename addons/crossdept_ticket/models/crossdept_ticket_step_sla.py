from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import calendar as work_calendar

# share of the SLA's working hours after which a running step is at risk: it is at
# risk once the working time left before its deadline is 20% of the SLA or less
AT_RISK_RATIO = 0.8
# what the SLA cron reads of a step (_sla_status_changes, _resource, the ticket's
# notification)
SLA_FIELDS = [
    "state",
    "date_deadline",
    "date_paused",
    "sla_hours",
    "sla_status",
    "calendar_id",
    "user_id",
    "company_id",
    "ticket_id",
]


class CrossdeptTicketStep(models.Model):
    """Deadlines on working calendars, pauses and the SLA status of steps.

    One formula gives a running step's deadline: its SLA hours plus the working hours
    it spent paused, planned from the moment it became ready, on the step's calendar
    for its assignee (their time zone, their leaves and the public holidays). Pausing
    and resuming, assigning and reassigning all plan with it, so working time counts
    once. A breach is a fact: a breached step keeps its deadline and its status."""

    _inherit = "crossdept.ticket.step"

    sla_paused_hours = fields.Float(
        "Paused Working Hours",
        readonly=True,
        copy=False,
        help="Working hours the step spent paused while its ticket waited; they move its deadline.",
    )

    def _engine_fields(self):
        return {
            **super()._engine_fields(),
            "sla_paused_hours": self.env._("Wait and Start on the ticket"),
        }

    # ------------------------------------------------------------------
    # Planning
    # ------------------------------------------------------------------

    def _resource(self):
        """The assignee's resource in the step's company (their leaves and time zone)."""
        self.ensure_one()
        employees = self.user_id.sudo().employee_ids
        employee = employees.filtered(lambda e: e.company_id == self.company_id)[:1]
        return (employee or employees[:1]).resource_id

    def _plan_deadline(self, start):
        """Deadline of a step becoming ready at ``start`` (nothing paused yet)."""
        self.ensure_one()
        return work_calendar.plan_hours(
            self.calendar_id.sudo(), start, self.sla_hours, self._resource()
        )

    def _plan_from_ready(self, ratio=1.0):
        """{step: the moment when ``ratio`` of its SLA plus its paused working hours
        have passed since it became ready}; one calendar read per (calendar, start)."""
        groups = defaultdict(dict)
        for step in self:
            hours = ratio * step.sla_hours + step.sla_paused_hours
            groups[step.calendar_id, step.date_ready][step] = (step._resource(), hours)
        planned = {}
        for (calendar, start), requests in groups.items():
            planned.update(work_calendar.plan_hours_batch(calendar.sudo(), start, requests))
        return planned

    def _replan_deadline(self, now=None):
        """Plan the deadline of running steps again for their current assignee; called
        whenever steps are assigned or reassigned. Breached steps keep their deadline
        (a step found overdue here is marked breached). Returns the moved steps."""
        now = now or fields.Datetime.now()
        running = self.filtered(
            lambda s: s.state in ("ready", "in_progress") and s.date_ready and s.date_deadline
        )
        overdue = running.filtered(
            lambda s: s.sla_status != "breached" and not s.date_paused and now > s.date_deadline
        )
        overdue._engine().write({"sla_status": "breached"})
        return (running - overdue).filtered(lambda s: s.sla_status != "breached")._set_plan(now)

    def _set_plan(self, now):
        planned = self._plan_from_ready()
        moved = self.filtered(lambda s: planned[s] and planned[s] != s.date_deadline)
        self._write_per_step({step: {"date_deadline": planned[step]} for step in moved})
        if moved:
            moved._schedule_escalation()
            moved.filtered(lambda s: not s.date_paused)._update_sla_status(now)
        return moved

    def _write_per_step(self, vals_by_step):
        """Engine writes, one per distinct set of values."""
        groups = defaultdict(lambda: self.browse())
        for step, vals in vals_by_step.items():
            groups[tuple(sorted(vals.items()))] |= step
        for items, steps in groups.items():
            steps._engine().write(dict(items))

    # ------------------------------------------------------------------
    # Pauses (the ticket waits for its requester or customer)
    # ------------------------------------------------------------------

    def _pause(self, now):
        """Stop the clocks. A step already overdue is breached and stays so."""
        steps = self.filtered(lambda s: not s.date_paused)
        overdue = steps.filtered(lambda s: s.date_deadline and now > s.date_deadline)
        vals = {"date_paused": now, "date_escalation_due": False}
        (steps - overdue)._engine().write(vals)
        overdue._engine().write({**vals, "sla_status": "breached"})

    def _resume(self, now, held=None):
        """Restart the clocks: the working hours of the pause (the assignee's, leaves
        and holidays excluded) are added to the step's paused hours and its deadline is
        planned again from the moment it became ready. A breached step keeps its
        deadline. ``held``, when given, holds the working hours of each paused step's
        pause up to ``now``, already measured (for its on-hold hours)."""
        paused = self.filtered("date_paused")
        counted = paused.filtered(
            lambda s: (
                s.date_deadline
                and s.date_ready
                and s.sla_status != "breached"
                and s.date_paused <= s.date_deadline
            )
        )
        if held is None:
            held = counted._work_hours_between(
                {step: step.date_paused for step in counted}, dict.fromkeys(counted, now)
            )
        vals_by_step = {step: {"date_paused": False} for step in paused - counted}
        for step in counted:
            vals_by_step[step] = {
                "date_paused": False,
                "sla_paused_hours": step.sla_paused_hours + held[step],
            }
        self._write_per_step(vals_by_step)
        counted._set_plan(now)
        if paused:
            paused._schedule_escalation()
            paused._update_sla_status(now)

    def _make_ready(self, now, reason=None):
        # a step made ready again (after a return) starts its clock afresh
        self.filtered("sla_paused_hours")._engine().write({"sla_paused_hours": 0.0})
        return super()._make_ready(now, reason=reason)

    # ------------------------------------------------------------------
    # SLA status
    # ------------------------------------------------------------------

    def _update_sla_status(self, now=None):
        """Store the SLA status of running steps (``_sla_status_changes``)."""
        for value, group in self._sla_status_changes(now).items():
            group._engine().write({"sla_status": value})

    def _sla_status_changes(self, now=None):
        """{status: the steps that change to it}: on track / at risk / breached for
        running steps; breached stays breached. At risk is measured in working hours,
        like the SLA: the working time of the assignee left before the deadline is at
        most 20% of the SLA hours. (A step due Monday noon is not at risk on Friday
        evening.) The calendar is read once per calendar for the whole batch."""
        now = now or fields.Datetime.now()
        steps = self.filtered(
            lambda s: s.state in ("ready", "in_progress") and s.date_deadline and not s.date_paused
        )
        status = {}
        to_measure = defaultdict(dict)
        for step in steps:
            margin = (1 - AT_RISK_RATIO) * step.sla_hours
            if step.sla_status == "breached" or now > step.date_deadline:
                status[step] = "breached"
            elif (step.date_deadline - now).total_seconds() / 3600 <= margin:
                status[step] = "at_risk"  # not even that much wall-clock time is left
            else:
                to_measure[step.calendar_id][step] = (step._resource(), step.date_deadline)
        for calendar, requests in to_measure.items():
            left = work_calendar.work_hours_until_batch(calendar.sudo(), now, requests)
            for step, hours in left.items():
                margin = (1 - AT_RISK_RATIO) * step.sla_hours
                status[step] = "at_risk" if hours <= margin + 1e-9 else "on_track"
        by_status = defaultdict(lambda: self.browse())
        for step, value in status.items():
            if step.sla_status != value:
                by_status[value] |= step
        return by_status

    @api.model
    def _cron_update_sla_status(self, batch_size=5000):
        # the batch with what its status needs, in one query (the ORM's prefetch
        # reads a thousand records per query)
        steps = self.search_fetch(
            [
                ("state", "in", ("ready", "in_progress")),
                ("date_paused", "=", False),
                ("date_deadline", "!=", False),
                ("sla_status", "!=", "breached"),
            ],
            SLA_FIELDS,
            limit=batch_size,
            order="date_deadline",
        )
        # one UPDATE per status for the whole batch (the ORM writes a hundred rows per
        # statement); the status is drawn on the tickets' diagrams (step_bus)
        for value, group in steps._sla_status_changes().items():
            group.flush_recordset(["sla_status"])
            self.env.cr.execute(
                SQL(
                    "UPDATE crossdept_ticket_step SET sla_status = %s, write_uid = %s, "
                    "write_date = %s WHERE id IN %s",
                    value,
                    self.env.uid,
                    self.env.cr.now(),
                    tuple(group.ids),
                )
            )
            group.invalidate_recordset(["sla_status", "write_uid", "write_date"])
            group._queue_ticket_notification()
        return len(steps)
