"""The lab's network on paper: applications, MEDs, routers and addresses.

The network of ``scenario.md``: every remote site (AS 65101, 65102, ...) has
an ``mpls`` uplink (10 Mbps, ``eth1``, ifIndex 2) to ``core-mpls`` and an
``inet`` uplink (100 Mbps, ``eth2``, ifIndex 3) to ``core-inet``, both cores
in AS 65000. The cores advertise the data-centre prefixes with the scenario's
MEDs. Nothing here changes while a lab runs; :mod:`sprmon.lab.model` holds
what does.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sprmon.core.prefixes import Address, Prefix, canonical_prefix
from sprmon.lab.errors import FaultError

CORE_AS = 65000
FIRST_SITE_AS = 65101
#: Site LAN prefixes are /24s carved from 10.64.0.0/10, and the address plan
#: below has room for this many sites.
MAX_SITES = 10_000

MPLS = "mpls"
INET = "inet"
LINK_ROLES = (MPLS, INET)


@dataclass(frozen=True, slots=True)
class ScenarioApplication:
    """An application as the lab's cores advertise it: its prefixes and where MEDs steer it.

    The simulated network's side of an application, from which the lab writes
    its intent file; the core's own application is :class:`~sprmon.core.intent.Application`.
    """

    name: str
    prefixes: tuple[Prefix, ...]
    #: Preferred link first, then the fallback.
    links: tuple[str, ...]
    is_default: bool = False


APPLICATIONS = (
    ScenarioApplication(
        "legacy",
        (canonical_prefix("10.0.21.0/24"), canonical_prefix("2001:db8:21::/48")),
        (MPLS, INET),
    ),
    ScenarioApplication(
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


def application_of(prefix: Prefix) -> ScenarioApplication:
    """The application a data-centre prefix belongs to (KeyError for any other prefix)."""
    return _APP_OF_PREFIX[prefix]


#: The community each core tags every path it sends with: which core a path came
#: from, as a real network marks it. BGP4-MIB cannot show communities; gNMI does.
LINK_COMMUNITIES = {MPLS: "65000:100", INET: "65000:200"}


def core_med(role: str, prefix: Prefix) -> int:
    """The MED the core on ``role`` sets when nothing is wrong (scenario.md)."""
    if role == INET:
        return 200
    return 100 if prefix in STEERED_PREFIXES else 300


def other_role(role: str) -> str:
    return INET if role == MPLS else MPLS


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
CORE_BY_ROLE = {core.role: core for core in CORES}
CORE_BY_NAME = {core.name: core for core in CORES}
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
