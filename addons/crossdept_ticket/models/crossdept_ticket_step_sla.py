from datetime import timedelta

from odoo import api, fields, models

# share of the SLA after which a running step is at risk
AT_RISK_RATIO = 0.8


class CrossdeptTicketStep(models.Model):
    """Deadlines on working calendars, pauses and the SLA status of steps."""

    _inherit = "crossdept.ticket.step"

    def _plan_deadline(self, start):
        self.ensure_one()
        if not self.calendar_id:
            return start + timedelta(hours=self.sla_hours)
        return self.calendar_id.plan_hours(
            self.sla_hours, start, compute_leaves=True, resource=self._resource()
        )

    def _resource(self):
        employee = self.user_id.employee_ids[:1]
        return employee.resource_id

    def _pause(self, now):
        self._engine().write({"date_paused": now, "date_escalation_due": False})

    def _resume(self, now):
        """Move each deadline by the working time the step spent paused."""
        for step in self.filtered("date_paused"):
            vals = {"date_paused": False}
            if step.date_deadline and step.calendar_id:
                remaining = (
                    step.calendar_id.get_work_hours_count(
                        max(step.date_paused, step.date_ready or step.date_paused),
                        step.date_deadline,
                        compute_leaves=True,
                    )
                    if step.date_deadline > step.date_paused
                    else 0.0
                )
                vals["date_deadline"] = step.calendar_id.plan_hours(
                    remaining, now, compute_leaves=True, resource=step._resource()
                )
            elif step.date_deadline:
                vals["date_deadline"] = step.date_deadline + (now - step.date_paused)
            step._engine().write(vals)
        self._schedule_escalation()

    def _update_sla_status(self, now=None):
        """Store on track / at risk / breached for running steps."""
        now = now or fields.Datetime.now()
        by_status = {"on_track": self.browse(), "at_risk": self.browse(), "breached": self.browse()}
        for step in self.filtered(
            lambda s: s.state in ("ready", "in_progress") and s.date_deadline and not s.date_paused
        ):
            if now > step.date_deadline:
                status = "breached"
            else:
                total = (step.date_deadline - step.date_ready).total_seconds()
                elapsed = (now - step.date_ready).total_seconds()
                status = "at_risk" if total and elapsed / total >= AT_RISK_RATIO else "on_track"
            if step.sla_status != status:
                by_status[status] |= step
        for status, steps in by_status.items():
            if steps:
                steps._engine().write({"sla_status": status})

    @api.model
    def _cron_update_sla_status(self, batch_size=5000):
        steps = self.search(
            [("state", "in", ("ready", "in_progress")), ("date_paused", "=", False)],
            limit=batch_size,
            order="date_deadline",
        )
        steps._update_sla_status()
