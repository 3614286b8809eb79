from collections import defaultdict

from markupsafe import escape

from odoo import Command, api, fields, models
from odoo.tools import SQL, clean_context
from odoo.tools.mail import generate_tracking_message_id

from ..tools.batch import shared_defaults
from ..tools.bulk_create import create_overrides, insert_rows

# the create overrides the one-insert helpers mirror (bulk_create.create_overrides)
ACTIVITY_CREATE = ("odoo.addons.mail.models.mail_activity.MailActivity",)
MESSAGE_CREATE = ("odoo.addons.mail.models.mail_message.Message",)

# the context key under which a batch's tracking notes are collected (_message_track)
TRACKING_LOGS = "crossdept_tracking_logs"


class CrossdeptTicket(models.Model):
    """Notifications, activities and satisfaction ratings of tickets."""

    _inherit = "crossdept.ticket"

    def write(self, vals):
        res = super().write(vals)
        if vals.get("state") == "done":
            self._send_rating_request()
        if vals.get("requester_id"):
            self._subscribe_requesters()
        if "active" in vals and not vals["active"]:
            self._close_refusal_activities()
        return res

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets._subscribe_requesters()
        return tickets

    def message_post(self, **kwargs):
        """People who hold steps need no e-mail address of their own: the engine's
        messages (a step done, refused, waiting for a decision) and their replies go
        out with the company's address as sender, under their name as author.

        The e-mails of a message wait in Odoo's mail queue (its cron sends them):
        nobody's request waits for a mail server, whoever the message notifies."""
        ticket = self
        if "mail_notify_force_send" not in self.env.context:
            ticket = self.with_context(mail_notify_force_send=False)
        if not kwargs.get("email_from"):
            author = self.env.user.partner_id
            if kwargs.get("author_id") and kwargs["author_id"] != author.id:
                author = self.env["res.partner"].browse(kwargs["author_id"]).exists() or author
            if not author.email:
                company = self.company_id[:1] or self.env.company
                sender = (
                    company.partner_id.email_formatted
                    or self.env.ref("base.partner_root").email_formatted
                )
                if sender:
                    kwargs["email_from"] = sender
                    kwargs["author_id"] = author.id
        return super(CrossdeptTicket, ticket).message_post(**kwargs)

    def _notify_thread_by_email(self, message, recipients_data, msg_vals=False, **kwargs):
        """Queued e-mails go out as soon as a cron worker is free: the mail queue's
        cron is woken (once per transaction), as it would otherwise wait for its
        hourly run."""
        result = super()._notify_thread_by_email(
            message, recipients_data, msg_vals=msg_vals, **kwargs
        )
        woken = self.env.cr.precommit.data  # once per transaction
        if (
            self.env.context.get("mail_notify_force_send") is False
            and not woken.get("crossdept.mail_queue_woken")
            and any(recipient["notif"] == "email" for recipient in recipients_data)
        ):
            queue = self.env.ref("mail.ir_cron_mail_scheduler_action", raise_if_not_found=False)
            if queue:
                queue._trigger()
                woken["crossdept.mail_queue_woken"] = True
        return result

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        # the members of a department get a to-do for each step waiting in its queue;
        # they do not follow the ticket for that (the one who takes it does)
        if self.env.context.get("crossdept_queue_todo"):
            return True
        return super().message_subscribe(partner_ids=partner_ids, subtype_ids=subtype_ids)

    def _message_track(self, fields_iter, initial_values_dict):
        """The tracking notes of a batch (the flow of a thousand tickets started at
        once) are created together: Odoo logs one note and its tracking values per
        ticket, each in its own create; here the notes of each author are created in
        one batch and their tracking values in one create. Notes with a subtype are
        posted as Odoo posts them."""
        if len(self) < 2 or TRACKING_LOGS in self.env.context:
            return super()._message_track(fields_iter, initial_values_dict)
        logs = []
        tickets = self.with_context(**{TRACKING_LOGS: logs})
        tracking = super(CrossdeptTicket, tickets)._message_track(fields_iter, initial_values_dict)
        by_author = defaultdict(dict)
        for ticket, body, author_id, tracking_values in logs:
            by_author[author_id][ticket.id] = (body, tracking_values)
        for author_id, entries in by_author.items():
            messages = self.browse(list(entries))._message_log_batch(
                {ticket_id: body for ticket_id, (body, _values) in entries.items()},
                author_id=author_id,
            )
            # five or so per ticket, sharing their defaults
            with shared_defaults(self.env["mail.tracking.value"].sudo()) as TrackingValue:
                TrackingValue.create(
                    [
                        dict(command[2], mail_message_id=message.id)
                        for message in messages
                        for command in entries[message.res_id][1]
                    ]
                )
        return tracking

    def _message_log(self, *, body="", author_id=None, tracking_value_ids=False, **kwargs):
        logs = self.env.context.get(TRACKING_LOGS)
        if logs is None or not tracking_value_ids or any(kwargs.values()):
            return super()._message_log(
                body=body, author_id=author_id, tracking_value_ids=tracking_value_ids, **kwargs
            )
        # a tracking note of a batch: created with the others (_message_track)
        logs.append((self, body, author_id, tracking_value_ids))
        return self.env["mail.message"]

    def _notify_get_recipients(self, message, msg_vals=False, **kwargs):
        # people who get a message of their own about the same thing (a requester
        # whose ticket a refusal ended, in their language) are left out of this one
        recipients = super()._notify_get_recipients(message, msg_vals, **kwargs)
        skip = self.env.context.get("crossdept_notify_skip_partner_ids")
        if skip:
            recipients = [recipient for recipient in recipients if recipient["id"] not in skip]
        return recipients

    def _subscribe_requesters(self):
        """The requester follows the ticket's milestones (default subtypes); the
        creator already does. One subscription per requester for a whole batch."""
        by_partner = defaultdict(lambda: self.browse())
        for ticket in self:
            requester = ticket.requester_id
            if requester and requester != ticket.create_uid and requester.active:
                by_partner[requester.partner_id] |= ticket
        for partner, tickets in by_partner.items():
            # the requester may not be allowed to follow on their own behalf
            tickets.sudo().message_subscribe(partner_ids=partner.ids)

    def _on_state_change(self, before, reason):
        res = super()._on_state_change(before, reason)
        self.filtered(lambda t: before[t.id] == "cancelled")._close_refusal_activities()
        for ticket in self.filtered(lambda t: t.state == "done"):
            ticket.message_post(
                body=self.env._("Ticket %(ticket)s is done.", ticket=ticket.display_name),
                subtype_xmlid="crossdept_ticket.mt_ticket_done",
            )
        return res

    def _close_refusal_activities(self):
        """The requester's to-do about a refusal that ended the ticket goes when they
        reset the ticket to draft (to submit it again) or archive it."""
        steps = self.with_context(active_test=False).step_ids.filtered(
            lambda step: step.state == "rejected"
        )
        steps._close_activities()

    # ------------------------------------------------------------------
    # Automation (server actions usable in automation rules)
    # ------------------------------------------------------------------

    def _raci_holders(self, roles):
        return self.raci_ids.filtered(lambda line: line.role in roles).holder_user_id

    def _notify_raci(self, roles, summary=None):
        """Post a note on each ticket that notifies the holders of these RACI roles."""
        for ticket in self:
            users = ticket._raci_holders(roles) - self.env.user
            if users:
                ticket.message_post(
                    body=summary
                    or self.env._(
                        "Ticket %(ticket)s needs your attention.", ticket=ticket.display_name
                    ),
                    partner_ids=users.partner_id.ids,
                    subtype_xmlid="mail.mt_note",
                )

    def _notify_created(self):
        """Tell the Informed and Accountable holders about new tickets.

        Automation rules run their action once per record; the notes are therefore
        collected here and posted for the whole transaction at once before commit,
        so that creating many tickets does not cost a few queries each."""
        pending = self.env.cr.precommit.data.setdefault("crossdept.notify_created", set())
        if not pending:
            self.env.cr.precommit.add(self._post_created_notes)
        pending.update(self.ids)

    @api.model
    def _post_created_notes(self):
        ids = self.env.cr.precommit.data.pop("crossdept.notify_created", set())
        tickets = self.sudo().browse(sorted(ids)).exists()
        note = self.env.ref("mail.mt_note")
        # reply-to addresses for the whole batch at once (mail would look them up per note)
        reply_to = tickets._notify_get_reply_to()
        messages, recipients = [], []
        for ticket in tickets:
            partners = ticket._raci_holders(("informed", "accountable")).partner_id
            if not partners:
                continue
            messages.append(
                {
                    "model": ticket._name,
                    "res_id": ticket.id,
                    "message_type": "notification",
                    "subtype_id": note.id,
                    "author_id": ticket.create_uid.partner_id.id,
                    "body": self.env._(
                        "New ticket %(ticket)s from %(requester)s.",
                        ticket=ticket.display_name,
                        requester=ticket.requester_id.name or "-",
                    ),
                    "partner_ids": [Command.set(partners.ids)],
                    "reply_to": reply_to.get(ticket.id) or False,
                }
            )
            recipients.append(partners)
        created = self.env["mail.message"].sudo().create(messages)
        self.env["mail.notification"].sudo().create(
            [
                {
                    "mail_message_id": message.id,
                    "res_partner_id": partner.id,
                    "notification_type": "inbox",
                }
                for message, partners in zip(created, recipients, strict=True)
                for partner in partners
            ]
        )

    @api.model
    def _schedule_activities_batch(self, entries):
        """Create to-do activities for [(ticket, user, summary, date[, step[, note]])]
        in one go, without the e-mail Odoo sends for each assignment (they show in
        the users' activity lists)."""
        if not entries:
            return self.env["mail.activity"]
        # the engine gives people their to-dos, whatever the rights of who moved the step
        return (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(self._activity_vals(entries))
        )

    @api.model
    def _activity_vals(self, entries):
        """The values of the to-dos of ``_schedule_activities_batch``."""
        model_id = self.env["ir.model"]._get_id(self._name)
        todo_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mail_activity_data_todo")
        vals_list = []
        for ticket, user, summary, date, *rest in entries:
            step, note = [*rest, False, False][:2]
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": ticket.id,
                    "activity_type_id": todo_id,
                    "user_id": user.id,
                    "summary": summary,
                    "note": note or False,
                    "date_deadline": date,
                    "crossdept_step_id": step.id if step else False,
                    # the activity's stored computed fields, given so that the ORM
                    # does not write them back a hundred rows per UPDATE after
                    "res_name": ticket.sudo().display_name,
                    "user_tz": user.sudo().tz,
                    "date_done": False,
                }
            )
        return vals_list

    @api.model
    def _schedule_activities_in_one_insert(self, entries):
        """``_schedule_activities_batch`` for a cron batch of thousands: the to-dos in
        one INSERT, their users made followers of the tickets in one statement, and
        each user told on the bus, as mail's ``create`` of quick activities does (no
        assignment e-mail; subscribe the user; ``mail.activity/updated`` to each
        user with a to-do due today or before). Through the ORM if another addon
        overrides that ``create``."""
        Activity = self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True)
        if create_overrides(Activity) != ACTIVITY_CREATE:
            return self._schedule_activities_batch(entries)
        activities = insert_rows(Activity, self._activity_vals(entries))
        followers = defaultdict(set)
        for activity in activities:
            followers[activity.user_id.partner_id.id].add(activity.res_id)
        self.browse(
            {res_id for ids in followers.values() for res_id in ids}
        ).sudo()._subscribe_in_one_insert(followers)
        today = fields.Date.today()
        todo = activities.filtered(lambda act: act.active and act.date_deadline <= today)
        for user, user_activities in todo.grouped("user_id").items():
            user._bus_send(
                "mail.activity/updated",
                {"activity_created": True, "count_diff": len(user_activities)},
            )
        return activities

    def _subscribe_in_one_insert(self, followers):
        """Make partners followers of these tickets, ``followers`` being {partner id:
        ticket ids}, as ``message_subscribe(partner_ids=[partner])`` of each does,
        in one statement: active partners only (the current user's own partner
        always), existing followers left as they are, the model's default subtypes
        (the external ones for a customer)."""
        # the members of a department get a to-do for each step waiting in its
        # queue; they do not follow the ticket for that (message_subscribe)
        if not followers or self.env.context.get("crossdept_queue_todo"):
            return
        all_, _internal, external = self.env["mail.message.subtype"].default_subtypes(self._name)
        pairs = [(res_id, partner_id) for partner_id, ids in followers.items() for res_id in ids]
        current = self.env.user.partner_id.id
        self.env.cr.execute(
            SQL(
                """
                WITH new AS (
                    INSERT INTO mail_followers (res_model, res_id, partner_id)
                    SELECT %(model)s, pair.res_id, pair.partner_id
                      FROM unnest(%(res_ids)s::int[], %(partner_ids)s::int[])
                           AS pair(res_id, partner_id)
                      JOIN res_partner partner ON partner.id = pair.partner_id
                     WHERE partner.active OR partner.id = %(current)s
                    ON CONFLICT (res_model, res_id, partner_id) DO NOTHING
                    RETURNING id, partner_id
                )
                INSERT INTO mail_followers_mail_message_subtype_rel
                            (mail_followers_id, mail_message_subtype_id)
                SELECT new.id, subtype.id
                  FROM new
                  JOIN res_partner partner ON partner.id = new.partner_id,
                       unnest(CASE WHEN partner.partner_share AND partner.id != %(current)s
                                   THEN %(external)s::int[] ELSE %(all)s::int[] END)
                       AS subtype(id)
                """,
                model=self._name,
                res_ids=[res_id for res_id, _partner_id in pairs],
                partner_ids=[partner_id for _res_id, partner_id in pairs],
                current=current,
                external=external.ids,
                all=all_.ids,
            )
        )
        self.invalidate_recordset(
            ["message_follower_ids", "message_partner_ids", "message_is_follower"]
        )

    def _log_notes_in_one_insert(self, bodies):
        """``_message_log_batch(bodies)`` (a note on each ticket, {ticket id: body},
        by the current user, notifying nobody) in one INSERT however many, with the
        values mail gives such a note; the tickets' messages read again after.
        Through mail if another addon overrides the creation of messages."""
        Message = self.env["mail.message"].sudo()
        if create_overrides(Message) != MESSAGE_CREATE:
            return self._message_log_batch(bodies=bodies)
        author_id, email_from = self._message_compute_author(raise_on_email=False)
        base = {
            "author_id": author_id,
            "email_from": email_from,
            "model": self._name,
            "record_alias_domain_id": False,
            "record_company_id": False,
            "record_name": False,
            "message_type": "notification",
            "is_internal": True,
            "subject": False,
            "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
            "email_add_signature": False,
            "message_id": generate_tracking_message_id("message-notify"),
            "reply_to": self.env["mail.thread"]._notify_get_reply_to(default=email_from)[False],
        }
        messages = insert_rows(
            Message.with_context(clean_context(self.env.context)),
            [
                dict(base, res_id=ticket.id, body=escape(bodies.get(ticket.id, "")))
                for ticket in self
            ],
        )
        self.invalidate_recordset(
            ["message_ids", "message_needaction", "message_needaction_counter"]
        )
        return messages

    # ------------------------------------------------------------------
    # Satisfaction
    # ------------------------------------------------------------------

    def _send_rating_request(self):
        """Ask the customer of each ticket just done to rate it by e-mail."""
        template = self.env.ref(
            "crossdept_ticket.mail_template_crossdept_ticket_rating", raise_if_not_found=False
        )
        if not template or not template.active:
            return
        for ticket in self:
            partner = ticket.partner_id
            if partner.email and partner != self.env.user.partner_id:
                ticket.rating_send_request(template, lang=partner.lang, force_send=False)

    def action_open_ratings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("rating.rating_rating_action")
        action.update(
            {
                "name": self.env._("Ratings of %(ticket)s", ticket=self.display_name),
                "domain": [("res_model", "=", self._name), ("res_id", "=", self.id)],
                "context": {"create": False},
            }
        )
        return action

    def _notify_requester_done(self):
        for ticket in self.filtered("requester_id"):
            ticket.message_post(
                body=self.env._("Ticket %(ticket)s is done.", ticket=ticket.display_name),
                partner_ids=ticket.requester_id.partner_id.ids,
                subtype_xmlid="mail.mt_note",
            )
