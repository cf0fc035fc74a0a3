"""The ``sprmon`` group: help that teaches, --version, and usage errors as exit 3."""

from __future__ import annotations

import pytest

import sprmon.service
from sprmon.core.findings import Report
from tests.cli.cli_support import INTENT, SNAPSHOTS, Run


def test_group_help_lists_commands_and_exit_codes(run: Run) -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("check", "diff", "validate"):
        assert f"  {command} " in result.stdout
    for line in ("0  OK", "1  WARNING", "2  CRITICAL", "3  UNKNOWN"):
        assert line in result.stdout
    assert "sprmon validate examples/scenario/intent.yaml" in result.stdout


@pytest.mark.parametrize("command", ["check", "diff", "validate"])
def test_every_command_help_has_an_example_and_exit_codes(run: Run, command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"sprmon {command} " in result.stdout
    assert "Exit codes" in result.stdout


def test_version_is_printed(run: Run) -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("sprmon 0.")


def test_bare_sprmon_prints_help_but_exits_3_not_ok(run: Run) -> None:
    result = run()
    assert result.exit_code == 3
    assert "Commands:" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "No such command 'nope'"),
        (["check", "--bogus"], "No such option '--bogus'"),
        (["check", "--snapshot", "x.json"], "Missing option '--intent'"),
        (["check", "-i", "x.yaml", "--format", "xml"], "Invalid value for '--format'"),
    ],
)
def test_usage_errors_exit_3_with_one_line(run: Run, args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 3
    (line,) = result.stderr.splitlines()
    assert line.startswith("sprmon: usage error: ")
    assert message in line
    assert "--help" in line


def test_unexpected_error_is_one_line_exit_3_and_traceback_only_at_vv(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> Report:
        raise RuntimeError("evaluation exploded")

    monkeypatch.setattr(sprmon.service, "evaluate", broken)
    args = ["check", "-i", INTENT, "-s", SNAPSHOTS / "mixed.json"]
    result = run(*args)
    assert result.exit_code == 3
    (line,) = result.stderr.splitlines()
    assert line.startswith("sprmon: error: internal error: RuntimeError: evaluation exploded")
    verbose = run("-vv", *args)
    assert verbose.exit_code == 3
    assert "Traceback" in verbose.stderr
