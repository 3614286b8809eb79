"""Log in to a running Odoo and save a PNG of a page, through headless chromium.

    python3 scripts/screenshot.py URL OUT.png [--login admin --password admin]

Used to look at screens as a user would (README: checking the running product).
"""

import argparse
import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlsplit

import websocket


def session_cookie(base, login, password, db):
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    payload = {"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}}
    request = urllib.request.Request(
        f"{base}/web/session/authenticate",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    result = json.load(opener.open(request, timeout=30))
    if result.get("error"):
        raise SystemExit(f"login failed: {result['error']['data']['message']}")
    return next(cookie.value for cookie in jar if cookie.name == "session_id")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--login")
    parser.add_argument("--password")
    parser.add_argument("--db", default="crossdept")
    parser.add_argument("--wait", type=float, default=4.0)
    args = parser.parse_args()
    parts = urlsplit(args.url)
    base = f"{parts.scheme}://{parts.netloc}"
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    port = 9333
    profile = tempfile.mkdtemp(prefix="crossdept-chromium-")
    proc = subprocess.Popen(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--remote-debugging-port={port}",
            "--window-size=1400,900",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _attempt in range(50):
            try:
                pages = json.load(
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=2)
                )
                break
            except OSError:
                time.sleep(0.2)
        page = next(p for p in pages if p["type"] == "page")
        ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        ids = iter(range(1, 1000))

        def call(method, **params):
            msg_id = next(ids)
            ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == msg_id:
                    return message.get("result", {})

        if args.login:
            cookie = session_cookie(base, args.login, args.password, args.db)
            call("Network.enable")
            call("Network.setCookie", name="session_id", value=cookie, url=base)
        call("Page.enable")
        call("Page.navigate", url=args.url)
        time.sleep(args.wait)
        shot = call("Page.captureScreenshot", format="png")
        with open(args.out, "wb") as out:
            out.write(base64.b64decode(shot["data"]))
        print(args.out)
    finally:
        proc.terminate()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
