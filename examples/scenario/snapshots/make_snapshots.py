"""Build the example snapshots for examples/scenario/intent.yaml.

Run from anywhere: ``python examples/scenario/snapshots/make_snapshots.py [OUT_DIR]``
(default: this script's folder). The output is deterministic, so the shipped
files can be checked against a fresh run (tests/test_snapshot.py).

Every site is polled twice, 60 s apart, so that counters give link rates. The
core routers send MED 200 from core-inet on every prefix, MED 300 from
core-mpls on the default application's prefixes and MED 100 from core-mpls on
the legacy prefixes, unless a site's story below says otherwise.

- compliant.json: all five branches as intended.
- mixed.json (the demo):
    branch-01 compliant;
    branch-02 failover: the mpls interface is down, its sessions idle, legacy via inet;
    branch-03 drift: core-mpls sends MED 300 on legacy, so legacy leaves via inet
              although mpls is up and established (the legacy traffic shows on inet);
    branch-04 no backup: core-mpls does not advertise 10.0.30.0/24;
    branch-05 wrong marking: MED 150 on legacy via mpls (still wins, but is not
              the intended 100), and mpls carries 9 Mbps of 10 (90 %: a warning).
- before.json / after.json: a maintenance window. Before, core-mpls withholds
  the default application's prefixes from branch-02 (no backup); after, that is
  fixed but branch-03 drifts (MED 300 on legacy), for ``sprmon diff``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from sprmon.core.observed import (
    BgpPath,
    BgpPeer,
    Interface,
    OperStatus,
    Origin,
    PeerState,
    SiteObservation,
    Snapshot,
)
from sprmon.core.prefixes import canonical_address, canonical_prefix
from sprmon.snapshot import dump_snapshot, parse_time

CORE_AS = 65000
SITE_AS_BASE = 65100
INTERVAL_S = 60.0
SOURCE = "examples/scenario/snapshots/make_snapshots.py"

LEGACY = ("10.0.21.0/24", "2001:db8:21::/48")
DEFAULT = ("10.0.10.0/24", "10.0.30.0/24", "2001:db8:10::/48")
INET_V4, INET_V6 = "203.0.113.1", "2001:db8:200::1"
MPLS_V6 = "2001:db8:100::1"
MBPS = 1_000_000


def mpls_v4(site: int) -> str:
    """core-mpls's address for branch-NN: 198.51.100.1, .5, .9, .13, .17."""
    return f"198.51.100.{4 * (site - 1) + 1}"


@dataclass(frozen=True)
class Traffic:
    """Average rates over the 60 s between the two polls, in bit/s."""

    mpls_in: float = 3 * MBPS
    mpls_out: float = 1 * MBPS
    inet_in: float = 40 * MBPS
    inet_out: float = 8 * MBPS


@dataclass(frozen=True)
class Branch:
    """One branch's situation; the defaults are a healthy, compliant site."""

    number: int
    mpls_up: bool = True
    #: MED core-mpls sets on the legacy prefixes (100 as intended).
    legacy_mpls_med: int = 100
    #: Prefixes core-mpls does not advertise to this site.
    mpls_withheld: frozenset[str] = field(default_factory=frozenset)
    traffic: Traffic = Traffic()

    @property
    def name(self) -> str:
        return f"branch-{self.number:02d}"


def _path(prefix: str, peer: str, med: int, *, best: bool) -> BgpPath:
    address = canonical_address(peer)
    return BgpPath(
        prefix=canonical_prefix(prefix),
        peer=address,
        next_hop=address,
        med=med,
        as_path=(CORE_AS,),
        origin=Origin.IGP,
        best=best,
    )


def _paths(branch: Branch) -> tuple[BgpPath, ...]:
    paths: list[BgpPath] = []
    for prefix in LEGACY + DEFAULT:
        v6 = ":" in prefix
        inet_peer = INET_V6 if v6 else INET_V4
        mpls_peer = MPLS_V6 if v6 else mpls_v4(branch.number)
        mpls_med = branch.legacy_mpls_med if prefix in LEGACY else 300
        offers: list[tuple[str, int]] = [(inet_peer, 200)]
        if branch.mpls_up and prefix not in branch.mpls_withheld:
            offers.append((mpls_peer, mpls_med))
        # Same local-pref, AS-path length and origin: the lowest MED wins, the
        # first offer (inet) on a tie, like the older path would.
        best_med = min(med for _, med in offers)
        best_peer = next(peer for peer, med in offers if med == best_med)
        paths.extend(_path(prefix, peer, med, best=peer == best_peer) for peer, med in offers)
    return tuple(paths)


