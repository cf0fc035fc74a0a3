"""Where ``check`` writes: output folders checked before polling, files as private as the umask.

A snapshot holds a network's inventory (sites, addresses, routes): under
``umask 077`` a saved one must be as private as the report ``-o`` writes,
not world-readable.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sprmon.cli.common import write_text
from sprmon.core.observed import Snapshot
from sprmon.snapshot import dump_snapshot
from tests.cli.cli_support import INTENT, Run


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "mode"), [(0o077, 0o600), (0o027, 0o640), (0o022, 0o644)])
def test_a_saved_snapshot_is_created_as_the_umask_allows_like_a_report(
    tmp_path: Path, mask: int, mode: int
) -> None:
    with umask(mask):
        dump_snapshot(Snapshot(observations=()), tmp_path / "snap.json")
        write_text("report\n", tmp_path / "report.txt")

    assert _mode(tmp_path / "snap.json") == mode
    assert _mode(tmp_path / "report.txt") == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt", "snap.json"]


def test_a_replaced_snapshot_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "snap.json"
    target.write_text("old")
    target.chmod(0o640)
    with umask(0o077):
        dump_snapshot(Snapshot(observations=()), target)
    assert _mode(target) == 0o640


def test_a_missing_report_folder_fails_before_polling(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "report.txt"
    result = run("check", "-i", INTENT, "-o", target)
    assert result.exit_code == 3
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    # Not the OSError of a write after a poll: the folder is checked first.
    assert line == (
        f"sprmon: error: cannot write {target}: the folder {target.parent} does not exist"
    )
