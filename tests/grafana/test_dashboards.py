"""grafana/: the committed dashboards are what grafana/generate.py makes, they are
well-formed for Grafana, their queries name metrics that exist, and the
provisioning files point Grafana at them."""

from __future__ import annotations

import re
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.alerting.rules_support import rules
from tests.grafana.dashboards_support import (
    DASHBOARDS,
    GRAFANA,
    PROVISIONING,
    ROOT,
    committed,
    generator,
    panel_queries,
)

METRICS_DOC = ROOT / "docs" / "metrics.md"


def test_the_committed_dashboards_are_what_the_generator_makes() -> None:
    expected = generator().rendered()
    assert set(expected) == {path.name for path in DASHBOARDS.glob("*.json")}
    for name, text in expected.items():
        assert (DASHBOARDS / name).read_text() == text, (
            f"grafana/dashboards/{name} is out of date: run python grafana/generate.py"
        )


def test_the_generator_check_mode_fails_on_a_stale_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = generator()
    assert module.main(["--check"]) == 0
    monkeypatch.setattr(module, "OUT", tmp_path)
    assert module.main(["--check"]) == 1
    assert module.main([]) == 0
    assert module.main(["--check"]) == 0


def test_the_generator_runs_as_a_script_in_check_mode() -> None:
    result = subprocess.run(
        [sys.executable, str(GRAFANA / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_three_dashboards_have_stable_uids_and_the_site_variable() -> None:
    dashboards = committed()
    assert {d["uid"] for d in dashboards.values()} == {
        "sprmon-fleet",
        "sprmon-site",
        "sprmon-self",
    }
    variables = {
        d["uid"]: [v["name"] for v in d["templating"]["list"]] for d in dashboards.values()
    }
    assert variables["sprmon-site"] == ["datasource", "site"]
    assert variables["sprmon-fleet"] == variables["sprmon-self"] == ["datasource"]
    site = next(
        v for v in dashboards["sprmon-site.json"]["templating"]["list"] if v["name"] == "site"
    )
    assert site["query"] == "label_values(sprmon_paths, site)"


def test_every_panel_queries_the_chosen_prometheus_with_distinct_refs() -> None:
    for name, dashboard in committed().items():
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), name
        for panel in dashboard["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel
            refs = [target["refId"] for target in panel["targets"]]
            assert refs and len(refs) == len(set(refs)) and all(refs), (name, panel["title"])
            assert panel["options"] is not None, (name, panel["title"])
            assert panel["description"], (name, panel["title"])


def test_panels_fit_the_24_column_grid_without_overlapping() -> None:
    for name, dashboard in committed().items():
        boxes = [(p["title"], p["gridPos"]) for p in dashboard["panels"]]
        for title, box in boxes:
            assert box["x"] >= 0 and box["x"] + box["w"] <= 24, (name, title, box)
        for (a, p), (b, q) in combinations(boxes, 2):
            apart = (
                p["x"] + p["w"] <= q["x"]
                or q["x"] + q["w"] <= p["x"]
                or p["y"] + p["h"] <= q["y"]
                or q["y"] + q["h"] <= p["y"]
            )
            assert apart, (name, a, b)


def test_every_site_detail_query_is_about_the_chosen_site() -> None:
    for query in panel_queries():
        if query.dashboard == "sprmon-site.json":
            assert 'site="$site"' in query.expr, query


def test_queries_name_only_documented_metrics_and_recorded_series() -> None:
    documented = set(re.findall(r"`(sprmon_\w+)`", METRICS_DOC.read_text()))
    recorded = {rule.name for rule in rules() if not rule.is_alert}
    exprs = [q.expr for q in panel_queries()] + [rule.expr for rule in rules()]
    for expr in exprs:
        for name in re.findall(r"(?<![\w:])(sprmon_\w+)(?![\w:])", expr):
            base = re.sub(r"_(bucket|count|sum)$", "", name)
            assert name in documented or base in documented, (name, expr)
        for name in re.findall(r"\b(\w*:\w+:\w+)\b", expr):
            assert name in recorded, (name, expr)


def test_provisioning_points_grafana_at_a_prometheus_and_the_dashboards() -> None:
    yaml = YAML(typ="safe")
    datasources = yaml.load((PROVISIONING / "datasources" / "sprmon.yml").read_text())
    assert datasources["apiVersion"] == 1
    [source] = datasources["datasources"]
    assert source["type"] == "prometheus" and source["url"].startswith("http")
    assert source["isDefault"] is False
    providers = yaml.load((PROVISIONING / "dashboards" / "sprmon.yml").read_text())
    assert providers["apiVersion"] == 1
    [provider] = providers["providers"]
    assert provider["type"] == "file" and provider["options"]["path"]


@pytest.mark.slow
def test_the_generator_is_ruff_clean_and_strictly_typed() -> None:
    """grafana/ is outside the paths `make lint` checks: its generator is checked here."""
    bin_dir = Path(sys.executable).parent
    generate = str(GRAFANA / "generate.py")
    for command in (
        [str(bin_dir / "ruff"), "check", generate],
        [str(bin_dir / "ruff"), "format", "--check", generate],
        [str(bin_dir / "mypy"), "--strict", "--no-incremental", generate],
    ):
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=300, check=False, cwd=ROOT
        )
        assert result.returncode == 0, result.stdout + result.stderr
