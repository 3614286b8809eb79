import re

import yaml

from odoo.tests import HttpCase, tagged
from odoo.tools.misc import file_open

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

    def test_spec_is_served(self):
        response = self.url_open(f"{PREFIX}/openapi.yaml")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("application/yaml"))
        self.assertEqual(yaml.safe_load(response.content), self.spec)

    def test_webhook_event_types_are_described(self):
        described = self.spec["components"]["schemas"]["WebhookEvent"]["properties"]["type"]
        codes = self.env["crossdept.webhook.event.type"].search([]).mapped("code")
        self.assertEqual(sorted(described["enum"]), sorted(codes))
