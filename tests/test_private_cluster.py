"""The private PostgreSQL clusters of scripts/run and scripts/test work wherever the
checkout lives, including a home folder that only its owner may enter (/root is mode
700 on Debian, and the postgres user cannot go in), and only the test cluster trades
durability for speed."""

import glob
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not glob.glob("/usr/lib/postgresql/*/bin/initdb"),
    reason="PostgreSQL is not installed (scripts/test installs it before running this)",
)

PROBE = r"""
source scripts/common.sh
for name in run test; do
    ensure_postgres "$name"
    "$(pg_bindir)/psql" -h 127.0.0.1 -p "$DB_PORT" -U postgres -d postgres -tA -F ' ' -c \
        "SELECT '$name', current_setting('data_directory'), current_setting('fsync'),
                current_setting('synchronous_commit'), current_setting('full_page_writes')"
    psql_admin -c "SELECT 'login-ok'"
done
"""


@pytest.fixture
def private_checkout(tmp_path):
    """A copy of the project's scripts and configuration inside a mode-700 folder."""
    home = tmp_path / "home"
    home.mkdir()
    os.chmod(home, 0o700)
    checkout = home / "crossdept"
    for folder in ("scripts", "config"):
        shutil.copytree(ROOT / folder, checkout / folder)
    shutil.copy(ROOT / "requirements.txt", checkout / "requirements.txt")
    yield home, checkout
    subprocess.run(
        ["bash", "-c", "source scripts/common.sh; stop_postgres run drop; stop_postgres test drop"],
        cwd=checkout,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_private_clusters_start_from_a_home_only_its_owner_may_enter(private_checkout):
    home, checkout = private_checkout
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    result = subprocess.run(
        ["bash", "-c", PROBE], cwd=checkout, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    rows = {
        line.split()[0]: line.split()[1:]
        for line in result.stdout.splitlines()
        if line.startswith(("run ", "test "))
    }
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    assert result.stdout.count("login-ok") == 2
    run_dir, test_dir = rows["run"][0], rows["test"][0]
    for data_dir in (run_dir, test_dir):
        assert not data_dir.startswith(str(home)), data_dir
    assert run_dir != test_dir
    # scripts/run keeps PostgreSQL durable; only the throwaway test cluster is not
    assert rows["run"][1:] == ["on", "on", "on"]
    assert rows["test"][1:] == ["off", "off", "off"]
    # .local keeps a link to each cluster, for its server.log
    assert (checkout / ".local" / "pg" / "run" / "server.log").exists()


def test_each_checkout_has_its_own_clusters(tmp_path):
    script = "source scripts/common.sh; pg_cluster_dir run; pg_cluster_dir test"
    dirs = []
    for name in ("one", "two"):
        checkout = tmp_path / name
        shutil.copytree(ROOT / "scripts", checkout / "scripts")
        result = subprocess.run(
            ["bash", "-c", script], cwd=checkout, capture_output=True, text=True, check=True
        )
        dirs.extend(result.stdout.split())
    assert len(set(dirs)) == 4, dirs
