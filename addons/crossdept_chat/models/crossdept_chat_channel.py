import secrets
from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from odoo.addons.base.models.res_partner import _lang_get

from ..tools import platforms

ADMIN_GROUP = "crossdept_ticket.group_crossdept_ticket_admin"

# the employee field holding each platform's user id (the generic webhook names logins)
IM_FIELDS = {
    "dingtalk": "crossdept_dingtalk_user_id",
    "feishu": "crossdept_feishu_user_id",
    "wecom": "crossdept_wecom_user_id",
}


class CrossdeptChatChannel(models.Model):
    """A group chat (or any receiver of a webhook) that hears of ticket events as
    its routes say: each matching event queues a message in the outbox, in the
    ticket's transaction; a cron sends it after the commit."""

    _name = "crossdept.chat.channel"
    _description = "Chat Channel"
    _order = "name, id"

    name = fields.Char(required=True)
    platform = fields.Selection(platforms.PLATFORMS, required=True, default="dingtalk")
    url = fields.Char(
        "Webhook URL",
        required=True,
        groups=ADMIN_GROUP,
        help="The robot's webhook address, as the group's robot settings show it (for "
        "WeCom it carries the robot's key: .../cgi-bin/webhook/send?key=...).",
    )
    secret = fields.Char(
        "Signing Secret",
        groups=ADMIN_GROUP,
        copy=False,
        help="DingTalk: the robot's 加签 secret (SEC...). Feishu: the bot's signature "
        "verification secret. Generic webhook: key of the X-CrossDept-Signature HMAC. "
        "Empty: messages are sent unsigned (WeCom robots are not signed).",
    )
    callback_secret = fields.Char(
        groups=ADMIN_GROUP,
        copy=False,
        default=lambda self: secrets.token_hex(32),
        help="Key of the HMAC-SHA256 signature that card buttons' callbacks must carry.",
    )
    callback_path = fields.Char(compute="_compute_callback_path")
    lang = fields.Selection(
        _lang_get,
        "Language",
        required=True,
        default=lambda self: self.env.lang or "en_US",
        help="Language of the messages written to this chat.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    max_attempts = fields.Integer(
        default=8,
        required=True,
        help="Failed messages are retried after 1, 2, 4, 8... minutes, up to this "
        "number of attempts in all; then they stay failed until retried by hand.",
    )
    timeout = fields.Float("Timeout (seconds)", default=10.0, required=True)
    route_ids = fields.One2many("crossdept.chat.route", "channel_id", "Routes", copy=True)
    message_ids = fields.One2many("crossdept.chat.message", "channel_id", "Messages")
    message_count = fields.Integer("Messages Sent or Queued", compute="_compute_message_stats")
    pending_count = fields.Integer("Waiting to Be Sent", compute="_compute_message_stats")
    failed_count = fields.Integer("Failed Messages", compute="_compute_message_stats")
    last_error = fields.Char("Last Failure", compute="_compute_message_stats")
    last_error_date = fields.Datetime("Last Failure On", compute="_compute_message_stats")

    @api.depends("platform")
    def _compute_callback_path(self):
        for channel in self:
            channel.callback_path = f"/crossdept/chat/callback/{channel.id or 0}"

    @api.depends("message_ids.state", "message_ids.last_error")
    def _compute_message_stats(self):
        Message = self.env["crossdept.chat.message"]
        counts = defaultdict(lambda: defaultdict(int))
        for channel, state, count in Message._read_group(
            [("channel_id", "in", self.ids)], ["channel_id", "state"], ["__count"]
        ):
            counts[channel][state] = count
        # the latest error per channel (groups come newest first)
        last = {}
        for channel, error, date in Message._read_group(
            [("channel_id", "in", self.ids), ("last_error", "!=", False)],
            ["channel_id", "last_error"],
            ["last_attempt:max"],
            order="last_attempt:max desc",
        ):
            last.setdefault(channel, (error, date))
        for channel in self:
            channel.message_count = sum(counts[channel].values())
            channel.pending_count = counts[channel]["pending"]
            channel.failed_count = counts[channel]["failed"]
            error, date = last.get(channel, (False, False))
            channel.last_error = error
            channel.last_error_date = date

    @api.constrains("url", "platform")
    def _check_url(self):
        # the URL is an administrators' field: read whoever saves the channel
        for channel in self.sudo():
            url = channel.url or ""
            if not url.startswith(("http://", "https://")):
                raise ValidationError(
                    self.env._(
                        "The webhook URL of chat channel %(channel)s must start with http:// "
                        "or https://.",
                        channel=channel.name,
                    )
                )
            if channel.platform == "wecom" and "key=" not in url:
                raise ValidationError(
                    self.env._(
                        "The webhook URL of WeCom channel %(channel)s must carry the robot's "
                        "key (…/cgi-bin/webhook/send?key=…).",
                        channel=channel.name,
                    )
                )

    @api.constrains("max_attempts", "timeout")
    def _check_limits(self):
        for channel in self:
            if channel.max_attempts < 1 or channel.timeout <= 0:
                raise ValidationError(
                    self.env._(
                        "Chat channel %(channel)s needs at least one attempt and a positive "
                        "timeout.",
                        channel=channel.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        channels = super().create(vals_list)
        self.env.registry.clear_cache()
        return channels

    def write(self, vals):
        res = super().write(vals)
        if {"active", "company_id", "platform"} & set(vals):
            self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res

    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crossdept_chat.crossdept_chat_message_action"
        )
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"search_default_not_done": 1}
        return action

    def action_retry_failed(self):
        """Send the failed messages of these channels again now."""
        failed = self.env["crossdept.chat.message"].search(
            [("channel_id", "in", self.ids), ("state", "=", "failed")]
        )
        return failed.action_retry()

    def action_regenerate_callback_secret(self):
        for channel in self:
            channel.callback_secret = secrets.token_hex(32)

    # ------------------------------------------------------------------
    # Queueing
    # ------------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _routes(self):
        """{company id: ((route id, channel id, platform, kind, flow step id,
        department id), ...)} of the routes of active channels, cached so that ticket
        events cost no query when no chat listens."""
        result = defaultdict(list)
        # the routing is the system's business: every ticket event is matched
        routes = self.env["crossdept.chat.route"].sudo().search([("channel_id.active", "=", True)])
        for route in routes:
            channel = route.channel_id
            result[channel.company_id.id].append(
                (
                    route.id,
                    channel.id,
                    route.event,
                    route.flow_step_id.id,
                    route.department_id.id,
                )
            )
        return {company: tuple(items) for company, items in result.items()}

    @api.model
    def _event_kind(self, event):
        """The chat event ('step_ready', 'approval', 'warning', 'breach',
        'escalation', 'done') a ticket event is, or None."""
        kind = event.event_type
        if kind == "step_ready":
            return "approval" if event.step_id.kind == "approval" else "step_ready"
        if kind in ("approver_add", "approver_hand_over"):
            return "approval"
        if kind == "escalation":
            return {"1": "warning", "2": "breach", "3": "escalation"}.get(event.to_state)
        if kind == "step_done" or (kind == "state" and event.to_state == "done"):
            return "done"
        return None

    @api.model
    def _enqueue_events(self, events):
        """Queue the messages of these ticket events, in their transaction."""
        routes = self._routes()
        if not routes:
            return self.env["crossdept.chat.message"]
        Route = self.env["crossdept.chat.route"].sudo()
        matches = []
        # the messages show the ticket as the chat's readers are told of it, not as
        # the user whose action raised the event
        for event in events.sudo():
            company_routes = routes.get(event.company_id.id)
            if not company_routes:
                continue
            kind = self._event_kind(event)
            if not kind:
                continue
            step = event.step_id
            department = step.department_id or event.ticket_id.assigned_department_id
            for route_id, _channel_id, route_kind, flow_step_id, department_id in company_routes:
                if route_kind != kind:
                    continue
                if flow_step_id and flow_step_id != step.flow_step_id.id:
                    continue
                if department_id and department_id != department.id:
                    continue
                matches.append((event, kind, Route.browse(route_id)))
        if not matches:
            return self.env["crossdept.chat.message"]
        return self._enqueue(matches)

    @api.model
    def _enqueue(self, matches):
        """One outbox message per (event, route), written in the channel's language,
        created at once; the sending cron is woken up after the commit."""
        routes = self.env["crossdept.chat.route"].union(*(route for _e, _k, route in matches))
        # the cache may outlive a route deleted in a transaction rolled back since
        routes = routes.exists()
        ids_by_platform = self._im_ids(
            [(event, kind, route) for event, kind, route in matches if route in routes]
        )
        now = fields.Datetime.now()
        vals_list = []
        # chats of one platform and language told of one event get the same text
        payloads = {}
        for event, kind, route in matches:
            if route not in routes:
                continue
            channel = route.channel_id
            mentions = ids_by_platform.get((event.id, route.id), [])
            key = (event.id, kind, channel.platform, channel.lang, tuple(mentions))
            if key not in payloads:
                note = channel.with_context(lang=channel.lang)._note(event, kind, mentions)
                payloads[key] = platforms.body(channel.platform, note)
            vals_list.append(
                {
                    "channel_id": channel.id,
                    "route_id": route.id,
                    "event": kind,
                    "ticket_id": event.ticket_id.id,
                    "step_id": event.step_id.id,
                    "payload": payloads[key],
                    "next_attempt": now,
                }
            )
        if not vals_list:
            return self.env["crossdept.chat.message"]
        # users who move tickets may not read chat channels: queueing is the system's
        # business, and the outbox is only visible to managers
        messages = self.env["crossdept.chat.message"].sudo()._engine().create(vals_list)
        # ir.cron notifies the cron workers after the commit, never before: the
        # ticket's transaction never waits on a chat server
        self.env.ref("crossdept_chat.ir_cron_crossdept_chat_send").sudo()._trigger()
        return messages

    @api.model
    def _im_ids(self, matches):
        """{(event id, route id): [platform user ids to mention]} for the whole batch,
        the employees read at once."""
        wanted = {}
        all_users = self.env["res.users"]
        for event, kind, route in matches:
            users = route._mention_users(event, kind)
            wanted[event.id, route.id] = (route.channel_id, users)
            all_users |= users
        if not all_users:
            return {}
        # the chat ids are HR data: read as the system to write the message, never shown
        # to the user who raised the event
        employees = (
            self.env["hr.employee"].sudo().search([("user_id", "in", all_users.ids)], order="id")
        )
        by_user = defaultdict(list)
        for employee in employees:
            by_user[employee.user_id.id, employee.company_id.id].append(employee)
        result = {}
        for key, (channel, users) in wanted.items():
            ids = []
            for user in users:
                if channel.platform == "webhook":
                    ids.append(user.login)
                    continue
                for employee in by_user.get((user.id, channel.company_id.id), []):
                    value = employee[IM_FIELDS[channel.platform]]
                    if value and value not in ids:
                        ids.append(value)
                        break
            result[key] = ids
        return result

    def _note(self, event, kind, mentions):
        """What the chat is told of ``event`` (platform-neutral), in the context's
        language."""
        self.ensure_one()
        env = self.env
        ticket = event.ticket_id.with_env(env)
        step = event.step_id.with_env(env)
        label = step.name or ticket.name
        titles = {
            "step_ready": env._("Step ready: %(step)s", step=label),
            "approval": env._("Approval needed: %(step)s", step=label),
            "warning": env._("Close to its deadline: %(step)s", step=label),
            "breach": env._("Deadline missed: %(step)s", step=label),
            "escalation": env._("Escalated: %(step)s", step=label),
            "done": env._("Done: %(step)s", step=label),
        }
        details = []
        department = step.department_id or ticket.assigned_department_id
        if department:
            details.append(env._("Department: %(department)s", department=department.name))
        if kind != "done" and step.kind == "approval":
            waiting = step.approver_ids - step.decision_ids.user_id
            if waiting:
                details.append(
                    env._("Approvers: %(users)s", users=", ".join(waiting.mapped("name")))
                )
        elif kind != "done":
            holder = step.user_id if step else ticket.user_id
            if holder:
                details.append(env._("Holder: %(user)s", user=holder.name))
        if step.date_deadline and kind != "done":
            details.append(
                env._(
                    "Deadline: %(deadline)s UTC",
                    deadline=step.date_deadline.strftime("%Y-%m-%d %H:%M"),
                )
            )
        if event.reason:
            details.append(event.reason)
        note = {
            "event": kind,
            "title": titles[kind],
            "text": env._("%(number)s: %(title)s", number=ticket.name, title=ticket.title),
            "details": details,
            "url": self._ticket_url(ticket),
            "open_label": env._("Open ticket"),
            "mentions": mentions,
            "ticket_id": ticket.id,
            "step_id": step.id or None,
            "color": {"warning": "orange", "breach": "red", "escalation": "red"}.get(
                kind, "green" if kind == "done" else "blue"
            ),
        }
        if kind == "approval" and step:
            note["actions"] = [
                {
                    "action": action,
                    "label": label,
                    "value": {"crossdept_action": action, "step_id": step.id},
                }
                for action, label in (
                    ("approve", env._("Approve")),
                    ("refuse", env._("Refuse")),
                )
            ]
        return note

    @api.model
    def _ticket_url(self, ticket):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        return f"{base}/odoo/crossdept.ticket/{ticket.id}"
