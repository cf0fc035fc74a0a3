"""The simulated WAN: sites, cores, BGP best paths, traffic and faults.

Pure and deterministic: no sockets, no asyncio, no clock. The caller says what
time it is (:meth:`WanModel.advance`, and ``now=`` on every change); the same
seed and the same calls give the same state, to the octet.

The network is the one of ``scenario.md``: every remote site (AS 65101,
65102, ...) has an ``mpls`` uplink (10 Mbps, ``eth1``, ifIndex 2) to
``core-mpls`` and an ``inet`` uplink (100 Mbps, ``eth2``, ifIndex 3) to
``core-inet``, both cores in AS 65000. The cores advertise the data-centre
prefixes with the scenario's MEDs; each site runs the BGP decision process
over what it receives, and its traffic (a fixed demand per prefix) follows
the best paths. The cores in turn receive every site's LAN prefix, over eBGP
from the site and over iBGP from the other core.

The model is a mutable simulation (state changes with time and faults); what
it hands out is frozen: :class:`~sprmon.core.observed.BgpPath`,
:class:`~sprmon.core.observed.BgpPeer`, :class:`~sprmon.core.observed.Interface`
and :class:`~sprmon.core.observed.SiteObservation`, the same types a collector
produces, so a collector test can compare what it read with what the lab holds.
"""

from __future__ import annotations

import ipaddress
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from sprmon.core.observed import (
    BgpPath,
    BgpPeer,
    Interface,
    OperStatus,
    Origin,
    PeerState,
    SiteObservation,
)
from sprmon.core.prefixes import Address, Prefix, canonical_prefix, prefix_version
from sprmon.lab.errors import FaultError

CORE_AS = 65000
FIRST_SITE_AS = 65101
#: Site LAN prefixes are /24s carved from 10.64.0.0/10, and the address plan
#: below has room for this many sites.
MAX_SITES = 10_000
#: Local preference every router applies to what it learns (the BGP default).
DEFAULT_LOCAL_PREF = 100
#: Traffic every link carries while it is up, in each direction (keepalives,
#: management): an idle link that is up does not look like a link that is down.
BACKGROUND_BPS = 16_000
#: Average packet size used to turn excess traffic into discarded packets.
PACKET_OCTETS = 1000
#: ``counter-wrap`` puts the octet counters this many seconds of traffic below
#: the wrap, so they wrap on one of the next ticks.
WRAP_AFTER_S = 5.0
#: MED that ``med-drift`` sets on the steered prefixes unless told otherwise:
#: the scenario's mistake (the backup MED).
DRIFT_MED = 300

MPLS = "mpls"
INET = "inet"
LINK_ROLES = (MPLS, INET)


class Fault(StrEnum):
    LINK_DOWN = "link-down"
    SESSION_DOWN = "session-down"
    MED_DRIFT = "med-drift"
    WITHDRAW = "withdraw"
    COUNTER_WRAP = "counter-wrap"
    REBOOT = "reboot"
    MUTE = "mute"
    GARBAGE = "garbage"


#: Faults that happen once (an event) rather than hold until cleared.
ONE_SHOT_FAULTS = frozenset({Fault.COUNTER_WRAP, Fault.REBOOT})
#: Faults of the SNMP agent, not of the simulated router.
AGENT_FAULTS = frozenset({Fault.MUTE, Fault.GARBAGE})
#: Faults that take a LINK argument.
LINK_FAULTS = frozenset({Fault.LINK_DOWN, Fault.SESSION_DOWN, Fault.MED_DRIFT, Fault.WITHDRAW})
#: What may happen to a core router (its per-site faults are injected at the site).
CORE_FAULTS = frozenset({Fault.COUNTER_WRAP, Fault.REBOOT, Fault.MUTE, Fault.GARBAGE})


@dataclass(frozen=True, slots=True)
class AppPlan:
    """One application of the scenario: its prefixes and the link it should use."""

    name: str
    prefixes: tuple[Prefix, ...]
    #: Preferred link first, then the fallback.
    links: tuple[str, ...]
    is_default: bool = False


APPLICATIONS = (
    AppPlan(
        "legacy",
        (canonical_prefix("10.0.21.0/24"), canonical_prefix("2001:db8:21::/48")),
        (MPLS, INET),
    ),
    AppPlan(
        "default",
        (
            canonical_prefix("10.0.10.0/24"),
            canonical_prefix("10.0.30.0/24"),
            canonical_prefix("2001:db8:10::/48"),
        ),
        (INET, MPLS),
        is_default=True,
    ),
)
#: Every data-centre prefix the cores advertise, in a fixed order.
DC_PREFIXES: tuple[Prefix, ...] = tuple(p for app in APPLICATIONS for p in app.prefixes)
#: The prefixes steered over mpls with MED 100.
STEERED_PREFIXES = frozenset(
    p for app in APPLICATIONS if app.links[0] == MPLS for p in app.prefixes
)
_APP_OF_PREFIX = {p: app for app in APPLICATIONS for p in app.prefixes}

