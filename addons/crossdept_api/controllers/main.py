import hashlib
import json
import logging
import re
from datetime import UTC, datetime

import psycopg2
from psycopg2.errors import QueryCanceled
from werkzeug.exceptions import abort

from odoo import SUPERUSER_ID, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY
from odoo.tools import plaintext2html
from odoo.tools.misc import file_open, get_lang

_logger = logging.getLogger(__name__)

PREFIX = "/api/crossdept/v1"
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_ID = 2**31 - 1
# the largest request body read, in bytes: the longest valid ticket, JSON-escaped, fits
MAX_BODY = 1024 * 1024
TITLE_MAX = 255
TEXT_MAX = 10000
KEY_MAX = 255
# ticket dates the product accepts, in UTC: from 2000-01-01 to 2100-12-31
DATE_MIN = datetime(2000, 1, 1)
DATE_MAX = datetime(2100, 12, 31, 23, 59, 59, 999999)

# an API key: visible ASCII (Odoo's keys are 40 hexadecimal digits)
API_KEY = re.compile(r"[!-~]{1,256}")
# visible ASCII, no space: Idempotency-Key values
TOKEN = re.compile(rf"[!-~]{{1,{KEY_MAX}}}")
# RFC 3339 date-time (JSON Schema's "date-time" format): the offset is required
DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
INTEGER = re.compile(r"-?[0-9]{1,20}")
# control characters (Unicode category Cc); multi-line texts keep tab, LF and CR
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# POST /tickets body: field -> (kind, model for references)
TICKET_FIELDS = {
    "title": ("title", None),
    "description": ("text", None),
    "priority": ("priority", None),
    "type_id": ("ref", "crossdept.ticket.type"),
    "partner_id": ("ref", "res.partner"),
    "department_id": ("ref", "hr.department"),
    "assigned_department_id": ("ref", "hr.department"),
    "flow_id": ("ref", "crossdept.flow"),
    "date_deadline": ("datetime", None),
    "start_flow": ("bool", None),
}
PRIORITIES = ("0", "1", "2", "3")
# 加签: where the added approvers stand (see crossdept.approval.mixin)
SIGN_POSITIONS = ("before", "alongside", "after")
# the most people or departments one request adds or copies
MAX_REFS = 50
JSON_TYPE = "application/json"
# seconds a client waits before it repeats a request answered 503 (database unavailable)
RETRY_AFTER = "5"


def is_api_path(path):
    return path == PREFIX or path.startswith(PREFIX + "/")


def use_installed_lang():
    """Before Odoo's dispatch, the request's language comes from Accept-Language and
    may not be installed; fall back on an installed one as the dispatch does."""
    # superuser only to read the installed languages when no user is logged in
    env = request.env if request.env.uid else request.env(user=SUPERUSER_ID)
    request.update_context(lang=get_lang(env).code)


def abort_with(response):
    """Answer ``response`` from outside a handler (routing, pre-dispatch, a defect):
    the request's transaction is rolled back and, as on every API route, no session
    is saved (an API client gets no session cookie)."""
    request.session.can_save = False
    abort(response)


