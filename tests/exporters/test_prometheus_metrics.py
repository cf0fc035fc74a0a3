"""The Prometheus collector: exposition golden files, naming lint, cardinality, lifecycle."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from sprmon import __version__
from sprmon.core.findings import LinkFinding, PathState, Report, Severity
from sprmon.core.monitor import LinkTotals, MonitorView, Protocol, TargetHealth
from sprmon.exporters.prometheus import PATH_STATES, SprmonMetrics, build_registry
from tests.exporters.prom_support import (
    NOW,
    exposition,
    fixed_view,
    openmetrics,
    path,
    promtool_check,
    without_site,
)

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
DOCS = HERE.parents[1] / "docs" / "metrics.md"


@pytest.fixture
def golden() -> Iterator[Callable[[str, str], None]]:
    """Compare with tests/exporters/golden/NAME; SPRMON_UPDATE_GOLDEN=1 rewrites what differs.

    A rewrite fails the test on purpose (as in tests/reports): golden files are
    reviewed with git diff before they are trusted.
    """
    rewritten: list[Path] = []

    def check(name: str, text: str) -> None:
        target = GOLDEN / name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if os.environ.get("SPRMON_UPDATE_GOLDEN") == "1":
            if text != current:
                target.write_text(text, encoding="utf-8")
                rewritten.append(target)
            return
        assert current is not None, f"{target} missing: run with SPRMON_UPDATE_GOLDEN=1, review it"
        assert text == current, f"output differs from {target}; regenerate and review if intended"

    yield check
    if rewritten:
        pytest.fail(f"rewrote {', '.join(map(str, rewritten))}: review with git diff")


class ViewHolder:
    """What the daemon does: publish a new immutable view; the collector reads the current one."""

    def __init__(self, view: MonitorView | None) -> None:
        self.view = view

    def __call__(self) -> MonitorView | None:
        return self.view


def families(text: str) -> set[str]:
    return set(re.findall(r"^# TYPE (\S+) ", text, flags=re.MULTILINE))


def series(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_default_exposition_matches_the_reviewed_golden_file(
    golden: Callable[[str, str], None],
) -> None:
    view = fixed_view()
    golden("prometheus_default.prom", exposition(build_registry(lambda: view)))


def test_per_prefix_exposition_matches_the_reviewed_golden_file(
    golden: Callable[[str, str], None],
) -> None:
    view = fixed_view()
    golden("prometheus_per_prefix.prom", exposition(build_registry(lambda: view, per_prefix=True)))


def test_openmetrics_exposition_matches_the_reviewed_golden_file(
    golden: Callable[[str, str], None],
) -> None:
    view = fixed_view()
    golden("prometheus_per_prefix.om", openmetrics(build_registry(lambda: view, per_prefix=True)))


def test_without_a_view_only_build_info_is_exported(golden: Callable[[str, str], None]) -> None:
    text = exposition(build_registry(lambda: None, per_prefix=True))
    golden("prometheus_starting.prom", text)
    assert series(text) == [f'sprmon_build_info{{version="{__version__}"}} 1.0']


def test_a_site_that_leaves_the_view_leaves_the_output(golden: Callable[[str, str], None]) -> None:
    holder = ViewHolder(fixed_view())
    registry = build_registry(holder, per_prefix=True)
    assert 'site="branch-02"' in exposition(registry)
    holder.view = without_site(fixed_view(), "branch-02")
    text = exposition(registry)
    golden("prometheus_site_left.prom", text)
    assert 'site="branch-02"' not in text
    assert 'site="branch-01"' in text


def test_a_new_view_replaces_the_values_of_the_previous_one() -> None:
    holder = ViewHolder(fixed_view())
    registry = build_registry(holder, per_prefix=True)
    labels = {"site": "branch-01", "app": "legacy", "prefix": "10.0.21.0/24"}
    assert registry.get_sample_value("sprmon_path_state", {**labels, "state": "drift"}) == 1
    view = fixed_view()
    healed = tuple(
        p._replace(state=PathState.COMPLIANT, actual_links=("mpls",))
        if (p.site, p.app, p.prefix) == tuple(labels.values())
        else p
        for p in view.report.paths
    )
    holder.view = replace(view, report=replace(view.report, paths=healed))
    assert registry.get_sample_value("sprmon_path_state", {**labels, "state": "drift"}) == 0
    assert registry.get_sample_value("sprmon_path_state", {**labels, "state": "compliant"}) == 1
    info = {**labels, "expected_link": "mpls", "actual_link": "mpls"}
    assert registry.get_sample_value("sprmon_path_info", info) == 1


def test_every_metric_passes_promtool_naming_lint() -> None:
    view = fixed_view()
    text = exposition(build_registry(lambda: view, per_prefix=True))
    result = promtool_check(text)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_promtool_lint_catches_a_misnamed_metric() -> None:
    # The lint above proves something only if promtool really rejects bad names here.
    result = promtool_check("# HELP x_total t\n# TYPE x_total gauge\nx_total 1\n")
    assert result.returncode != 0
    assert "non-counter metrics should not have" in result.stdout + result.stderr


def test_per_prefix_series_are_emitted_only_when_switched_on() -> None:
    view = fixed_view()
    default = families(exposition(build_registry(lambda: view)))
    per_prefix = families(exposition(build_registry(lambda: view, per_prefix=True)))
    prefix_families = {
        "sprmon_path_state",
        "sprmon_path_redundant",
        "sprmon_path_marking_ok",
        "sprmon_path_info",
    }
    assert per_prefix - default == prefix_families
    assert not default & prefix_families


def test_every_state_is_counted_even_at_zero() -> None:
    view = fixed_view()
    registry = build_registry(lambda: view)
    counts = {
        state: registry.get_sample_value(
            "sprmon_paths", {"site": "branch-02", "app": "legacy", "state": state}
        )
        for state in PATH_STATES
    }
    assert counts == {"compliant": 0, "failover": 1, "drift": 0, "no_route": 0, "unknown": 1}


def test_free_text_never_reaches_a_label() -> None:
    view = fixed_view()
    text = exposition(build_registry(lambda: view, per_prefix=True))
    assert "explanation" not in text
    assert "198.51.100.7" not in text  # the target's last_error mentions it
    label_values = re.findall(r'="([^"]*)"', "\n".join(series(text)))
    assert all(len(value) <= 40 and " " not in value for value in label_values)


def test_unknown_values_are_absent_rather_than_zero() -> None:
    view = fixed_view()
    registry = build_registry(lambda: view, per_prefix=True)
    unobserved = {"site": "branch-02", "link": "inet"}
    assert registry.get_sample_value("sprmon_link_up", unobserved) is None
    assert registry.get_sample_value("sprmon_bgp_session_up", unobserved) is None
    assert (
        registry.get_sample_value("sprmon_link_severity", unobserved) == Severity.UNKNOWN.exit_code
    )
    never_counted = {"site": "branch-02", "link": "mpls", "direction": "in"}
    assert registry.get_sample_value("sprmon_link_octets_total", never_counted) is None
    no_success = {"site": "branch-02", "protocol": "snmp"}
    assert registry.get_sample_value("sprmon_last_success_timestamp_seconds", no_success) is None
    assert registry.get_sample_value("sprmon_target_up", no_success) == 0
    unknown_redundancy = {"site": "branch-02", "app": "legacy", "prefix": "2001:db8:21::/48"}
    assert registry.get_sample_value("sprmon_path_redundant", unknown_redundancy) is None


def test_mqtt_metrics_appear_only_when_a_broker_is_configured() -> None:
    view = replace(fixed_view(), events=None)
    text = exposition(build_registry(lambda: view))
    assert "sprmon_mqtt" not in text


def test_an_unchanged_view_is_not_walked_again() -> None:
    calls = 0
    view = fixed_view()

    def source() -> MonitorView:
        nonlocal calls
        calls += 1
        return view

    collector = SprmonMetrics(source)
    first = list(collector.collect())
    second = list(collector.collect())
    assert calls == 2
    assert all(a is b for a, b in zip(first[1:], second[1:], strict=True))


def test_registering_does_not_read_the_view() -> None:
    def source() -> MonitorView | None:
        raise AssertionError("read at registration")

    CollectorRegistry().register(SprmonMetrics(source))


def test_every_exported_metric_is_documented() -> None:
    view = fixed_view()
    docs = DOCS.read_text(encoding="utf-8")
    for name in families(exposition(build_registry(lambda: view, per_prefix=True))):
        assert f"`{name}`" in docs, f"{name} is missing from docs/metrics.md"


def typical_view(sites: int, apps: int, prefixes_per_app: int) -> MonitorView:
    """Sites as docs/metrics.md counts them: 2 links, every counter seen, one error reason."""
    paths = []
    links = []
    totals = []
    targets = []
    for n in range(sites):
        site = f"site-{n:05d}"
        for a in range(apps):
            for p in range(prefixes_per_app):
                paths.append(path(site, f"app{a}", f"10.{a}.{p}.0/24", PathState.COMPLIANT))
        for name in ("mpls", "inet"):
            links.append(
                LinkFinding(
                    site=site,
                    link=name,
                    severity=Severity.OK,
                    oper_up=True,
                    bgp_established=True,
                    established_since=NOW,
                    capacity_bps=10_000_000,
                    in_bps=1.0,
                    out_bps=1.0,
                    utilization_in=0.1,
                    utilization_out=0.1,
                    error_rate=0.0,
                    discard_rate=0.0,
                )
            )
            totals.append(LinkTotals(site, name, 1, 1, 0, 0, 0, 0, 0))
        targets.append(TargetHealth(site, Protocol.SNMP, True, NOW, None, (("timeout", 1),)))
    return MonitorView(
        built_at=NOW,
        report=Report(NOW, tuple(paths), tuple(links)),
        targets=tuple(targets),
        links=tuple(totals),
    )


@pytest.mark.parametrize(("apps", "prefixes_per_app"), [(2, 2), (3, 5)])
def test_series_per_site_follow_the_documented_formula(apps: int, prefixes_per_app: int) -> None:
    sites = 10
    view = typical_view(sites, apps, prefixes_per_app)
    default = len(series(exposition(build_registry(lambda: view))))
    per_prefix = len(series(exposition(build_registry(lambda: view, per_prefix=True))))
    # docs/metrics.md: 7 per application, 14 per link (2 links), 3 per target (one error
    # reason); 8 more per prefix with per_prefix; 3 per process (build, shard, evaluation
    # time; no poll histogram in this view).
    fixed = 3
    per_site = 7 * apps + 14 * 2 + 3
    assert default == fixed + sites * per_site
    assert per_prefix == default + sites * 8 * apps * prefixes_per_app


def test_unusable_input_from_a_router_is_counted_by_kind() -> None:
    view = fixed_view()
    first = view.targets[0]
    noisy = replace(first, bad_input_total=(("malformed_value", 2), ("unknown_path", 7)))
    holder = ViewHolder(replace(view, targets=(noisy, *view.targets[1:])))
    registry = build_registry(holder)
    labels = {"site": first.site, "protocol": first.protocol.value}
    sample = registry.get_sample_value
    assert sample("sprmon_bad_input_total", {**labels, "kind": "unknown_path"}) == 7
    assert sample("sprmon_bad_input_total", {**labels, "kind": "malformed_value"}) == 2
    assert sample("sprmon_bad_input_total", {**labels, "kind": "too_many"}) is None
