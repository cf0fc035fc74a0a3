"""Reports of the example scenario, and golden-file comparison."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from sprmon.core.evaluate import evaluate
from sprmon.core.findings import Report
from sprmon.core.intent import Intent
from sprmon.intentfile import load_intent
from sprmon.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "examples" / "scenario"
GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture(scope="session")
def scenario_intent() -> Intent:
    return load_intent(SCENARIO / "intent.yaml")


@pytest.fixture(scope="session")
def scenario_report(scenario_intent: Intent) -> Callable[[str], Report]:
    """The report of one example snapshot, evaluated as ``sprmon check`` does."""

    def build(name: str) -> Report:
        snapshot = load_snapshot(SCENARIO / "snapshots" / name)
        return evaluate(scenario_intent, snapshot, snapshot.effective_time())

    return build


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """Compare text with tests/golden/NAME; SPRMON_UPDATE_GOLDEN=1 rewrites the file instead.

    Rewriting fails the test on purpose: a golden file is reviewed (git diff)
    before it is trusted, and CI must never run with the variable set.
    """

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if os.environ.get("SPRMON_UPDATE_GOLDEN") == "1":
            path.write_text(text, encoding="utf-8")
            pytest.fail(f"rewrote {path}: review it with git diff, then run without the variable")
        assert path.exists(), f"{path} missing: run with SPRMON_UPDATE_GOLDEN=1 and review it"
        assert text == path.read_text(encoding="utf-8"), (
            f"output differs from {path}; if the change is intended, run with "
            "SPRMON_UPDATE_GOLDEN=1 and review the diff"
        )

    return check
