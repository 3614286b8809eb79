import hashlib
import json
import re
from datetime import UTC, datetime

import psycopg2

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.tools import plaintext2html
from odoo.tools.misc import file_open

PREFIX = "/api/crossdept/v1"
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_ID = 2**31 - 1
BEARER = re.compile(r"Bearer\s+(\S+)", re.IGNORECASE)

# POST /tickets body: field -> (kind, model for references)
TICKET_FIELDS = {
    "title": ("text", None),
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
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class ApiError(Exception):
    """An error answered as {"error": {"code", "message"[, "field"]}}."""

    def __init__(self, status, code, message, field=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def response(self):
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        headers = [("WWW-Authenticate", "Bearer")] if self.status == 401 else None
        return request.make_json_response({"error": error}, headers=headers, status=self.status)


class CrossdeptApi(http.Controller):
    """CrossDept's JSON API (see static/openapi.yaml). Each call authenticates with
    an Odoo API key as a Bearer token and runs as the key's user, under that user's
    access rights and record rules."""

    @http.route(
        f"{PREFIX}/openapi.yaml",
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def openapi(self):
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
    def create_ticket(self, **_form):
        # a form body is refused with 415 (its fields arrive here as parameters)
        return self._call(self._create_ticket)

    @http.route(
        f"{PREFIX}/tickets",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def list_tickets(self, **params):
        return self._call(self._list_tickets, params)

    @http.route(
        f"{PREFIX}/tickets/<int:ticket_id>",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def get_ticket(self, ticket_id):
        return self._call(self._get_ticket, ticket_id)

    @http.route(
        f"{PREFIX}/tickets/<int:ticket_id>/comments",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def post_comment(self, ticket_id, **_form):
        return self._call(self._post_comment, ticket_id)

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

    def _authenticate(self):
        header = request.httprequest.headers.get("Authorization", "")
        match = BEARER.fullmatch(header.strip())
        if not match:
            raise ApiError(
                401,
                "unauthorized",
                request.env._("Send an Odoo API key in the header 'Authorization: Bearer <key>'."),
            )
        uid = request.env["res.users.apikeys"]._check_credentials(scope="rpc", key=match[1])
        if not uid:
            raise ApiError(401, "unauthorized", request.env._("Invalid or expired API key."))
        request.update_env(user=uid)
        # messages in the language of the key's user
        request.update_context(lang=request.env.user.lang)

    def _json_body(self):
        if request.httprequest.mimetype in FORM_TYPES:
            # the form parser has consumed the body already, and it is not JSON anyway
            raise ApiError(
                415,
                "unsupported_media_type",
                request.env._("Send the body as JSON, with Content-Type: application/json."),
            )
        raw = request.httprequest.get_data()
        try:
            body = json.loads(raw or b"{}")
        except ValueError as error:
            raise ApiError(
                400,
                "invalid_json",
                request.env._("The request body is not valid JSON: %(error)s", error=str(error)),
            ) from None
        if not isinstance(body, dict):
            raise ApiError(
                400, "invalid_json", request.env._("The request body must be a JSON object.")
            )
        return body

    def _visible_ticket(self, ticket_id):
        """The ticket if the API user may read it; 404 otherwise, so that tickets the
        user may not see cannot be told apart from missing ones."""
        ticket = request.env["crossdept.ticket"].browse(ticket_id if ticket_id <= MAX_ID else 0)
        if ticket.exists() and ticket.has_access("read"):
            return ticket
        raise ApiError(404, "not_found", request.env._("Ticket %(id)s not found.", id=ticket_id))

    @staticmethod
    def _invalid(field, message):
        return ApiError(400, "invalid_field", message, field=field)

    def _parse_datetime(self, field, value):
        """A naive UTC datetime from an ISO 8601 string (UTC when no offset is given)."""
        if not isinstance(value, str):
            raise self._invalid(
                field, request.env._("%(field)s must be an ISO 8601 date-time.", field=field)
            )
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise self._invalid(
                field,
                request.env._(
                    "%(field)s is not an ISO 8601 date-time: %(value)s", field=field, value=value
                ),
            ) from None
        if moment.tzinfo:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment

    def _parse_int(self, field, value, default, minimum, maximum):
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            number = None
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

    def _ticket_values(self, body):
        """Validate a POST /tickets body into ticket values; raises 400 naming the
        first wrong field."""
        env = request.env
        unknown = sorted(set(body) - set(TICKET_FIELDS))
        if unknown:
            raise self._invalid(unknown[0], env._("Unknown field: %(field)s", field=unknown[0]))
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise self._invalid("title", env._("title is required and must be a non-empty string."))
        vals = {}
        for field, (kind, model) in TICKET_FIELDS.items():
            if field not in body or field == "start_flow":
                continue
            value = body[field]
            if kind == "text":
                if not isinstance(value, str):
                    raise self._invalid(field, env._("%(field)s must be a string.", field=field))
                vals[field] = value.strip() if field == "title" else plaintext2html(value)
            elif kind == "priority":
                if value not in PRIORITIES:
                    raise self._invalid(
                        field,
                        env._('priority must be one of "0", "1", "2" or "3" (urgent).'),
                    )
                vals[field] = value
            elif kind == "datetime":
                vals[field] = self._parse_datetime(field, value) if value is not None else False
            elif value is not None:
                if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                    raise self._invalid(
                        field, env._("%(field)s must be a positive integer id.", field=field)
                    )
                record = env[model].browse(value if value <= MAX_ID else 0)
                if not record.exists() or not record.has_access("read"):
                    raise self._invalid(
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
        body = self._json_body()
        vals, start_flow = self._ticket_values(body)
        key = request.httprequest.headers.get("Idempotency-Key")
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
        if not key.strip() or len(key) > 255:
            raise self._invalid(
                "Idempotency-Key",
                request.env._("Idempotency-Key must hold 1 to 255 characters."),
            )
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

    def _get_ticket(self, ticket_id):
        ticket = self._visible_ticket(ticket_id)
        return ticket._api_data(with_steps=True), 200, None

    def _list_tickets(self, params):
        limit = self._parse_int("limit", params.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = self._parse_int("offset", params.get("offset"), 0, 0, MAX_ID)
        domain = []
        if params.get("changed_since"):
            since = self._parse_datetime("changed_since", params["changed_since"])
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

    def _post_comment(self, ticket_id):
        ticket = self._visible_ticket(ticket_id)
        body = self._json_body()
        unknown = sorted(set(body) - {"body", "internal"})
        if unknown:
            raise self._invalid(
                unknown[0], request.env._("Unknown field: %(field)s", field=unknown[0])
            )
        text = body.get("body")
        if not isinstance(text, str) or not text.strip():
            raise self._invalid(
                "body", request.env._("body is required and must be a non-empty string.")
            )
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
