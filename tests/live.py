"""Helpers of the live tests: a copy of scripts/test's database and servers started
on it through the project's own commands, all on 127.0.0.1."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

TEMPLATE = os.environ.get("CROSSDEPT_LIVE_TEMPLATE")

needs_live_db = pytest.mark.skipif(
    not (TEMPLATE and os.environ.get("PGHOST")),
    reason="live tests run from scripts/test, on a copy of its database",
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def psql(sql, db="postgres"):
    return subprocess.run(
        ["psql", "-X", "-tAq", "-d", db, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ),
    ).stdout.strip()


def filestore(db):
    return ROOT / ".local" / "filestore" / "filestore" / db


def copy_database(name):
    """A copy of the template database and its filestore."""
    db = f"{TEMPLATE}_{name}_{uuid.uuid4().hex[:6]}"
    psql(f'CREATE DATABASE "{db}" TEMPLATE "{TEMPLATE}"')
    if filestore(TEMPLATE).exists():
        shutil.copytree(filestore(TEMPLATE), filestore(db))
    return db


def drop_database(db, attempts=5):
    """Drop a test database and its filestore. A process that was just stopped (a
    restore, a server) may still be connecting, so a refused drop is retried; the
    last refusal is raised with what PostgreSQL said."""
    for attempt in range(attempts):
        result = subprocess.run(
            [
                "psql",
                "-X",
                "-tAq",
                "-d",
                "postgres",
                "-c",
                f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)',
            ],
            capture_output=True,
            text=True,
            env=dict(os.environ),
        )
        if result.returncode == 0:
            break
        if attempt == attempts - 1:
            raise RuntimeError(f"could not drop database {db}: {result.stderr.strip()}")
        time.sleep(2)
    shutil.rmtree(filestore(db), ignore_errors=True)


class Server:
    """scripts/run --workers=N on a database, behind its local nginx (``env`` adds to
    the environment, e.g. PG* variables naming another PostgreSQL)."""

    def __init__(self, db, log_dir, workers=2, env=None):
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(log_dir) / "odoo.log"
        self.out = Path(log_dir) / "run.out"
        env = dict(
            os.environ,
            CROSSDEPT_DB=db,
            CROSSDEPT_SKIP_UPDATE="1",
            CROSSDEPT_HTTP_PORT=str(self.port),
            CROSSDEPT_INSTANCE=f"live-{self.port}",
            **(env or {}),
        )
        with open(self.out, "w") as out:
            self.process = subprocess.Popen(
                ["bash", "scripts/run", f"--workers={workers}", f"--logfile={self.log}"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready()

    def wait_ready(self, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"scripts/run stopped:\n{self.out.read_text()}")
            try:
                if requests.get(self.url + "/web/health", timeout=2).status_code == 200:
                    if requests.get(self.url + "/websocket/health", timeout=2).ok:
                        return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{self.url} did not answer:\n{self.out.read_text()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Browser:
    """Headless chromium driven over the DevTools protocol, logged in with a session."""

    def __init__(self, base_url, session_id):
        import json  # noqa: PLC0415
        import tempfile  # noqa: PLC0415

        import websocket  # noqa: PLC0415

        self._json = json
        self.profile = tempfile.mkdtemp(prefix="crossdept-live-chromium-")
        port = free_port()
        browser = shutil.which("chromium") or shutil.which("chromium-browser")
        self.process = subprocess.Popen(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                f"--user-data-dir={self.profile}",
                f"--remote-debugging-port={port}",
                "--window-size=1400,900",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _attempt in range(100):
            try:
                pages = requests.get(f"http://127.0.0.1:{port}/json", timeout=2).json()
                break
            except (requests.RequestException, ValueError):
                time.sleep(0.2)
        page = next(p for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self._ids = iter(range(1, 1_000_000))
        self.call("Network.enable")
        self.call("Network.setCookie", name="session_id", value=session_id, url=base_url)
        self.call("Page.enable")

    def call(self, method, **params):
        msg_id = next(self._ids)
        self.ws.send(self._json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            message = self._json.loads(self.ws.recv())
            if message.get("id") == msg_id:
                return message.get("result", {})

    def evaluate(self, expression):
        return self.call("Runtime.evaluate", expression=expression)["result"].get("value")

    def wait_for(self, expression, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return True
            time.sleep(0.5)
        return False

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.profile, ignore_errors=True)
