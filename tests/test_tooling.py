"""End-to-end checks of the project's own commands (scripts/run, scripts/test)
that need no database: they must stop clearly where Odoo is missing, and the
log judge must fail on failed tests, errors and our own warnings."""

import ast
import os
import shutil
import subprocess
import sys
import venv
import zipfile
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


# A stand-in for Odoo's source tree: the files the commands look for (odoo/release.py
# with version 18, requirements.txt) and a build backend of its own, so that pip
# installs it without fetching anything (the real tree needs setuptools from an index,
# and installing real Odoo takes minutes).
FAKE_BACKEND = """
import base64, hashlib, os, zipfile

NAME, VERSION = "odoo", "18.0"
DIST = f"{NAME}-{VERSION}.dist-info"


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_editable = get_requires_for_build_wheel


def _wheel(directory, files):
    files = dict(files)
    files[f"{DIST}/METADATA"] = f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n"
    files[f"{DIST}/WHEEL"] = (
        "Wheel-Version: 1.0\\nGenerator: fake\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    )
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[f"{DIST}/RECORD"] = "\\n".join(record + [f"{DIST}/RECORD,,"]) + "\\n"
    name = f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)
    return name


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {"odoo_src.pth": os.path.abspath(".") + "\\n"})
"""


@pytest.fixture
def fake_odoo_src(tmp_path):
    tree = tmp_path / "odoo-src"
    (tree / "odoo").mkdir(parents=True)
    (tree / "odoo" / "__init__.py").write_text("", encoding="utf-8")
    (tree / "odoo" / "release.py").write_text(
        'version_info = (18, 0, 0, "final", 0, "")\n', encoding="utf-8"
    )
    (tree / "requirements.txt").write_text("# nothing\n", encoding="utf-8")
    (tree / "fake_backend.py").write_text(FAKE_BACKEND, encoding="utf-8")
    (tree / "pyproject.toml").write_text(
        '[project]\nname = "odoo"\nversion = "18.0"\n\n'
        '[build-system]\nrequires = []\nbuild-backend = "fake_backend"\nbackend-path = ["."]\n',
        encoding="utf-8",
    )
    return tree


def _system_pythons():
    """The interpreters named python3 outside any virtual environment: the one PATH
    gives once the venvs' folders are left out, and Debian's /usr/bin/python3."""
    prefixes = {sys.prefix, os.environ.get("VIRTUAL_ENV", sys.prefix)}
    path = os.pathsep.join(
        d
        for d in os.environ.get("PATH", "").split(os.pathsep)
        if not any(d.startswith(p) for p in prefixes if p != sys.base_prefix)
    )
    found = {shutil.which("python3", path=path), "/usr/bin/python3"}
    return path, sorted(p for p in found if p and os.path.exists(p))


LIST_SITE_PACKAGES = """
import os, site, sys
dirs = set(site.getsitepackages()) | {site.getusersitepackages()}
for d in sorted(dirs):
    names = sorted(os.listdir(d)) if os.path.isdir(d) else []
    print(d, len(names), *names)
"""


def _site_packages(pythons):
    """What each interpreter has installed: its site-packages folders (system and
    user), file by file at the top level, which any pip install changes."""
    return {
        python: subprocess.run(
            [python, "-I", "-c", LIST_SITE_PACKAGES],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        for python in pythons
    }


def _clean_env(tmp_path, path, **extra):
    """No PYTHON, no ODOO_SRC, a venv in tmp_path, pip offline, and an apt-get on
    PATH that only records that it was called."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    apt = bin_dir / "apt-get"
    apt.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/apt-calls\nexit 1\n', encoding="utf-8")
    apt.chmod(0o755)
    (tmp_path / "wheels").mkdir(exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHON", "ODOO_SRC", "VIRTUAL_ENV", "CROSSDEPT_VENV"}
        and not k.startswith("PIP_")
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{path}",
        CROSSDEPT_VENV=str(tmp_path / "venv"),
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(tmp_path / "wheels"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        **extra,
    )
    return env


def test_without_odoo_the_commands_name_the_venv_and_change_nothing(tmp_path):
    path, pythons = _system_pythons()
    before = _site_packages(pythons)
    env = _clean_env(tmp_path, path)
    result = subprocess.run(
        ["bash", "scripts/test"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "Set ODOO_SRC" in result.stderr
    assert f"virtual environment {tmp_path / 'venv'}" in result.stderr
    assert not (tmp_path / "venv").exists()
    assert not (tmp_path / "apt-calls").exists()
    assert _site_packages(pythons) == before


def test_odoo_src_is_installed_into_the_venv_not_the_system_python(tmp_path, fake_odoo_src):
    path, pythons = _system_pythons()
    before = _site_packages(pythons)
    env = _clean_env(tmp_path, path, ODOO_SRC=str(fake_odoo_src))
    result = subprocess.run(
        ["bash", "scripts/test"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    venv_python = tmp_path / "venv" / "bin" / "python"
    # Odoo went in; the project's own requirements then need an index, which this
    # test keeps offline: the command stops there
    assert f"Installing Odoo from {fake_odoo_src} into {tmp_path / 'venv'}" in result.stderr
    assert "Installing Python requirements" in result.stderr, result.stderr
    assert result.returncode != 0
    where = subprocess.run(
        [venv_python, "-c", "import odoo.release; print(odoo.release.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where == str(fake_odoo_src / "odoo" / "release.py")
    assert not (tmp_path / "apt-calls").exists(), (tmp_path / "apt-calls").read_text()
    assert _site_packages(pythons) == before


def test_an_addon_builds_as_a_wheel_with_whool(tmp_path):
    """The core addon builds as odoo-addon-crossdept_ticket the way OCA's addons do
    (its pyproject.toml names whool; whool comes from requirements.txt, so the build
    needs no index), its files under odoo/addons/ and its version from the manifest."""
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    result = subprocess.run(
        [*pip, "-w", str(tmp_path), str(ROOT / "addons" / "crossdept_ticket")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("odoo_addon_crossdept_ticket-18.0.*.whl")
    manifest = ast.literal_eval((ROOT / "addons/crossdept_ticket/__manifest__.py").read_text())
    assert wheel.name.startswith(f"odoo_addon_crossdept_ticket-{manifest['version']}")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        requires = [
            line.split(":", 1)[1].strip()
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    assert "odoo/addons/crossdept_ticket/__manifest__.py" in names
    assert "odoo/addons/crossdept_ticket/models/crossdept_ticket.py" in names
    assert "odoo/addons/crossdept_ticket/i18n/zh_CN.po" in names
    assert requires == ["odoo==18.0.*"]


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
