"""Plain-data builders for the scenario network (docs: /work/shared/reference/scenario.md).

Every remote site ``branch-NN`` has two links: ``mpls`` (10 Mbit/s, neighbour
``10.100.N.1``, interface ``Gi0/0/0`` ifIndex 1) and ``inet`` (100 Mbit/s,
neighbour ``10.200.N.1``, interface ``Tunnel100`` ifIndex 2). The core routers
set MED 100 on steered prefixes via mpls, MED 300 on the rest via mpls and
MED 200 on everything via inet.

Two applications: ``legacy`` (steered to mpls, IPv4 and IPv6) and the default
application (everything else, inet first). Builders take keyword overrides so
a test states only what differs from a healthy site.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from sprmon.core.intent import (
    Application,
    Intent,
    LinkRole,
    Marking,
    Site,
    SiteLink,
    Thresholds,
)
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
from sprmon.core.prefixes import Address, canonical_address, canonical_prefix

NOW = 1_700_000_000.0
CORE_AS = 65000

LEGACY_V4 = canonical_prefix("10.0.21.0/24")
LEGACY_V6 = canonical_prefix("2001:db8:21::/48")
DC_V4 = canonical_prefix("10.0.0.0/16")
DC_V6 = canonical_prefix("2001:db8::/32")

MPLS_CAPACITY = 10_000_000
INET_CAPACITY = 100_000_000

#: MEDs the core routers set (scenario.md).
MED_INET = 200
MED_MPLS_BACKUP = 300
MED_MPLS_STEERED = 100


def site_name(n: int) -> str:
    return f"branch-{n:02d}"


def peer_address(link: str, n: int = 1) -> Address:
    """The core router a site's session over ``link`` goes to."""
    second = {"mpls": 100, "inet": 200, "lte": 150}[link]
    return canonical_address(f"10.{second}.{n % 256}.{1 + n // 256}")


def site(n: int = 1, *, lte: bool = False) -> Site:
    links = [
        SiteLink(
            role="mpls",
            capacity_bps=MPLS_CAPACITY,
            neighbors=(peer_address("mpls", n),),
            next_hops=(peer_address("mpls", n),),
            interface_name="Gi0/0/0",
            interface_index=1,
        ),
        SiteLink(
            role="inet",
            capacity_bps=INET_CAPACITY,
            neighbors=(peer_address("inet", n),),
            interface_name="Tunnel100",
            interface_index=2,
        ),
    ]
    if lte:
        links.append(
            SiteLink(
                role="lte",
                capacity_bps=20_000_000,
                neighbors=(peer_address("lte", n),),
                interface_name="Cellular0",
                interface_index=3,
            )
        )
    return Site(name=site_name(n), links=tuple(links))


def legacy_app(**overrides: object) -> Application:
    app = Application(
        name="legacy",
        prefixes=(LEGACY_V4, LEGACY_V6),
        links=("mpls", "inet"),
        marking={"mpls": Marking(med=MED_MPLS_STEERED), "inet": Marking(med=MED_INET)},
    )
    return replace(app, **overrides)  # type: ignore[arg-type]


def default_app(**overrides: object) -> Application:
    app = Application(
        name="default",
        prefixes=(DC_V4, DC_V6),
        links=("inet", "mpls"),
        is_default=True,
    )
    return replace(app, **overrides)  # type: ignore[arg-type]


def intent(
    sites: int | Sequence[Site] = 1,
    *,
    applications: Sequence[Application] | None = None,
    thresholds: Thresholds | None = None,
) -> Intent:
    site_list = [site(n) for n in range(1, sites + 1)] if isinstance(sites, int) else sites
    apps = (default_app(), legacy_app()) if applications is None else applications
    return Intent(
        links=(LinkRole("mpls"), LinkRole("inet"), LinkRole("lte")),
        applications=tuple(apps),
        sites=tuple(site_list),
        thresholds=thresholds or Thresholds(),
        source="tests/factories.py",
    )


