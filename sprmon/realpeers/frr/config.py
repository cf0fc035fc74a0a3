"""The text files of the network: FRR and snmpd configurations, and sprmon's intent (no I/O).

Each router's files live in its own folder (``rundir``), which the log and
socket paths written here point into.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sprmon.realpeers.frr.topology import (
    APP_PREFIXES,
    CORE_AS,
    CORES,
    DEFAULT_PREFIXES,
    HOLD_TIME_S,
    INET_CAPACITY,
    KEEPALIVE_S,
    LEGACY,
    LINKS,
    MED_BACKUP,
    MED_INET,
    MED_STEERED,
    MPLS_CAPACITY,
    SitePlan,
    link_network,
    route_map,
)


def zebra_conf(router: str, rundir: Path) -> str:
    return f"hostname {router}\nlog file {rundir / 'zebra.log'} informational\n"


def core_bgpd_conf(core: str, sites: Sequence[SitePlan], rundir: Path) -> str:
    link = "mpls" if core == "core-mpls" else "inet"
    router_id = str(link_network(link, 0)[1])
    lines = [
        "frr defaults traditional",
        f"hostname {core}",
        f"log file {rundir / 'bgpd.log'} informational",
        f"ip prefix-list STEERED seq 5 permit {LEGACY}",
    ]
    for site in sites:
        if core == "core-mpls":
            lines += [
                f"route-map {route_map(site.name)} permit 10",
                " match ip address prefix-list STEERED",
                f" set metric {MED_STEERED}",
                "exit",
                f"route-map {route_map(site.name)} permit 20",
                f" set metric {MED_BACKUP}",
                "exit",
            ]
        else:
            lines += [
                f"route-map {route_map(site.name)} permit 10",
                f" set metric {MED_INET}",
                "exit",
            ]
    lines += [
        f"router bgp {CORE_AS}",
        f" bgp router-id {router_id}",
        # FRR's default (RFC 8212) would announce nothing to an eBGP peer without policy.
        " no bgp ebgp-requires-policy",
        f" timers bgp {KEEPALIVE_S} {HOLD_TIME_S}",
    ]
    # Neighbour-level lines stay outside the address-family block: FRR ends the
    # block silently at the first one it meets there.
    for site in sites:
        address = site.site_address(link)
        lines += [
            f" neighbor {address} remote-as {site.asn}",
            f" neighbor {address} description {site.name}",
            f" neighbor {address} timers connect 1",
        ]
    lines += [" address-family ipv4 unicast"]
    lines += [f"  network {prefix}" for prefix in APP_PREFIXES]
    lines += [
        f"  neighbor {site.site_address(link)} route-map {route_map(site.name)} out"
        for site in sites
    ]
    lines += [" exit-address-family", "exit", ""]
    return "\n".join(lines)


def site_bgpd_conf(site: SitePlan, rundir: Path) -> str:
    lines = [
        "frr defaults traditional",
        f"hostname {site.name}",
        f"log file {rundir / 'bgpd.log'} informational",
        # Register BGP4-MIB with the namespace's snmpd (AgentX master).
        "agentx",
        f"router bgp {site.asn}",
        f" bgp router-id {site.site_address('mpls')}",
        " no bgp ebgp-requires-policy",
        f" timers bgp {KEEPALIVE_S} {HOLD_TIME_S}",
    ]
    for link in LINKS:
        address = site.core_address(link)
        lines += [
            f" neighbor {address} remote-as {CORE_AS}",
            f" neighbor {address} description {CORES[link]} over {link}",
            f" neighbor {address} timers connect 1",
        ]
    lines += ["exit", ""]
    return "\n".join(lines)


def snmpd_conf(site: SitePlan, community: str, rundir: Path) -> str:
    return "\n".join(
        [
            f"agentAddress udp:{site.mgmt_site}:161",
            f"rocommunity {community} {site.mgmt_root}/32",
            "dontLogTCPWrappersConnects yes",
            "master agentx",
            f"agentXSocket {rundir / 'agentx.sock'}",
            # bgpd runs as frr, snmpd as root: the socket must be open to it.
            "agentXPerms 0666 0777",
            "",
        ]
    )


def subagent_conf(rundir: Path) -> str:
    """bgpd's AgentX subagent reads this as ``frr.conf`` from ``SNMPCONFPATH``."""
    return f"agentXSocket {rundir / 'agentx.sock'}\n"


def intent_yaml(sites: Sequence[SitePlan], community_file: str = "community") -> str:
    """sprmon's intent for the network (the community is read from ``community_file``)."""
    site_lines = []
    for site in sites:
        neighbors = ", ".join(
            f"{link}: {{neighbors: [{site.core_address(link)}]}}" for link in LINKS
        )
        site_lines.append(
            f"  - {{name: {site.name}, address: {site.mgmt_site}, links: {{{neighbors}}}, "
            f"labels: {{asn: '{site.asn}'}}}}"
        )
    return "\n".join(
        [
            "# sprmon intent for the FRRouting WAN that scripts/frr-wan builds",
            "# (docs/real-routers.md). Each site is an FRR router in its own network",
            "# namespace; sprmon reaches its snmpd over the site's management veth.",
            "version: 1",
            "links:",
            '  mpls: {description: "veth to core-mpls (AS 65000)"}',
            '  inet: {description: "veth to core-inet (AS 65000)"}',
            "applications:",
            "  legacy:",
            "    description: Legacy servers that need the SLA link",
            f"    prefixes: [{LEGACY}]",
            "    links: [mpls, inet]",
            f"    marking: {{mpls: {{med: {MED_STEERED}}}}}",
            "default_application:",
            f"  prefixes: [{', '.join(DEFAULT_PREFIXES)}]",
            "  links: [inet, mpls]",
            f"  marking: {{inet: {{med: {MED_INET}}}}}",
            "credentials:",
            "  frr-wan:",
            f"    snmp: {{version: 2c, community: {{file: {community_file}}}}}",
            "site_defaults:",
            "  snmp: {credentials: frr-wan}",
            "  links:",
            f"    mpls: {{capacity: {MPLS_CAPACITY}, interface: mpls}}",
            f"    inet: {{capacity: {INET_CAPACITY}, interface: inet}}",
            "sites:",
            *site_lines,
            "",
        ]
    )
