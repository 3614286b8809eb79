"""Online load: the engine against plain Odoo on the same server, in one run.

Starts Odoo's prefork server (``--workers``, default 4) on a throwaway copy of DB
(``<DB>_load``, dropped at the end), then runs two loads in turns, ``--repeat`` times
(A B A B by default), each with ``--clients`` concurrent clients (default 25) for
``--duration`` seconds (default 90) or ``--size`` requests, whichever ends first:

- plain Odoo: each client creates a contact (``res.partner``) and writes one field on
  it over JSON-RPC, as the issue's measurement did;
- the engine: bench/load_client.py's workload (tickets created through the JSON API
  with their flow started, steps taken, started and finished over JSON-RPC by the
  users who hold them, approvals decided).

Prints, per round and per load, requests/s, p50/p95 per operation and the queries each
operation ran on the server (read from the server's request log), then the engine's
requests/s as a share of plain Odoo's (aim: at least 0.5) and the p95 of each engine
operation (aim: at most 300 ms), and any failure by kind.

    python bench/bench_load.py CONF DB [--size=REQUESTS] [--repeat=ROUNDS]
        [--clients=25] [--duration=90] [--workers=4]

(the venv's python). Nothing is asserted on the figures; the run fails when a request
failed for another reason than a business rule (a server error or no answer).
"""

import configparser
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import benchargs
import load_client
import psycopg2
import requests

SIZE = 100_000  # requests per round at most: the 90 s round ends first
REPEAT = 2
# the server's request log: "POST /path HTTP/1.1" 200 - queries query_time other_time
LOG_LINE = re.compile(r'"(\w+) (\S+) HTTP/[\d.]+" (\d{3}) - (\d+) ([\d.]+) ([\d.]+)')
# server path -> the client's operation
OPERATIONS = {
    "/web/dataset/call_kw/res.partner/create": "partner_create",
    "/web/dataset/call_kw/res.partner/write": "partner_write",
    "/api/crossdept/v1/tickets": "create",
    "/web/dataset/call_kw/crossdept.ticket.step/action_start": "start",
    "/web/dataset/call_kw/crossdept.ticket.step/action_finish": "finish",
    "/web/dataset/call_kw/crossdept.ticket.step/action_approve": "approve",
    "/web/dataset/call_kw/crossdept.ticket.step/action_reject": "reject",
    "/web/dataset/call_kw/crossdept.ticket.step/search_read": "read",
}


def parse_args():
    parser = benchargs.parser(__doc__, SIZE, REPEAT)
    parser.add_argument("--clients", type=int, default=25)
    parser.add_argument("--duration", type=float, default=90)
    parser.add_argument("--workers", type=int, default=4)
    args, _ignored = parser.parse_known_args()
    return args


def db_params(conf):
    parser = configparser.ConfigParser()
    parser.read(conf)
    options = parser["options"]

    def value(key, default=None):
        found = options.get(key, default)
        return None if found in (None, "False", "") else found

    return {
        "host": value("db_host"),
        "port": value("db_port"),
        "user": value("db_user"),
        "password": value("db_password"),
        "dbname": "postgres",
    }


def run_sql(conf, sql):
    connection = psycopg2.connect(**db_params(conf))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo_launcher():
    """Odoo's own launcher next to this Python (the prefork server re-executes it)."""
    import odoo  # noqa: PLC0415 (only to find the source tree)

    tree = Path(odoo.__file__).resolve().parent.parent
    for path in (Path(sys.executable).parent / "odoo", tree / "odoo-bin", tree / "setup" / "odoo"):
        if path.is_file():
            return str(path)
    sys.exit(f"no Odoo launcher next to {sys.executable} nor in {tree}")


