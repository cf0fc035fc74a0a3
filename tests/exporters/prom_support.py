"""Fixed monitor views for the Prometheus exporter tests, built from plain data.

``fixed_view()`` covers every metric and every way a value can be missing:
two sites of the scenario network, every path state, redundancy and marking
true/false/unknown, ECMP, a link that was not observed, counters never seen,
a target that never succeeded, two protocols' poll histograms and the MQTT
queue. ``without_site`` removes one site everywhere, as the daemon's view does
when a site leaves the intent.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest
from prometheus_client.openmetrics import exposition as om

from sprmon.core.findings import LinkFinding, PathState, Report, Severity
from sprmon.core.monitor import (
    DurationHistogram,
    EventQueueStatus,
    LinkTotals,
    MonitorView,
    Protocol,
    TargetHealth,
)
from sprmon.core.prefixes import canonical_prefix
from sprmon.lab.monitor_views import link_finding, path_finding

NOW = 1_700_000_000.0
LEGACY = canonical_prefix("10.0.21.0/24")
LEGACY_V6 = canonical_prefix("2001:db8:21::/48")
DC = canonical_prefix("10.0.0.0/16")
DC_V6 = canonical_prefix("2001:db8::/32")
PROMTOOL = "promtool"
#: Untyped in prometheus-client: the library's own writer, which sprmon's fast one must match.
generate_openmetrics = cast(Callable[[CollectorRegistry], bytes], om.generate_latest)


def link(
    site: str,
    name: str,
    *,
    since: float | None = NOW - 86_400,
    utilization: tuple[float | None, float | None] = (0.25, 0.5),
    **changes: Any,
) -> LinkFinding:
    """A link of :func:`fixed_view`: up a day, a quarter and half full, unless ``changes``."""
    return link_finding(site, name, since=since, utilization=utilization, **changes)


def fixed_view() -> MonitorView:
    paths = (
        path_finding(
            "branch-01", "default", DC, PathState.COMPLIANT, expected="inet", actual=("inet",)
        ),
        path_finding(
            "branch-01",
            "default",
            DC_V6,
            PathState.COMPLIANT,
            expected="inet",
            actual=("inet", "mpls"),
            marking_ok=None,
        ),
        path_finding(
            "branch-01",
            "legacy",
            LEGACY,
            PathState.DRIFT,
            actual=("inet",),
            marking_ok=False,
            severity=Severity.CRITICAL,
        ),
        path_finding(
            "branch-01",
            "legacy",
            LEGACY_V6,
            PathState.NO_ROUTE,
            actual=(),
            redundant=False,
            marking_ok=None,
            severity=Severity.CRITICAL,
        ),
        path_finding(
            "branch-02",
            "legacy",
            LEGACY,
            PathState.FAILOVER,
            expected="inet",
            actual=("inet",),
            redundant=False,
            severity=Severity.WARNING,
        ),
        path_finding(
            "branch-02",
            "legacy",
            LEGACY_V6,
            PathState.UNKNOWN,
            expected=None,
            actual=("?",),
            redundant=None,
            marking_ok=None,
            severity=Severity.UNKNOWN,
        ),
    )
    links = (
        link("branch-01", "mpls"),
        link("branch-01", "inet", capacity_bps=100_000_000, utilization=(0.031, None)),
        link(
            "branch-02",
            "mpls",
            up=False,
            established=False,
            since=None,
            utilization=(None, None),
            severity=Severity.CRITICAL,
        ),
        link(
            "branch-02",
            "inet",
            up=None,
            established=None,
            since=None,
            capacity_bps=100_000_000,
            utilization=(None, None),
            severity=Severity.UNKNOWN,
        ),
    )
    totals = (
        LinkTotals(
            "branch-01",
            "mpls",
            in_octets=5_000_000_000,
            out_octets=4_294_967_296 + 17,
            in_errors=0,
            out_errors=3,
            in_discards=12,
            out_discards=0,
            session_flaps=2,
        ),
        LinkTotals("branch-01", "inet", in_octets=123, out_octets=456),
        LinkTotals("branch-02", "mpls"),
    )
    targets = (
        TargetHealth("branch-01", Protocol.SNMP, up=True, last_success_at=NOW - 30),
        TargetHealth(
            "branch-02",
            Protocol.SNMP,
            up=False,
            last_success_at=None,
            last_error="no answer from 198.51.100.7 within 5 s (free text, never a label)",
            errors_total=(("auth", 1), ("timeout", 7)),
        ),
    )
    durations = (
        (Protocol.SNMP, DurationHistogram((0.5, 1.0, 5.0), (3, 9, 10), count=12, sum_s=21.5)),
        (Protocol.GNMI, DurationHistogram((0.5, 1.0, 5.0), (0, 0, 0))),
    )
    return MonitorView(
        built_at=NOW + 1,
        report=Report(evaluated_at=NOW, paths=paths, links=links),
        targets=targets,
        links=totals,
        poll_durations=durations,
        events=EventQueueStatus(connected=True, queued=4, published_total=120, dropped_total=1),
        shard_index=1,
        shard_count=4,
    )


def without_site(view: MonitorView, site: str) -> MonitorView:
    report = view.report
    return replace(
        view,
        report=replace(
            report,
            paths=tuple(p for p in report.paths if p.site != site),
            links=tuple(link for link in report.links if link.site != site),
        ),
        targets=tuple(t for t in view.targets if t.site != site),
        links=tuple(t for t in view.links if t.site != site),
    )


def exposition(registry: CollectorRegistry) -> str:
    """The Prometheus text format (0.0.4), as Prometheus 2 scrapes it by default."""
    return generate_latest(registry).decode("utf-8")


def openmetrics(registry: CollectorRegistry) -> str:
    return generate_openmetrics(registry).decode("utf-8")


def promtool_check(text: str) -> subprocess.CompletedProcess[str]:
    """``promtool check metrics`` over an exposition: lint problems on stderr, exit 1."""
    return subprocess.run(
        [PROMTOOL, "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
