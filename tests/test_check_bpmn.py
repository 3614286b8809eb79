"""scripts/check_bpmn.mjs, the bpmn-moddle check that scripts/test runs on the BPMN
export of every flow: files drawn in bpmn.io tools pass, any warning fails."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "addons" / "crossdept_ticket" / "tests" / "data"

pytestmark = pytest.mark.skipif(
    not shutil.which("node") or not (ROOT / "node_modules" / "bpmn-moddle").is_dir(),
    reason="node and bpmn-moddle (npm install) are needed",
)


def check(*files):
    return subprocess.run(
        ["node", "scripts/check_bpmn.mjs", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_files_saved_by_camunda_modeler_and_bpmn_io_are_valid():
    result = check(DATA / "camunda_change.bpmn", DATA / "bpmnio_rework.bpmn")
    assert result.returncode == 0, result.stderr
    assert "2 BPMN files valid for bpmn.io tools" in result.stdout


def test_an_unknown_element_fails_with_the_warnings_of_bpmn_moddle(tmp_path):
    text = (DATA / "camunda_change.bpmn").read_text()
    broken = tmp_path / "broken.bpmn"
    broken.write_text(text.replace('sourceRef="Activity_Quick"', 'sourceRef="Activity_Gone"'))
    result = check(DATA / "bpmnio_rework.bpmn", broken)
    assert result.returncode == 1
    assert f"{broken}: INVALID" in result.stderr
    assert "unresolved reference <Activity_Gone>" in result.stderr
    assert "1 of 2 BPMN files are not valid" in result.stderr


def test_a_file_that_is_not_bpmn_fails():
    result = check(DATA / "wrong_root.bpmn")
    assert result.returncode == 1
    assert "failed to parse document as <bpmn:Definitions>" in result.stderr


def test_an_attribute_the_crossdept_descriptor_does_not_define_fails(tmp_path):
    """crossdept:step and crossdept:approver are read with scripts/crossdept_moddle.json."""
    text = (DATA / "bpmnio_rework.bpmn").read_text()
    assert '<crossdept:approver login="approver_1" />' in text
    fine = tmp_path / "fine.bpmn"
    fine.write_text(
        text.replace(
            '<crossdept:approver login="approver_1" />',
            '<crossdept:approver source="department_manager" department="Finance" />'
            '<crossdept:approver source="accountable" />',
        )
    )
    broken = tmp_path / "broken.bpmn"
    broken.write_text(
        text.replace(
            '<crossdept:approver login="approver_1" />',
            '<crossdept:approver login="approver_1" role="boss" />',
        )
    )
    result = check(fine, broken)
    assert result.returncode == 1
    assert f"{fine}: valid" in result.stdout
    assert f"{broken}: INVALID" in result.stderr
    assert "unknown attribute <role>" in result.stderr