#: (out, in) demand ranges in bit/s per (application, IP version); out is
#: site -> data centre. Chosen so that each link is well below capacity when
#: everything is fine and mpls saturates when it has to carry inet's traffic.
_DEMAND_RANGES: dict[tuple[str, int], tuple[tuple[int, int], tuple[int, int]]] = {
    ("legacy", 4): ((300_000, 1_500_000), (1_000_000, 3_000_000)),
    ("legacy", 6): ((100_000, 500_000), (200_000, 1_000_000)),
    ("default", 4): ((2_000_000, 8_000_000), (8_000_000, 25_000_000)),
    ("default", 6): ((1_000_000, 4_000_000), (3_000_000, 10_000_000)),
}


def core_med(role: str, prefix: Prefix) -> int:
    """The MED the core on ``role`` sets when nothing is wrong (scenario.md)."""
    if role == INET:
        return 200
    return 100 if prefix in STEERED_PREFIXES else 300


@dataclass(frozen=True, slots=True)
class Demand:
    """Traffic a site sends to (out) and receives from (in) one prefix, bit/s."""

    out_bps: int
    in_bps: int


@dataclass(frozen=True, slots=True)
class LinkPlan:
    """One uplink of one site, both ends."""

    role: str
    capacity_bps: int
    if_index: int
    if_name: str
    #: The site's address on the link (the core's BGP neighbour).
    site_address: Address
    #: The core's address: the site's BGP neighbour and IPv4 next hop.
    core_address: Address
    #: The core's IPv6 next hop (IPv6 prefixes ride the same session, MP-BGP).
    core_next_hop_v6: Address
    core: str
    core_if_index: int
    core_if_name: str


@dataclass(frozen=True, slots=True)
class SitePlan:
    name: str
    index: int
    asn: int
    router_id: Address
    lan_prefix: Prefix
    links: tuple[LinkPlan, ...]

    def link(self, role: str) -> LinkPlan:
        for link in self.links:
            if link.role == role:
                return link
        raise FaultError(f"unknown link {role!r}: a site has links {', '.join(LINK_ROLES)}")


@dataclass(frozen=True, slots=True)
class CorePlan:
    name: str
    role: str
    asn: int
    #: Router ID and iBGP address (loopback).
    router_id: Address


CORES = (
    CorePlan("core-mpls", MPLS, CORE_AS, Address("203.0.113.253")),
    CorePlan("core-inet", INET, CORE_AS, Address("203.0.113.254")),
)
_CORE_BY_ROLE = {core.role: core for core in CORES}
_CORE_BY_NAME = {core.name: core for core in CORES}
_INET_HUB = Address("203.0.113.1")
_INET_HUB_V6 = Address("2001:db8:2::1")
_LINK_SPECS = {
    # role: (capacity, ifIndex, ifName)
    MPLS: (10_000_000, 2, "eth1"),
    INET: (100_000_000, 3, "eth2"),
}


def site_name(index: int) -> str:
    return f"site-{index:03d}"


def _ipv4(value: int) -> Address:
    return Address(str(ipaddress.IPv4Address(value)))


def plan_site(index: int) -> SitePlan:
    """The addresses of site ``index`` (1-based).

    Each mpls link is its own /30 (in 198.51.100.0/24 for the first 64 sites,
    then in 198.18.0.0/16); the inet links are tunnels to one hub address,
    203.0.113.1, with site tunnel addresses in 198.19.0.0/16. These addresses
    only ever appear inside MIB rows; nothing is sent to them.
    """
    if not 1 <= index <= MAX_SITES:
        raise ValueError(f"site index {index} is outside 1..{MAX_SITES}")
    if index <= 64:
        base = int(ipaddress.IPv4Address("198.51.100.0")) + 4 * (index - 1)
    else:
        base = int(ipaddress.IPv4Address("198.18.0.0")) + 4 * (index - 65)
    lan = int(ipaddress.IPv4Address("10.64.0.0")) + 256 * index
    name = site_name(index)
    mpls_capacity, mpls_if, mpls_name = _LINK_SPECS[MPLS]
    inet_capacity, inet_if, inet_name = _LINK_SPECS[INET]
    links = (
        LinkPlan(
            role=MPLS,
            capacity_bps=mpls_capacity,
            if_index=mpls_if,
            if_name=mpls_name,
            site_address=_ipv4(base + 2),
            core_address=_ipv4(base + 1),
            core_next_hop_v6=Address(f"2001:db8:1:{index:x}::1"),
            core="core-mpls",
            core_if_index=index + 1,
            core_if_name=f"to-{name}",
        ),
        LinkPlan(
            role=INET,
            capacity_bps=inet_capacity,
            if_index=inet_if,
            if_name=inet_name,
            site_address=_ipv4(int(ipaddress.IPv4Address("198.19.0.0")) + index),
            core_address=_INET_HUB,
            core_next_hop_v6=_INET_HUB_V6,
            core="core-inet",
            core_if_index=index + 1,
            core_if_name=f"tun-{name}",
        ),
    )
    return SitePlan(
        name=name,
        index=index,
        asn=FIRST_SITE_AS + index - 1,
        router_id=_ipv4(lan + 1),
        lan_prefix=Prefix(f"{_ipv4(lan)}/24"),
        links=links,
    )