class Server:
    def __init__(self, conf, db, workers, log):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process = subprocess.Popen(
            [
                sys.executable,
                odoo_launcher(),
                "-c",
                conf,
                "-d",
                db,
                f"--db-filter=^{db}$",
                f"--workers={workers}",
                f"--http-port={self.port}",
                f"--gevent-port={free_port()}",
                "--http-interface=127.0.0.1",
                "--max-cron-threads=0",
                f"--logfile={log}",
                "--log-level=info",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"Odoo stopped at start: see {log}")
            try:
                if requests.get(self.url + "/web/health", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        sys.exit(f"Odoo did not answer on {self.url}: see {log}")

    def log_size(self):
        return os.path.getsize(self.log) if os.path.exists(self.log) else 0

    def queries_since(self, offset):
        """Queries per request of each operation, from the request log after ``offset``."""
        found = defaultdict(list)
        with open(self.log, errors="replace") as handle:
            handle.seek(offset)
            for line in handle:
                match = LOG_LINE.search(line)
                if match and match.group(2).split("?")[0] in OPERATIONS:
                    found[OPERATIONS[match.group(2).split("?")[0]]].append(int(match.group(4)))
        return found

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def summarize(rows, elapsed, queries):
    by_op = defaultdict(list)
    for row in rows:
        by_op[row["op"]].append(row["ms"])
    operations = {}
    for op, values in sorted(by_op.items()):
        key = "read" if op in ("read_steps", "read_approvals") else op
        counts = queries.get(key) or []
        operations[op] = {
            "requests": len(values),
            "p50": load_client.percentile(values, 0.5),
            "p95": load_client.percentile(values, 0.95),
            "queries": statistics.fmean(counts) if counts else None,
        }
    failures = defaultdict(int)
    for row in rows:
        if not row["ok"]:
            failures[row["kind"]] += 1
    return {
        "requests": len(rows),
        "rps": len(rows) / elapsed if elapsed else 0.0,
        "p95": load_client.percentile([row["ms"] for row in rows], 0.95),
        "operations": operations,
        "failures": dict(failures),
    }


def print_round(name, figures):
    print(
        f"  {name:7} {figures['requests']:6} requests = {figures['rps']:6.1f} requests/s, "
        f"p95 {figures['p95']:.0f} ms, failures: "
        + (", ".join(f"{k} {v}" for k, v in sorted(figures["failures"].items())) or "none")
    )
    for op, data in figures["operations"].items():
        queries = f"{data['queries']:.1f}" if data["queries"] is not None else "?"
        print(
            f"    {op:15} {data['requests']:6} requests, p50 {data['p50']:6.0f} ms, "
            f"p95 {data['p95']:6.0f} ms, {queries} queries"
        )


def main():
    args = parse_args()
    copy = f"{args.db}_load"
    run_sql(args.conf, f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
    run_sql(args.conf, f'CREATE DATABASE "{copy}" TEMPLATE "{args.db}"')
    log = os.path.join(tempfile.mkdtemp(prefix="crossdept-load-"), "odoo.log")
    server = Server(args.conf, copy, args.workers, log)
    rounds = {"plain": [], "engine": []}
    try:
        plans = {
            "plain": load_client.setup_plain(server.url, copy, args.clients),
            "engine": load_client.setup(
                server.url, copy, max(args.clients - load_client.APPROVERS, 1)
            ),
        }
        print(
            f"{args.clients} clients, {args.workers} workers, rounds of {args.duration:.0f} s "
            f"or {args.size:,} requests, server log {log}"
        )
        for index in range(args.repeat):
            print(f"round {index + 1}")
            for workload in ("plain", "engine"):
                offset = server.log_size()
                rows, elapsed, _plan = load_client.run(
                    server.url,
                    copy,
                    clients=args.clients,
                    duration=args.duration,
                    plan=plans[workload],
                    workload=workload,
                    limit=args.size,
                )
                time.sleep(1)  # the last requests' log lines
                figures = summarize(rows, elapsed, server.queries_since(offset))
                rounds[workload].append(figures)
                print_round(workload, figures)
    finally:
        server.stop()
        run_sql(args.conf, f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
    plain = statistics.fmean(figures["rps"] for figures in rounds["plain"])
    engine = statistics.fmean(figures["rps"] for figures in rounds["engine"])
    print(
        f"engine {engine:.1f} requests/s against plain Odoo {plain:.1f}: "
        f"ratio {engine / plain if plain else 0:.2f} (aim: at least 0.5)"
    )
    worst = defaultdict(float)
    for figures in rounds["engine"]:
        for op, data in figures["operations"].items():
            worst[op] = max(worst[op], data["p95"])
    print(
        "engine p95 per operation, worst round (aim: at most 300 ms): "
        + ", ".join(f"{op} {p95:.0f} ms" for op, p95 in sorted(worst.items()))
    )
    broken = sum(
        count
        for figures in rounds["plain"] + rounds["engine"]
        for kind, count in figures["failures"].items()
        if kind != "business"
    )
    if broken:
        sys.exit(f"{broken} requests failed for another reason than a business rule")


if __name__ == "__main__":
    main()
