from odoo import Command, api, fields, models

from .crossdept_ticket_step_escalation import ESCALATION_BATCH_SIZE

TIMEOUT_BATCH_SIZE = 500


class CrossdeptTicketStep(models.Model):
    """Timeouts of approval steps: once an approval step passes its deadline
    undecided, the escalation cron applies its flow step's action (approve, refuse
    or escalate to the manager of its department), once per round."""

    _inherit = "crossdept.ticket.step"

    approval_timed_out = fields.Boolean(
        readonly=True,
        copy=False,
        help="The timeout action of the current round was applied.",
    )

    def _engine_fields(self):
        return {
            **super()._engine_fields(),
            "approval_timed_out": self.env._("the escalation cron (approval timeouts)"),
        }

    @api.model
    def _cron_escalate(self, batch_size=ESCALATION_BATCH_SIZE):
        # a timeout moves its step through the engine, one by one: at most 500 a run
        self._cron_approval_timeouts(min(batch_size, TIMEOUT_BATCH_SIZE))
        return super()._cron_escalate(batch_size=batch_size)

    @api.model
    def _cron_approval_timeouts(self, batch_size=TIMEOUT_BATCH_SIZE):
        """Apply the timeout actions that are due, a batch per run. A step's ticket
        is locked and the step read again before acting: a decision or a run that
        came first leaves nothing to do, so no action is taken twice."""
        now = fields.Datetime.now()
        domain = [
            ("kind", "=", "approval"),
            ("state", "in", ("ready", "in_progress")),
            ("approval_state", "=", "pending"),
            ("approval_timed_out", "=", False),
            ("date_deadline", "<=", now),
            ("date_paused", "=", False),
            ("flow_step_id.approval_timeout_action", "!=", "none"),
        ]
        steps = self.sudo().search(domain, order="date_deadline, id", limit=batch_size)
        steps.ticket_id._lock()
        for step in steps.filtered_domain(domain):
            if step._approval_is_open():
                step._approval_time_out(
                    step.flow_step_id.approval_timeout_action, step._timeout_reason()
                )
        return len(steps)

    def _timeout_reason(self):
        action = self.flow_step_id.approval_timeout_action
        if action == "approve":
            return self.env._(
                "Step %(step)s was not decided by its deadline: approved automatically.",
                step=self.name,
            )
        if action == "reject":
            return self.env._(
                "Step %(step)s was not decided by its deadline: refused automatically.",
                step=self.name,
            )
        return self.env._(
            "Step %(step)s was not decided by its deadline: escalated to the manager of "
            "%(department)s.",
            step=self.name,
            department=self.department_id.name or "-",
        )

    def _approval_reset(self):
        # a new round has a timeout of its own
        res = super()._approval_reset()
        self.filtered("approval_timed_out")._engine().write({"approval_timed_out": False})
        return res

    def _approval_mark_timed_out(self):
        self._engine().write({"approval_timed_out": True})

    def _on_approval_timed_out(self, action, reason):
        self.ticket_id._log_events(
            [
                {
                    "ticket_id": self.ticket_id.id,
                    "step_id": self.id,
                    "event_type": "approval_timeout",
                    "to_user_id": self._timeout_manager().id if action == "escalate" else False,
                    "to_department_id": self.department_id.id,
                    "reason": reason,
                }
            ]
        )
        self.ticket_id.message_post(body=reason, subtype_xmlid="mail.mt_note")

    def _timeout_manager(self):
        return self.department_id.manager_id.user_id or self.accountable_id

    def _approval_escalate(self, reason):
        """The manager of the step's department (else its Accountable) decides
        instead of the approvers who have not decided yet."""
        manager = self._timeout_manager()
        waiting = self._approval_waiting_approvers()
        if (
            not manager
            or manager in self._approval_approvers()
            or (not self._approval_requester_may_decide() and manager in self._approval_requester())
        ):
            # nobody else to turn to: the approvers are reminded, the Accountable told
            self._notify_approvers(waiting)
            return
        self._engine().write(
            {
                "approver_ids": [Command.unlink(user.id) for user in waiting]
                + [Command.link(manager.id)]
            }
        )
        self._close_activities(users=waiting)
        self._notify_approvers(manager)
        self.ticket_id._sync_current_step()
