"""A small JSON-RPC client for Odoo's web client routes, shared by the load client,
the drills and the live tests. One Client is one browser session (cookie)."""

import itertools
import json

import requests

_ids = itertools.count(1)


class RpcError(Exception):
    """Odoo answered with a JSON-RPC error (``kind`` is "business" for a refusal by a
    business rule, "server" for an unhandled error)."""

    BUSINESS = {
        "odoo.exceptions.UserError",
        "odoo.exceptions.ValidationError",
        "odoo.exceptions.AccessError",
        "odoo.exceptions.MissingError",
        "odoo.exceptions.AccessDenied",
        "odoo.exceptions.RedirectWarning",
    }

    def __init__(self, error):
        data = error.get("data") or {}
        self.name = data.get("name") or error.get("message") or "?"
        self.message = data.get("message") or error.get("message") or ""
        self.kind = "business" if self.name in self.BUSINESS else "server"
        super().__init__(f"{self.name}: {self.message}")


class Client:
    def __init__(self, url, db, timeout=60):
        self.url = url.rstrip("/")
        self.db = db
        self.timeout = timeout
        self.http = requests.Session()
        self.uid = None

    def post_json(self, path, params):
        payload = {"jsonrpc": "2.0", "method": "call", "id": next(_ids), "params": params}
        response = self.http.post(
            self.url + path,
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
            timeout=self.timeout,
        )
        response.raise_for_status()
        body = response.json()
        if body.get("error"):
            raise RpcError(body["error"])
        return body.get("result")

    def login(self, login, password):
        result = self.post_json(
            "/web/session/authenticate", {"db": self.db, "login": login, "password": password}
        )
        self.uid = result["uid"]
        return self

    @property
    def session_id(self):
        return self.http.cookies.get("session_id")

    def call(self, model, method, *args, **kwargs):
        return self.post_json(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        rows = self.call(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
            limit=1,
        )
        if not rows:
            raise LookupError(xmlid)
        return rows[0]["res_id"]

    def make_api_key(self, password, name="bench"):
        """An API key of the logged-in user, made the way the Preferences screen does
        (the password confirms the user's identity first)."""
        wizard = self.call("res.users.apikeys.description", "create", {"name": name})
        action = self.call("res.users.apikeys.description", "make_key", [wizard])
        if action.get("res_model") == "res.users.identitycheck":
            check = action["res_id"]
            self.call("res.users.identitycheck", "write", [check], {"password": password})
            action = self.call("res.users.identitycheck", "run_check", [check])
        return action["context"]["default_key"]