@dataclass(frozen=True, slots=True)
class ActiveFault:
    """A fault as injected: what, on which link, for which prefix, with which MED."""

    fault: Fault
    link: str | None = None
    prefix: Prefix | None = None
    med: int | None = None

    def describe(self) -> str:
        words = [str(self.fault)]
        if self.link is not None:
            words.append(self.link)
        if self.prefix is not None:
            words.append(self.prefix)
        if self.med is not None:
            words.append(f"MED {self.med}")
        return " ".join(words)


@dataclass(frozen=True, slots=True)
class RouterSummary:
    """What ``sprmon lab status`` shows for one router."""

    name: str
    kind: str  # "site" or "core"
    asn: int
    faults: tuple[str, ...]
    #: Site: link role -> session state; core: number of sessions per state.
    sessions: dict[str, str]
    #: Site only: IPv4 and IPv6 data-centre prefix -> link of the best path (None: no route).
    best_links: dict[str, str | None]


# --------------------------------------------------------------------------
# BGP decision process


@dataclass(frozen=True, slots=True)
class Candidate:
    """A received path with what the decision process needs beyond the path."""

    path: BgpPath
    ebgp: bool
    #: BGP identifier of the router that sent the path.
    router_id: Address


_ORIGIN_RANK = {Origin.IGP: 0, Origin.EGP: 1, Origin.INCOMPLETE: 2, None: 2}


def _keep_min(
    candidates: list[Candidate], key: Callable[[Candidate], tuple[int, ...]]
) -> list[Candidate]:
    best = min(key(c) for c in candidates)
    return [c for c in candidates if key(c) == best]


def _local_pref(path: BgpPath) -> int:
    return DEFAULT_LOCAL_PREF if path.local_pref is None else path.local_pref


