"""``check``'s table without a terminal: the plain layout's text, or rich's when it must be.

Both print the same bytes (tests/reports/test_plain_table.py); these tests
follow the command's choice between them, from a snapshot file to stdout.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sprmon.core.evaluate import evaluate
from sprmon.core.observed import Snapshot
from sprmon.intentfile import load_intent
from sprmon.reports.plain_table import render_plain_table
from sprmon.reports.table import render_table
from sprmon.snapshot import dump_snapshot, load_snapshot
from tests.cli.cli_support import INTENT, ROOT, SNAPSHOTS, Run

#: An agent's error with a word longer than a line: rich cuts it, the plain layout does not try.
LONG_WORD = "agent-said:" + "x" * 100


def test_the_usual_report_is_the_golden_text(run: Run) -> None:
    result = run("check", "-i", INTENT, "-s", SNAPSHOTS / "mixed.json")
    assert result.exit_code == 2
    assert result.stdout == (ROOT / "tests" / "golden" / "check_mixed.txt").read_text("utf-8")


@pytest.fixture
def long_word_snapshot(tmp_path: Path) -> Path:
    """The mixed example with branch-01's newest poll failed with ``LONG_WORD``."""
    snapshot = load_snapshot(SNAPSHOTS / "mixed.json")
    newest = max(o.collected_at for o in snapshot.observations)
    observations = tuple(
        replace(o, paths=None, error=LONG_WORD)
        if o.site == "branch-01" and o.collected_at == newest
        else o
        for o in snapshot.observations
    )
    target = tmp_path / "long-word.json"
    dump_snapshot(Snapshot(observations=observations, taken_at=snapshot.taken_at), target)
    return target


@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "file"])
def test_a_report_only_rich_lays_out_is_printed_by_rich(
    run: Run, long_word_snapshot: Path, tmp_path: Path, to_file: bool
) -> None:
    snapshot = load_snapshot(long_word_snapshot)
    report = evaluate(load_intent(INTENT), snapshot, snapshot.effective_time())
    assert render_plain_table(report) is None
    target = tmp_path / "report.txt"
    result = run("check", "-i", INTENT, "-s", long_word_snapshot, *(["-o", target] * to_file))
    assert result.exit_code == 2  # branch-03's drift
    printed = target.read_text("utf-8") if to_file else result.stdout
    assert printed == render_table(report)
    assert "x" * 60 in printed
    assert max(len(line) for line in printed.splitlines()) <= 80


@pytest.mark.parametrize("variable", ["FORCE_COLOR", "TTY_COMPATIBLE"])
def test_a_variable_that_makes_stdout_a_terminal_for_rich_gets_rich_s_colours(
    run: Run, variable: str
) -> None:
    result = run(
        "check", "-i", INTENT, "-s", SNAPSHOTS / "mixed.json", env={variable: "1", "NO_COLOR": None}
    )
    assert result.exit_code == 2
    assert "\x1b[31m" in result.stdout
