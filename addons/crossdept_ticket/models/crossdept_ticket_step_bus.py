from collections import defaultdict

from odoo import api, models
from odoo.models import INSERT_BATCH_SIZE

from odoo.addons.bus.models.bus import channel_with_db, json_dump

from ..tools.bulk_create import create_overrides, insert_rows

# the bus notification the web client listens to (static/src/live_steps_service.js)
STEP_NOTIFICATION = "crossdept.step/updated"
# on a ticket's own channel, for its open diagrams (static/src/views/flow_diagram.js)
TICKET_NOTIFICATION = "crossdept.ticket/steps_updated"
# a change of these fields changes how a ticket's diagram draws the step
DRAWN_FIELDS = {"state", "sla_status", "user_id"}
# a change of these fields may put a step in someone's lists or take it out
WATCHED_FIELDS = {"state", "user_id", "approver_ids", "responsible_ids", "escalation_level"}


class CrossdeptTicketStep(models.Model):
    """Live updates: the people a step concerns hear through Odoo's bus when it
    becomes ready, is assigned, reassigned or escalated to them, or gets its
    approvers, so that their "My Steps" list and an open ticket form reload."""

    _inherit = "crossdept.ticket.step"

    @api.model_create_multi
    def create(self, vals_list):
        steps = super().create(vals_list)
        steps.filtered(lambda s: s.state in ("ready", "in_progress"))._queue_bus_notification()
        steps._queue_ticket_notification()
        return steps

    def write(self, vals):
        if DRAWN_FIELDS.intersection(vals):
            self._queue_ticket_notification()
        if not WATCHED_FIELDS.intersection(vals):
            return super().write(vals)
        # previous assignees hear too: the step leaves their lists
        before = {step: step.user_id for step in self} if "user_id" in vals else {}
        res = super().write(vals)
        steps = self
        if not (WATCHED_FIELDS - {"state"}).intersection(vals):
            # of plain state changes, only a step becoming ready concerns anybody anew
            steps = self.filtered(lambda s: s.state == "ready")
        steps._queue_bus_notification(
            [(user, step) for step, user in before.items() if user and user != step.user_id]
        )
        return res

    def _bus_audience(self):
        """Who a step concerns: its assignee, Responsible holders and approvers, and
        once escalated, the people escalation tells (the Accountable, the department's
        manager and that manager's manager)."""
        self.ensure_one()
        users = self.user_id | self.responsible_ids | self.approver_ids
        if self.escalation_level != "0":
            manager = self.department_id.manager_id
            users |= self.accountable_id | manager.user_id | manager.parent_id.user_id
        return users

    def _queue_bus_notification(self, extra=()):
        """Collect the steps changed in this transaction (and [(user, step)] for people
        who are no longer on them); one notification per user is sent just before
        commit, and the bus delivers it once the transaction is committed."""
        if not self and not extra:
            return
        data = self.env.cr.precommit.data
        pending = data.get("crossdept.step_bus")
        if pending is None:
            pending = data["crossdept.step_bus"] = {"steps": set(), "extra": set()}
            self.env.cr.precommit.add(self._send_bus_notifications)
        pending["steps"].update(self.ids)
        pending["extra"].update((user.id, step.id) for user, step in extra)

    def _queue_ticket_notification(self):
        """Collect the tickets whose steps changed in this transaction: each hears
        once, just before commit, on its own channel, which only its readers may
        listen to (ir.websocket); the payload holds its id, and an open diagram
        re-reads the steps with its reader's rights."""
        if not self:
            return
        data = self.env.cr.precommit.data
        tickets = data.get("crossdept.ticket_bus")
        if tickets is None:
            tickets = data["crossdept.ticket_bus"] = set()
            self.env.cr.precommit.add(self._send_ticket_notifications)
        tickets.update(self.ticket_id.ids)

    @api.model
    def _send_ticket_notifications(self):
        ticket_ids = sorted(self.env.cr.precommit.data.pop("crossdept.ticket_bus", None) or ())
        # sudo: the channel is the ticket; only its readers subscribe to it
        Bus = self.env["bus.bus"].sudo()
        if len(ticket_ids) > INSERT_BATCH_SIZE and not create_overrides(Bus):
            self._insert_ticket_notifications(ticket_ids)
            return
        # a request's few: the bus writes them with the transaction's other
        # notifications, in its own one INSERT
        for ticket in self.env["crossdept.ticket"].sudo().browse(ticket_ids):
            ticket._bus_send(TICKET_NOTIFICATION, {"ticket_id": ticket.id})

    @api.model
    def _insert_ticket_notifications(self, ticket_ids):
        """A batch of thousands (the SLA cron): the notifications in one INSERT, where
        the bus writes a hundred per statement; each as ``_bus_send`` would queue it
        (a ticket's channel is the ticket), the same NOTIFY after the commit."""
        Bus = self.env["bus.bus"].sudo()
        Bus._ensure_hooks()
        channels = [
            channel_with_db(self.env.cr.dbname, ticket)
            for ticket in self.env["crossdept.ticket"].browse(ticket_ids)
        ]
        insert_rows(
            Bus,
            [
                {
                    "channel": json_dump(channel),
                    "message": json_dump(
                        {"type": TICKET_NOTIFICATION, "payload": {"ticket_id": ticket_id}}
                    ),
                }
                for channel, ticket_id in zip(channels, ticket_ids, strict=True)
            ],
        )
        self.env.cr.postcommit.data["bus.bus.channels"].update(channels)

    @api.model
    def _send_bus_notifications(self):
        pending = self.env.cr.precommit.data.pop("crossdept.step_bus", None)
        if not pending:
            return
        # sudo: everyone concerned hears, whatever they may read; the payload holds ids
        Step = self.sudo()
        # steps of this transaction, with what the audience needs, in a query per
        # table whatever their number (the ORM's prefetch reads a thousand at a time;
        # holders the transaction read already are not read again)
        steps = Step.search_fetch(
            [("id", "in", sorted(pending["steps"]))],
            ["ticket_id", "user_id", "escalation_level", "department_id", "accountable_id"],
        )
        steps.fetch(["responsible_ids", "approver_ids"])
        step_ids = defaultdict(set)
        for step in steps:
            for user in step._bus_audience():
                step_ids[user].add(step.id)
        for user_id, step_id in pending["extra"]:
            step_ids[self.env["res.users"].sudo().browse(user_id)].add(step_id)
        ticket_of = {step.id: step.ticket_id.id for step in steps}
        for user, ids in step_ids.items():
            if user.share or not user.active:
                continue
            ids = sorted(ids)
            user._bus_send(
                STEP_NOTIFICATION,
                {
                    "step_ids": ids,
                    "ticket_ids": sorted({ticket_of[i] for i in ids if i in ticket_of}),
                },
            )
