"""Odoo in workers mode as scripts/run --workers starts it (Odoo's own launcher,
nginx in front): the websocket process stays up, the web client loads, and a step
that becomes ready reaches its assignee through /websocket as a bus notification."""

import json
import re
import time

import pytest
import websocket
from live import Browser, Server, copy_database, drop_database, needs_live_db
from odoo_rpc import Client

pytestmark = [pytest.mark.live, needs_live_db]

PASSWORD = "live-Secret-123"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = copy_database("workers")
    server = Server(db, tmp_path_factory.mktemp("workers"), workers=2)
    try:
        yield server
    finally:
        server.stop()
        drop_database(db)


@pytest.fixture(scope="module")
def admin(server):
    return Client(server.url, server.db).login("admin", "admin")


def make_user(admin, login):
    group = admin.ref("crossdept_ticket.group_crossdept_ticket_user")
    uid = admin.call(
        "res.users",
        "create",
        {"name": login.title(), "login": login, "password": PASSWORD, "groups_id": [(4, group)]},
    )
    return uid


def make_flow(admin, worker_uid, code="LIVE-TEST"):
    type_id = admin.call("crossdept.ticket.type", "create", {"name": "Live (test)"})
    responsible = {"role": "responsible", "holder_type": "user", "user_id": worker_uid}
    step = {"name": "Check", "assignment": "raci", "raci_ids": [(0, 0, responsible)]}
    flow = {
        "name": "Live flow (test)",
        "code": code,
        "type_ids": [(6, 0, [type_id])],
        "step_ids": [(0, 0, step)],
    }
    flow_id = admin.call("crossdept.flow", "create", flow)
    admin.call("crossdept.flow", "action_activate", [flow_id])
    return type_id, flow_id


def connect_websocket(server, client):
    ws = websocket.create_connection(
        server.url.replace("http", "ws") + "/websocket?version=18.0-5",
        cookie=f"session_id={client.session_id}",
        timeout=10,
    )
    ws.send(json.dumps({"event_name": "subscribe", "data": {"channels": [], "last": 0}}))
    return ws


def receive(ws, notification_type, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            frame = ws.recv()
        except websocket.WebSocketTimeoutException:
            continue
        for notification in json.loads(frame):
            if notification["message"]["type"] == notification_type:
                return notification["message"]["payload"]
    raise AssertionError(f"no {notification_type} notification within {timeout} s")


def test_web_client_loads_for_a_user(server, admin):
    make_user(admin, "live_reader")
    reader = Client(server.url, server.db).login("live_reader", PASSWORD)
    page = reader.http.get(server.url + "/odoo", timeout=60)
    assert page.status_code == 200
    assert "web.assets_web" in page.text or "/web/assets/" in page.text


def test_ready_step_reaches_its_assignee_through_the_websocket(server, admin):
    worker_uid = make_user(admin, "live_worker")
    type_id, flow_id = make_flow(admin, worker_uid)
    worker = Client(server.url, server.db).login("live_worker", PASSWORD)
    ws = connect_websocket(server, worker)
    try:
        # the subscription is in place once the server has answered a first frame or
        # a short while has passed; notifications since "last" are delivered anyway
        time.sleep(1)
        ticket_id = admin.call(
            "crossdept.ticket",
            "create",
            {"title": "Live ticket", "type_id": type_id, "flow_id": flow_id},
        )
        admin.call("crossdept.ticket", "action_start_flow", [ticket_id])
        payload = receive(ws, "crossdept.step/updated")
    finally:
        ws.close()
    step_ids = admin.call(
        "crossdept.ticket.step",
        "search",
        [("ticket_id", "=", ticket_id), ("state", "=", "ready"), ("user_id", "=", worker_uid)],
    )
    assert step_ids
    assert payload["ticket_ids"] == [ticket_id]
    assert payload["step_ids"] == step_ids


def test_my_steps_list_shows_a_new_step_without_a_reload(server, admin):
    """In a real browser: the open "My Steps" list reloads when the bus says a step
    became ready for its user (static/src/live_steps_service.js)."""
    clerk_uid = make_user(admin, "live_clerk")
    type_id, flow_id = make_flow(admin, clerk_uid, code="LIVE-LIST")
    clerk = Client(server.url, server.db).login("live_clerk", PASSWORD)
    browser = Browser(server.url, clerk.session_id)
    rows = "document.querySelectorAll('.o_list_view .o_data_row')"
    try:
        browser.call(
            "Page.navigate",
            url=server.url + "/odoo/action-crossdept_ticket.crossdept_ticket_step_action_my",
        )
        assert browser.wait_for("!!document.querySelector('.o_list_view')"), "My Steps opened"
        assert browser.evaluate(f"{rows}.length") == 0
        ticket_id = admin.call(
            "crossdept.ticket",
            "create",
            {"title": "Shown live", "type_id": type_id, "flow_id": flow_id},
        )
        admin.call("crossdept.ticket", "action_start_flow", [ticket_id])
        assert browser.wait_for(f"{rows}.length === 1", timeout=30), "the list reloaded"
        assert "Shown live" in browser.evaluate(f"{rows}[0].innerText")
    finally:
        browser.close()


def test_the_websocket_process_runs_once_and_nothing_failed(server):
    time.sleep(2)
    log = server.log_text()
    # the prefork server re-executes Odoo's launcher for its gevent process: it
    # started once and was never respawned
    assert len(re.findall(r"Evented Service \(longpolling\) running on", log)) == 1, log[-3000:]
    assert "Traceback" not in log, log
    assert not re.search(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ", log, re.M), log
