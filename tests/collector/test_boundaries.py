"""pysnmp stays inside the SNMP client; the rest of the collector is plain Python."""

from __future__ import annotations

import ast
from pathlib import Path

import sprmon.collector

COLLECTOR = Path(sprmon.collector.__file__).parent
LIBRARIES = ("pysnmp", "pyasn1")


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_only_the_snmp_client_imports_pysnmp_or_pyasn1() -> None:
    importers = {
        path.name for path in COLLECTOR.glob("*.py") if _imported_roots(path) & set(LIBRARIES)
    }

    assert importers == {"snmp_client.py"}


def test_secrets_module_imports_no_adapter_library() -> None:
    secrets = Path(sprmon.collector.__file__).parents[1] / "secrets.py"

    assert not _imported_roots(secrets) & {*LIBRARIES, "pydantic", "ruamel"}
