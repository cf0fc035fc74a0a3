"""A fleet in every situation at once, as the exporter serves it, for the PromQL validity test.

:func:`every_situation` returns the view of five sites of the scenario network
in which every alert of ``rules/`` has its condition true and every metric of
docs/metrics.md has a sample, the per-prefix ones included. Counters grow with
the time given, fast enough that Prometheus's ``rate()`` and ``increase()`` over
their 5- and 30-minute windows pass the alert thresholds within seconds of the
first scrapes:

=========  ===============================================================
site-001   compliant; mpls flapping, inet with errors and discards, its
           gNMI target not answering for 400 s
site-002   legacy in drift with a wrong marking, one default prefix without
           a route, mpls saturated outwards
site-003   mpls down: legacy in failover, nothing redundant
site-004   inet's BGP session down over an interface that is up
site-005   router never answered: every path and link unknown
=========  ===============================================================
"""

from __future__ import annotations

from typing import Any

from sprmon.core.findings import LinkFinding, PathFinding, PathState, Report, Severity
from sprmon.core.monitor import (
    DurationHistogram,
    EventQueueStatus,
    LinkTotals,
    MonitorView,
    Protocol,
    TargetHealth,
)
from sprmon.lab.monitor_views import link_finding, path_finding

SITES = ("site-001", "site-002", "site-003", "site-004", "site-005")
LEGACY = ("10.0.21.0/24",)
DEFAULT = ("10.0.10.0/24", "10.0.30.0/24")
MPLS_BPS = 10_000_000
INET_BPS = 100_000_000
#: The evaluation is older than SprmonEvaluationStale's 15 minutes.
EVALUATION_AGE_S = 1000.0


def _paths() -> list[PathFinding]:
    ok, failover = PathState.COMPLIANT, PathState.FAILOVER
    # site-001: everything as intended.
    paths = [path_finding("site-001", "legacy", LEGACY[0], ok, expected="mpls", actual=("mpls",))]
    paths += [
        path_finding("site-001", "default", p, ok, expected="inet", actual=("inet",))
        for p in DEFAULT
    ]
    # site-002: the scenario's mistake (MED 300 on mpls) and a withdrawn prefix.
    paths += [
        path_finding(
            "site-002",
            "legacy",
            LEGACY[0],
            PathState.DRIFT,
            expected="mpls",
            actual=("inet",),
            marking_ok=False,
        ),
        path_finding("site-002", "default", DEFAULT[0], ok, expected="inet", actual=("inet",)),
        path_finding(
            "site-002",
            "default",
            DEFAULT[1],
            PathState.NO_ROUTE,
            expected="inet",
            actual=(),
            redundant=False,
            marking_ok=None,
        ),
    ]
    # site-003: mpls is down: legacy fails over, nothing has a backup.
    paths.append(
        path_finding(
            "site-003",
            "legacy",
            LEGACY[0],
            failover,
            expected="inet",
            actual=("inet",),
            redundant=False,
        )
    )
    paths += [
        path_finding(
            "site-003", "default", p, ok, expected="inet", actual=("inet",), redundant=False
        )
        for p in DEFAULT
    ]
    # site-004: inet's session is down: the default application fails over to mpls.
    paths.append(
        path_finding(
            "site-004", "legacy", LEGACY[0], ok, expected="mpls", actual=("mpls",), redundant=False
        )
    )
    paths += [
        path_finding(
            "site-004", "default", p, failover, expected="mpls", actual=("mpls",), redundant=False
        )
        for p in DEFAULT
    ]
    # site-005: never read.
    paths += [
        path_finding(
            "site-005",
            app,
            p,
            PathState.UNKNOWN,
            expected=None,
            actual=(),
            redundant=None,
            marking_ok=None,
        )
        for app, prefixes in (("legacy", LEGACY), ("default", DEFAULT))
        for p in prefixes
    ]
    return paths


def _link(
    site: str,
    name: str,
    *,
    utilization: tuple[float | None, float | None] = (0.2, 0.3),
    **changes: Any,
) -> LinkFinding:
    capacity = MPLS_BPS if name == "mpls" else INET_BPS
    return link_finding(site, name, capacity_bps=capacity, utilization=utilization, **changes)


