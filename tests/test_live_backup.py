"""scripts/backup and scripts/restore: database and filestore together in Odoo's
dump format; a restore into a new database has the same tickets, steps, events
(same checksum of the event log) and files."""

import hashlib
import subprocess
import zipfile

import pytest
from live import ROOT, drop_database, filestore, needs_live_db, psql

pytestmark = [pytest.mark.live, needs_live_db]

EVENT_LOG_CHECKSUM = """
SELECT count(*) || ':' || coalesce(md5(string_agg(
    concat_ws('|', id, ticket_id, step_id, event_type, event_date, actor_id, from_state,
              to_state, from_user_id, to_user_id, from_department_id, to_department_id,
              reason),
    E'\\n' ORDER BY id)), '-')
FROM crossdept_ticket_event
"""
COUNTS = """
SELECT (SELECT count(*) FROM crossdept_ticket) || ',' ||
       (SELECT count(*) FROM crossdept_ticket_step) || ',' ||
       (SELECT count(*) FROM crossdept_ticket_step_decision) || ',' ||
       (SELECT count(*) FROM ir_attachment WHERE store_fname IS NOT NULL)
"""


def files_digest(folder):
    digest = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def test_backup_restores_into_a_new_database_with_the_same_history(backup_of_copy):
    source_db, dump = backup_of_copy
    assert int(psql("SELECT count(*) FROM crossdept_ticket", db=source_db)) > 0
    with zipfile.ZipFile(dump) as archive:
        names = set(archive.namelist())
    assert {"dump.sql", "manifest.json"} <= names
    assert any(name.startswith("filestore/") for name in names)

    restored = f"{source_db}_restored"
    try:
        result = subprocess.run(
            ["bash", "scripts/restore", "--copy", "-d", restored, str(dump)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr
        assert psql(COUNTS, db=restored) == psql(COUNTS, db=source_db)
        assert psql(EVENT_LOG_CHECKSUM, db=restored) == psql(EVENT_LOG_CHECKSUM, db=source_db)
        assert files_digest(filestore(restored)) == files_digest(filestore(source_db))
        assert files_digest(filestore(restored))
        # a restore never overwrites a database
        again = subprocess.run(
            ["bash", "scripts/restore", "-d", restored, str(dump)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert again.returncode != 0
        assert "exists already" in again.stderr
    finally:
        drop_database(restored)