def _address_key(address: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(address)
    return (ip.version, int(ip))


def select_best(candidates: Sequence[Candidate]) -> Candidate | None:
    """The BGP decision process (RFC 4271 9.1.2.2) over the paths to one prefix.

    Highest local preference, shortest AS path, lowest origin, lowest MED
    among paths from the same neighbouring AS (a missing MED counts as 0),
    eBGP over iBGP, lowest router ID, lowest peer address. IGP cost to the
    next hop is skipped: every next hop here is directly connected.
    """
    remaining = list(candidates)
    if not remaining:
        return None
    remaining = _keep_min(remaining, lambda c: (-_local_pref(c.path),))
    remaining = _keep_min(remaining, lambda c: (len(c.path.as_path),))
    remaining = _keep_min(remaining, lambda c: (_ORIGIN_RANK[c.path.origin],))

    # MED is only comparable between paths from the same neighbouring AS, so
    # this step removes paths instead of sorting them (it is not an order).
    def neighbour_as(c: Candidate) -> int | None:
        return c.path.as_path[0] if c.path.as_path else None

    remaining = [
        c
        for c in remaining
        if not any(
            neighbour_as(o) == neighbour_as(c) and (o.path.med or 0) < (c.path.med or 0)
            for o in remaining
        )
    ]
    if any(c.ebgp for c in remaining):
        remaining = [c for c in remaining if c.ebgp]
    remaining = _keep_min(remaining, lambda c: _address_key(c.router_id))
    remaining = _keep_min(remaining, lambda c: _address_key(c.path.peer))
    return remaining[0]


def mark_best(candidates: Iterable[Candidate]) -> tuple[BgpPath, ...]:
    """All paths, sorted by prefix and peer, with ``best`` set on each prefix's winner."""
    by_prefix: dict[Prefix, list[Candidate]] = {}
    for candidate in candidates:
        by_prefix.setdefault(candidate.path.prefix, []).append(candidate)
    result: list[BgpPath] = []
    for prefix in sorted(by_prefix, key=_prefix_key):
        group = sorted(by_prefix[prefix], key=lambda c: _address_key(c.path.peer))
        winner = select_best(group)
        for candidate in group:
            result.append(replace(candidate.path, best=candidate is winner))
    return tuple(result)


def _prefix_key(prefix: str) -> tuple[int, int, int]:
    network = ipaddress.ip_network(prefix)
    return (network.version, int(network.network_address), network.prefixlen)


# --------------------------------------------------------------------------
# Counters


@dataclass(frozen=True, slots=True)
class CounterValues:
    """Interface counters at one instant, unbounded (the MIB takes them modulo 2**N)."""

    in_octets: int
    out_octets: int
    in_discards: int
    out_discards: int
    in_errors: int
    out_errors: int


@dataclass(frozen=True, slots=True)
class Rates:
    """What an interface carries, per second."""

    in_bps: float = 0.0
    out_bps: float = 0.0
    in_discards_ps: float = 0.0
    out_discards_ps: float = 0.0


class _Counters:
    """Counters as a linear function of time between two changes of rate.

    Keeping (value at ``since``, rate) instead of adding to the counters on
    every tick makes a counter's value at any time exact and cheap, and it
    stops by itself when the rate is zero (a link that is down).
    """

    __slots__ = ("base", "rates", "since")

    def __init__(self, base: CounterValues, since: float) -> None:
        self.base = base
        self.since = since
        self.rates = Rates()

    def at(self, now: float) -> CounterValues:
        dt = max(0.0, now - self.since)
        r = self.rates
        b = self.base
        return CounterValues(
            in_octets=b.in_octets + math.floor(r.in_bps * dt / 8),
            out_octets=b.out_octets + math.floor(r.out_bps * dt / 8),
            in_discards=b.in_discards + math.floor(r.in_discards_ps * dt),
            out_discards=b.out_discards + math.floor(r.out_discards_ps * dt),
            in_errors=b.in_errors,
            out_errors=b.out_errors,
        )

    def set_rates(self, rates: Rates, now: float) -> None:
        if rates == self.rates:
            return
        self.base = self.at(now)
        self.since = now
        self.rates = rates

    def reset(self, values: CounterValues, now: float) -> None:
        self.base = values
        self.since = now


_ZERO = CounterValues(0, 0, 0, 0, 0, 0)


class _Interface:
    __slots__ = (
        "counters",
        "discontinuity",
        "if_type",
        "index",
        "name",
        "oper_up",
        "speed_bps",
    )

    def __init__(
        self,
        index: int,
        name: str,
        if_type: int,
        speed_bps: int,
        counters: _Counters,
    ) -> None:
        self.index = index
        self.name = name
        self.if_type = if_type
        self.speed_bps = speed_bps
        self.oper_up = True
        self.counters = counters
        #: When the counters last jumped (None: not since boot).
        self.discontinuity: float | None = None


IF_TYPE_ETHERNET = 6
IF_TYPE_LOOPBACK = 24
IF_TYPE_TUNNEL = 131


class _Session:
    """One BGP session, seen from both of its ends."""

    __slots__ = ("established", "since", "transitions")

    def __init__(self, since: float) -> None:
        self.established = True
        #: When the session last entered or left the established state.
        self.since = since
        #: bgpPeerFsmEstablishedTransitions, per end ("site"/"core" or router name).
        self.transitions: dict[str, int] = {}


class _Router:
    __slots__ = ("asn", "boot_time", "faults", "interfaces", "name", "router_id")

    def __init__(self, name: str, asn: int, router_id: Address, boot_time: float) -> None:
        self.name = name
        self.asn = asn
        self.router_id = router_id
        self.boot_time = boot_time
        self.interfaces: dict[int, _Interface] = {}
        self.faults: list[ActiveFault] = []


# --------------------------------------------------------------------------
# The model


@dataclass(frozen=True, slots=True)
class PeerInfo:
    """A BGP peer as a router's BGP4-MIB shows it (more than :class:`BgpPeer` holds)."""

    peer: BgpPeer
    local_address: Address
    #: The peer's BGP identifier while established, else None.
    identifier: Address | None
    established_transitions: int


class WanModel:
    """The whole simulated WAN. See the module docstring.

    ``start`` is the simulated time at creation (POSIX seconds); the routers
    have been up for a while by then (seed-dependent), with counters that
    started at seed-dependent values.
    """

    def __init__(self, *, sites: int, seed: int = 1, start: float) -> None:
        if not 1 <= sites <= MAX_SITES:
            raise ValueError(f"the lab simulates 1 to {MAX_SITES} sites, not {sites}")
        self.seed = seed
        self.now = start
        #: Increases on every change (time or faults): a cache of rendered
        #: state is valid while the generation it was made at is current.
        self.generation = 0
        self.sites: tuple[SitePlan, ...] = tuple(plan_site(i) for i in range(1, sites + 1))
        self.cores = CORES
        self._site_by_name = {s.name: s for s in self.sites}
        self._demand: dict[str, dict[Prefix, Demand]] = {}
        self._routers: dict[str, _Router] = {}
        self._sessions: dict[tuple[str, str], _Session] = {}
        self._paths: dict[str, tuple[BgpPath, ...]] = {}
        #: Core name -> site name -> the core's paths to that site's LAN.
        self._core_paths: dict[str, dict[str, tuple[BgpPath, ...]]] = {c.name: {} for c in CORES}

        for core in CORES:
            rng = self._rng("core", core.name)
            router = _Router(
                core.name, core.asn, core.router_id, start - rng.uniform(100, 200) * 86400
            )
            router.interfaces[1] = _Interface(
                1, "lo", IF_TYPE_LOOPBACK, 0, _Counters(_initial_counters(rng), start)
            )
            self._routers[core.name] = router
        core_boot = max(self._routers[c.name].boot_time for c in CORES)
        self._ibgp = _Session(core_boot + 60)
        self._ibgp.transitions = {c.name: 1 for c in CORES}

        for site in self.sites:
            rng = self._rng("site", site.name)
            boot = start - rng.uniform(1, 90) * 86400
            router = _Router(site.name, site.asn, site.router_id, boot)
            router.interfaces[1] = _Interface(
                1, "lo", IF_TYPE_LOOPBACK, 0, _Counters(_initial_counters(rng), start)
            )
            for link in site.links:
                router.interfaces[link.if_index] = _Interface(
                    link.if_index,
                    link.if_name,
                    IF_TYPE_ETHERNET,
                    link.capacity_bps,
                    _Counters(_initial_counters(rng), start),
                )
                core_router = self._routers[link.core]
                core_router.interfaces[link.core_if_index] = _Interface(
                    link.core_if_index,
                    link.core_if_name,
                    IF_TYPE_ETHERNET if link.role == MPLS else IF_TYPE_TUNNEL,
                    link.capacity_bps,
                    _Counters(_initial_counters(rng), start),
                )
                session = _Session(max(boot, core_router.boot_time) + rng.uniform(30, 600))
                session.transitions = {site.name: 1, link.core: rng.randint(1, 5)}
                self._sessions[(site.name, link.role)] = session
            self._routers[site.name] = router
            self._demand[site.name] = {p: self._draw_demand(site.name, p) for p in DC_PREFIXES}
            self._reconcile(site, start)

    # -- set-up helpers -----------------------------------------------------

    def _rng(self, *parts: str) -> random.Random:
        # A string seed is hashed with SHA-512 by random.Random: stable across
        # runs and independent of PYTHONHASHSEED and of the number of sites.
        return random.Random("/".join((str(self.seed), *parts)))

    def _draw_demand(self, site: str, prefix: Prefix) -> Demand:
        rng = self._rng("demand", site, prefix)
        app = _APP_OF_PREFIX[prefix]
        (out_lo, out_hi), (in_lo, in_hi) = _DEMAND_RANGES[(app.name, prefix_version(prefix))]
        return Demand(
            out_bps=rng.randrange(out_lo, out_hi, 1000), in_bps=rng.randrange(in_lo, in_hi, 1000)
        )

    # -- time ---------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Move the simulated clock to ``now`` (never backwards)."""
        if now < self.now:
            raise ValueError(f"time runs forwards: {now} is before the model's {self.now}")
        self.now = now
        self.generation += 1

    # -- faults -------------------------------------------------------------

    def inject(
        self,
        router: str,
        fault: Fault | str,
        *,
        link: str | None = None,
        prefix: str | None = None,
        med: int | None = None,
        now: float,
    ) -> ActiveFault:
        """Apply a fault at ``now``; return it as recorded.

        ``link`` defaults to ``mpls`` for the link faults. ``withdraw`` takes
        ``prefix`` (default: the first prefix of the application that does not
        prefer ``link``, i.e. the path that is that prefix's backup);
        ``med-drift`` takes ``med`` (default 300) and sets it on the steered
        prefixes. Raises :class:`FaultError` if the fault does not apply.
        """
        state = self._router(router)
        record = self._validate(router, fault, link=link, prefix=prefix, med=med)
        self.advance(now)
        if record.fault is Fault.REBOOT:
            self._reboot(state, now)
        elif record.fault is Fault.COUNTER_WRAP:
            self._wrap_counters(state, now)
        elif record not in state.faults:
            if record.fault is Fault.MED_DRIFT:
                # A new MED replaces the drift already set on that link.
                state.faults = [
                    f for f in state.faults if (f.fault, f.link) != (Fault.MED_DRIFT, record.link)
                ]
            state.faults.append(record)
        site = self._site_by_name.get(router)
        if site is not None:
            self._reconcile(site, now)
        return record

    def clear(self, router: str, *, now: float) -> tuple[ActiveFault, ...]:
        """Remove every fault of ``router``; return the ones removed.

        One-shot faults (``reboot``, ``counter-wrap``) are events, not states:
        there is nothing to undo.
        """
        state = self._router(router)
        self.advance(now)
        removed = tuple(state.faults)
        state.faults.clear()
        site = self._site_by_name.get(router)
        if site is not None:
            self._reconcile(site, now)
        return removed

    def faults(self, router: str) -> tuple[ActiveFault, ...]:
        return tuple(self._router(router).faults)

    def has_fault(self, router: str, fault: Fault) -> bool:
        return any(f.fault is fault for f in self._router(router).faults)

    def _validate(
        self,
        router: str,
        fault: Fault | str,
        *,
        link: str | None,
        prefix: str | None,
        med: int | None,
    ) -> ActiveFault:
        try:
            kind = Fault(fault)
        except ValueError:
            raise FaultError(
                f"unknown fault {fault!r}; faults are: {', '.join(f.value for f in Fault)}"
            ) from None
        if router in _CORE_BY_NAME and kind not in CORE_FAULTS:
            raise FaultError(
                f"{kind} happens on a site's link, not on a core router: inject it at the site "
                f"(a core takes {', '.join(sorted(CORE_FAULTS))})"
            )
        if kind not in LINK_FAULTS:
            if link is not None:
                raise FaultError(f"{kind} takes no link")
            link_role = None
        else:
            link_role = link or MPLS
            if link_role not in LINK_ROLES:
                raise FaultError(f"unknown link {link_role!r}; links are {', '.join(LINK_ROLES)}")
        if prefix is not None and kind is not Fault.WITHDRAW:
            raise FaultError(f"{kind} takes no prefix (only withdraw does)")
        if med is not None and kind is not Fault.MED_DRIFT:
            raise FaultError(f"{kind} takes no MED (only med-drift does)")
        fault_prefix: Prefix | None = None
        if kind is Fault.WITHDRAW:
            assert link_role is not None
            if prefix is None:
                fault_prefix = next(
                    app.prefixes[0] for app in APPLICATIONS if app.links[0] != link_role
                )
            else:
                try:
                    fault_prefix = canonical_prefix(prefix)
                except ValueError as exc:
                    raise FaultError(f"withdraw: {prefix!r} is not a prefix: {exc}") from exc
                if fault_prefix not in DC_PREFIXES:
                    raise FaultError(
                        f"withdraw: the cores do not advertise {fault_prefix}; "
                        f"they advertise {', '.join(DC_PREFIXES)}"
                    )
        fault_med: int | None = None
        if kind is Fault.MED_DRIFT:
            fault_med = DRIFT_MED if med is None else med
            if not 0 <= fault_med <= 2**32 - 1:
                raise FaultError(f"med-drift: MED {fault_med} is outside 0..4294967295")
        return ActiveFault(kind, link=link_role, prefix=fault_prefix, med=fault_med)

    def _router(self, name: str) -> _Router:
        try:
            return self._routers[name]
        except KeyError:
            raise FaultError(
                f"no router named {name!r} in this lab: sites are "
                f"{self.sites[0].name}..{self.sites[-1].name}, cores are "
                f"{', '.join(c.name for c in CORES)}"
            ) from None

    def _reboot(self, state: _Router, now: float) -> None:
        state.boot_time = now
        for interface in state.interfaces.values():
            interface.counters.reset(_ZERO, now)
            interface.discontinuity = None
        # The sessions drop and come straight back: their established time
        # restarts and the rebooted end counts its transitions from zero.
        for session, end in self._sessions_of(state.name):
            if session.established:
                session.since = now
                for other in session.transitions:
                    session.transitions[other] += 1
                session.transitions[end] = 1
            else:
                session.transitions[end] = 0

    def _sessions_of(self, router: str) -> list[tuple[_Session, str]]:
        if router in _CORE_BY_NAME:
            role = _CORE_BY_NAME[router].role
            sessions = [(self._sessions[(s.name, role)], router) for s in self.sites]
            return [*sessions, (self._ibgp, router)]
        return [(self._sessions[(router, role)], router) for role in LINK_ROLES]

    def _wrap_counters(self, state: _Router, now: float) -> None:
        for interface in state.interfaces.values():
            if interface.index == 1:
                continue
            values = interface.counters.at(now)
            rates = interface.counters.rates

            def below_wrap(rate_bps: float) -> int:
                margin = max(1, math.ceil(rate_bps / 8 * WRAP_AFTER_S))
                return 2**64 - margin

            interface.counters.reset(
                CounterValues(
                    in_octets=below_wrap(rates.in_bps),
                    out_octets=below_wrap(rates.out_bps),
                    in_discards=values.in_discards,
                    out_discards=values.out_discards,
                    in_errors=values.in_errors,
                    out_errors=values.out_errors,
                ),
                now,
            )
            # The jump itself is a discontinuity (a rate across it means
            # nothing); the wrap that follows is ordinary counter behaviour.
            interface.discontinuity = now

    # -- derived state ------------------------------------------------------

    def _link_up(self, site: str, role: str) -> bool:
        return not any(
            f.fault is Fault.LINK_DOWN and f.link == role for f in self._routers[site].faults
        )

    def _session_wanted(self, site: str, role: str) -> bool:
        return self._link_up(site, role) and not any(
            f.fault is Fault.SESSION_DOWN and f.link == role for f in self._routers[site].faults
        )

    def _advertised(self, site: str, role: str) -> dict[Prefix, int]:
        """What the core on ``role`` sends to ``site``: prefix -> MED."""
        faults = self._routers[site].faults
        withdrawn = {f.prefix for f in faults if f.fault is Fault.WITHDRAW and f.link == role}
        drift = next((f.med for f in faults if f.fault is Fault.MED_DRIFT and f.link == role), None)
        result: dict[Prefix, int] = {}
        for prefix in DC_PREFIXES:
            if prefix in withdrawn:
                continue
            if drift is not None and prefix in STEERED_PREFIXES:
                result[prefix] = drift
            else:
                result[prefix] = core_med(role, prefix)
        return result

    def _reconcile(self, site: SitePlan, now: float) -> None:
        """Bring sessions, paths and traffic of ``site`` in line with its faults."""
        router = self._routers[site.name]
        for link in site.links:
            session = self._sessions[(site.name, link.role)]
            wanted = self._session_wanted(site.name, link.role)
            if wanted != session.established:
                session.established = wanted
                session.since = now
                if wanted:
                    for end in session.transitions:
                        session.transitions[end] += 1
            up = self._link_up(site.name, link.role)
            router.interfaces[link.if_index].oper_up = up
            self._routers[link.core].interfaces[link.core_if_index].oper_up = up

        core_router_ids = {c.role: c.router_id for c in CORES}
        candidates: list[Candidate] = []
        for link in site.links:
            if not self._sessions[(site.name, link.role)].established:
                continue
            for prefix, med in self._advertised(site.name, link.role).items():
                v6 = prefix_version(prefix) == 6
                candidates.append(
                    Candidate(
                        BgpPath(
                            prefix=prefix,
                            peer=link.core_address,
                            next_hop=link.core_next_hop_v6 if v6 else link.core_address,
                            med=med,
                            local_pref=DEFAULT_LOCAL_PREF,
                            as_path=(CORE_AS,),
                            origin=Origin.IGP,
                        ),
                        ebgp=True,
                        router_id=core_router_ids[link.role],
                    )
                )
        self._paths[site.name] = mark_best(candidates)
        self._update_traffic(site, now)
        self._refresh_core_paths(site)

    def _update_traffic(self, site: SitePlan, now: float) -> None:
        demand_out = dict.fromkeys(LINK_ROLES, 0.0)
        demand_in = dict.fromkeys(LINK_ROLES, 0.0)
        link_of_peer = {link.core_address: link.role for link in site.links}
        for path in self._paths[site.name]:
            if path.best:
                role = link_of_peer[path.peer]
                demand = self._demand[site.name][path.prefix]
                demand_out[role] += demand.out_bps
                demand_in[role] += demand.in_bps
        router = self._routers[site.name]
        for link in site.links:
            site_if = router.interfaces[link.if_index]
            core_if = self._routers[link.core].interfaces[link.core_if_index]
            if not site_if.oper_up:
                site_if.counters.set_rates(Rates(), now)
                core_if.counters.set_rates(Rates(), now)
                continue
            up = demand_out[link.role] + BACKGROUND_BPS
            down = demand_in[link.role] + BACKGROUND_BPS
            capacity = link.capacity_bps
            carried_up, carried_down = float(min(up, capacity)), float(min(down, capacity))
            # Excess traffic is dropped at the sender's egress queue.
            up_drops = (up - carried_up) / (8 * PACKET_OCTETS)
            down_drops = (down - carried_down) / (8 * PACKET_OCTETS)
            site_if.counters.set_rates(
                Rates(in_bps=carried_down, out_bps=carried_up, out_discards_ps=up_drops), now
            )
            core_if.counters.set_rates(
                Rates(in_bps=carried_up, out_bps=carried_down, out_discards_ps=down_drops), now
            )

    def _refresh_core_paths(self, site: SitePlan) -> None:
        """The cores' paths to ``site``'s LAN, from the sessions of ``site``."""
        for core in CORES:
            other = _CORE_BY_ROLE[INET if core.role == MPLS else MPLS]
            own = site.link(core.role)
            candidates: list[Candidate] = []
            if self._sessions[(site.name, core.role)].established:
                candidates.append(
                    Candidate(
                        BgpPath(
                            prefix=site.lan_prefix,
                            peer=own.site_address,
                            next_hop=own.site_address,
                            local_pref=DEFAULT_LOCAL_PREF,
                            as_path=(site.asn,),
                            origin=Origin.IGP,
                        ),
                        ebgp=True,
                        router_id=site.router_id,
                    )
                )
            if self._ibgp.established and self._sessions[(site.name, other.role)].established:
                candidates.append(
                    Candidate(
                        BgpPath(
                            prefix=site.lan_prefix,
                            peer=other.router_id,
                            # iBGP keeps the eBGP next hop: the site's other address.
                            next_hop=site.link(other.role).site_address,
                            local_pref=DEFAULT_LOCAL_PREF,
                            as_path=(site.asn,),
                            origin=Origin.IGP,
                        ),
                        ebgp=False,
                        router_id=other.router_id,
                    )
                )
            self._core_paths[core.name][site.name] = mark_best(candidates)
            # Site LANs grow with the site number, so joining per-site paths
            # in site order keeps the table sorted; joined again on demand.
            self._paths.pop(core.name, None)

    # -- what the routers show ----------------------------------------------

    @property
    def router_names(self) -> tuple[str, ...]:
        """Every router: the sites in order, then the cores."""
        return (*(s.name for s in self.sites), *(c.name for c in CORES))

    def site(self, name: str) -> SitePlan:
        try:
            return self._site_by_name[name]
        except KeyError:
            raise FaultError(f"no site named {name!r} in this lab") from None

    def is_core(self, router: str) -> bool:
        return router in _CORE_BY_NAME

    def asn(self, router: str) -> int:
        return self._router(router).asn

    def router_id(self, router: str) -> Address:
        return self._router(router).router_id

    def uptime_ticks(self, router: str) -> int:
        """sysUpTime in hundredths of a second (unbounded; the MIB wraps it at 2**32)."""
        return max(0, math.floor((self.now - self._router(router).boot_time) * 100))

    def paths(self, router: str) -> tuple[BgpPath, ...]:
        """Every BGP path the router holds (IPv4 and IPv6), ``best`` set on the winners."""
        self._router(router)
        if router not in self._paths:
            self._paths[router] = tuple(
                path for paths in self._core_paths[router].values() for path in paths
            )
        return self._paths[router]

    def best_path(self, router: str, prefix: str) -> BgpPath | None:
        wanted = canonical_prefix(prefix)
        for path in self.paths(router):
            if path.prefix == wanted and path.best:
                return path
        return None

    def best_link(self, site: str, prefix: str) -> str | None:
        """The link the site's traffic to ``prefix`` leaves over; None if it has no route."""
        path = self.best_path(site, prefix)
        if path is None:
            return None
        for link in self.site(site).links:
            if link.core_address == path.peer:
                return link.role
        return None

    def demand(self, site: str, prefix: str) -> Demand:
        return self._demand[self.site(site).name][canonical_prefix(prefix)]

    def peers(self, router: str) -> tuple[PeerInfo, ...]:
        """The router's BGP peers, ordered by address (as in bgpPeerTable)."""
        state = self._router(router)
        result: list[PeerInfo] = []
        if router in _CORE_BY_NAME:
            core = _CORE_BY_NAME[router]
            other = _CORE_BY_ROLE[INET if core.role == MPLS else MPLS]
            for site in self.sites:
                link = site.link(core.role)
                result.append(
                    self._peer_info(
                        state,
                        self._sessions[(site.name, core.role)],
                        address=link.site_address,
                        local=link.core_address,
                        remote_as=site.asn,
                        identifier=site.router_id,
                    )
                )
            result.append(
                self._peer_info(
                    state,
                    self._ibgp,
                    address=other.router_id,
                    local=core.router_id,
                    remote_as=CORE_AS,
                    identifier=other.router_id,
                )
            )
        else:
            for link in self.site(router).links:
                result.append(
                    self._peer_info(
                        state,
                        self._sessions[(router, link.role)],
                        address=link.core_address,
                        local=link.site_address,
                        remote_as=CORE_AS,
                        identifier=_CORE_BY_ROLE[link.role].router_id,
                    )
                )
        return tuple(sorted(result, key=lambda p: _address_key(p.peer.address)))

    def _peer_info(
        self,
        state: _Router,
        session: _Session,
        *,
        address: Address,
        local: Address,
        remote_as: int,
        identifier: Address,
    ) -> PeerInfo:
        since = max(session.since, state.boot_time)
        return PeerInfo(
            peer=BgpPeer(
                address=address,
                state=PeerState.ESTABLISHED if session.established else PeerState.IDLE,
                remote_as=remote_as,
                established_for_s=float(math.floor(self.now - since)),
            ),
            local_address=local,
            identifier=identifier if session.established else None,
            established_transitions=session.transitions.get(state.name, 0),
        )

    def interfaces(self, router: str) -> tuple[Interface, ...]:
        """The router's interfaces with counters as of the model's time, by ifIndex."""
        state = self._router(router)
        result = []
        for index in sorted(state.interfaces):
            interface = state.interfaces[index]
            values = interface.counters.at(self.now)
            result.append(
                Interface(
                    index=index,
                    name=interface.name,
                    oper_status=OperStatus.UP if interface.oper_up else OperStatus.DOWN,
                    speed_bps=interface.speed_bps,
                    in_octets=values.in_octets % 2**64,
                    out_octets=values.out_octets % 2**64,
                    counter_bits=64,
                    in_errors=values.in_errors % 2**32,
                    out_errors=values.out_errors % 2**32,
                    in_discards=values.in_discards % 2**32,
                    out_discards=values.out_discards % 2**32,
                    discontinuity_ticks=self._discontinuity_ticks(state, interface),
                )
            )
        return tuple(result)

    def interface_type(self, router: str, if_index: int) -> int:
        return self._router(router).interfaces[if_index].if_type

    def _discontinuity_ticks(self, state: _Router, interface: _Interface) -> int:
        if interface.discontinuity is None:
            return 0
        return max(0, math.floor((interface.discontinuity - state.boot_time) * 100))

    def rates(self, router: str) -> dict[int, Rates]:
        """What each interface carries now, by ifIndex (for expectations in tests)."""
        state = self._router(router)
        return {index: i.counters.rates for index, i in sorted(state.interfaces.items())}

    def observation(self, router: str, *, ipv4_only: bool = False) -> SiteObservation:
        """What a perfect collector would read from ``router`` now.

        ``ipv4_only`` drops the IPv6 paths, which BGP4-MIB cannot show: that is
        what an SNMP collector can see.
        """
        paths = self.paths(router)
        if ipv4_only:
            paths = tuple(p for p in paths if prefix_version(p.prefix) == 4)
        return SiteObservation(
            site=router,
            collected_at=self.now,
            uptime_ticks=self.uptime_ticks(router) % 2**32,
            paths=paths,
            peers=tuple(p.peer for p in self.peers(router)),
            interfaces=self.interfaces(router),
        )

    def summary(self, router: str) -> RouterSummary:
        state = self._router(router)
        faults = tuple(f.describe() for f in state.faults)
        if router in _CORE_BY_NAME:
            counts: dict[str, int] = {}
            for info in self.peers(router):
                counts[info.peer.state.value] = counts.get(info.peer.state.value, 0) + 1
            return RouterSummary(
                name=router,
                kind="core",
                asn=state.asn,
                faults=faults,
                sessions={k: str(v) for k, v in sorted(counts.items())},
                best_links={},
            )
        site = self.site(router)
        return RouterSummary(
            name=router,
            kind="site",
            asn=state.asn,
            faults=faults,
            sessions={
                link.role: (
                    PeerState.ESTABLISHED
                    if self._sessions[(router, link.role)].established
                    else PeerState.IDLE
                ).value
                for link in site.links
            },
            best_links={p: self.best_link(router, p) for p in DC_PREFIXES},
        )


def _initial_counters(rng: random.Random) -> CounterValues:
    # Arbitrary starting values, as on a router that has been up for a while;
    # below 2**40 so that a 64-bit counter never wraps by itself.
    return CounterValues(
        in_octets=rng.randrange(2**40),
        out_octets=rng.randrange(2**40),
        in_discards=rng.randrange(10_000),
        out_discards=rng.randrange(10_000),
        in_errors=rng.randrange(1_000),
        out_errors=rng.randrange(1_000),
    )
