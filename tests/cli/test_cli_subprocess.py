"""``python -m sprmon`` as a monitoring system runs it: a real process and its exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli.cli_support import INTENT, SNAPSHOTS


def _sprmon(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
    return subprocess.run(
        [sys.executable, "-m", "sprmon", *(str(a) for a in args)],
        capture_output=True,
        text=True,
        env={**env, "NO_COLOR": "1"},
        timeout=60,
        check=False,
    )


def test_check_exit_codes_through_a_real_process() -> None:
    assert _sprmon("check", "-i", INTENT, "-s", SNAPSHOTS / "compliant.json").returncode == 0
    mixed = _sprmon("check", "-i", INTENT, "-s", SNAPSHOTS / "mixed.json", "--format", "json")
    assert mixed.returncode == 2
    assert json.loads(mixed.stdout)["severity"] == "critical"
    warning = _sprmon("check", "-i", INTENT, "-s", SNAPSHOTS / "mixed.json", "--site", "branch-05")
    assert warning.returncode == 1


def test_piped_table_has_no_colour_codes_and_fits_80_columns() -> None:
    result = _sprmon("check", "-i", INTENT, "-s", SNAPSHOTS / "mixed.json")
    assert result.returncode == 2
    assert "\x1b[" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_wrong_version_snapshot_is_exit_3_and_one_line_without_traceback(tmp_path: Path) -> None:
    snapshot = tmp_path / "snap.json"
    snapshot.write_text('{"version": 2, "observations": []}')
    result = _sprmon("check", "-i", INTENT, "-s", snapshot)
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr == (
        f"sprmon: error: invalid snapshot: {snapshot}: snapshot version 2 is not supported "
        "by this sprmon (supports 1)\n"
    )


def test_diff_and_validate_exit_codes_through_a_real_process() -> None:
    before, after = SNAPSHOTS / "before.json", SNAPSHOTS / "after.json"
    assert _sprmon("diff", before, after, "-i", INTENT).returncode == 2
    assert _sprmon("validate", INTENT).returncode == 0
    assert _sprmon("check", "--no-such-option").returncode == 3