def _peers(branch: Branch, uptime_s: float) -> tuple[BgpPeer, ...]:
    def peer(address: str, up: bool) -> BgpPeer:
        return BgpPeer(
            address=canonical_address(address),
            state=PeerState.ESTABLISHED if up else PeerState.IDLE,
            remote_as=CORE_AS,
            established_for_s=uptime_s - 300.0 if up else None,
        )

    return (
        peer(mpls_v4(branch.number), branch.mpls_up),
        peer(MPLS_V6, branch.mpls_up),
        peer(INET_V4, True),
        peer(INET_V6, True),
    )


def _interfaces(branch: Branch, elapsed_s: float) -> tuple[Interface, ...]:
    """Counters after ``elapsed_s`` seconds of the branch's traffic."""
    base = 10**9 * branch.number

    def octets(rate_bps: float) -> int:
        return base + round(rate_bps / 8 * elapsed_s)

    traffic = branch.traffic
    return (
        Interface(index=1, name="lo", oper_status=OperStatus.UP),
        Interface(
            index=2,
            name="eth1",
            oper_status=OperStatus.UP if branch.mpls_up else OperStatus.DOWN,
            speed_bps=10 * MBPS,
            in_octets=octets(traffic.mpls_in),
            out_octets=octets(traffic.mpls_out),
            in_errors=0,
            out_errors=0,
            in_discards=0,
            out_discards=0,
        ),
        Interface(
            index=3,
            name="eth2",
            oper_status=OperStatus.UP,
            speed_bps=100 * MBPS,
            in_octets=octets(traffic.inet_in),
            out_octets=octets(traffic.inet_out),
            in_errors=0,
            out_errors=0,
            in_discards=0,
            out_discards=0,
        ),
    )


def snapshot(branches: list[Branch], taken_at: str) -> Snapshot:
    """Two polls of every branch, the second at ``taken_at``."""
    end = parse_time(taken_at)
    observations: list[SiteObservation] = []
    for poll in (0, 1):
        collected_at = end - INTERVAL_S * (1 - poll)
        for branch in branches:
            # Routers booted ten days (plus a few minutes per branch) before the first poll.
            uptime_s = 10 * 86400.0 + 60.0 * branch.number + INTERVAL_S * poll
            observations.append(
                SiteObservation(
                    site=branch.name,
                    collected_at=collected_at,
                    uptime_ticks=round(uptime_s * 100),
                    paths=_paths(branch),
                    peers=_peers(branch, uptime_s),
                    interfaces=_interfaces(branch, INTERVAL_S * poll),
                )
            )
    return Snapshot(observations=tuple(observations), taken_at=end, source=SOURCE)


def _legacy_on_inet(*, mpls_down: bool = False) -> Traffic:
    """The legacy traffic moved from mpls to inet: mpls idles (or is down), inet carries it."""
    usual = Traffic()
    return Traffic(
        mpls_in=0.0 if mpls_down else 0.02 * MBPS,
        mpls_out=0.0 if mpls_down else 0.01 * MBPS,
        inet_in=usual.inet_in + usual.mpls_in,
        inet_out=usual.inet_out + usual.mpls_out,
    )


def compliant() -> Snapshot:
    return snapshot([Branch(n) for n in range(1, 6)], "2026-11-25T19:32:10Z")


def mixed() -> Snapshot:
    branches = [
        Branch(1),
        Branch(2, mpls_up=False, traffic=_legacy_on_inet(mpls_down=True)),
        Branch(3, legacy_mpls_med=300, traffic=_legacy_on_inet()),
        Branch(4, mpls_withheld=frozenset({"10.0.30.0/24"})),
        Branch(5, legacy_mpls_med=150, traffic=Traffic(mpls_in=9 * MBPS, mpls_out=2 * MBPS)),
    ]
    return snapshot(branches, "2026-11-25T19:32:10Z")


def before() -> Snapshot:
    branches = [Branch(n) for n in range(1, 6)]
    branches[1] = Branch(2, mpls_withheld=frozenset(DEFAULT))
    return snapshot(branches, "2026-11-25T21:55:00Z")


def after() -> Snapshot:
    branches = [Branch(n) for n in range(1, 6)]
    branches[2] = Branch(3, legacy_mpls_med=300, traffic=_legacy_on_inet())
    return snapshot(branches, "2026-11-26T02:05:00Z")


SNAPSHOTS = {
    "compliant.json": compliant,
    "mixed.json": mixed,
    "before.json": before,
    "after.json": after,
}


def write_all(folder: Path) -> list[Path]:
    written = []
    for name, build in SNAPSHOTS.items():
        target = folder / name
        dump_snapshot(build(), target)
        written.append(target)
    return written


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    for path in write_all(out):
        print(path)
