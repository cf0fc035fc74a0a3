"""The designed network: AS numbers, addresses, MEDs, prefixes and names (no I/O).

::

    core-mpls (AS 65000) ---mpls--- branch-01 (AS 65101) ---inet--- core-inet (AS 65000)
    core-mpls            ---mpls--- branch-02 (AS 65102) ---inet--- core-inet

    core-mpls: MED 100 on 10.0.21.0/24 (legacy), MED 300 on the others
    core-inet: MED 200 on every prefix

The addresses inside the namespaces are documentation ranges (198.51.100.0/24
on the mpls links, 203.0.113.0/24 on the inet links), one /30 per branch and
link; nothing here uses 192.0.2.0/24, the machine's own range.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

CORE_AS = 65000
FIRST_SITE_AS = 65101
#: The scenario's application prefixes (IPv4 only: FRR 8.4 serves BGP4-MIB, not BGP4V2-MIB).
LEGACY = "10.0.21.0/24"
DEFAULT_PREFIXES = ("10.0.10.0/24", "10.0.30.0/24")
APP_PREFIXES = (LEGACY, *DEFAULT_PREFIXES)
#: MEDs set by the cores (lower wins).
MED_STEERED = 100
MED_INET = 200
MED_BACKUP = 300
#: Which core sits at the far end of each link role.
CORES = {"mpls": "core-mpls", "inet": "core-inet"}
LINKS = ("mpls", "inet")
MPLS_CAPACITY = "10Mbps"
INET_CAPACITY = "100Mbps"
#: BGP keepalive and hold time: short, so that a silent session loss shows within seconds.
KEEPALIVE_S = 1
HOLD_TIME_S = 3
#: snmpd re-reads interface counters and status at most this often.
IF_MIB_CACHE_S = 3.0

BGP_PATH_BEST = "1.3.6.1.2.1.15.6.1.13"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


class FrrWanError(RuntimeError):
    pass


@dataclass(frozen=True)
class SitePlan:
    """One branch router: its AS, its link addresses and its management address."""

    name: str
    asn: int
    #: Index of the /30 used on both of its uplinks.
    slot: int
    mgmt_root: str
    mgmt_site: str

    def core_address(self, link: str) -> str:
        return str(link_network(link, self.slot)[1])

    def site_address(self, link: str) -> str:
        return str(link_network(link, self.slot)[2])


def link_network(link: str, slot: int) -> ipaddress.IPv4Network:
    base = {"mpls": "198.51.100.0", "inet": "203.0.113.0"}[link]
    return ipaddress.IPv4Network(f"{ipaddress.IPv4Address(base) + 4 * slot}/30")


def site_names(count: int) -> tuple[str, ...]:
    return tuple(f"branch-{n:02d}" for n in range(1, count + 1))


def route_map(site: str) -> str:
    """The name of a core's outbound route-map towards ``site`` (one per site)."""
    return f"TO-{site.upper()}"


def is_core(router: str) -> bool:
    return router in CORES.values()
