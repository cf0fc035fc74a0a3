"""Five sites of the scenario network served by sprmon's exporter, with faults injected by hand.

``ScriptedFleet`` holds each site's faults and builds the ``MonitorView`` the
daemon would publish for them: ``med-drift`` puts the legacy prefix in drift
with a wrong marking, ``link-down`` takes a link and its session down and moves
the prefixes that preferred it to the other link (failover, no backup).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sprmon.core.findings import LinkFinding, PathFinding, PathState, Report, Severity
from sprmon.core.monitor import LinkTotals, MonitorView, Protocol, TargetHealth
from sprmon.core.prefixes import canonical_prefix
from sprmon.exporters.prometheus import build_registry
from sprmon.exporters.web import MetricsServer

SITES = tuple(f"site-{n:03}" for n in range(1, 6))
#: application -> (prefixes, links in order of preference)
APPS = {
    "legacy": (("10.0.21.0/24",), ("mpls", "inet")),
    "default": (("10.0.10.0/24", "10.0.30.0/24"), ("inet", "mpls")),
}
CAPACITY = {"mpls": 10_000_000, "inet": 100_000_000}


@dataclass
class ScriptedFleet:
    faults: dict[str, set[str]] = field(default_factory=dict)
    started: float = field(default_factory=time.time)

    def inject(self, site: str, fault: str, link: str = "mpls") -> None:
        self.faults.setdefault(site, set()).add(f"{fault} {link}")

    def clear(self, site: str) -> None:
        self.faults.pop(site, None)

    def view(self) -> MonitorView:
        now = time.time()
        paths: list[PathFinding] = []
        links: list[LinkFinding] = []
        for site in SITES:
            faults = self.faults.get(site, set())
            down = {f.split()[1] for f in faults if f.startswith("link-down")}
            drift = "med-drift mpls" in faults
            links += [_link(site, name, name not in down) for name in CAPACITY]
            for app, (prefixes, order) in APPS.items():
                usable = [link for link in order if link not in down]
                for prefix in prefixes:
                    paths.append(_path(site, app, prefix, order, usable, drift=drift))
        elapsed = int(now - self.started)
        return MonitorView(
            built_at=now,
            report=Report(evaluated_at=now, paths=tuple(paths), links=tuple(links)),
            targets=tuple(
                TargetHealth(s, Protocol.SNMP, up=True, last_success_at=now) for s in SITES
            ),
            links=tuple(
                LinkTotals(s, name, in_octets=1000 * elapsed, out_octets=500 * elapsed)
                for s in SITES
                for name in CAPACITY
            ),
        )


def _path(
    site: str, app: str, prefix: str, order: tuple[str, ...], usable: list[str], *, drift: bool
) -> PathFinding:
    expected = usable[0] if usable else None
    if drift and app == "legacy" and expected == "mpls":
        state, actual, marking_ok, severity = PathState.DRIFT, "inet", False, Severity.CRITICAL
    elif expected == order[0]:
        state, actual, marking_ok, severity = PathState.COMPLIANT, expected, True, Severity.OK
    else:
        state, actual, marking_ok, severity = PathState.FAILOVER, expected, None, Severity.WARNING
    return PathFinding(
        site=site,
        app=app,
        prefix=canonical_prefix(prefix),
        state=state,
        severity=severity,
        expected_link=expected,
        actual_links=(actual,) if actual else (),
        redundant=len(usable) > 1,
        marking_ok=marking_ok,
        explanation=state.value,
    )


def _link(site: str, name: str, up: bool) -> LinkFinding:
    return LinkFinding(
        site=site,
        link=name,
        severity=Severity.OK if up else Severity.CRITICAL,
        oper_up=up,
        bgp_established=up,
        established_since=None,
        capacity_bps=CAPACITY[name],
        in_bps=None,
        out_bps=None,
        utilization_in=0.1 if up else None,
        utilization_out=0.1 if up else None,
        error_rate=None,
        discard_rate=None,
    )


@contextlib.asynccontextmanager
async def serve_scripted_fleet() -> AsyncIterator[tuple[ScriptedFleet, list[str]]]:
    """The fleet and the scrape targets (HOST:PORT) of its exporter, per-prefix metrics on."""
    fleet = ScriptedFleet()
    registry = build_registry(fleet.view, per_prefix=True)
    async with MetricsServer(registry, port=0) as server:
        yield fleet, [f"127.0.0.1:{server.port}"]
