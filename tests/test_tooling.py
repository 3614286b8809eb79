"""End-to-end checks of the project's own commands (scripts/run, scripts/test)
that need no database: they must stop clearly where Odoo is missing, and the
log judge must fail on failed tests, errors and our own warnings."""

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def python_without_odoo(tmp_path_factory):
    env_dir = tmp_path_factory.mktemp("no-odoo-venv")
    venv.EnvBuilder(with_pip=False).create(env_dir)
    return env_dir / "bin" / "python"


@pytest.mark.parametrize("command", ["scripts/run", "scripts/test"])
def test_commands_stop_clearly_without_odoo(python_without_odoo, command):
    env = {k: v for k, v in os.environ.items() if k != "ODOO_SRC"}
    env["PYTHON"] = str(python_without_odoo)
    result = subprocess.run(
        ["bash", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "Odoo 18 is not installed" in result.stderr
    assert "Set ODOO_SRC" in result.stderr


def test_odoo_src_that_is_not_odoo_is_refused(python_without_odoo, tmp_path):
    env = dict(os.environ, PYTHON=str(python_without_odoo), ODOO_SRC=str(tmp_path))
    result = subprocess.run(
        ["bash", "scripts/test"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "holds no Odoo source" in result.stderr


def _judge(tmp_path, lines, status=0):
    log = tmp_path / "test.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_test_log.py"), str(log), str(status)],
        capture_output=True,
        text=True,
    )


PREFIX = "2026-01-01 10:00:00,000 42"
SUMMARY = (
    f"{PREFIX} INFO db odoo.tests.result: "
    "0 failed, 0 error(s) of 12 tests when loading database 'db'"
)


def test_log_judge_passes_a_clean_run(tmp_path):
    result = _judge(tmp_path, [f"{PREFIX} WARNING db odoo.addons.mail.models: not ours", SUMMARY])
    assert result.returncode == 0
    assert "tests: 12 passed, 0 failed" in result.stdout


@pytest.mark.parametrize(
    "line",
    [
        f"{PREFIX} WARNING db odoo.addons.crossdept_ticket.models.crossdept_ticket: ours",
        f"{PREFIX} ERROR db odoo.sql_db: bad query",
        f"{PREFIX} CRITICAL db odoo.service.server: failed",
    ],
)
def test_log_judge_fails_on_problems(tmp_path, line):
    result = _judge(tmp_path, [line, SUMMARY])
    assert result.returncode == 1
    assert line in result.stdout


def test_log_judge_fails_on_failed_tests_and_on_no_tests(tmp_path):
    failed = SUMMARY.replace("0 failed, 0 error(s)", "1 failed, 2 error(s)")
    result = _judge(tmp_path, [failed])
    assert result.returncode == 1
    assert "tests: 9 passed, 3 failed" in result.stdout
    assert _judge(tmp_path, [f"{PREFIX} INFO db odoo: nothing"]).returncode == 1
    assert _judge(tmp_path, [SUMMARY], status=1).returncode == 1
