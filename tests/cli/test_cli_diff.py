"""``sprmon diff``: exit 0 unless something got worse, then the worst regression's severity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.cli_support import INTENT, SNAPSHOTS, Run

BEFORE = SNAPSHOTS / "before.json"
AFTER = SNAPSHOTS / "after.json"


@pytest.mark.parametrize(
    ("before", "after", "code"),
    [
        pytest.param(BEFORE, AFTER, 2, id="drift-in-window-critical"),
        pytest.param(AFTER, BEFORE, 1, id="lost-backup-warning"),
        pytest.param(BEFORE, BEFORE, 0, id="nothing-changed"),
        pytest.param(SNAPSHOTS / "mixed.json", SNAPSHOTS / "compliant.json", 0, id="all-better"),
    ],
)
def test_exit_code_is_the_worst_regression(run: Run, before: Path, after: Path, code: int) -> None:
    result = run("diff", before, after, "--intent", INTENT)
    assert result.exit_code == code, result.output
    assert result.stderr == ""


def test_table_names_what_moved(run: Run) -> None:
    result = run("diff", BEFORE, AFTER, "--intent", INTENT)
    assert "branch-03 legacy 10.0.21.0/24\n  worse compliant -> drift" in result.stdout
    assert "branch-02 default 10.0.30.0/24\n        redundancy no backup -> redundant" in (
        result.stdout
    )


def test_json_lists_changes_and_the_exit_code(run: Run) -> None:
    result = run("diff", BEFORE, AFTER, "-i", INTENT, "--format", "json")
    document = json.loads(result.stdout)
    assert document["exit_code"] == result.exit_code == 2
    assert document["summary"] == {"changes": 14, "got_worse": 8, "other": 6}


def test_bad_snapshot_exits_3(run: Run, tmp_path: Path) -> None:
    broken = tmp_path / "after.json"
    broken.write_text(AFTER.read_text().replace('"version": 1', '"version": 7'))
    result = run("diff", BEFORE, broken, "-i", INTENT)
    assert result.exit_code == 3
    (line,) = result.stderr.splitlines()
    assert "snapshot version 7 is not supported by this sprmon (supports 1)" in line


def test_missing_intent_option_exits_3(run: Run) -> None:
    result = run("diff", BEFORE, AFTER)
    assert result.exit_code == 3
    assert "Missing option '--intent'" in result.stderr
