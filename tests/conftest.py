import subprocess

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
