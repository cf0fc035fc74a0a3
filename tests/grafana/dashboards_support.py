"""The committed dashboards and their generator, read as data for the tests."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "grafana"
DASHBOARDS = GRAFANA / "dashboards"
PROVISIONING = GRAFANA / "provisioning"

#: What Grafana puts in place of the variables a query may use, for running it elsewhere.
VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}


def generator() -> ModuleType:
    """grafana/generate.py, imported from its file (grafana/ is not a package)."""
    name = "sprmon_grafana_generate"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, GRAFANA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def committed() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))}


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    ref: str
    expr: str
    instant: bool

    def resolved(self, site: str) -> str:
        """The expression as Grafana sends it with ``site`` chosen."""
        expr = self.expr.replace("$site", site)
        for name, value in VARIABLES.items():
            expr = expr.replace(name, value)
        return expr

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel} / {self.ref}"


def panel_queries() -> Iterator[PanelQuery]:
    for name, dashboard in committed().items():
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                yield PanelQuery(
                    dashboard=name,
                    panel=panel["title"],
                    ref=target["refId"],
                    expr=target["expr"],
                    instant=bool(target.get("instant")),
                )
