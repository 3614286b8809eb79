from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.local_time import format_for_reader, local_date

# steps escalated per run: the run's queries do not grow with its batch (a query per
# table), so that 5,000 cost about 28 queries, 6 per 1,000 (bench_dispatch.py); the
# tickets of the batch stay locked for the run (seconds)
ESCALATION_BATCH_SIZE = 5000


class CrossdeptTicketStep(models.Model):
    """Escalation of running steps under the escalation rules, and the step server
    actions that automation rules use."""

    _inherit = "crossdept.ticket.step"

    # ------------------------------------------------------------------
    # Automation (server actions usable in automation rules)
    # ------------------------------------------------------------------

    def _action_auto_assign(self):
        self.env["crossdept.dispatcher"]._assign(
            self.filtered(lambda s: s.kind == "task" and s.state in ("ready", "in_progress"))
        )

    def _action_escalate(self):
        self.filtered(lambda s: s.state in ("ready", "in_progress"))._escalate(
            fields.Datetime.now()
        )

    def _notify_assignee(self):
        """Give the assignee of a ready step an activity on the ticket, due at the
        step's deadline. Automation rules run their action once per record, so the
        steps are collected here and their activities created at once before commit."""
        pending = self.env.cr.precommit.data.setdefault("crossdept.notify_assignee", set())
        if not pending:
            self.env.cr.precommit.add(self._create_assignee_activities)
        pending.update(self.ids)

    @api.model
    def _create_assignee_activities(self):
        ids = self.env.cr.precommit.data.pop("crossdept.notify_assignee", set())
        steps = self.sudo().browse(sorted(ids)).exists()
        # the engine already gave holders their to-do: none is created twice
        steps.filtered(lambda s: s.user_id and s.state == "ready")._schedule_holder_activities()

    # ------------------------------------------------------------------
    # Escalation
    # ------------------------------------------------------------------

    def _schedule_escalation(self, rules=None):
        """Store when each open step's next escalation is due under its rule."""
        by_due = defaultdict(lambda: self.browse())
        for step, due in self._escalation_due_dates(rules).items():
            if due != step.date_escalation_due:
                by_due[due] |= step
        for due, steps in by_due.items():
            steps._engine().write({"date_escalation_due": due})

    def _escalation_due_dates(self, rules=None, levels=None):
        """{step: when its next escalation is due (or False)} under its rule, at its
        level or at the one ``levels`` ({step id: level}) gives it."""
        Rule = self.env["crossdept.escalation.rule"]
        rules = Rule._rules_by_scope() if rules is None else rules
        levels = levels or {}
        dues = {}
        for step in self:
            rule = Rule._rule_for(step, rules)
            due = False
            if (
                rule
                and step.state in ("ready", "in_progress")
                and step.date_deadline
                and step.date_ready
                and not step.date_paused
            ):
                due = rule._next_due(step, levels.get(step.id, step.escalation_level))
            dues[step] = due
        return dues

    @api.model
    def _cron_escalate(self, batch_size=ESCALATION_BATCH_SIZE):
        """Apply the escalations that are due, a batch per run (Odoo runs the cron
        again while some remain). Each action raises the step's stored level and
        moves its next due date in the same transaction, so a second run, or a run
        resumed after a crash, never repeats an escalation."""
        now = fields.Datetime.now()
        domain = [
            ("date_escalation_due", "<=", now),
            ("state", "in", ("ready", "in_progress")),
            ("date_paused", "=", False),
        ]
        steps = self.sudo().search_fetch(
            domain, ["ticket_id"], order="date_escalation_due, id", limit=batch_size
        )
        # a batch that is not full leaves nothing behind it: no count needed
        remaining = len(steps) == batch_size and self.sudo().search_count(domain) - len(steps)
        steps._escalate(now)
        self.env["ir.cron"]._notify_progress(done=len(steps), remaining=remaining)
        return len(steps)

    def _escalate(self, now):
        """Escalate these steps one level. Their tickets are locked first, as every
        move of a ticket's steps does: a finish, a reassignment or a cancel of the
        same ticket still in flight is waited for, and this transaction then fails
        with a serialization error (the cron job runs again at its next call and
        finds the step as that move left it); a move that comes second waits for
        this one and sees its escalation."""
        # the lock empties the steps' cache: only their tickets are read before it
        self.fetch(["ticket_id"])
        self.ticket_id._lock()
        self._escalation_fetch()
        Rule = self.env["crossdept.escalation.rule"]
        rules = Rule._rules_by_scope()
        events, notices, levels = [], [], {}
        for step in self:
            rule = Rule._rule_for(step, rules)
            if not rule:
                continue
            level = step.escalation_level
            if level == "0" and now < step.date_deadline:
                users, summary, label = step._escalation_warn()
                new_level, kind = "1", "warn"
            elif level in ("0", "1"):
                users, summary, label = step._escalation_level1(rule)
                new_level, kind = "2", "missed"
            elif level == "2":
                users, summary, label = step._escalation_level2()
                new_level, kind = "3", "overdue"
            else:
                continue
            levels[step.id] = new_level
            events.append(step._escalation_event(label, users, new_level))
            notices.append((step, users, summary, kind))
        self._write_escalation(levels, self._escalation_due_dates(rules, levels))
        # a batch of thousands: its events, to-dos and notes in one INSERT each
        self.env["crossdept.ticket"]._log_events(events, one_insert=True)
        self._post_escalation_notices(notices)

    def _escalation_fetch(self):
        """Read what escalating these steps reads, one query per table for the whole
        batch: the ORM's prefetch reads a thousand records per query, and a step's
        translated name once more in each language a summary is written in."""
        self.fetch([*_prefetched(self), "responsible_ids", "approver_ids"])
        self.ticket_id.fetch(_prefetched(self.ticket_id))
        self.flow_step_id.fetch(["flow_id"])
        departments = self.department_id
        departments.fetch(["manager_id", "parent_id"])
        departments.parent_id.fetch(["manager_id"])
        managers = departments.manager_id | departments.parent_id.manager_id
        managers.fetch(["user_id", "parent_id"])
        managers.parent_id.fetch(["user_id"])
        users = (
            self.user_id
            | self.responsible_ids
            | self.accountable_id
            | self.ticket_id.requester_id
            | managers.user_id
            | managers.parent_id.user_id
        )
        users.fetch(["partner_id"])
        users.partner_id.fetch(["name", "lang", "tz"])
        langs = {self.env.lang or "en_US", *users.partner_id.mapped("lang")} - {False}
        for lang in langs:
            self.with_context(lang=lang).fetch(["name"])

    def _write_escalation(self, levels, dues):
        """Store the steps' new ``levels`` ({step id: level}) and next due dates
        ({step: date}) in one UPDATE for the whole batch (the ORM writes a hundred
        rows per statement), then tell the people concerned as a write would."""
        rows = [
            SQL(
                "(%s, %s, %s::timestamp)",
                step.id,
                levels.get(step.id, step.escalation_level),
                due or None,
            )
            for step, due in dues.items()
            if step.id in levels or due != step.date_escalation_due
        ]
        if not rows:
            return
        names = ["escalation_level", "date_escalation_due"]
        # what the batch's moves (a reassignment) wrote through the ORM goes first
        self.flush_recordset(names)
        self.env.cr.execute(
            SQL(
                "UPDATE crossdept_ticket_step s SET escalation_level = v.level, "
                "date_escalation_due = v.due, write_uid = %s, write_date = %s "
                "FROM (VALUES %s) AS v(id, level, due) WHERE s.id = v.id",
                self.env.uid,
                self.env.cr.now(),
                SQL(", ").join(rows),
            )
        )
        self.invalidate_recordset([*names, "write_uid", "write_date"])
        # escalation_level is watched: the people it concerns hear (step_bus)
        self.browse(levels)._queue_bus_notification()

    def _escalation_event(self, level_label, users, level):
        return {
            "ticket_id": self.ticket_id.id,
            "company_id": self.company_id.id,
            "step_id": self.id,
            "event_type": "escalation",
            "to_state": level,
            "to_user_id": self.user_id.id,
            "to_department_id": self.department_id.id,
            "reason": self.env._(
                "%(level)s: %(step)s, due %(deadline)s; notified %(users)s.",
                level=level_label,
                step=self.name,
                deadline=format_for_reader(
                    self.env,
                    self.date_deadline,
                    self._ticket_reader(),
                    lang=self.env.lang or "en_US",
                ),
                users=", ".join(users.mapped("name")) or "-",
            ),
        }

    @api.model
    def _post_escalation_notices(self, notices):
        """One activity per person told, its summary written for them (their language,
        the deadline in their time zone and on their day), and a note in each ticket's
        chatter, created for the whole batch at once, in one INSERT each (the activity
        shows in the person's to-do list)."""
        if not notices:
            return
        self.env["crossdept.ticket"]._schedule_activities_in_one_insert(
            [
                (
                    step.ticket_id,
                    user,
                    step._escalation_summary(kind, user.partner_id),
                    local_date(fields.Datetime.now(), user.partner_id),
                )
                for step, users, _summary, kind in notices
                for user in users
            ]
        )
        tickets = self.env["crossdept.ticket"].browse(
            [step.ticket_id.id for step, _users, _summary, _kind in notices]
        )
        tickets._log_notes_in_one_insert(
            bodies={step.ticket_id.id: summary for step, _users, summary, _kind in notices}
        )

    def _ticket_reader(self):
        """Whom the notes on the step's ticket are written for: its requester (the
        deadline in their time zone, the zone named), else the step's holder."""
        self.ensure_one()
        return (self.ticket_id.requester_id or self.user_id or self.env.user).partner_id

    def _ticket_note(self, kind):
        """The escalation's note on the ticket, read by all its followers: in the
        current language, the deadline in the time zone of the ticket's requester
        (the zone named)."""
        return self._escalation_summary(kind, self._ticket_reader(), lang=self.env.lang or "en_US")

    def _escalation_summary(self, kind, partner, lang=None):
        """The summary of the escalation (``kind``: warn, missed or overdue) written
        for ``partner``: in their language (or ``lang``), the deadline in their time
        zone."""
        self.ensure_one()
        lang = lang or partner.lang or self.env.lang or "en_US"
        step = self.with_context(lang=lang)
        deadline = format_for_reader(step.env, self.date_deadline, partner, lang=lang)
        if kind == "warn":
            return step.env._(
                "Step %(step)s is close to its deadline (%(deadline)s).",
                step=step.name,
                deadline=deadline,
            )
        if kind == "missed":
            return step.env._(
                "Step %(step)s missed its deadline (%(deadline)s).",
                step=step.name,
                deadline=deadline,
            )
        return step.env._(
            "Step %(step)s is still overdue since %(deadline)s.",
            step=step.name,
            deadline=deadline,
        )

    def _escalation_warn(self):
        users = self.user_id | self.responsible_ids | self.accountable_id
        return users, self._ticket_note("warn"), self.env._("Warning")

    def _escalation_level1(self, rule):
        manager = self.department_id.manager_id.user_id
        users = self.accountable_id | manager
        summary = self._ticket_note("missed")
        target = self.env["res.users"]
        if rule.level1_reassign == "manager":
            target = manager
        elif rule.level1_reassign == "expert":
            target = (
                self.department_id.crossdept_expert_user_ids
                | self.ticket_id.type_id.expert_user_ids
            )[:1]
        if target and self.kind == "approval":
            # an approval goes only to people who may decide it: the target becomes
            # one more approver (recorded), unless they requested the ticket
            if target not in self.approver_ids and (
                self._approval_requester_may_decide() or target != self._approval_requester()
            ):
                self._approval_add_approvers(target, summary)
        elif target and target != self.user_id:
            self._reassign(target, summary)
        if rule.level1_raise_priority and self.ticket_id.priority != "3":
            ticket = self.ticket_id._engine()
            ticket.priority = str(int(ticket.priority) + 1)
        return users, summary, self.env._("Escalation level 1")

    def _escalation_level2(self):
        manager_employee = self.department_id.manager_id
        users = (
            manager_employee.parent_id.user_id or self.department_id.parent_id.manager_id.user_id
        )
        return users, self._ticket_note("overdue"), self.env._("Escalation level 2")


def _prefetched(records):
    """The fields the ORM reads together when one of them is read first."""
    return [name for name, field in records._fields.items() if field.prefetch is True]