class ApiError(Exception):
    """An error answered as {"error": {"code", "message"[, "field"]}}."""

    def __init__(self, status, code, message, field=None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or []

    def response(self):
        error = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        headers = list(self.headers)
        if self.status == 401:
            headers.append(("WWW-Authenticate", "Bearer"))
        return request.make_json_response({"error": error}, headers=headers, status=self.status)

    def abort(self):
        abort_with(self.response())


def unavailable_error(message):
    """503 ``unavailable``: the database could not be reached and nothing was saved; the
    client repeats the request after ``Retry-After`` seconds (see outage.py)."""
    return ApiError(503, "unavailable", message, headers=[("Retry-After", RETRY_AFTER)])


def one_line(error):
    """An exception's text on one line (psycopg2's span several), for a log line."""
    return " ".join(str(error).split())


def check_envelope():
    """Refuse, before Odoo reads it, a body that is too large, not JSON (a form body
    would otherwise be parsed into parameters) or compressed. Called for every API
    route."""
    httprequest = request.httprequest
    length = httprequest.content_length
    if length is not None and length > MAX_BODY:
        ApiError(
            413,
            "payload_too_large",
            request.env._("The request body is larger than %(max)s bytes.", max=MAX_BODY),
        ).abort()
    has_body = bool(length) or "chunked" in httprequest.headers.get("Transfer-Encoding", "")
    encoding = httprequest.headers.get("Content-Encoding", "").strip().lower()
    if has_body and (
        (httprequest.headers.get("Content-Type") and httprequest.mimetype != JSON_TYPE)
        or encoding not in ("", "identity")
    ):
        ApiError(
            415,
            "unsupported_media_type",
            request.env._(
                "Send the body as uncompressed JSON, with Content-Type: application/json."
            ),
        ).abort()


class CrossdeptApi(http.Controller):
    """CrossDept's JSON API (see static/openapi.yaml). Each call authenticates with
    an Odoo API key as a Bearer token and runs as the key's user, under that user's
    access rights and record rules. Every error is answered as JSON with a 4xx status:
    the request envelope (size, media type), unknown paths and methods are refused by
    ``ir.http`` before a handler runs, everything else by the handlers below."""

    @http.route(
        f"{PREFIX}/openapi.yaml",
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def openapi(self, **_params):
        with file_open("crossdept_api/static/openapi.yaml", "rb") as spec:
            return request.make_response(
                spec.read(), headers=[("Content-Type", "application/yaml; charset=utf-8")]
            )

    @http.route(
        f"{PREFIX}/tickets",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def create_ticket(self, **_params):
        return self._call(self._create_ticket)

    @http.route(
        f"{PREFIX}/tickets",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def list_tickets(self, **_params):
        return self._call(self._list_tickets)

    @http.route(
        f"{PREFIX}/tickets/<ticket_id>",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def get_ticket(self, ticket_id, **_params):
        return self._call(self._get_ticket, ticket_id)

    @http.route(
        f"{PREFIX}/tickets/<ticket_id>/comments",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def post_comment(self, ticket_id, **_params):
        return self._call(self._post_comment, ticket_id)

    # the approval verbs: each runs the engine's method as the key's user, with the
    # same checks as a click; the answer is the ticket as it now is

    @http.route(
        f"{PREFIX}/tickets/<ticket_id>/withdraw",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def withdraw_ticket(self, ticket_id, **_params):
        return self._call(self._ticket_verb, ticket_id, "withdraw")

    @http.route(
        f"{PREFIX}/tickets/<ticket_id>/urge",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def urge_ticket(self, ticket_id, **_params):
        return self._call(self._ticket_verb, ticket_id, "urge")

    @http.route(
        [
            f"{PREFIX}/tickets/<ticket_id>/steps/<step_id>/approve",
            f"{PREFIX}/tickets/<ticket_id>/steps/<step_id>/refuse",
            f"{PREFIX}/tickets/<ticket_id>/steps/<step_id>/hand_over",
        ],
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def step_verb(self, ticket_id, step_id, **_params):
        verb = request.httprequest.path.rsplit("/", 1)[-1]
        return self._call(self._step_verb, ticket_id, step_id, verb)

    @http.route(
        f"{PREFIX}/tickets/<ticket_id>/steps/<step_id>/approvers",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def add_step_approvers(self, ticket_id, step_id, **_params):
        return self._call(self._add_step_approvers, ticket_id, step_id)

    @http.route(
        f"{PREFIX}/tickets/<ticket_id>/cc",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def copy_ticket(self, ticket_id, **_params):
        return self._call(self._copy_ticket, ticket_id)

    @http.route(
        f"{PREFIX}/delegations",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def create_delegation(self, **_params):
        return self._call(self._create_delegation)

    # ------------------------------------------------------------------
    # Plumbing
    # ------------------------------------------------------------------

    def _call(self, handler, *args):
        """Authenticate, run the handler, and answer errors as JSON. Handlers make
        their changes in a savepoint, so a refused request leaves nothing behind."""
        try:
            self._authenticate()
            data, status, headers = handler(*args)
            return request.make_json_response(data, headers=headers, status=status)
        except ApiError as error:
            return error.response()
        except (AccessError, MissingError) as error:
            return ApiError(403, "forbidden", str(error)).response()
        except UserError as error:
            # includes ValidationError: the request is well-formed, the business refuses it
            return ApiError(422, "unprocessable", str(error)).response()
        except psycopg2.IntegrityError:
            # e.g. two requests with the same Idempotency-Key at once
            message = request.env._("The request conflicts with data saved meanwhile.")
            return ApiError(409, "conflict", message).response()
        except QueryCanceled:
            # past the statement timeout of user requests (see crossdept_ticket's ir.http)
            message = str(request.env["ir.http"]._crossdept_statement_timeout_error())
            ApiError(503, "timeout", message).abort()
        except psycopg2.OperationalError as error:
            if error.pgcode in PG_CONCURRENCY_ERRORS_TO_RETRY:
                # a serialization failure: Odoo retries the whole request
                raise
            self._unavailable(error)
        except psycopg2.InterfaceError as error:
            # the database went away under the request (restarted, failed over)
            self._unavailable(error)
        except Exception:
            # a defect, not the client's fault: logged, rolled back, still answered as JSON
            _logger.exception("CrossDept API request %s failed", request.httprequest.path)
            ApiError(
                500,
                "internal_error",
                request.env._("The server could not handle this request; nothing was saved."),
            ).abort()

    def _unavailable(self, error):
        # one line, no traceback: an outage is not a defect (see outage.py)
        _logger.warning(
            "CrossDept API request %s: the database is unavailable (%s)",
            request.httprequest.path,
            one_line(error),
        )
        unavailable_error(
            request.env._("The database is unavailable; nothing was saved. Try again in a moment.")
        ).abort()

    def _authenticate(self):
        header = request.httprequest.headers.get("Authorization", "")
        scheme, _space, key = header.strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise ApiError(
                401,
                "unauthorized",
                request.env._("Send an Odoo API key in the header 'Authorization: Bearer <key>'."),
            )
        # a key with control characters or non-ASCII text cannot be one: never queried
        uid = API_KEY.fullmatch(key) and request.env["res.users.apikeys"]._check_credentials(
            scope="rpc", key=key
        )
        if not uid:
            raise ApiError(401, "unauthorized", request.env._("Invalid or expired API key."))
        request.update_env(user=uid)
        # messages in the language of the key's user
        request.update_context(lang=request.env.user.lang)

    def _query(self, allowed=()):
        """The query string's parameters, each given at most once, all of them known."""
        args = request.httprequest.args
        for name in args:
            if name not in allowed:
                raise self._invalid(name, request.env._("Unknown parameter: %(field)s", field=name))
            if len(args.getlist(name)) > 1:
                raise self._invalid(
                    name, request.env._("%(field)s is given more than once.", field=name)
                )
        return args

    def _json_body(self):
        # check_envelope() has refused oversize and non-JSON bodies; a chunked body
        # (without Content-Length) is measured once read
        raw = request.httprequest.get_data()
        if len(raw) > MAX_BODY:
            raise ApiError(
                413,
                "payload_too_large",
                request.env._("The request body is larger than %(max)s bytes.", max=MAX_BODY),
            )
        try:
            body = json.loads(
                raw.decode() or "{}",
                parse_constant=self._refuse_constant,
                object_pairs_hook=self._json_object,
            )
        except UnicodeDecodeError:
            raise self._invalid_json(
                request.env._("The request body is not valid UTF-8.")
            ) from None
        except RecursionError:
            raise self._invalid_json(
                request.env._("The request body is nested too deeply.")
            ) from None
        except ValueError as error:
            raise self._invalid_json(
                request.env._("The request body is not valid JSON: %(error)s", error=str(error))
            ) from None
        if not isinstance(body, dict):
            raise self._invalid_json(request.env._("The request body must be a JSON object."))
        self._check_unicode(body)
        return body

    @staticmethod
    def _refuse_constant(name):
        raise ValueError(f"{name} is not a JSON number")

    @staticmethod
    def _json_object(pairs):
        obj = dict(pairs)
        if len(obj) < len(pairs):
            raise ValueError("an object repeats a key")
        return obj

    def _check_unicode(self, body):
        """Refuse lone surrogates (JSON escapes such as "\\ud800"), which no database or
        answer can encode, in any key or string of the body."""
        stack = [body]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                try:
                    item.encode()
                except UnicodeEncodeError:
                    raise self._invalid_json(
                        request.env._("The request body holds text that is not valid Unicode.")
                    ) from None
            elif isinstance(item, dict):
                stack.extend(item)
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)

    @staticmethod
    def _invalid_json(message):
        return ApiError(400, "invalid_json", message)

    @staticmethod
    def _invalid(field, message):
        return ApiError(400, "invalid_field", message, field=field)

    @staticmethod
    def _unprocessable(field, message):
        return ApiError(422, "unprocessable", message, field=field)

    def _parse_id(self, field, value):
        """A record id: a JSON integer (or, from the path, its digits) from 1 to MAX_ID."""
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            raise self._invalid(
                field,
                request.env._(
                    "%(field)s must be an integer from %(min)s to %(max)s.",
                    field=field,
                    min=1,
                    max=MAX_ID,
                ),
            )
        return value

    def _parse_datetime(self, field, value, bounded=True):
        """A naive UTC datetime from an RFC 3339 date-time: 400 when malformed. A
        ``bounded`` one (a ticket date) falls within the product's dates, 422 outside;
        any other (a lower bound such as ``changed_since``) may be any instant, those
        beyond what Python represents (years 0000 and 9999 across time zones) clamped
        to the earliest or latest."""
        if not isinstance(value, str) or not DATE_TIME.fullmatch(value):
            raise self._invalid(
                field,
                request.env._(
                    "%(field)s must be a date-time with a time zone, such as 2030-01-31T08:00:00Z.",
                    field=field,
                ),
            )
        # RFC 3339 has a year 0000, Python does not: check the rest on a leap year
        year_zero = value.startswith("0000")
        try:
            moment = datetime.fromisoformat(("2000" + value[4:] if year_zero else value).upper())
        except ValueError:
            raise self._invalid(
                field, request.env._("%(field)s is not a valid date-time.", field=field)
            ) from None
        if year_zero:
            moment = datetime.min
        else:
            try:
                moment = moment.astimezone(UTC).replace(tzinfo=None)
            except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00
                moment = datetime.min if moment.year == 1 else datetime.max
        if bounded and not DATE_MIN <= moment <= DATE_MAX:
            raise self._unprocessable(
                field,
                request.env._(
                    "%(field)s must fall between 2000-01-01 and 2100-12-31 (UTC).", field=field
                ),
            )
        return moment

    def _parse_int(self, field, value, default, minimum, maximum):
        if value is None:
            return default
        number = int(value) if INTEGER.fullmatch(value) else None
        if number is None or not minimum <= number <= maximum:
            raise self._invalid(
                field,
                request.env._(
                    "%(field)s must be an integer from %(min)s to %(max)s.",
                    field=field,
                    min=minimum,
                    max=maximum,
                ),
            )
        return number

    def _parse_text(self, field, value, max_length, multiline=True, required=False):
        """A string of at most ``max_length`` characters without control characters
        (tab and line breaks allowed when ``multiline``), not blank when ``required``."""
        env = request.env
        if not isinstance(value, str):
            raise self._invalid(field, env._("%(field)s must be a string.", field=field))
        if required and not value.strip():
            raise self._invalid(
                field, env._("%(field)s is required and must not be blank.", field=field)
            )
        if len(value) > max_length:
            raise self._invalid(
                field,
                env._(
                    "%(field)s must hold at most %(max)s characters.", field=field, max=max_length
                ),
            )
        if (CONTROL_IN_TEXT if multiline else CONTROL).search(value):
            raise self._invalid(
                field,
                env._("%(field)s must not contain control characters.", field=field)
                if not multiline
                else env._(
                    "%(field)s must not contain control characters other than tab and line breaks.",
                    field=field,
                ),
            )
        return value

    def _ticket_values(self, body):
        """Validate a POST /tickets body into ticket values; raises 400 naming the
        first field that breaks the schema, 422 for a valid reference to a record that
        does not exist (or that the user may not see) and for dates out of bounds."""
        env = request.env
        unknown = sorted(set(body) - set(TICKET_FIELDS))
        if unknown:
            raise self._invalid(unknown[0], env._("Unknown field: %(field)s", field=unknown[0]))
        if "title" not in body:
            raise self._invalid("title", env._("%(field)s is required.", field="title"))
        vals = {}
        for field, (kind, model) in TICKET_FIELDS.items():
            if field not in body or field == "start_flow":
                continue
            value = body[field]
            if kind == "title":
                title = self._parse_text(field, value, TITLE_MAX, multiline=False, required=True)
                vals[field] = title.strip()
            elif kind == "text":
                vals[field] = plaintext2html(self._parse_text(field, value, TEXT_MAX))
            elif kind == "priority":
                if not isinstance(value, str) or value not in PRIORITIES:
                    raise self._invalid(
                        field,
                        env._('priority must be one of "0", "1", "2" or "3" (urgent).'),
                    )
                vals[field] = value
            elif kind == "datetime":
                vals[field] = self._parse_datetime(field, value) if value is not None else False
            elif value is not None:
                record = env[model].browse(self._parse_id(field, value))
                if not record.exists() or not record.has_access("read"):
                    raise self._unprocessable(
                        field,
                        env._("%(field)s: no record with id %(id)s.", field=field, id=value),
                    )
                vals[field] = value
        start_flow = body.get("start_flow", False)
        if not isinstance(start_flow, bool):
            raise self._invalid("start_flow", env._("start_flow must be true or false."))
        return vals, start_flow

    # ------------------------------------------------------------------
    # Endpoints
    # ------------------------------------------------------------------

    def _create_ticket(self):
        self._query()
        key = request.httprequest.headers.get("Idempotency-Key")
        if key is not None and not TOKEN.fullmatch(key):
            raise self._invalid(
                "Idempotency-Key",
                request.env._(
                    "Idempotency-Key must hold 1 to 255 visible ASCII characters (no spaces)."
                ),
            )
        body = self._json_body()
        vals, start_flow = self._ticket_values(body)
        if key is not None:
            replay = self._idempotent_replay(key, body)
            if replay:
                return replay
            vals["api_idempotency_key"] = key
            vals["api_request_hash"] = self._request_hash(body)
        with request.env.cr.savepoint():
            ticket = request.env["crossdept.ticket"].create(vals)
            if start_flow:
                ticket.action_start_flow()
            # read back inside the savepoint: a ticket the user could not read is undone
            data = ticket._api_data(with_steps=True)
        return data, 201, [("Location", f"{PREFIX}/tickets/{ticket.id}")]

    @staticmethod
    def _request_hash(body):
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    def _idempotent_replay(self, key, body):
        """The answer for a request repeated with the same Idempotency-Key: the ticket
        it created (200), or 409 when the key came with another request."""
        ticket = (
            request.env["crossdept.ticket"]
            .with_context(active_test=False)
            .search(
                [("create_uid", "=", request.env.uid), ("api_idempotency_key", "=", key)],
                limit=1,
            )
        )
        if not ticket:
            return None
        if ticket.api_request_hash != self._request_hash(body):
            raise ApiError(
                409,
                "conflict",
                request.env._(
                    "Idempotency-Key %(key)s was already used for another request "
                    "(ticket %(ticket)s).",
                    key=key,
                    ticket=ticket.name,
                ),
            )
        location = f"{PREFIX}/tickets/{ticket.id}"
        return ticket._api_data(with_steps=True), 200, [("Location", location)]

    def _visible_ticket(self, ticket_id):
        """The ticket if the API user may read it; 404 otherwise, so that tickets the
        user may not see cannot be told apart from missing ones."""
        ticket_id = self._parse_id(
            "ticket_id", int(ticket_id) if INTEGER.fullmatch(ticket_id) else ticket_id
        )
        ticket = request.env["crossdept.ticket"].browse(ticket_id)
        if ticket.exists() and ticket.has_access("read"):
            return ticket
        raise ApiError(404, "not_found", request.env._("Ticket %(id)s not found.", id=ticket_id))

    def _get_ticket(self, ticket_id):
        self._query()
        ticket = self._visible_ticket(ticket_id)
        return ticket._api_data(with_steps=True), 200, None

    def _list_tickets(self):
        params = self._query(allowed=("changed_since", "limit", "offset"))
        limit = self._parse_int("limit", params.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = self._parse_int("offset", params.get("offset"), 0, 0, MAX_ID)
        domain = []
        if "changed_since" in params:
            # any instant is a lower bound: the product's date range is for ticket dates
            since = self._parse_datetime("changed_since", params["changed_since"], bounded=False)
            # steps and approvals change without writing the ticket; their events count
            domain = ["|", ("write_date", ">=", since), ("event_ids.event_date", ">=", since)]
        Ticket = request.env["crossdept.ticket"]
        total = Ticket.search_count(domain)
        tickets = Ticket.search(domain, order="write_date, id", limit=limit, offset=offset)
        next_offset = offset + len(tickets) if offset + len(tickets) < total else None
        data = {
            "tickets": [ticket._api_data() for ticket in tickets],
            "count": total,
            "limit": limit,
            "offset": offset,
            "next_offset": next_offset,
        }
        return data, 200, None

    def _verb_body(self, allowed, required=()):
        """The JSON body of a verb: only ``allowed`` fields, ``required`` ones given."""
        body = self._json_body()
        unknown = sorted(set(body) - set(allowed))
        if unknown:
            raise self._invalid(
                unknown[0], request.env._("Unknown field: %(field)s", field=unknown[0])
            )
        for name in required:
            if name not in body:
                raise self._invalid(name, request.env._("%(field)s is required.", field=name))
        return body

    def _ticket_verb(self, ticket_id, verb):
        """POST /tickets/<id>/withdraw {"reason"} (撤回), /urge {"note"} (催办)."""
        self._query()
        ticket = self._visible_ticket(ticket_id)
        if verb == "withdraw":
            body = self._verb_body({"reason"}, required=("reason",))
            reason = self._parse_text("reason", body["reason"], TEXT_MAX, required=True)
            with request.env.cr.savepoint():
                ticket.action_withdraw(reason)
        else:
            body = self._verb_body({"note"})
            note = self._parse_text("note", body.get("note", ""), TEXT_MAX)
            with request.env.cr.savepoint():
                ticket.action_urge(note)
        return ticket._api_data(with_steps=True), 200, None

    def _step_verb(self, ticket_id, step_id, verb):
        """POST /tickets/<id>/steps/<id>/approve {"comment"}, /refuse {"reason"},
        /hand_over {"user_id", "reason"} (转交)."""
        self._query()
        ticket = self._visible_ticket(ticket_id)
        step_id = self._parse_id("step_id", int(step_id) if INTEGER.fullmatch(step_id) else step_id)
        step = ticket.step_ids.filtered(lambda s: s.id == step_id)
        if not step:
            raise ApiError(
                404,
                "not_found",
                request.env._(
                    "Step %(step)s of ticket %(ticket)s not found.",
                    step=step_id,
                    ticket=ticket.id,
                ),
            )
        if verb == "approve":
            body = self._verb_body({"comment"})
            comment = self._parse_text("comment", body.get("comment", ""), TEXT_MAX)
            with request.env.cr.savepoint():
                step.action_approve(comment)
        elif verb == "refuse":
            body = self._verb_body({"reason"}, required=("reason",))
            reason = self._parse_text("reason", body["reason"], TEXT_MAX, required=True)
            with request.env.cr.savepoint():
                step.action_reject(reason)
        else:
            body = self._verb_body({"user_id", "reason"}, required=("user_id", "reason"))
            user_id = self._parse_id("user_id", body["user_id"])
            reason = self._parse_text("reason", body["reason"], TEXT_MAX, required=True)
            user = request.env["res.users"].browse(user_id)
            if not user.sudo().exists():  # sudo: whether the id names a user at all
                raise self._unprocessable(
                    "user_id", request.env._("User %(id)s does not exist.", id=user_id)
                )
            with request.env.cr.savepoint():
                step.action_hand_over(user, reason)
        ticket.invalidate_recordset()
        return ticket._api_data(with_steps=True), 200, None

    def _post_comment(self, ticket_id):
        self._query()
        ticket = self._visible_ticket(ticket_id)
        body = self._json_body()
        unknown = sorted(set(body) - {"body", "internal"})
        if unknown:
            raise self._invalid(
                unknown[0], request.env._("Unknown field: %(field)s", field=unknown[0])
            )
        if "body" not in body:
            raise self._invalid("body", request.env._("%(field)s is required.", field="body"))
        text = self._parse_text("body", body["body"], TEXT_MAX, required=True)
        internal = body.get("internal", False)
        if not isinstance(internal, bool):
            raise self._invalid("internal", request.env._("internal must be true or false."))
        if internal and request.env.user.share:
            raise AccessError(request.env._("Only internal users can post internal notes."))
        with request.env.cr.savepoint():
            message = ticket.message_post(
                body=plaintext2html(text),
                message_type="comment",
                subtype_xmlid="mail.mt_note" if internal else "mail.mt_comment",
            )
        data = {
            "id": message.id,
            "ticket_id": ticket.id,
            "author": {"id": message.author_id.id, "name": message.author_id.name},
            "internal": internal,
            "date": message.date.isoformat(timespec="seconds") + "Z",
        }
        return data, 201, None

    def _check_fields(self, body, allowed, required=()):
        unknown = sorted(set(body) - set(allowed))
        if unknown:
            raise self._invalid(
                unknown[0], request.env._("Unknown field: %(field)s", field=unknown[0])
            )
        for field in required:
            if field not in body:
                raise self._invalid(field, request.env._("%(field)s is required.", field=field))

    def _parse_refs(self, field, value, model):
        """A list of at most MAX_REFS distinct record ids the user may read: 400 when
        malformed, 422 naming the first that does not exist (or is not readable)."""
        if not isinstance(value, list) or len(value) > MAX_REFS:
            raise self._invalid(
                field,
                request.env._(
                    "%(field)s must be a list of at most %(max)s ids.", field=field, max=MAX_REFS
                ),
            )
        ids = [self._parse_id(field, item) for item in value]
        records = request.env[model].browse(list(dict.fromkeys(ids)))
        for record in records:
            if not record.exists() or not record.has_access("read"):
                raise self._unprocessable(
                    field,
                    request.env._(
                        "%(field)s: no record with id %(id)s.", field=field, id=record.id
                    ),
                )
        return records

    def _add_step_approvers(self, ticket_id, step_id):
        """加签: the key's user, a pending approver of the step, adds people before,
        after or alongside them."""
        self._query()
        ticket = self._visible_ticket(ticket_id)
        step_id = self._parse_id("step_id", int(step_id) if INTEGER.fullmatch(step_id) else step_id)
        step = ticket.step_ids.filtered(lambda s: s.id == step_id)
        if not step:
            raise ApiError(
                404,
                "not_found",
                request.env._(
                    "Ticket %(ticket)s has no step %(id)s.", ticket=ticket.id, id=step_id
                ),
            )
        body = self._json_body()
        self._check_fields(body, ("user_ids", "position", "reason"), ("user_ids", "reason"))
        users = self._parse_refs("user_ids", body["user_ids"], "res.users")
        if not users:
            raise self._invalid(
                "user_ids", request.env._("%(field)s must name somebody.", field="user_ids")
            )
        position = body.get("position", "alongside")
        if position not in SIGN_POSITIONS:
            raise self._invalid(
                "position",
                request.env._('position must be "before", "alongside" or "after".'),
            )
        reason = self._parse_text("reason", body["reason"], TEXT_MAX, required=True)
        with request.env.cr.savepoint():
            step.action_add_sign(users, position, reason)
            data = step._api_data()
        return data, 200, None

    def _copy_ticket(self, ticket_id):
        """抄送: copy people and departments on the ticket; they read it."""
        self._query()
        ticket = self._visible_ticket(ticket_id)
        body = self._json_body()
        self._check_fields(body, ("user_ids", "department_ids", "reason"), ("reason",))
        users = self._parse_refs("user_ids", body.get("user_ids", []), "res.users")
        departments = self._parse_refs(
            "department_ids", body.get("department_ids", []), "hr.department"
        )
        reason = self._parse_text("reason", body["reason"], TEXT_MAX, required=True)
        with request.env.cr.savepoint():
            ticket.action_cc(users, departments, reason)
            data = ticket._api_data(with_steps=True)
        return data, 200, None

    def _create_delegation(self):
        """委托: the key's user delegates their approvals for a period."""
        self._query()
        body = self._json_body()
        self._check_fields(
            body,
            ("delegate_id", "date_from", "date_to", "flow_ids", "note"),
            ("delegate_id", "date_from", "date_to"),
        )
        delegate = self._parse_refs("delegate_id", [body["delegate_id"]], "res.users")
        vals = {
            "delegate_id": delegate.id,
            "date_from": self._parse_datetime("date_from", body["date_from"]),
            "date_to": self._parse_datetime("date_to", body["date_to"]),
        }
        flows = self._parse_refs("flow_ids", body.get("flow_ids", []), "crossdept.flow")
        if flows:
            vals.update(scope="flows", flow_ids=flows.ids)
        if body.get("note") is not None:
            vals["note"] = self._parse_text("note", body["note"], TEXT_MAX)
        with request.env.cr.savepoint():
            delegation = request.env["crossdept.approval.delegation"].create(vals)
            data = delegation._api_data()
        return data, 201, None
