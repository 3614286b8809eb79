"""Set-up waits for the package manager's lock (another apt-get or dpkg running)
instead of skipping a component."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCK = "/var/lib/dpkg/lock-frontend"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("apt-get") or not os.path.exists(LOCK),
    reason="needs root and Debian's apt",
)

HOLDER = """
import fcntl, sys, time
with open(sys.argv[1], "w") as lock:
    fcntl.lockf(lock, fcntl.LOCK_EX)
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_apt_waits_for_the_dpkg_lock():
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, LOCK, "4"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        # bash is installed: apt takes the lock, then has nothing to do
        result = subprocess.run(
            ["bash", "-c", "source scripts/common.sh; apt_get install -y -qq bash"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    assert waited >= 3.5, f"apt-get went on after {waited:.1f} s while the lock was held"
