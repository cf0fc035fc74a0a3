"""Reports of the example scenario, and golden-file comparison."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sprmon.core.evaluate import evaluate
from sprmon.core.findings import Report
from sprmon.core.intent import Intent
from sprmon.core.observed import Snapshot
from sprmon.intentfile import load_intent
from sprmon.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "examples" / "scenario"
GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture(scope="session")
def scenario_intent() -> Intent:
    return load_intent(SCENARIO / "intent.yaml")


@pytest.fixture(scope="session")
def scenario_snapshot() -> Callable[[str], Snapshot]:
    """One of the example snapshots, by file name."""

    def load(name: str) -> Snapshot:
        return load_snapshot(SCENARIO / "snapshots" / name)

    return load


@pytest.fixture(scope="session")
def scenario_report(
    scenario_intent: Intent, scenario_snapshot: Callable[[str], Snapshot]
) -> Callable[[str], Report]:
    """The report of one example snapshot, evaluated as ``sprmon check`` does."""

    def build(name: str) -> Report:
        snapshot = scenario_snapshot(name)
        return evaluate(scenario_intent, snapshot, snapshot.effective_time())

    return build


@pytest.fixture
def golden() -> Iterator[Callable[[str, str], None]]:
    """Compare text with tests/golden/NAME; SPRMON_UPDATE_GOLDEN=1 rewrites what differs.

    A rewrite fails the test (at teardown, after every file of the test is
    written) on purpose: a golden file is reviewed with git diff before it is
    trusted, and CI must never pass because the variable was set.
    """
    rewritten: list[Path] = []

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if os.environ.get("SPRMON_UPDATE_GOLDEN") == "1":
            if text != current:
                path.write_text(text, encoding="utf-8")
                rewritten.append(path)
            return
        assert current is not None, f"{path} missing: run with SPRMON_UPDATE_GOLDEN=1, review it"
        assert text == current, (
            f"output differs from {path}; if the change is intended, run with "
            "SPRMON_UPDATE_GOLDEN=1 and review the diff"
        )

    yield check
    if rewritten:
        names = ", ".join(str(p) for p in rewritten)
        pytest.fail(f"rewrote {names}: review with git diff, then run without the variable")