def path(
    prefix: str,
    via: str,
    *,
    n: int = 1,
    med: int | None = None,
    best: bool = False,
    multipath: bool = False,
    peer: str | None = None,
    next_hop: str | None = None,
    local_pref: int | None = None,
    as_path: tuple[int, ...] = (CORE_AS,),
    communities: tuple[str, ...] = (),
    origin: Origin | None = Origin.IGP,
) -> BgpPath:
    """A path to ``prefix`` received over link ``via`` of site ``n`` (or from ``peer``)."""
    address = canonical_address(peer) if peer is not None else peer_address(via, n)
    return BgpPath(
        prefix=canonical_prefix(prefix),
        peer=address,
        next_hop=canonical_address(next_hop) if next_hop is not None else address,
        med=med,
        local_pref=local_pref,
        as_path=as_path,
        communities=communities,
        origin=origin,
        best=best,
        multipath=multipath,
    )


def steered_paths(prefix: str, n: int = 1) -> tuple[BgpPath, BgpPath]:
    """A steered prefix as designed: MED 100 via mpls (best), MED 200 via inet."""
    return (
        path(prefix, "mpls", n=n, med=MED_MPLS_STEERED, best=True),
        path(prefix, "inet", n=n, med=MED_INET),
    )


def default_paths(prefix: str, n: int = 1) -> tuple[BgpPath, BgpPath]:
    """An unsteered prefix as designed: MED 200 via inet (best), MED 300 via mpls."""
    return (
        path(prefix, "inet", n=n, med=MED_INET, best=True),
        path(prefix, "mpls", n=n, med=MED_MPLS_BACKUP),
    )


def healthy_paths(n: int = 1) -> tuple[BgpPath, ...]:
    return (
        *steered_paths(LEGACY_V4, n),
        *steered_paths(LEGACY_V6, n),
        *default_paths(DC_V4, n),
        *default_paths(DC_V6, n),
    )


def peers(
    n: int = 1,
    *,
    mpls: PeerState = PeerState.ESTABLISHED,
    inet: PeerState = PeerState.ESTABLISHED,
    established_for_s: float = 3600.0,
) -> tuple[BgpPeer, ...]:
    def one(link: str, state: PeerState) -> BgpPeer:
        up = established_for_s if state is PeerState.ESTABLISHED else None
        return BgpPeer(peer_address(link, n), state, remote_as=CORE_AS, established_for_s=up)

    return (one("mpls", mpls), one("inet", inet))


def interface(
    link: str,
    *,
    oper: OperStatus = OperStatus.UP,
    in_octets: int | None = 0,
    out_octets: int | None = 0,
    errors: tuple[int | None, int | None] = (0, 0),
    discards: tuple[int | None, int | None] = (0, 0),
    counter_bits: int = 64,
    discontinuity_ticks: int | None = None,
    speed_bps: int | None = None,
) -> Interface:
    index, name, speed = {
        "mpls": (1, "Gi0/0/0", 1_000_000_000),
        "inet": (2, "Tunnel100", 1_000_000_000),
        "lte": (3, "Cellular0", 100_000_000),
    }[link]
    return Interface(
        index=index,
        name=name,
        oper_status=oper,
        speed_bps=speed if speed_bps is None else speed_bps,
        in_octets=in_octets,
        out_octets=out_octets,
        counter_bits=counter_bits,
        in_errors=errors[0],
        out_errors=errors[1],
        in_discards=discards[0],
        out_discards=discards[1],
        discontinuity_ticks=discontinuity_ticks,
    )


def interfaces(
    *, mpls: OperStatus = OperStatus.UP, inet: OperStatus = OperStatus.UP
) -> tuple[Interface, ...]:
    return (interface("mpls", oper=mpls), interface("inet", oper=inet))


def observation(
    n: int = 1,
    *,
    at: float = NOW,
    paths: Iterable[BgpPath] | None = None,
    peers_: Iterable[BgpPeer] | None = None,
    interfaces_: Iterable[Interface] | None = None,
    uptime_ticks: int | None = 1_000_000,
    error: str | None = None,
) -> SiteObservation:
    """A poll of site ``n``; anything not given is the healthy default."""
    return SiteObservation(
        site=site_name(n),
        collected_at=at,
        uptime_ticks=uptime_ticks,
        paths=tuple(healthy_paths(n) if paths is None else paths),
        peers=tuple(peers(n) if peers_ is None else peers_),
        interfaces=tuple(interfaces() if interfaces_ is None else interfaces_),
        error=error,
    )


def snapshot(*observations: SiteObservation) -> Snapshot:
    return Snapshot(observations=observations, taken_at=NOW)