def _links(now: float) -> list[LinkFinding]:
    day = now - 86_400
    unseen = (None, None)
    return [
        _link("site-001", "mpls", since=now - 60, severity=Severity.WARNING),
        _link("site-001", "inet", since=day, severity=Severity.CRITICAL),
        _link("site-002", "mpls", since=day, utilization=(0.4, 0.97), severity=Severity.CRITICAL),
        _link("site-002", "inet", since=day),
        _link(
            "site-003",
            "mpls",
            up=False,
            established=False,
            utilization=unseen,
            severity=Severity.CRITICAL,
        ),
        _link("site-003", "inet", since=day, utilization=(0.5, 0.3)),
        _link("site-004", "mpls", since=day, utilization=(0.85, 0.6), severity=Severity.WARNING),
        _link(
            "site-004",
            "inet",
            established=False,
            utilization=(0.001, 0.001),
            severity=Severity.CRITICAL,
        ),
        *(
            _link(
                site, name, up=None, established=None, utilization=unseen, severity=Severity.UNKNOWN
            )
            for site, name in (("site-005", "mpls"), ("site-005", "inet"))
        ),
    ]


def _totals(elapsed: float) -> list[LinkTotals]:
    """Monotonic totals that grow with ``elapsed`` seconds (rates per second below)."""

    def grow(per_s: float) -> int:
        return int(per_s * elapsed)

    totals = []
    for site in SITES[:4]:
        for name, bytes_per_s in (("mpls", 400_000.0), ("inet", 2_000_000.0)):
            totals.append(
                LinkTotals(
                    site,
                    name,
                    in_octets=1_000_000 + grow(bytes_per_s),
                    out_octets=2_000_000 + grow(bytes_per_s / 2),
                    in_errors=0,
                    out_errors=0,
                    in_discards=0,
                    out_discards=0,
                    session_flaps=0,
                )
            )
    # site-001: mpls flaps; inet has a critical error rate and discards. A rate over
    # a 5-minute window of a series a few seconds old is its increase / 300 s.
    totals[0] = LinkTotals(
        "site-001", "mpls", in_octets=grow(1000), out_octets=grow(1000), session_flaps=3 + grow(10)
    )
    totals[1] = LinkTotals(
        "site-001",
        "inet",
        in_octets=grow(10_000),
        out_octets=grow(10_000),
        in_errors=grow(100_000),
        out_errors=grow(1000),
        in_discards=grow(1000),
        out_discards=grow(1000),
        session_flaps=0,
    )
    return totals


def every_situation(now: float, elapsed: float) -> MonitorView:
    """The fleet at POSIX time ``now``, ``elapsed`` seconds after its counters started."""
    evaluated = now - EVALUATION_AGE_S
    targets = [
        TargetHealth(site, Protocol.SNMP, up=True, last_success_at=evaluated) for site in SITES[:4]
    ]
    # site-001's gNMI target fails since 400 s (its SNMP one still answers).
    targets.append(
        TargetHealth(
            "site-001",
            Protocol.GNMI,
            up=False,
            last_success_at=now - 400,
            last_error="connection refused",
            errors_total=(("unreachable", 1 + int(elapsed)),),
        )
    )
    targets.append(
        TargetHealth(
            "site-005",
            Protocol.SNMP,
            up=False,
            last_success_at=None,
            last_error="no answer within 1 s",
            errors_total=(("timeout", 5 + int(elapsed)),),
        )
    )
    durations = (
        (
            Protocol.SNMP,
            DurationHistogram(
                (0.1, 0.5, 1.0, 5.0),
                (int(elapsed), 2 * int(elapsed), 3 * int(elapsed), 4 * int(elapsed)),
                count=4 * int(elapsed) + 5,
                sum_s=1.5 * elapsed,
            ),
        ),
    )
    return MonitorView(
        built_at=evaluated,
        report=Report(evaluated_at=evaluated, paths=tuple(_paths()), links=tuple(_links(now))),
        targets=tuple(targets),
        links=tuple(_totals(elapsed)),
        poll_durations=durations,
        events=EventQueueStatus(
            connected=False,
            queued=12,
            published_total=100,
            dropped_total=int(10 * elapsed),
        ),
    )
