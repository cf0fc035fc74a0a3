"""Paths and a runner for the CLI tests (a plain module: conftest.py is not importable)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from sprmon.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
INTENT = ROOT / "examples" / "scenario" / "intent.yaml"
SNAPSHOTS = ROOT / "examples" / "scenario" / "snapshots"

#: No colours whatever the environment of the test run says.
PLAIN_ENV: dict[str, str | None] = {"NO_COLOR": "1", "FORCE_COLOR": None, "COLUMNS": "80"}

Run = Callable[..., Result]


def invoke(*args: str | Path, env: dict[str, str | None] | None = None) -> Result:
    """``invoke("check", "--intent", ...)``: a click Result with separate stdout and stderr."""
    return CliRunner().invoke(
        main, [str(a) for a in args], env={**PLAIN_ENV, **(env or {})}, prog_name="sprmon"
    )
