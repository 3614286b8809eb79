import re

import yaml

from odoo.tests import HttpCase, tagged
from odoo.tools.misc import file_open

from odoo.addons.crossdept_api.controllers import main
from odoo.addons.crossdept_api.controllers.main import PREFIX, CrossdeptApi

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@tagged("post_install", "-at_install")
class TestOpenapi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with file_open("crossdept_api/static/openapi.yaml") as spec:
            cls.spec = yaml.safe_load(spec)

    def _controller_operations(self):
        operations = set()
        for name in dir(CrossdeptApi):
            routing = getattr(getattr(CrossdeptApi, name), "original_routing", None)
            if not routing:
                continue
            routes = routing["routes"] if "routes" in routing else [routing["route"]]
            self.assertTrue(routing.get("methods"), f"{name} must list its HTTP methods")
            for route in routes:
                self.assertTrue(route.startswith(PREFIX), route)
                path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route[len(PREFIX) :])
                operations |= {(path, method.lower()) for method in routing["methods"]}
        return operations

    def test_every_route_is_described_and_vice_versa(self):
        described = {
            (path, method)
            for path, item in self.spec["paths"].items()
            for method in item
            if method in HTTP_METHODS
        }
        routes = self._controller_operations()
        self.assertIn(("/tickets/{ticket_id}/comments", "post"), routes)
        self.assertEqual(routes - described, set(), "routes missing from openapi.yaml")
        self.assertEqual(described - routes, set(), "openapi.yaml describes unknown routes")

    def test_spec_is_openapi_3(self):
        self.assertTrue(self.spec["openapi"].startswith("3."))
        self.assertEqual(self.spec["servers"][0]["url"], PREFIX)
        schemas = self.spec["components"]["schemas"]
        # every reference resolves
        text = yaml.safe_dump(self.spec)
        for ref in set(re.findall(r"#/components/(\w+)/(\w+)", text)):
            self.assertIn(ref[1], self.spec["components"][ref[0]], ref)
        self.assertEqual(schemas["TicketCreate"]["required"], ["title"])

    def _operations(self):
        for path, item in self.spec["paths"].items():
            for method, operation in item.items():
                if method in HTTP_METHODS:
                    yield path, method, operation

    def _resolve(self, node):
        while "$ref" in node:
            kind, name = re.fullmatch(r"#/components/(\w+)/(\w+)", node["$ref"]).groups()
            node = self.spec["components"][kind][name]
        return node

    def test_every_operation_documents_its_errors(self):
        """The errors each operation can answer, as the code enforces them: the envelope
        (413, 415) on every route, 401 and 403 where a key is needed, 400 where there
        is input to check, 404 where a ticket is named, 422 where the business decides,
        503 on every route (the database away, outage.py); every error response is the
        Error schema in JSON."""
        for path, _method, operation in self._operations():
            statuses = {code for code in operation["responses"] if code[0] in "45"}
            expected = {"413", "415", "503"}
            if operation.get("security", self.spec["security"]):
                expected |= {"400", "401", "403"}
            if "{ticket_id}" in path:
                expected.add("404")
            if "requestBody" in operation or path == "/tickets":
                expected.add("422")
            if operation["operationId"] == "createTicket":
                expected.add("409")
            with self.subTest(operation=operation["operationId"]):
                self.assertEqual(statuses, expected)
                for code in statuses:
                    response = self._resolve(operation["responses"][code])
                    schema = response["content"]["application/json"]["schema"]
                    self.assertEqual(schema, {"$ref": "#/components/schemas/Error"})

    def test_error_codes_are_the_codes_answered(self):
        """The Error schema lists exactly the codes the controller and ir.http answer."""
        answered = set()
        for module in ("controllers/main.py", "models/ir_http.py"):
            with file_open(f"crossdept_api/{module}") as source:
                answered |= set(re.findall(r'ApiError\(\s*\d{3},\s*"(\w+)"', source.read()))
        answered |= {"invalid_json", "invalid_field", "unprocessable"}  # via helpers
        error = self.spec["components"]["schemas"]["Error"]["properties"]["error"]
        self.assertEqual(set(error["properties"]["code"]["enum"]), answered)

    def test_limits_are_the_codes_limits(self):
        schemas = self.spec["components"]["schemas"]
        ticket = schemas["TicketCreate"]["properties"]
        self.assertEqual(set(ticket), set(main.TICKET_FIELDS))
        self.assertEqual(ticket["title"]["maxLength"], main.TITLE_MAX)
        self.assertEqual(ticket["description"]["maxLength"], main.TEXT_MAX)
        self.assertEqual(ticket["priority"]["enum"], list(main.PRIORITIES))
        comment = schemas["CommentCreate"]["properties"]
        self.assertEqual(set(comment), {"body", "internal"})
        self.assertEqual(comment["body"]["maxLength"], main.TEXT_MAX)
        self.assertEqual(schemas["RefId"]["maximum"], main.MAX_ID)
        ticket_id = self.spec["components"]["parameters"]["TicketId"]["schema"]
        self.assertEqual((ticket_id["minimum"], ticket_id["maximum"]), (1, main.MAX_ID))
        params = {
            p["name"]: p["schema"] for p in self.spec["paths"]["/tickets"]["get"]["parameters"]
        }
        self.assertEqual(params["limit"]["maximum"], main.MAX_LIMIT)
        self.assertEqual(params["limit"]["default"], main.DEFAULT_LIMIT)
        self.assertEqual(params["offset"]["maximum"], main.MAX_ID)
        key = self.spec["paths"]["/tickets"]["post"]["parameters"][0]
        self.assertEqual(key["name"], "Idempotency-Key")
        self.assertEqual(key["schema"]["maxLength"], main.KEY_MAX)
        self.assertIn(f"{main.MAX_BODY:,}", self.spec["info"]["description"])
        self.assertIn(str(main.DATE_MIN.date()), self.spec["info"]["description"])
        self.assertIn(str(main.DATE_MAX.date()), self.spec["info"]["description"])

    def test_text_patterns_agree_with_the_code(self):
        """The patterns of the spec accept exactly the texts the code accepts."""
        schemas = self.spec["components"]["schemas"]
        samples = [
            "plain",
            "  padded  ",
            " ",
            "\u3000",
            "",
            "tab\there",
            "lines\r\nhere",
            "end\n",
            "nul\x00",
            "bell\x07",
            "vt\x0b",
            "del\x7f",
            "c1\x85",
            "\u4e2d\u6587",
            "\U0001f600",
            "\xa0",
        ]
        fields = [
            (schemas["TicketCreate"]["properties"]["title"], main.CONTROL, True),
            (schemas["TicketCreate"]["properties"]["description"], main.CONTROL_IN_TEXT, False),
            (schemas["CommentCreate"]["properties"]["body"], main.CONTROL_IN_TEXT, True),
        ]
        for field, control, required in fields:
            # fullmatch: "$" ends the text in JSON Schema, as in ECMAScript
            pattern = re.compile(field["pattern"])
            for text in samples:
                with self.subTest(pattern=field["pattern"], text=text):
                    accepted = not control.search(text) and (bool(text.strip()) or not required)
                    self.assertEqual(bool(pattern.fullmatch(text)), accepted)

    def test_enums_are_the_models_selections(self):
        schemas = self.spec["components"]["schemas"]

        def selection(model, field):
            return [
                key
                for key, _label in self.env[model]._fields[field]._description_selection(self.env)
            ]

        step = schemas["Step"]["properties"]
        for enum, (model, field) in [
            (schemas["Ticket"]["properties"]["state"], ("crossdept.ticket", "state")),
            (schemas["Ticket"]["properties"]["priority"], ("crossdept.ticket", "priority")),
            (step["state"], ("crossdept.ticket.step", "state")),
            (step["kind"], ("crossdept.flow.step", "kind")),
            (step["sla_status"], ("crossdept.ticket.step", "sla_status")),
            (
                step["decisions"]["items"]["properties"]["decision"],
                ("crossdept.ticket.step.decision", "decision"),
            ),
        ]:
            with self.subTest(model=model, field=field):
                self.assertEqual(enum["enum"], selection(model, field))

    def test_links_name_existing_operations(self):
        """The links schemathesis follows in its stateful phase point at operations and
        parameters that exist."""
        operations = {op["operationId"]: op for _path, _method, op in self._operations()}
        links = 0
        for _path, _method, operation in self._operations():
            for response in operation["responses"].values():
                for link in self._resolve(response).get("links", {}).values():
                    link = self._resolve(link)
                    target = operations[link["operationId"]]
                    names = {self._resolve(p)["name"] for p in target["parameters"]}
                    self.assertLessEqual(set(link["parameters"]), names)
                    links += 1
        self.assertGreaterEqual(links, 5)

    def test_spec_is_served(self):
        response = self.url_open(f"{PREFIX}/openapi.yaml")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("application/yaml"))
        self.assertEqual(yaml.safe_load(response.content), self.spec)

    def test_webhook_event_types_are_described(self):
        described = self.spec["components"]["schemas"]["WebhookEvent"]["properties"]["type"]
        codes = self.env["crossdept.webhook.event.type"].search([]).mapped("code")
        self.assertEqual(sorted(described["enum"]), sorted(codes))
