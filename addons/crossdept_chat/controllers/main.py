import hmac
import json
import logging
import re
import time

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.tools import plaintext2html

from ..models.crossdept_chat_channel import IM_FIELDS
from ..models.crossdept_chat_nonce import WINDOW_SECONDS
from ..tools.platforms import callback_signature

_logger = logging.getLogger(__name__)

# the largest callback body read, in bytes
MAX_BODY = 64 * 1024
NONCE = re.compile(r"[!-~]{8,128}")
TEXT_MAX = 4000
ACTIONS = ("approve", "refuse", "comment")


class CallbackError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class CrossdeptChatCallback(http.Controller):
    """Card buttons pressed in a chat: approve, refuse or comment on a ticket step
    as the Odoo user mapped to the chat user who pressed, through the engine's own
    methods. The request is signed with the channel's callback secret
    (X-CrossDept-Signature: base64 of HMAC-SHA256 over "<timestamp>\\n<nonce>\\n" and
    the raw body), its timestamp (X-CrossDept-Timestamp, Unix seconds) within five
    minutes of the server's clock and its nonce (X-CrossDept-Nonce) never seen
    before. Body: {"user_id": chat user id, "action": "approve" | "refuse" |
    "comment", "step_id": int, "text": reason or comment}; a Feishu card action
    ({"event": {"operator": {"user_id"}, "action": {"value", "form_value"}}}) is read
    too. Every refusal answers JSON {"error": {"code", "message"}} and changes
    nothing."""

    @http.route(
        "/crossdept/chat/callback/<int:channel_id>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def callback(self, channel_id, **_params):
        request.session.can_save = False
        try:
            message = self._handle(channel_id)
        except CallbackError as error:
            _logger.info(
                "Chat callback on channel %s refused (%s): %s", channel_id, error.code, error
            )
            return request.make_json_response(
                {"error": {"code": error.code, "message": error.message}}, status=error.status
            )
        return request.make_json_response(
            {"ok": True, "message": message, "toast": {"type": "success", "content": message}}
        )

    def _handle(self, channel_id):
        env = request.env
        raw = request.httprequest.get_data()
        # the caller is nobody yet: the channel is read as the system to check the
        # signature with its secret, and nothing else is done before it holds
        channel = env["crossdept.chat.channel"].sudo().browse(channel_id).exists()
        request.update_context(lang=channel.lang if channel else env.lang)
        env = request.env
        if not channel or not channel.active:
            raise CallbackError(
                404, "not_found", env._("No active chat channel %(id)s.", id=channel_id)
            )
        if len(raw) > MAX_BODY:
            raise CallbackError(413, "payload_too_large", env._("The callback body is too large."))
        self._check_signature(channel, raw)
        body = self._parse(raw)
        user = self._user(channel, body["user_id"])
        request.update_env(user=user.id)
        request.update_context(lang=user.lang or channel.lang)
        env = request.env
        self._use_nonce(channel)
        step = env["crossdept.ticket.step"].browse(body["step_id"]).exists()
        if not step or not step.has_access("read"):
            raise CallbackError(
                404,
                "not_found",
                env._(
                    "Ticket step %(id)s does not exist or is not yours to see.", id=body["step_id"]
                ),
            )
        try:
            # the nonce stays used whatever the engine answers; its decision is undone
            with env.cr.savepoint():
                return self._apply(step, body["action"], body["text"])
        except (UserError, AccessError, MissingError) as error:
            raise CallbackError(422, "refused", str(error)) from None

    def _check_signature(self, channel, raw):
        env = request.env
        headers = request.httprequest.headers
        timestamp = headers.get("X-CrossDept-Timestamp", "")
        nonce = headers.get("X-CrossDept-Nonce", "")
        signature = headers.get("X-CrossDept-Signature", "")
        if not (timestamp and nonce and signature):
            raise CallbackError(
                401,
                "unsigned",
                env._(
                    "The callback is not signed: X-CrossDept-Timestamp, X-CrossDept-Nonce and "
                    "X-CrossDept-Signature are required."
                ),
            )
        if not timestamp.isdigit() or not NONCE.fullmatch(nonce):
            raise CallbackError(
                401,
                "bad_signature",
                env._(
                    "The callback's timestamp must be Unix seconds and its nonce 8 to 128 "
                    "visible ASCII characters."
                ),
            )
        secret = channel.callback_secret or ""
        expected = callback_signature(secret, timestamp, nonce, raw)
        if not secret or not hmac.compare_digest(expected.encode(), signature.encode()):
            raise CallbackError(
                401, "bad_signature", env._("The callback's signature does not match.")
            )
        if abs(time.time() - int(timestamp)) > WINDOW_SECONDS:
            raise CallbackError(
                401,
                "expired",
                env._(
                    "The callback's timestamp is more than %(seconds)s seconds away from the "
                    "server's time: it may be a replay.",
                    seconds=WINDOW_SECONDS,
                ),
            )

    def _use_nonce(self, channel):
        nonce = request.httprequest.headers["X-CrossDept-Nonce"]
        # the nonce store is the system's: it holds no user's data
        if not request.env["crossdept.chat.nonce"].sudo()._claim(channel, nonce):
            raise CallbackError(
                409,
                "replayed",
                request.env._("This callback was already received (same nonce): it is a replay."),
            )

    def _parse(self, raw):
        env = request.env
        try:
            body = json.loads(raw.decode() or "{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise CallbackError(
                400, "invalid_json", env._("The callback body must be a JSON object.")
            )
        event = body.get("event")
        if isinstance(event, dict) and isinstance(event.get("action"), dict):
            # a Feishu card action: who pressed, and the value the button carried
            operator = event.get("operator") or {}
            value = event["action"].get("value") or {}
            form = event["action"].get("form_value") or {}
            body = {
                "user_id": operator.get("user_id") or operator.get("open_id"),
                "action": value.get("crossdept_action"),
                "step_id": value.get("step_id"),
                "text": form.get("text") or event["action"].get("input_value") or "",
            }
        user_id, action = body.get("user_id"), body.get("action")
        step_id, text = body.get("step_id"), body.get("text", "")
        if not isinstance(user_id, str) or not user_id.strip():
            raise CallbackError(400, "invalid_field", env._("user_id must be a chat user id."))
        if action not in ACTIONS:
            raise CallbackError(
                400, "invalid_field", env._("action must be approve, refuse or comment.")
            )
        if isinstance(step_id, bool) or not isinstance(step_id, int) or not 0 < step_id < 2**31:
            raise CallbackError(400, "invalid_field", env._("step_id must be a step's id."))
        if not isinstance(text, str) or len(text) > TEXT_MAX:
            raise CallbackError(
                400,
                "invalid_field",
                env._("text must be a string of at most %(max)s characters.", max=TEXT_MAX),
            )
        return {"user_id": user_id.strip(), "action": action, "step_id": step_id, "text": text}

    def _user(self, channel, chat_user_id):
        """The active internal user whose employee in the channel's company holds
        this chat user id."""
        env = request.env
        if channel.platform == "webhook":
            users = env["res.users"].sudo().search([("login", "=", chat_user_id)])
        else:
            # the mapping is HR data, read as the system to find who pressed
            users = (
                env["hr.employee"]
                .sudo()
                .search(
                    [
                        (IM_FIELDS[channel.platform], "=", chat_user_id),
                        ("company_id", "=", channel.company_id.id),
                    ]
                )
                .user_id
            )
        users = users.filtered(lambda u: u.active and not u.share)
        if len(users) != 1:
            raise CallbackError(
                403,
                "unmapped",
                env._(
                    "Chat user %(user)s is not mapped to an active Odoo user of %(company)s: set "
                    "the chat user id on their employee.",
                    user=chat_user_id,
                    company=channel.company_id.name,
                ),
            )
        return users

    def _apply(self, step, action, text):
        """Act as the request's user, through the methods a click would call."""
        env = request.env
        if action == "approve":
            # the text, when given, is the decision comment (审批意见)
            step.action_approve(text.strip() or None)
            return env._("Approved: %(step)s", step=step.display_name)
        if action == "refuse":
            step.action_reject(text)
            return env._("Refused: %(step)s", step=step.display_name)
        if not text.strip():
            raise UserError(env._("A comment needs a text."))
        step.ticket_id.message_post(
            body=plaintext2html(text), message_type="comment", subtype_xmlid="mail.mt_note"
        )
        return env._("Comment posted on %(ticket)s", ticket=step.ticket_id.display_name)
