"""The core stays pure: it imports only a small part of the stdlib and itself.

Every module under sprmon/core is parsed with ``ast`` (not imported, so a
forbidden import inside a function or under ``if TYPE_CHECKING`` is caught
too) and each import is checked against an allow-list.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "sprmon" / "core"

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
            if node.module is None or node.level:
                # ``from . import x`` may import submodule x.
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
