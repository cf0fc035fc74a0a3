"""pysnmp stays inside the collector's pysnmp backend; the rest of the collector is plain Python."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sprmon.collector

COLLECTOR = Path(sprmon.collector.__file__).parent
LIBRARIES = ("pysnmp", "pyasn1")


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def _imported_roots(path: Path) -> set[str]:
    return {module.split(".")[0] for module in _imported_modules(path)}


def test_only_the_pysnmp_backend_imports_pysnmp_or_pyasn1() -> None:
    importers = {
        path.name for path in COLLECTOR.rglob("*.py") if _imported_roots(path) & set(LIBRARIES)
    }

    assert importers == {"pysnmp_backend.py"}


@pytest.mark.parametrize("module", ["smi.py", "snmp_oids.py"])
def test_the_shared_smi_types_and_oids_import_only_the_stdlib_and_each_other(module: str) -> None:
    # The collector, the codec and the lab all import these: they must pull in nothing.
    imported = _imported_modules(COLLECTOR.parent / module)

    assert {name for name in imported if name.startswith("sprmon")} <= {"sprmon.smi"}
    assert {name.split(".")[0] for name in imported} <= {
        "__future__",
        "collections",
        "dataclasses",
        "enum",
        "typing",
        "sprmon",
    }


def test_secrets_module_imports_no_adapter_library() -> None:
    secrets = Path(sprmon.collector.__file__).parents[1] / "secrets.py"

    assert not _imported_roots(secrets) & {*LIBRARIES, "pydantic", "ruamel"}
