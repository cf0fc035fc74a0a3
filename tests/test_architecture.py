"""Dependencies point the right way.

The core stays pure: it imports only a small part of the stdlib and itself.
Every module under sprmon/core is parsed with ``ast`` (not imported, so a
forbidden import inside a function or under ``if TYPE_CHECKING`` is caught
too) and each import is checked against an allow-list.

What users run stands without the test tree: no module under sprmon/, bench/
or scripts/ imports ``tests``. The real-peer harness (sprmon.realpeers) is for
tests and tools only: nothing else in sprmon imports it, so the CLI never
loads it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "sprmon" / "core"
HARNESS = "sprmon.realpeers"

#: Pure stdlib modules the core may use: no I/O, no clock, no processes.
ALLOWED_STDLIB = frozenset(
    {
        "__future__",
        "abc",
        "bisect",
        "collections",
        "dataclasses",
        "enum",
        "functools",
        "heapq",
        "ipaddress",
        "itertools",
        "math",
        "operator",
        "re",
        "string",
        "types",
        "typing",
    }
)
#: Named explicitly so that a careless widening of the allow-list still fails here.
FORBIDDEN = frozenset(
    {"asyncio", "socket", "time", "os", "subprocess", "pathlib", "io", "urllib", "http"}
)


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source``, a module of ``package``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{node.module}" if node.module else parent
            else:
                base = node.module or ""
            found.append((node.lineno, base))
            # ``from . import x`` or ``from sprmon import x`` may import submodule x.
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
        ):
            found.append((node.lineno, "__import__"))
    return found


def violations(source: str, module: str, package: str) -> list[str]:
    problems = []
    for line, name in imported_modules(source, package):
        top = name.split(".")[0]
        if name == "sprmon.core" or name.startswith("sprmon.core."):
            continue
        if top in FORBIDDEN:
            problems.append(f"{module}:{line} imports {name}, which does I/O or reads a clock")
        elif top not in ALLOWED_STDLIB:
            problems.append(f"{module}:{line} imports {name}, which is not on the core allow-list")
    return problems


def core_modules() -> list[tuple[str, Path]]:
    """(module name, file) of every module in sprmon/core, packages included."""
    modules = []
    for path in sorted(CORE.rglob("*.py")):
        parts = path.relative_to(CORE.parents[1]).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules.append((".".join(parts), path))
    return modules


def package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rsplit(".", 1)[0]


def test_core_modules_are_found() -> None:
    names = {name for name, _path in core_modules()}
    assert {"sprmon.core", "sprmon.core.evaluate", "sprmon.core.prefixes"} <= names


@pytest.mark.parametrize(("module", "path"), core_modules(), ids=str)
def test_core_module_imports_only_the_stdlib_allow_list_and_the_core(
    module: str, path: Path
) -> None:
    source = path.read_text(encoding="utf-8")
    assert violations(source, module, package_of(module, path)) == []


@pytest.mark.parametrize(
    "source",
    [
        "import socket",
        "import os.path",
        "from time import monotonic",
        "from asyncio import TaskGroup",
        "def f():\n    import subprocess",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pathlib import Path",
        "from sprmon.collector import poller",
        "from sprmon.inventory import SnmpTarget",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sprmon.inventory import X",
        "from .. import cli",
        "from ..exporters.prometheus import x",
        "import pydantic",
        "import importlib",
        "x = __import__('socket')",
        "from urllib.request import urlopen",
        "import http.client",
        "import io",
    ],
)
def test_checker_rejects_forbidden_imports(source: str) -> None:
    assert violations(source, "sprmon.core.example", "sprmon.core") != []


@pytest.mark.parametrize(
    "source",
    [
        "from sprmon.core.prefixes import Prefix",
        "from .findings import Report",
        "from . import intent",
        "import dataclasses\nfrom collections.abc import Sequence",
    ],
)
def test_checker_accepts_core_and_allowed_stdlib_imports(source: str) -> None:
    assert violations(source, "sprmon.core.example", "sprmon.core") == []


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def tool_violations(source: str, module: str, package: str) -> list[str]:
    """Imports of the test tree, and (outside the harness) of the real-peer harness."""
    problems: list[str] = []
    for line, name in imported_modules(source, package):
        if problems and problems[-1].startswith(f"{module}:{line} "):
            continue  # one problem per import statement
        if _within(name, "tests"):
            problems.append(f"{module}:{line} imports {name}: what users run needs no tests/")
        elif _within(module, "sprmon") and not _within(module, HARNESS) and _within(name, HARNESS):
            problems.append(
                f"{module}:{line} imports {name}: the real-peer harness is for tests and "
                "tools, and would load with the CLI"
            )
    return problems


def tool_modules() -> list[tuple[str, Path]]:
    """(module name, file) of every module under sprmon/ and bench/ and every Python script
    under scripts/ (named by a ``python`` shebang, with or without a ``.py`` suffix)."""
    modules = []
    for path in sorted((ROOT / "sprmon").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules.append((".".join(parts), path))
    modules += [(f"bench.{path.stem}", path) for path in sorted((ROOT / "bench").glob("*.py"))]
    for path in sorted((ROOT / "scripts").iterdir()):
        with path.open("rb") as file:
            first = file.readline()
        if path.suffix == ".py" or (first.startswith(b"#!") and b"python" in first):
            modules.append((f"scripts.{path.name}", path))
    return modules


def test_tool_modules_are_found() -> None:
    names = {name for name, _path in tool_modules()}
    assert {
        "sprmon.cli.main",
        "sprmon.realpeers.frr.build",
        "bench.bench_lab",
        "bench.bench_snmp",
        "scripts.frr-wan",
    } <= names
    assert "scripts.install-system-deps" not in names  # a shell script


@pytest.mark.parametrize(("module", "path"), tool_modules(), ids=str)
def test_what_users_run_imports_no_tests_and_only_tools_import_the_harness(
    module: str, path: Path
) -> None:
    source = path.read_text(encoding="utf-8")
    assert tool_violations(source, module, package_of(module, path)) == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("scripts.frr-wan", "from tests.peers.frr_wan import build"),
        ("bench.bench_lab", "from tests.lab.helpers import auth_args"),
        ("bench.bench_snmp", "import tests.peers.netns"),
        ("sprmon.lab.runner", "import tests"),
        ("sprmon.lab.runner", "from tests import peers"),
        ("sprmon.cli.check", "def f():\n    from tests.peers.snmpd import run_snmpd"),
        ("sprmon.cli.main", "from sprmon.realpeers.frr import frr_wan"),
        ("sprmon.cli.main", "import sprmon.realpeers"),
        ("sprmon.cli.main", "from sprmon import realpeers"),
        ("sprmon.cli.main", "from ..realpeers.netns import ip"),
        ("sprmon.lab", "import typing\nif typing.TYPE_CHECKING:\n    import sprmon.realpeers"),
    ],
)
def test_tool_checker_rejects_the_tests_and_the_harness_outside_tools(
    module: str, source: str
) -> None:
    package = module if module == "sprmon.lab" else module.rsplit(".", 1)[0]
    assert tool_violations(source, module, package) != []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("scripts.frr-wan", "from sprmon.realpeers.frr import build"),
        ("bench.bench_snmp", "from sprmon.realpeers.netns import namespace_with_interfaces"),
        ("sprmon.realpeers.frr.build", "from sprmon.realpeers.frr import config"),
        ("sprmon.realpeers.frr.build", "from ..snmpd import run_tool"),
        ("sprmon.cli.main", "import testing_tools\nfrom sprmon.lab import run_lab"),
    ],
)
def test_tool_checker_accepts_the_harness_in_tools_and_in_itself(module: str, source: str) -> None:
    assert tool_violations(source, module, module.rsplit(".", 1)[0]) == []


#: Fields that say how to reach something: they belong to the inventory
#: (sprmon.inventory), which the collectors own, never to the policy the core judges.
CONNECTION_FIELDS = frozenset(
    {
        "host",
        "port",
        "address_family",
        "community",
        "user",
        "username",
        "password",
        "auth_key",
        "priv_key",
        "auth_protocol",
        "priv_protocol",
        "credentials",
        "secret",
        "tls",
        "ca_file",
        "timeout_s",
        "retries",
        "max_repetitions",
        "use",
        "snmp",
        "gnmi",
        "mqtt",
    }
)
#: Class names that are connection settings whatever their fields.
CONNECTION_CLASS = re.compile(
    r"Secret|Credential|Inventory|(Access|Target)$|^(Snmp|Gnmi|Mqtt|Auth|Priv)"
)


def connection_settings(source: str, module: str) -> list[str]:
    """Classes in ``source`` that are, or hold, connection settings (see above)."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        if CONNECTION_CLASS.search(node.name):
            problems.append(
                f"{module}:{node.lineno} defines {node.name}: connection settings belong "
                "in sprmon.inventory"
            )
        for item in node.body:
            if (
                isinstance(item, ast.AnnAssign)
                and isinstance(item.target, ast.Name)
                and item.target.id in CONNECTION_FIELDS
            ):
                problems.append(
                    f"{module}:{item.lineno} {node.name}.{item.target.id} is a connection "
                    "setting: it belongs in sprmon.inventory"
                )
    return problems


@pytest.mark.parametrize(("module", "path"), core_modules(), ids=str)
def test_core_defines_no_connection_settings(module: str, path: Path) -> None:
    assert connection_settings(path.read_text(encoding="utf-8"), module) == []


@pytest.mark.parametrize(
    "source",
    [
        "class SecretRef:\n    env: str",
        "class SnmpTarget:\n    name: str",
        "class Site:\n    name: str\n    snmp: object",
        "class Broker:\n    host: str\n    port: int",
        "class Poll:\n    timeout_s: float\n    retries: int",
        "class Settings:\n    password: object",
        "class Reader:\n    use: tuple[str, ...]",
    ],
)
def test_connection_settings_checker_rejects_reachability(source: str) -> None:
    assert connection_settings(source, "sprmon.core.example") != []


def test_connection_settings_checker_accepts_policy() -> None:
    source = (
        "class Site:\n    name: str\n    links: tuple[str, ...]\n    group: str | None\n"
        "class MonitorSettings:\n    convergence_grace_s: float\n    counter_interval_s: float\n"
    )
    assert connection_settings(source, "sprmon.core.example") == []
