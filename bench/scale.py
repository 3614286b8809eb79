#!/usr/bin/env python3
"""Throughput through nginx with one Odoo node and with two, on the harness of
scripts/cluster (run `scripts/cluster up` first): the load client runs the same
workload against nginx balancing over node 1 only, then over both nodes.

    python bench/scale.py [--clients 25] [--duration 120]

Prints requests/s, p50/p95 latency and failures of each run and the ratio. The
nodes share the machine's cores (and PostgreSQL's), so the ratio shows what a
second node adds on this machine, not on separate hosts.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import load_client  # noqa: E402
from drill import cluster_env, wait_healthy  # noqa: E402


def nginx_over(nodes):
    subprocess.run(
        ["bash", str(HERE.parent / "scripts" / "cluster"), "nginx"],
        env=dict(os.environ, CROSSDEPT_CLUSTER_NODES=str(nodes)),
        check=True,
        capture_output=True,
    )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=25)
    parser.add_argument("--duration", type=float, default=120)
    args = parser.parse_args()
    env = cluster_env()
    wait_healthy(env)
    plan = load_client.setup(env["CLUSTER_URL"], env["CLUSTER_DB"], args.clients - 3)
    results = {}
    try:
        for nodes in (1, 2):
            nginx_over(nodes)
            print(
                f"== {nodes} node(s) behind nginx, {args.clients} clients, {args.duration:.0f} s =="
            )
            rows, elapsed, _plan = load_client.run(
                env["CLUSTER_URL"], env["CLUSTER_DB"], args.clients, args.duration, plan=plan
            )
            results[nodes] = load_client.report(rows, elapsed)
    finally:
        nginx_over(2)
    one, two = results[1], results[2]
    print(
        f"requests/s: 1 node {one['rps']:.1f}, 2 nodes {two['rps']:.1f}, "
        f"ratio {two['rps'] / one['rps']:.2f}; acknowledged writes/s: "
        f"{one['writes_per_s']:.1f} / {two['writes_per_s']:.1f}; "
        f"p95: {one['p95_ms']:.0f} ms / {two['p95_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
