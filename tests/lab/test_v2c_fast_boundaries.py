"""Where pysnmp may be: only in the lab's pysnmp agents, and a v2c lab never loads it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import sprmon.collector
import sprmon.lab

LAB = Path(sprmon.lab.__file__).parent
COLLECTOR = Path(sprmon.collector.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_only_the_labs_pysnmp_agents_import_pysnmp_or_pyasn1() -> None:
    importers = {
        path.relative_to(LAB).as_posix()
        for path in LAB.rglob("*.py")
        if {m.split(".")[0] for m in _imported_modules(path)} & {"pysnmp", "pyasn1"}
    }
    assert importers == {"pysnmp_agents.py"}


def test_the_collector_does_not_depend_on_the_lab() -> None:
    importers = {
        path.name
        for path in COLLECTOR.rglob("*.py")
        if any(m == "sprmon.lab" or m.startswith("sprmon.lab.") for m in _imported_modules(path))
    }
    assert importers == set()


def test_a_v2c_lab_runs_without_loading_pysnmp(tmp_path: Path) -> None:
    script = (
        "import asyncio, sys\n"
        "from sprmon.lab import run_lab\n"
        "async def main():\n"
        "    async with run_lab(sites=2, control=False) as lab:\n"
        "        assert lab.site_ports\n"
        "    print(sorted(m for m in ('pysnmp', 'pyasn1') if m in sys.modules))\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path,
        timeout=120,
    )  # fmt: skip
    assert done.stdout.strip() == "[]"
