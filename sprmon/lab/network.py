"""The lab's routers as they stand when it starts: every router, interface and BGP session
the plan calls for, with boot times, counters and refresh phases drawn from the seed.

Pure and deterministic, like the model that takes them over (:mod:`sprmon.lab.model`).
Every router draws from its own random stream, named by the seed and the router, so
what a router starts with depends neither on the order of the draws nor on the
number of sites.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from sprmon.lab.counters import Counters, initial_counters
from sprmon.lab.plan import CORES, MPLS, SitePlan
from sprmon.lab.state import (
    IF_TYPE_ETHERNET,
    IF_TYPE_LOOPBACK,
    IF_TYPE_TUNNEL,
    LOOPBACK_INDEX,
    InterfaceState,
    RouterState,
    Session,
)


@dataclass(frozen=True, slots=True)
class Network:
    """The routers and sessions at the start (the objects themselves are mutable state)."""

    #: Router name -> its state, for the cores and every site.
    routers: dict[str, RouterState]
    #: (site name, link role) -> the eBGP session of that link.
    sessions: dict[tuple[str, str], Session]
    #: The iBGP session between the two cores.
    ibgp: Session


def seeded(seed: int, *parts: str) -> random.Random:
    """The random stream named ``parts`` of the lab with ``seed``."""
    # A string seed is hashed with SHA-512 by random.Random: stable across
    # runs and independent of PYTHONHASHSEED and of the number of sites.
    return random.Random("/".join((str(seed), *parts)))


def build_network(
    sites: Iterable[SitePlan], *, seed: int, start: float, counter_refresh_s: float
) -> Network:
    """Every router of the cores and of ``sites`` at ``start``, each session established.

    The routers have been up for a while by then (cores 100 to 200 days, sites 1 to
    90), with counters that started at seed-dependent values; each session came up
    30 s to 10 min after the later of its two routers booted.
    """
    routers: dict[str, RouterState] = {}
    sessions: dict[tuple[str, str], Session] = {}
    for core in CORES:
        rng = seeded(seed, "core", core.name)
        router = RouterState(
            core.name,
            core.asn,
            core.router_id,
            start - rng.uniform(100, 200) * 86400,
            **_refresh(seed, counter_refresh_s, core.name),
        )
        router.interfaces[LOOPBACK_INDEX] = _loopback(rng, start)
        routers[core.name] = router
    core_boot = max(routers[c.name].boot_time for c in CORES)
    ibgp = Session((c.name for c in CORES), core_boot + 60)

    for site in sites:
        rng = seeded(seed, "site", site.name)
        boot = start - rng.uniform(1, 90) * 86400
        router = RouterState(
            site.name,
            site.asn,
            site.router_id,
            boot,
            **_refresh(seed, counter_refresh_s, site.name),
        )
        router.interfaces[LOOPBACK_INDEX] = _loopback(rng, start)
        for link in site.links:
            router.interfaces[link.if_index] = InterfaceState(
                link.if_index,
                link.if_name,
                IF_TYPE_ETHERNET,
                link.capacity_bps,
                Counters(initial_counters(rng), start),
            )
            core_router = routers[link.core]
            core_router.interfaces[link.core_if_index] = InterfaceState(
                link.core_if_index,
                link.core_if_name,
                IF_TYPE_ETHERNET if link.role == MPLS else IF_TYPE_TUNNEL,
                link.capacity_bps,
                Counters(initial_counters(rng), start),
            )
            since = max(boot, core_router.boot_time) + rng.uniform(30, 600)
            sessions[(site.name, link.role)] = Session((site.name, link.core), since)
        routers[site.name] = router
    return Network(routers, sessions, ibgp)


def _refresh(seed: int, counter_refresh_s: float, router: str) -> dict[str, float]:
    """A router's counter refresh period and phase (RouterState's keywords)."""
    if not counter_refresh_s:
        return {}
    # Its own random stream: the other draws stay what they were without refresh.
    phase = seeded(seed, "refresh", router).uniform(0, counter_refresh_s)
    return {"refresh_s": counter_refresh_s, "refresh_phase_s": phase}


def _loopback(rng: random.Random, start: float) -> InterfaceState:
    return InterfaceState(
        LOOPBACK_INDEX, "lo", IF_TYPE_LOOPBACK, 0, Counters(initial_counters(rng), start)
    )
