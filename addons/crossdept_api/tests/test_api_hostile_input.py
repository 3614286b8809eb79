import json
from datetime import datetime

from odoo.tests import tagged

from odoo.addons.crossdept_api.controllers.main import MAX_BODY, MAX_ID, TEXT_MAX, TITLE_MAX

from .common import CrossdeptApiCase

JSON_TYPE = "application/json; charset=utf-8"


@tagged("post_install", "-at_install")
class TestApiHostileInput(CrossdeptApiCase):
    """Every class of hostile input answers the API's JSON error with a 4xx status,
    through real HTTP, and saves nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket = cls._make_ticket(title="Existing")

    def setUp(self):
        super().setUp()
        self.tickets_before = self._tickets()
        self.comments_before = self._comments()

    def _tickets(self):
        return set(self.env["crossdept.ticket"].with_context(active_test=False).search([]).ids)

    def _comments(self):
        return self.env["mail.message"].search_count(
            [("model", "=", "crossdept.ticket"), ("message_type", "=", "comment")]
        )

    def assertNothingSaved(self):
        self.env.invalidate_all()
        self.assertEqual(self._tickets(), self.tickets_before)
        self.assertEqual(self._comments(), self.comments_before)

    def _create(self, body=None, raw=None, headers=None, key=None):
        return self._call("/tickets", key=key or self.it_key, body=body, raw=raw, headers=headers)

    def _comment(self, body=None, raw=None, ticket=None):
        path = f"/tickets/{(ticket or self.ticket).id}/comments"
        return self._call(path, key=self.it_key, body=body, raw=raw)

    # ------------------------------------------------------------------
    # Headers
    # ------------------------------------------------------------------

    def test_control_characters_in_authorization(self):
        for value in [
            "Bearer \x00",
            f"Bearer {self.it_key}\x00",
            "Bearer a\x01b",
            "\x00",
            "Bearer \x7f",
        ]:
            with self.subTest(value=value):
                response = self._call("/tickets", headers={"Authorization": value})
                self.assertApiError(response, 401, "unauthorized")
                self.assertEqual(response.headers["WWW-Authenticate"], "Bearer")
        response = self._create({"title": "NUL key"}, headers={"Authorization": "Bearer \x00"})
        self.assertApiError(response, 401, "unauthorized")
        self.assertNothingSaved()

    def test_bad_idempotency_keys(self):
        for key in ["a\x00b", "\x01", "caf\xe9", "two words", "k" * 256, ""]:
            with self.subTest(key=key):
                response = self._create({"title": "Keyed"}, headers={"Idempotency-Key": key})
                self.assertApiError(response, 400, "invalid_field", field="Idempotency-Key")
        self.assertNothingSaved()
        response = self._create({"title": "Keyed"}, headers={"Idempotency-Key": "~" * 255})
        self.assertEqual(response.status_code, 201, response.text)

    def test_control_characters_in_content_type(self):
        for content_type in ["application/json\x00", "\x00", "text/plain", "application/xml"]:
            with self.subTest(content_type=content_type):
                response = self._create({"title": "Typed"}, headers={"Content-Type": content_type})
                self.assertApiError(response, 415, "unsupported_media_type")
        response = self._create({"title": "Zipped"}, headers={"Content-Encoding": "gzip"})
        self.assertApiError(response, 415, "unsupported_media_type")
        self.assertNothingSaved()
        # the charset parameter is irrelevant to JSON (always UTF-8)
        response = self._create(
            {"title": "Charset"}, headers={"Content-Type": "application/json; charset=utf-8"}
        )
        self.assertEqual(response.status_code, 201, response.text)

    def test_control_characters_in_other_headers_are_ignored(self):
        headers = {
            "Accept-Language": "\x00",
            "Cookie": f"test_request_key={self.canonical_tag}; session_id=\x00\x01",
            "User-Agent": "\x00\x1b[31m",
            "Accept": "\x00",
        }
        response = self._call(f"/tickets/{self.ticket.id}", key=self.it_key, headers=headers)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["id"], self.ticket.id)
        self.assertNotIn("Set-Cookie", response.headers)

    # ------------------------------------------------------------------
    # Bodies
    # ------------------------------------------------------------------

    def test_control_characters_in_strings(self):
        cases = [
            ({"title": "a\x00b"}, "title"),
            ({"title": "tab\tinside"}, "title"),
            ({"title": "line\nbreak"}, "title"),
            ({"title": "escape \x1b[2J"}, "title"),
            ({"title": "del\x7f"}, "title"),
            ({"title": "c1\x85"}, "title"),
            ({"title": "ok", "description": "nul\x00"}, "description"),
            ({"title": "ok", "description": "vertical\x0btab"}, "description"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                response = self._create(body)
                error = self.assertApiError(response, 400, "invalid_field", field=field)
                self.assertIn("control characters", error["message"])
        for body in [{"body": "nul\x00"}, {"body": "bell\x07"}]:
            with self.subTest(body=body):
                self.assertApiError(self._comment(body), 400, "invalid_field", field="body")
        self.assertNothingSaved()
        # tab and line breaks belong in multi-line texts
        response = self._create({"title": "Lines", "description": "one\r\ntwo\tthree"})
        self.assertEqual(response.status_code, 201, response.text)
        response = self._comment({"body": "one\ntwo"})
        self.assertEqual(response.status_code, 201, response.text)

    def test_lone_surrogates(self):
        for raw in [
            b'{"title": "\\ud800"}',
            b'{"title": "ok", "description": "x\\udfff"}',
            b'{"\\ud800": 1}',
        ]:
            with self.subTest(raw=raw):
                self.assertApiError(self._create(raw=raw), 400, "invalid_json")
        # a surrogate pair is one character, and fine
        response = self._create(raw=b'{"title": "\\ud83d\\ude00"}')
        self.assertEqual(response.status_code, 201, response.text)
        self.assertEqual(response.json()["title"], "\U0001f600")
        self.tickets_before.add(response.json()["id"])
        self.assertNothingSaved()

    def test_invalid_utf8(self):
        for raw in [b'{"title": "\xff\xfe"}', b'{"title": "\xc3"}', b"\xef\xbb\xbf{}"]:
            with self.subTest(raw=raw):
                self.assertApiError(self._create(raw=raw), 400, "invalid_json")
        self.assertApiError(self._comment(raw=b'{"body": "\xe9"}'), 400, "invalid_json")
        self.assertNothingSaved()

    def test_deeply_nested_json(self):
        deep = b"[" * 100000 + b"]" * 100000
        for raw in [deep, b'{"title": ' + deep + b"}", b'{"a":' * 5000 + b"1" + b"}" * 5000]:
            with self.subTest(size=len(raw)):
                error = self.assertApiError(self._create(raw=raw), 400, "invalid_json")
                self.assertIn("nested too deeply", error["message"])
        # nested, but not too deeply for the parser: the field's type is wrong
        response = self._create({"title": [[[["x"]]]] * 3})
        self.assertApiError(response, 400, "invalid_field", field="title")
        self.assertApiError(self._comment(raw=b"[" * 100000), 400, "invalid_json")
        self.assertNothingSaved()

    def test_huge_and_odd_numbers(self):
        invalid_field = [
            b'{"title": "x", "type_id": 100000000000000000000000000000}',
            b'{"title": "x", "type_id": 2147483648}',
            b'{"title": "x", "type_id": 0}',
            b'{"title": "x", "type_id": -1}',
            b'{"title": "x", "type_id": 1.0}',
            b'{"title": "x", "type_id": 1e400}',
            b'{"title": "x", "type_id": -0.0}',
        ]
        for raw in invalid_field:
            with self.subTest(raw=raw):
                self.assertApiError(self._create(raw=raw), 400, "invalid_field", field="type_id")
        invalid_json = [
            b'{"title": "x", "type_id": ' + b"9" * 5000 + b"}",
            b'{"title": "x", "type_id": NaN}',
            b'{"title": "x", "type_id": Infinity}',
            b'{"title": "x", "type_id": -Infinity}',
        ]
        for raw in invalid_json:
            with self.subTest(raw=raw[:40]):
                self.assertApiError(self._create(raw=raw), 400, "invalid_json")
        self.assertNothingSaved()

    def test_wrong_json_types_everywhere(self):
        wrong = {
            "title": [None, 1, 1.5, True, [], {}, ["x"]],
            "description": [None, 1, True, [], {"x": "y"}],
            "priority": [None, 3, True, [], {}, ["1"], "4", ""],
            "type_id": ["1", True, [], {}, [1], 1.5],
            "partner_id": ["1", False, [1]],
            "department_id": ["x", {"id": 1}],
            "assigned_department_id": [True, "2"],
            "flow_id": [[], "1"],
            "date_deadline": [1, True, [], {}, ["2030-01-31T08:00:00Z"]],
            "start_flow": [None, "true", 1, 0, [], {}],
        }
        for field, values in wrong.items():
            for value in values:
                body = {"title": "Typed", field: value}
                with self.subTest(field=field, value=value):
                    response = self._create(body)
                    self.assertApiError(response, 400, "invalid_field", field=field)
        for raw in [b"[]", b'"title"', b"1", b"null", b"true"]:
            with self.subTest(raw=raw):
                error = self.assertApiError(self._create(raw=raw), 400, "invalid_json")
                self.assertIn("JSON object", error["message"])
        for body, field in [
            ({"body": None}, "body"),
            ({"body": 1}, "body"),
            ({"body": ["x"]}, "body"),
            ({"body": "x", "internal": "false"}, "internal"),
            ({"body": "x", "internal": None}, "internal"),
            ({"body": "x", "internal": 0}, "internal"),
        ]:
            with self.subTest(body=body):
                self.assertApiError(self._comment(body), 400, "invalid_field", field=field)
        self.assertNothingSaved()

    def test_repeated_keys(self):
        response = self._create(raw=b'{"title": "a", "title": "b"}')
        error = self.assertApiError(response, 400, "invalid_json")
        self.assertIn("repeats a key", error["message"])
        self.assertNothingSaved()

    def test_text_lengths(self):
        for body, field in [
            ({"title": "x" * (TITLE_MAX + 1)}, "title"),
            ({"title": "x", "description": "x" * (TEXT_MAX + 1)}, "description"),
        ]:
            with self.subTest(field=field):
                self.assertApiError(self._create(body), 400, "invalid_field", field=field)
        self.assertApiError(
            self._comment({"body": "x" * (TEXT_MAX + 1)}), 400, "invalid_field", "body"
        )
        self.assertNothingSaved()
        # the longest texts, each character escaped in JSON, fit in a body
        longest = {"title": "\u00e9" * TITLE_MAX, "description": "\U0001f600" * TEXT_MAX}
        self.assertLess(len(json.dumps(longest)), MAX_BODY)
        response = self._create(longest)
        self.assertEqual(response.status_code, 201, response.text)

    def test_oversize_body(self):
        raw = b'{"title": "' + b"x" * MAX_BODY + b'"}'
        error = self.assertApiError(self._create(raw=raw), 413, "payload_too_large")
        self.assertIn(str(MAX_BODY), error["message"])
        self.assertApiError(self._comment(raw=raw), 413, "payload_too_large")

        # a chunked body (no Content-Length) is measured as it is read
        def chunks():
            yield b'{"title": "'
            for _i in range(MAX_BODY // 65536 + 1):
                yield b"x" * 65536
            yield b'"}'

        response = self.opener.post(
            f"{self.base_url()}/api/crossdept/v1/tickets",
            data=chunks(),
            headers={"Authorization": f"Bearer {self.it_key}", "Content-Type": "application/json"},
            timeout=30,
        )
        self.assertApiError(response, 413, "payload_too_large")
        self.assertNothingSaved()

    # ------------------------------------------------------------------
    # Dates
    # ------------------------------------------------------------------

    def test_dates_at_the_edge_of_the_calendar(self):
        outside = [
            "0001-01-01T00:00:00+14:00",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59-12:00",
            "9999-12-31T23:59:59Z",
            "1999-12-31T23:59:59Z",
            "2000-01-01T07:59:59+08:00",
            "2101-01-01T00:00:00Z",
            "2100-12-31T23:59:59-12:00",
            # RFC 3339 has a year 0000 (Python does not): out of range, not malformed
            "0000-01-01T00:00:00Z",
            "0000-02-29T12:00:00+08:00",
        ]
        for value in outside:
            with self.subTest(value=value):
                response = self._create({"title": "Dated", "date_deadline": value})
                error = self.assertApiError(response, 422, "unprocessable", field="date_deadline")
                self.assertIn("2000-01-01", error["message"])
                # any instant is a lower bound of changed_since
                response = self._call(
                    f"/tickets?changed_since={value.replace('+', '%2B')}", self.it_key
                )
                self.assertEqual(response.status_code, 200, response.text)
        malformed = [
            "2030-01-31T08:00:00",
            "2030-01-31",
            "2030-02-30T00:00:00Z",
            "2030-01-31T24:00:00Z",
            "2030-01-31T23:59:60Z",
            "2030-01-31T08:00:00+24:00",
            "2030-01-31T08:00:00+14",
            "20300131T080000Z",
            "2030-W05-1T08:00:00Z",
            "0000-02-30T00:00:00Z",
            "2030-01-31T08:00:00Z\x00",
            "\u0662\u0660\u0663\u0660-01-31T08:00:00Z",
            "",
            "now",
        ]
        for value in malformed:
            with self.subTest(value=value):
                response = self._create({"title": "Dated", "date_deadline": value})
                self.assertApiError(response, 400, "invalid_field", field="date_deadline")
        self.assertNothingSaved()
        accepted = {
            "2000-01-01T00:00:00Z": datetime(2000, 1, 1),
            "2000-01-01T14:00:00+14:00": datetime(2000, 1, 1),
            "2100-12-31T23:59:59Z": datetime(2100, 12, 31, 23, 59, 59),
            "2100-12-31T11:59:59-12:00": datetime(2100, 12, 31, 23, 59, 59),
            "2030-01-31t08:00:00.123456789z": datetime(2030, 1, 31, 8, 0, 0, 123456),
        }
        for value, stored in accepted.items():
            with self.subTest(value=value):
                response = self._create({"title": "Dated", "date_deadline": value})
                self.assertEqual(response.status_code, 201, response.text)
                ticket = self.env["crossdept.ticket"].browse(response.json()["id"])
                self.assertEqual(ticket.date_deadline, stored)

    # ------------------------------------------------------------------
    # Paths, methods, query strings
    # ------------------------------------------------------------------

    def test_bad_ids_in_paths(self):
        for value in [
            "abc",
            "-1",
            "0",
            "1.5",
            "1e3",
            "2147483648",
            "9" * 30,
            "%00",
            "%0A",
            "%20" + "1",
            "0x1F",
        ]:
            with self.subTest(value=value):
                response = self._call(f"/tickets/{value}", key=self.it_key)
                error = self.assertApiError(response, 400, "invalid_field", field="ticket_id")
                self.assertIn(str(MAX_ID), error["message"])
                response = self._call(
                    f"/tickets/{value}/comments", key=self.it_key, body={"body": "x"}
                )
                self.assertApiError(response, 400, "invalid_field", field="ticket_id")
        self.assertApiError(self._call(f"/tickets/{MAX_ID}", key=self.it_key), 404, "not_found")
        self.assertNothingSaved()

    def test_unsupported_methods(self):
        """Each path answers JSON 405 with its Allow header for the methods it does not
        take; OPTIONS answers the Allow header and never runs a handler."""
        allowed = {
            "/openapi.yaml": "GET, HEAD, OPTIONS",
            "/tickets": "GET, HEAD, OPTIONS, POST",
            f"/tickets/{self.ticket.id}": "GET, HEAD, OPTIONS",
            f"/tickets/{self.ticket.id}/comments": "OPTIONS, POST",
        }
        for path, methods in allowed.items():
            for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND"]:
                if method in methods.split(", "):
                    continue
                with self.subTest(path=path, method=method):
                    response = self._call(
                        path, key=self.it_key, body={"title": "x", "body": "x"}, method=method
                    )
                    error = self.assertApiError(response, 405, "method_not_allowed")
                    self.assertEqual(response.headers["Allow"], methods)
                    self.assertIn(method, error["message"])
            with self.subTest(path=path, method="OPTIONS"):
                response = self._call(
                    path,
                    key=self.it_key,
                    body={"title": "By OPTIONS", "body": "x"},
                    method="OPTIONS",
                )
                self.assertEqual(response.status_code, 204, response.text)
                self.assertEqual(response.headers["Allow"], methods)
                self.assertNotIn("Set-Cookie", response.headers)
        self.assertNothingSaved()

    def test_unknown_paths(self):
        for path in [
            "",
            "/",
            "/nope",
            "/tickets/1/nope",
            f"/tickets/{self.ticket.id}/comments/1",
            "/nope%00",
            "/nope%0Ax",
            "/" + "a" * 4000,
        ]:
            with self.subTest(path=path[:40]):
                response = self._call(path, key=self.it_key)
                error = self.assertApiError(response, 404, "not_found")
                self.assertIn("/api/crossdept/v1", error["message"])
                self.assertNotIn("Set-Cookie", response.headers)
                response = self._call(path, key=self.it_key, body={"title": "x"}, method="POST")
                self.assertApiError(response, 404, "not_found")
        self.assertNothingSaved()

    def test_errors_before_authentication_are_translated(self):
        """Unknown paths and methods answer before the API key is read: in the
        language the client asks for if installed, else in English - never an error
        page for a language that is not installed."""
        self.env["res.lang"]._activate_lang("zh_CN")
        response = self._call("/nope", headers={"Accept-Language": "zh-CN"})
        error = self.assertApiError(response, 404, "not_found")
        self.assertEqual(error["message"], "API 中没有路径 /api/crossdept/v1/nope。")
        response = self._call("/nope", headers={"Accept-Language": "tlh"})
        error = self.assertApiError(response, 404, "not_found")
        self.assertEqual(error["message"], "The API has no path /api/crossdept/v1/nope.")
        response = self._call("/tickets", headers={"Accept-Language": "fr-CA"}, method="PUT")
        self.assertApiError(response, 405, "method_not_allowed")

    def test_odd_query_strings(self):
        for query, field in [
            ("limit=1&limit=2", "limit"),
            ("offset=0&offset=0", "offset"),
            (
                "changed_since=2030-01-31T08:00:00Z&changed_since=2030-01-31T08:00:00Z",
                "changed_since",
            ),
            ("limit", "limit"),
            ("limit=", "limit"),
            ("limit=1_0", "limit"),
            ("limit=%D9%A3", "limit"),
            ("limit=%201", "limit"),
            ("limit=%00", "limit"),
            ("limit=%FF", "limit"),
            ("offset=2147483648", "offset"),
            ("offset=" + "9" * 5000, "offset"),
            ("changed_since=", "changed_since"),
            ("changed_since=%00", "changed_since"),
            ("foo=bar", "foo"),
            ("Limit=5", "Limit"),
            ("%00=1", "\x00"),
            ("=1", ""),
        ]:
            with self.subTest(query=query[:40]):
                response = self._call(f"/tickets?{query}", key=self.it_key)
                self.assertApiError(response, 400, "invalid_field", field=field)
        response = self._call(f"/tickets/{self.ticket.id}?expand=1", key=self.it_key)
        self.assertApiError(response, 400, "invalid_field", field="expand")
        response = self._call("/tickets?title=x", key=self.it_key, body={"title": "Query"})
        self.assertApiError(response, 400, "invalid_field", field="title")
        response = self._call(
            f"/tickets/{self.ticket.id}/comments?internal=1", key=self.it_key, body={"body": "x"}
        )
        self.assertApiError(response, 400, "invalid_field", field="internal")
        self.assertNothingSaved()
        # the OpenAPI document ignores its query string (cache busting)
        response = self._call("/openapi.yaml?v=%00")
        self.assertEqual(response.status_code, 200)

    def test_error_bodies_are_plain_json(self):
        """An error body is exactly {"error": {"code", "message"[, "field"]}}."""
        response = self._create({"title": "x", "bogus": 1})
        self.assertEqual(response.headers["Content-Type"], JSON_TYPE)
        self.assertEqual(
            json.loads(response.content),
            {
                "error": {
                    "code": "invalid_field",
                    "message": "Unknown field: bogus",
                    "field": "bogus",
                }
            },
        )
