"""Log in to a running Odoo and save PNGs of pages, through headless chromium.

    python scripts/screenshot.py URL OUT.png [--login admin --password admin]
    python scripts/screenshot.py --base http://localhost:8069 [--db crossdept] \
        [--only dashboard] [--shots shots.json]

The second form takes every shot of SHOTS (or of a JSON file holding a list of the
same entries): each is a URL (relative to --base), the login (and password) that
opens it, the language it is shown in, and the PNG to write. A user whose language
is another is switched to it for the shot and back afterwards. A shot can wait for a
CSS selector before it is taken and can capture the whole page height.

Used to look at screens as a user would (README: checking the running product) and
to keep the screenshots of each addon's readme/ folder up to date from the demo
database. Chinese needs a CJK font (Debian: fonts-wqy-microhei or fonts-noto-cjk).
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlsplit

import websocket

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_PASSWORDS = {"admin": "admin", "portal": "portal"}


def open_tab(tab, selector):
    """A ready_js that opens a form's notebook tab, then waits for ``selector``,
    scrolled to the top of the shot (a form scrolls inside its own pane, which a
    full-page shot does not unroll)."""
    return (
        f"(() => {{ const tab = document.querySelector(\".o_notebook a[name='{tab}']\"); "
        "if (tab && !tab.classList.contains('active')) tab.click(); "
        f"const found = document.querySelector('{selector}'); "
        "if (found) found.closest('.o_notebook')?.scrollIntoView(); "
        "return found; })()"
    )


def click_then(button, selector, row_text=""):
    """A ready_js that clicks ``button`` once (inside the first list row showing
    ``row_text``, when given), then waits for ``selector``: for a screen that only a
    button opens (a client action with parameters)."""
    return (
        f"(() => {{ const done = document.querySelector({json.dumps(selector)}); "
        "if (done) return done; if (window.__crossdeptClicked) return null; "
        f"const text = {json.dumps(row_text)}; "
        "const scope = text ? [...document.querySelectorAll('.o_data_row')]"
        ".find((row) => row.textContent.includes(text)) : document; "
        f"const button = scope?.querySelector({json.dumps(button)}); "
        "if (button) { window.__crossdeptClicked = true; button.click(); } return null; })()"
    )


# url, login, lang, output (relative to the repository), and optionally: password
# (default: the demo's), ready (a CSS selector to wait for) or ready_js (a JavaScript
# expression that turns true), full_page, width, height
SHOTS = [
    {
        "name": "dashboard_en",
        "url": "/odoo/crossdept-dashboard",
        "login": "it.manager",
        "lang": "en_US",
        "output": "addons/crossdept_analytics/readme/screenshots/dashboard_en.png",
        "ready": ".o_crossdept_tile .o_crossdept_tile_value",
        "height": 1100,
    },
    {
        "name": "dashboard_zh",
        "url": "/odoo/crossdept-dashboard",
        "login": "vp",
        "lang": "zh_CN",
        "output": "addons/crossdept_analytics/readme/screenshots/dashboard_zh.png",
        "ready": ".o_crossdept_tile .o_crossdept_tile_value",
        "height": 1100,
    },
    {
        # parallel steps side by side; the finance manager may start hers
        "name": "ticket_form_en",
        "url": "/odoo/action-crossdept_ticket.crossdept_ticket_action/"
        "{ticket:crossdept_ticket.ticket_project}",
        "login": "finance.manager",
        "lang": "en_US",
        "output": "addons/crossdept_ticket/readme/screenshots/ticket_form_en.png",
        "ready": ".o_crossdept_current_steps .o_kanban_record",
        "height": 1000,
    },
    {
        # the requester's own step under way: Finish waits for the checklist
        "name": "ticket_form_zh",
        "url": "/odoo/action-crossdept_ticket.crossdept_ticket_action/"
        "{ticket:crossdept_ticket.ticket_change}",
        "login": "sales.rep",
        "lang": "zh_CN",
        "output": "addons/crossdept_ticket/readme/screenshots/ticket_form_zh.png",
        "ready": ".o_crossdept_current_steps .o_kanban_record",
        "height": 1000,
    },
    {
        "name": "my_approvals_en",
        "url": "/odoo/action-crossdept_ticket.crossdept_ticket_step_action_approval",
        "login": "procurement.manager",
        "lang": "en_US",
        "output": "addons/crossdept_ticket/readme/screenshots/my_approvals_en.png",
        "ready": ".o_list_renderer .o_data_row",
        "height": 600,
    },
    {
        "name": "my_approvals_zh",
        "url": "/odoo/action-crossdept_ticket.crossdept_ticket_step_action_approval",
        "login": "procurement.manager",
        "lang": "zh_CN",
        "output": "addons/crossdept_ticket/readme/screenshots/my_approvals_zh.png",
        "ready": ".o_list_renderer .o_data_row",
        "height": 600,
    },
    {
        "name": "portal_ticket_en",
        "url": "/my/tickets/{ticket:crossdept_ticket.ticket_portal_desk}",
        "login": "portal",
        "lang": "en_US",
        "output": "addons/crossdept_ticket/readme/screenshots/portal_ticket_en.png",
        # the portal chatter renders its messages in a shadow root
        "ready_js": "document.querySelector('#chatterRoot')?.shadowRoot"
        "?.querySelector('.o-mail-Message')",
        "full_page": True,
    },
    {
        "name": "portal_ticket_zh",
        "url": "/my/tickets/{ticket:crossdept_ticket.ticket_portal_projector}",
        "login": "portal.zh",
        "lang": "zh_CN",
        "output": "addons/crossdept_ticket/readme/screenshots/portal_ticket_zh.png",
        # the portal chatter renders its messages in a shadow root
        "ready_js": "document.querySelector('#chatterRoot')?.shadowRoot"
        "?.querySelector('.o-mail-Message')",
        "full_page": True,
    },
    {
        # the designer tab of the demo's change request flow (bpmn-js)
        "name": "designer_en",
        "url": "/odoo/action-crossdept_ticket.crossdept_flow_action/"
        "{ticket:crossdept_ticket.flow_change}",
        "login": "admin",
        "lang": "en_US",
        "output": "addons/crossdept_ticket/readme/screenshots/designer_en.png",
        "ready_js": open_tab("designer", ".o_crossdept_designer .djs-container .djs-shape"),
        "height": 1100,
    },
    {
        # the designer tab of the demo's change request flow (bpmn-js)
        "name": "designer_zh",
        "url": "/odoo/action-crossdept_ticket.crossdept_flow_action/"
        "{ticket:crossdept_ticket.flow_change}",
        "login": "admin",
        "lang": "zh_CN",
        "output": "addons/crossdept_ticket/readme/screenshots/designer_zh.png",
        "ready_js": open_tab("designer", ".o_crossdept_designer .djs-container .djs-shape"),
        "height": 1100,
    },
    {
        # a running ticket's flow, each step coloured by its state and SLA
        "name": "ticket_diagram_en",
        "url": "/odoo/action-crossdept_ticket.crossdept_ticket_action/"
        "{ticket:crossdept_ticket.ticket_change}",
        "login": "admin",
        "lang": "en_US",
        "output": "addons/crossdept_ticket/readme/screenshots/ticket_diagram_en.png",
        "ready_js": open_tab("flow", ".o_crossdept_flow_diagram_view .djs-shape"),
        "full_page": True,
    },
    {
        # a running ticket's flow, each step coloured by its state and SLA
        "name": "ticket_diagram_zh",
        "url": "/odoo/action-crossdept_ticket.crossdept_ticket_action/"
        "{ticket:crossdept_ticket.ticket_change}",
        "login": "admin",
        "lang": "zh_CN",
        "output": "addons/crossdept_ticket/readme/screenshots/ticket_diagram_zh.png",
        "ready_js": open_tab("flow", ".o_crossdept_flow_diagram_view .djs-shape"),
        "full_page": True,
    },
    {
        # a flow version in Analytics, its steps coloured by their median waiting
        # time, over the tickets of the manager's departments
        "name": "analytics_overlay_en",
        "url": "/odoo/action-crossdept_analytics.crossdept_flow_action_analytics",
        "login": "it.manager",
        "lang": "en_US",
        "output": "addons/crossdept_analytics/readme/screenshots/analytics_overlay_en.png",
        "ready_js": click_then(
            "button[name='action_view_step_heat']", ".o_crossdept_heat_figures", "Change request"
        ),
        "full_page": True,
    },
    {
        # the demo pilot's two arms side by side, on one scale
        "name": "analytics_overlay_zh",
        "url": "/odoo/action-crossdept_analytics.crossdept_pilot_action/"
        "{ticket:crossdept_analytics.pilot_contract_parallel}",
        "login": "vp",
        "lang": "zh_CN",
        "output": "addons/crossdept_analytics/readme/screenshots/analytics_overlay_zh.png",
        "ready_js": click_then(
            "button[name='action_view_arm_diagrams']",
            ".o_crossdept_heat_panel[data-arm='variant'] .o_crossdept_heat_figures",
        ),
        "full_page": True,
    },
]


class Odoo:
    """A JSON-RPC session of one user on a running Odoo."""

    def __init__(self, base, db, login, password):
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        result = self.rpc(
            "/web/session/authenticate", {"db": db, "login": login, "password": password}
        )
        self.uid = result["uid"]
        self.lang = result["user_context"].get("lang")

    def rpc(self, path, params):
        payload = {"jsonrpc": "2.0", "method": "call", "params": params}
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        result = json.load(self.opener.open(request, timeout=60))
        if result.get("error"):
            raise SystemExit(f"{path}: {result['error']['data']['message']}")
        return result["result"]

    def call(self, model, method, *args, **kwargs):
        return self.rpc(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    @property
    def session_id(self):
        return next(cookie.value for cookie in self.jar if cookie.name == "session_id")

    def set_lang(self, lang):
        # the language is a preference every user may change on their own record
        self.call("res.users", "write", [self.uid], {"lang": lang})


class Browser:
    """Headless chromium driven through the DevTools protocol."""

    def __init__(self, width=1400, height=900):
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if not binary:
            raise SystemExit("chromium is not installed (Debian: apt-get install chromium)")
        # a free port: other worktrees may take screenshots on the same machine
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.profile = tempfile.mkdtemp(prefix="crossdept-chromium-")
        self.proc = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={self.profile}",
                f"--remote-debugging-port={self.port}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _attempt in range(100):
            try:
                pages = json.load(
                    urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json", timeout=2)
                )
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("chromium did not start")
        page = next(p for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.ids = iter(range(1, 1_000_000))
        self.call("Page.enable")
        self.call("Network.enable")

    def call(self, method, **params):
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == msg_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def shoot(
        self, base, session_id, url, out, ready=None, ready_js=None, wait=1.5, timeout=30.0, **size
    ):
        width, height = size.get("width") or 1400, size.get("height") or 900
        self.call("Network.clearBrowserCookies")
        self.call("Network.setCookie", name="session_id", value=session_id, url=base)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.call("Page.navigate", url=f"{base}{url}")
        deadline = time.monotonic() + timeout
        check = (
            f"!!({ready_js})"
            if ready_js
            else f"!!document.querySelector({json.dumps(ready)})"
            if ready
            else "document.readyState === 'complete'"
        )
        while not self.evaluate(check):
            if time.monotonic() > deadline:
                raise SystemExit(f"{url}: {ready or 'the page'} did not show within {timeout} s")
            time.sleep(0.3)
        time.sleep(wait)
        if size.get("full_page"):
            metrics = self.call("Page.getLayoutMetrics")
            full = int(metrics["cssContentSize"]["height"])
            self.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=min(max(full, height), 4000),
                deviceScaleFactor=1,
                mobile=False,
            )
            time.sleep(0.5)
        shot = self.call("Page.captureScreenshot", format="png")
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "wb") as handle:
            handle.write(base64.b64decode(shot["data"]))

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def resolve_url(url, odoo):
    """ "{ticket:xmlid}" in a URL becomes the id of that record."""
    while "{ticket:" in url:
        start = url.index("{ticket:")
        end = url.index("}", start)
        module, name = url[start + len("{ticket:") : end].split(".", 1)
        record = odoo.call(
            "ir.model.data",
            "search_read",
            [["module", "=", module], ["name", "=", name]],
            ["res_id"],
        )
        if not record:
            raise SystemExit(f"{url}: no record {module}.{name} (a demo database is needed)")
        url = f"{url[:start]}{record[0]['res_id']}{url[end + 1 :]}"
    return url


def take(shots, base, db, browser):
    for shot in shots:
        login = shot["login"]
        password = shot.get("password") or DEMO_PASSWORDS.get(login, "demo")
        odoo = Odoo(base, db, login, password)
        # ir.model.data is readable by administrators only
        admin = (
            Odoo(base, db, "admin", DEMO_PASSWORDS["admin"]) if "{ticket:" in shot["url"] else None
        )
        url = resolve_url(shot["url"], admin) if admin else shot["url"]
        previous = odoo.lang
        if shot.get("lang") and shot["lang"] != previous:
            print(f"  {login} works in {previous}: shown in {shot['lang']} for this shot")
            odoo.set_lang(shot["lang"])
        try:
            out = os.path.join(ROOT, shot["output"])
            browser.shoot(
                base,
                odoo.session_id,
                url,
                out,
                ready=shot.get("ready"),
                ready_js=shot.get("ready_js"),
                wait=shot.get("wait", 1.5),
                width=shot.get("width"),
                height=shot.get("height"),
                full_page=shot.get("full_page"),
            )
            print(os.path.relpath(out, ROOT))
        finally:
            if shot.get("lang") and shot["lang"] != previous:
                odoo.set_lang(previous)


def check_fonts(shots):
    if any((shot.get("lang") or "").startswith("zh") for shot in shots) and shutil.which("fc-list"):
        found = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
        if not found.strip():
            print("warning: no Chinese font: install fonts-wqy-microhei or fonts-noto-cjk")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("url", nargs="?", help="one page to shoot (then OUT is needed)")
    parser.add_argument("out", nargs="?")
    parser.add_argument("--login")
    parser.add_argument("--password")
    parser.add_argument("--lang", help="show the page in this language (e.g. zh_CN)")
    parser.add_argument("--db", default="crossdept")
    parser.add_argument("--base", default="http://localhost:8069")
    parser.add_argument("--wait", type=float, default=4.0)
    parser.add_argument("--shots", help="a JSON file with a list of shots (default: SHOTS)")
    parser.add_argument("--only", action="append", help="take only the shots of these names")
    args = parser.parse_args()
    if args.url:
        if not args.out:
            parser.error("OUT is needed with a URL")
        parts = urlsplit(args.url)
        args.base = f"{parts.scheme}://{parts.netloc}"
        path = args.url[len(args.base) :] or "/"
        shots = [
            {
                "url": path,
                "login": args.login or "admin",
                "password": args.password,
                "lang": args.lang,
                "output": os.path.abspath(args.out),
                "wait": args.wait,
            }
        ]
    else:
        if args.shots:
            with open(args.shots, encoding="utf-8") as handle:
                shots = json.load(handle)
        else:
            shots = SHOTS
        if args.only:
            shots = [shot for shot in shots if shot.get("name") in args.only]
    check_fonts(shots)
    browser = Browser()
    try:
        take(shots, args.base.rstrip("/"), args.db, browser)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
