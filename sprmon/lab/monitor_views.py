"""Monitor views made of plain data, for the exporters' benchmarks and tests.

The exporters publish whatever :class:`~sprmon.core.monitor.MonitorView` the
daemon built. To measure or test them without a daemon (``bench/bench_prometheus.py``,
``tests/exporters``, ``tests/alerting``), a view is built here from findings
with the defaults of a healthy site (a compliant path over mpls, a link up with
its BGP session established), or as a whole fleet of any size. Pure: no I/O.
"""

from __future__ import annotations

import functools

from sprmon.core.findings import LinkFinding, PathFinding, PathState, Report, Severity
from sprmon.core.monitor import LinkTotals, MonitorView, Protocol, TargetHealth
from sprmon.core.prefixes import canonical_prefix

#: Fleets repeat their prefixes at every site: each is made canonical once.
_canonical = functools.lru_cache(maxsize=4096)(canonical_prefix)

#: The severity the evaluation gives each path state, unless a caller says otherwise.
SEVERITY_OF_STATE = {
    PathState.COMPLIANT: Severity.OK,
    PathState.FAILOVER: Severity.WARNING,
    PathState.DRIFT: Severity.CRITICAL,
    PathState.NO_ROUTE: Severity.CRITICAL,
    PathState.UNKNOWN: Severity.UNKNOWN,
}


def path_finding(
    site: str,
    app: str,
    prefix: str,
    state: PathState = PathState.COMPLIANT,
    *,
    expected: str | None = "mpls",
    actual: tuple[str, ...] = ("mpls",),
    redundant: bool | None = True,
    marking_ok: bool | None = True,
    severity: Severity | None = None,
    explanation: str | None = None,
) -> PathFinding:
    """A path finding; ``severity`` defaults to the state's, ``explanation`` to a free
    text that must never reach a metric label (tests look for its word "explanation")."""
    return PathFinding(
        site=site,
        app=app,
        prefix=_canonical(prefix),
        state=state,
        severity=SEVERITY_OF_STATE[state] if severity is None else severity,
        expected_link=expected,
        actual_links=actual,
        redundant=redundant,
        marking_ok=marking_ok,
        explanation=(
            f"{state.value}: the explanation a person reads" if explanation is None else explanation
        ),
    )


def link_finding(
    site: str,
    link: str,
    *,
    severity: Severity = Severity.OK,
    up: bool | None = True,
    established: bool | None = True,
    since: float | None = None,
    capacity_bps: int = 10_000_000,
    rates_bps: tuple[float | None, float | None] = (None, None),
    utilization: tuple[float | None, float | None] = (None, None),
    error_rate: float | None = None,
    discard_rate: float | None = None,
) -> LinkFinding:
    """A link finding: up, its session established (``since``), no rate seen unless given
    (``rates_bps`` and ``utilization`` are in, out)."""
    return LinkFinding(
        site=site,
        link=link,
        severity=severity,
        oper_up=up,
        bgp_established=established,
        established_since=since,
        capacity_bps=capacity_bps,
        in_bps=rates_bps[0],
        out_bps=rates_bps[1],
        utilization_in=utilization[0],
        utilization_out=utilization[1],
        error_rate=error_rate,
        discard_rate=discard_rate,
    )


def typical_fleet(sites: int, apps: int, prefixes: int, *, now: float) -> MonitorView:
    """``sites`` healthy sites as docs/metrics.md counts their series: ``apps``
    applications of ``prefixes`` prefixes each, compliant over mpls; mpls and inet
    with every rate and counter seen; one SNMP target with one error reason."""
    paths: list[PathFinding] = []
    links: list[LinkFinding] = []
    totals: list[LinkTotals] = []
    targets: list[TargetHealth] = []
    prefix_names = [[f"10.{a}.{p}.0/24" for p in range(prefixes)] for a in range(apps)]
    for n in range(sites):
        site = f"site-{n:05d}"
        for a in range(apps):
            paths.extend(
                path_finding(site, f"app{a}", prefix, explanation="") for prefix in prefix_names[a]
            )
        for link in ("mpls", "inet"):
            links.append(
                link_finding(
                    site,
                    link,
                    since=now,
                    rates_bps=(1e6, 2e6),
                    utilization=(0.1, 0.2),
                    error_rate=0.0,
                    discard_rate=0.0,
                )
            )
            totals.append(LinkTotals(site, link, 10**9, 2 * 10**9, 0, 1, 2, 0, 0))
        targets.append(TargetHealth(site, Protocol.SNMP, True, now, None, (("timeout", 1),)))
    return MonitorView(
        built_at=now,
        report=Report(now, tuple(paths), tuple(links)),
        targets=tuple(targets),
        links=tuple(totals),
    )
