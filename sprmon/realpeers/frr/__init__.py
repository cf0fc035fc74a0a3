"""The reference WAN built from real routers: FRRouting and Net-SNMP in network namespaces.

::

    async with frr_wan(sites=2) as wan:
        wan.write_intent(folder / "intent.yaml")      # plus folder/community
        routes = await wan.bgp_routes("branch-01")    # FRR's own view
        async with wan.link_down("branch-01", "mpls"):
            ...

Root only. One namespace per router (docs/real-routers.md)::

    core-mpls (AS 65000) ---mpls--- branch-01 (AS 65101) ---inet--- core-inet (AS 65000)
    core-mpls            ---mpls--- branch-02 (AS 65102) ---inet--- core-inet
                                        |
                                       mgmt: a veth per branch to the root namespace,
                                       where sprmon polls the branch's snmpd

Every router runs its own ``zebra`` and ``bgpd`` (as user ``frr``, with its
own config, pid, vty and zserv socket files under ``workdir/ROUTER``); every
branch also runs ``snmpd`` as the AgentX master that bgpd's BGP4-MIB plugs
into, while IF-MIB comes from the branch namespace's real interfaces.

The modules, from the inside out: :mod:`~.topology` (the designed network, no
I/O), :mod:`~.config` (the files it is configured with, no I/O),
:mod:`~.daemons` (starting and stopping its processes), :mod:`~.wan` (a
running network: queries, faults, steady state, intent, saved state) and
:mod:`~.build` (building it and removing it).
"""

from __future__ import annotations

from sprmon.realpeers.frr.build import build, frr_wan, plan_sites, remove_files, teardown
from sprmon.realpeers.frr.daemons import Daemon
from sprmon.realpeers.frr.topology import (
    APP_PREFIXES,
    CORE_AS,
    CORES,
    DEFAULT_PREFIXES,
    FIRST_SITE_AS,
    HOLD_TIME_S,
    IF_MIB_CACHE_S,
    KEEPALIVE_S,
    LEGACY,
    LINKS,
    MED_BACKUP,
    MED_INET,
    MED_STEERED,
    FrrWanError,
    SitePlan,
    route_map,
)
from sprmon.realpeers.frr.wan import FrrWan

__all__ = [
    "APP_PREFIXES",
    "CORES",
    "CORE_AS",
    "DEFAULT_PREFIXES",
    "FIRST_SITE_AS",
    "HOLD_TIME_S",
    "IF_MIB_CACHE_S",
    "KEEPALIVE_S",
    "LEGACY",
    "LINKS",
    "MED_BACKUP",
    "MED_INET",
    "MED_STEERED",
    "Daemon",
    "FrrWan",
    "FrrWanError",
    "SitePlan",
    "build",
    "frr_wan",
    "plan_sites",
    "remove_files",
    "route_map",
    "teardown",
]
