import signal
import subprocess
import sys
import time

import pytest
from live import ROOT, TEMPLATE, copy_database, drop_database, psql


@pytest.fixture(scope="session")
def backup_of_copy(tmp_path_factory):
    """A copy of the test database, with one more ticket event, and its backup made
    by scripts/backup: (database, dump path). Shared by the backup and cluster tests."""
    if not TEMPLATE:
        pytest.skip("live tests run from scripts/test, on a copy of its database")
    db = copy_database("backup")
    psql(
        "INSERT INTO crossdept_ticket_event (ticket_id, company_id, event_type, event_date, "
        "reason) SELECT id, company_id, 'state', now(), 'backup test' FROM crossdept_ticket "
        "ORDER BY id LIMIT 1",
        db=db,
    )
    out = tmp_path_factory.mktemp("backups")
    backup = subprocess.run(
        ["bash", "scripts/backup", "-d", db, "--output-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        assert backup.returncode == 0, backup.stderr
        dump = out / backup.stdout.strip().splitlines()[-1].split("/")[-1]
        yield db, dump
    finally:
        drop_database(db)


# A live test that hangs must fail, not hold CI: each test gets at most this long
# (the slowest takes about a minute); its fixtures still stop their servers.
TEST_LIMIT = 600


def pytest_runtest_logstart(nodeid, location):
    # on a line of its own, so that a log cut short still says which test was running
    print(f"\n[tests] {time.strftime('%H:%M:%S')} {nodeid}", file=sys.stderr, flush=True)


@pytest.fixture(autouse=True)
def _time_limit(request):
    def stop(_signum, _frame):
        raise TimeoutError(f"{request.node.nodeid} still running after {TEST_LIMIT} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(TEST_LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
