"""Start-up: each command imports only what it needs (issue 10, part 2).

A monitoring system starts ``sprmon check`` afresh for every check, so what a
command imports is most of what it costs. These tests look at which modules a
real ``python -m sprmon`` process imports (``-X importtime`` lists every one);
how long that takes is measured by bench/bench_startup.py, not here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sprmon.cli.main import COMMANDS
from tests.cli.cli_support import INTENT, ROOT, SNAPSHOTS, Run

#: Loaded by no command that neither polls, serves nor runs the lab.
NETWORK_AND_DAEMON = (
    "asyncio",
    "pysnmp",
    "grpc",
    "google.protobuf",
    "prometheus_client",
    "aiomqtt",
    "paho",
    "sprmon.collector",
    "sprmon.daemon",
    "sprmon.lab",
    "sprmon.exporters.web",
    "sprmon.exporters.prometheus",
    "sprmon.exporters.mqtt",
    "sprmon.realpeers",
)
#: The modules of the commands (and their helpers) that ``check`` does not run.
OTHER_COMMANDS = (
    "sprmon.cli.run",
    "sprmon.cli.diff",
    "sprmon.cli.demo",
    "sprmon.cli.demo_daemon",
    "sprmon.cli.demo_text",
    "sprmon.cli.lab_commands",
)
CHECK = ("check", "-i", INTENT, "-s", SNAPSHOTS / "mixed.json")


def _imported(
    *args: str | Path, cache: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """``python -X importtime -m sprmon ARGS``: the process, and every module it imported
    (with compiled intents kept in ``cache``, if given)."""
    # Neither a terminal nor a variable that makes one: rich is not needed then.
    ignored = ("FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS", "SPRMON_NO_CACHE")
    env = {k: v for k, v in os.environ.items() if k not in ignored}
    if cache is not None:
        env["SPRMON_CACHE_DIR"] = str(cache)
    path = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sprmon", *(str(a) for a in args)],
        capture_output=True,
        text=True,
        env={**env, "NO_COLOR": "1", "PYTHONPATH": path},
        timeout=60,
        check=False,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "[us]" not in line
    }
    assert "sprmon.cli.main" in modules  # the listing was read: a test that cannot fail is none
    return result, modules


def _within(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules for p in packages if m == p or m.startswith(p + "."))


def test_the_command_list_short_helps_are_each_commands_own() -> None:
    for name, lazy in COMMANDS.items():
        command = lazy.load()
        assert command.name == name
        assert command.short_help == lazy.short_help, f"update COMMANDS[{name!r}] in cli/main.py"


def test_help_lists_every_command_with_its_short_help(run: Run) -> None:
    result = run("--help")
    assert result.exit_code == 0
    for name, lazy in COMMANDS.items():
        assert f"  {name:<8}  {lazy.short_help}\n" in result.stdout


def test_help_imports_no_command_and_no_heavy_library() -> None:
    result, modules = _imported("--help")
    assert result.returncode == 0
    assert "  validate  Check an intent file" in result.stdout
    heavy = ("pydantic", "pydantic_core", "ruamel", "rich", "importlib.metadata")
    assert _within(modules, NETWORK_AND_DAEMON + OTHER_COMMANDS + heavy) == []
    assert _within(modules, ("sprmon.cli.check", "sprmon.cli.validate", "sprmon.intentfile")) == []


def test_snapshot_check_imports_neither_the_network_the_daemon_nor_other_commands() -> None:
    result, modules = _imported(*CHECK)
    assert result.returncode == 2
    assert result.stdout.startswith("sprmon check, evaluated at ")
    assert _within(modules, NETWORK_AND_DAEMON + OTHER_COMMANDS) == []


def test_a_check_whose_intent_is_cached_loads_neither_its_compiler_nor_yaml(
    tmp_path: Path,
) -> None:
    """A check run every minute compiles its intent once (sprmon/intentfile/cache.py)."""
    compiler = ("sprmon.intentfile.compiler", "sprmon.intentfile.schema", "ruamel")
    first, compiled = _imported(*CHECK, "--format", "json", cache=tmp_path)
    second, cached = _imported(*CHECK, "--format", "json", cache=tmp_path)

    assert first.returncode == second.returncode == 2
    assert "ruamel.yaml" in compiled
    assert "sprmon.intentfile.compiler" in compiled
    assert _within(cached, compiler) == []
    assert "sprmon.intentfile.cache" in cached
    assert second.stdout == first.stdout


def test_a_live_v2c_check_with_a_cached_intent_loads_no_validation_library_nor_pysnmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The monitoring plugin's own case: pysnmp is for SNMPv3 sites only, and pydantic,
    ruamel.yaml and rich are for compiling the intent and for terminals."""
    monkeypatch.setenv("SPRMON_SNMP_COMMUNITY", "public")
    # No agent answers: each site is unknown after the deadline, as when a router is down.
    live = ("check", "-i", INTENT, "--deadline", "1", "--format", "json")
    first, _ = _imported(*live, cache=tmp_path)
    second, modules = _imported(*live, cache=tmp_path)

    assert first.returncode == second.returncode == 3
    assert '"unknown"' in second.stdout
    assert "sprmon.collector.native_v2c" in modules
    heavy = ("pydantic", "pydantic_core", "ruamel", "pysnmp", "cryptography", "rich")
    assert _within(modules, heavy) == []


@pytest.mark.parametrize("output_format", ["table", "json"])
def test_check_of_a_snapshot_without_a_terminal_does_not_import_rich(output_format: str) -> None:
    # The table of a usual report is laid out without rich (sprmon.reports.plain_table).
    result, modules = _imported(*CHECK, "--format", output_format)
    assert result.returncode == 2
    assert result.stdout.startswith("{" if output_format == "json" else "sprmon check")
    assert _within(modules, ("rich",)) == []


@pytest.mark.parametrize(
    "args", [("validate", INTENT), ("check", "--help")], ids=["validate", "check --help"]
)
def test_validate_and_command_help_import_no_renderer_and_no_network(
    args: tuple[str | Path, ...],
) -> None:
    result, modules = _imported(*args)
    assert result.returncode == 0
    assert _within(modules, NETWORK_AND_DAEMON + OTHER_COMMANDS + ("rich",)) == []
