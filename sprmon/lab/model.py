"""The simulated WAN: the routers of the plan, their sessions, paths, traffic and faults.

Pure and deterministic: no sockets, no asyncio, no clock. The caller says what
time it is (:meth:`WanModel.advance`, and ``now=`` on every change); the same
seed and the same calls give the same state, to the octet.

The network is the one of :mod:`sprmon.lab.plan` (``scenario.md``). Each
site runs the BGP decision process (:mod:`sprmon.lab.bgp`) over what the
cores send it, and its traffic (:mod:`sprmon.lab.traffic`) follows the best
paths. The cores in turn receive every site's LAN prefix, over eBGP from the
site and over iBGP from the other core. Faults (:mod:`sprmon.lab.faults`)
change what the cores send, which sessions are up and what the counters show.

The routers it starts with are drawn by :mod:`sprmon.lab.network`; what
``sprmon lab status`` shows of them is :mod:`sprmon.lab.status`. The model is a
mutable simulation (state changes with time and faults); what it hands out is frozen:
:class:`~sprmon.core.observed.BgpPath`, :class:`~sprmon.core.observed.BgpPeer`,
:class:`~sprmon.core.observed.Interface` and
:class:`~sprmon.core.observed.SiteObservation`, the same types a collector
produces, so a collector test can compare what it read with what the lab holds.
"""

from __future__ import annotations

import math
from dataclasses import replace

from sprmon.core.observed import BgpPath, Interface, SiteObservation
from sprmon.core.prefixes import Address, Prefix, canonical_prefix, prefix_version
from sprmon.lab import bgp, faults
from sprmon.lab.counters import Rates
from sprmon.lab.errors import FaultError
from sprmon.lab.faults import WRAP_AFTER_S, ActiveFault, Fault
from sprmon.lab.network import build_network, seeded
from sprmon.lab.plan import (
    CORE_AS,
    CORE_BY_NAME,
    CORE_BY_ROLE,
    CORES,
    DC_PREFIXES,
    LINK_ROLES,
    MAX_SITES,
    SitePlan,
    other_role,
    plan_site,
)
from sprmon.lab.state import PeerInfo, RouterState, Session
from sprmon.lab.traffic import Demand, draw_demand, link_rates


class WanModel:
    """The whole simulated WAN. See the module docstring.

    ``start`` is the simulated time at creation (POSIX seconds); the routers
    have been up for a while by then (seed-dependent), with counters that
    started at seed-dependent values.

    ``counter_refresh_s``: the routers show interface counters that change only
    every that many seconds, each router at its own seed-dependent phase, as
    real agents serve them from a cache (Net-SNMP refreshes IF-MIB every 3 s);
    0 shows them as of every reading.
    """

    def __init__(
        self, *, sites: int, seed: int = 1, start: float, counter_refresh_s: float = 0.0
    ) -> None:
        if not 1 <= sites <= MAX_SITES:
            raise ValueError(f"the lab simulates 1 to {MAX_SITES} sites, not {sites}")
        if not 0 <= counter_refresh_s < math.inf:
            raise ValueError(
                f"the counter refresh period is 0 (off) or a positive number of seconds, "
                f"not {counter_refresh_s}"
            )
        self.seed = seed
        self.counter_refresh_s = counter_refresh_s
        self.now = start
        #: Increases on every change (time or faults): a cache of rendered
        #: state is valid while the generation it was made at is current.
        self.generation = 0
        self.sites: tuple[SitePlan, ...] = tuple(plan_site(i) for i in range(1, sites + 1))
        self._site_by_name = {s.name: s for s in self.sites}
        network = build_network(
            self.sites, seed=seed, start=start, counter_refresh_s=counter_refresh_s
        )
        self._routers = network.routers
        self._sessions = network.sessions
        self._ibgp = network.ibgp
        self._demand: dict[str, dict[Prefix, Demand]] = {}
        self._paths: dict[str, tuple[BgpPath, ...]] = {}
        self._decisions: dict[str, bgp.Decision] = {}
        #: Core name -> site name -> the core's decision over its paths to that site's LAN.
        self._core_paths: dict[str, dict[str, bgp.Decision]] = {c.name: {} for c in CORES}

        for site in self.sites:
            self._demand[site.name] = {
                p: draw_demand(seeded(seed, "demand", site.name, p), p) for p in DC_PREFIXES
            }
            self._reconcile(site, start)
        for state in self._routers.values():
            state.refresh_counters(start)

    def counter_refresh_phase(self, router: str) -> float:
        """Seconds past each multiple of ``counter_refresh_s`` (POSIX time) at which
        ``router`` refreshes its interface counters (0 when they are live)."""
        return self._router(router).refresh_phase_s

    # -- time ---------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Move the simulated clock to ``now`` (never backwards)."""
        if now < self.now:
            raise ValueError(f"time runs forwards: {now} is before the model's {self.now}")
        self.now = now
        self.generation += 1
        if self.counter_refresh_s:
            for state in self._routers.values():
                state.refresh_counters(now)

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
        record = faults.check_fault(
            fault, on_core=router in CORE_BY_NAME, link=link, prefix=prefix, med=med
        )
        self.advance(now)
        if record.fault is Fault.REBOOT:
            state.restart(now)
            for session in self._sessions_of(router):
                session.restart_end(router, now)
        elif record.fault is Fault.COUNTER_WRAP:
            state.wrap_counters(now, WRAP_AFTER_S)
        else:
            state.faults = faults.with_fault(state.faults, record)
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

    def _router(self, name: str) -> RouterState:
        try:
            return self._routers[name]
        except KeyError:
            raise FaultError(
                f"no router named {name!r} in this lab: sites are "
                f"{self.sites[0].name}..{self.sites[-1].name}, cores are "
                f"{', '.join(c.name for c in CORES)}"
            ) from None

    def _sessions_of(self, router: str) -> list[Session]:
        if router in CORE_BY_NAME:
            role = CORE_BY_NAME[router].role
            return [*(self._sessions[(s.name, role)] for s in self.sites), self._ibgp]
        return [self._sessions[(router, role)] for role in LINK_ROLES]

    # -- derived state ------------------------------------------------------

    def _reconcile(self, site: SitePlan, now: float) -> None:
        """Bring sessions, paths and traffic of ``site`` in line with its faults."""
        router = self._routers[site.name]
        up: dict[str, bool] = {}
        for link in site.links:
            session = self._sessions[(site.name, link.role)]
            session.set_established(faults.session_wanted(router.faults, link.role), now)
            up[link.role] = faults.link_up(router.faults, link.role)
            router.interfaces[link.if_index].oper_up = up[link.role]
            self._routers[link.core].interfaces[link.core_if_index].oper_up = up[link.role]

        decision = bgp.site_paths(
            site,
            {
                link.role: faults.advertised(router.faults, link.role)
                for link in site.links
                if self._sessions[(site.name, link.role)].established
            },
        )
        self._decisions[site.name] = decision
        self._paths[site.name] = decision.paths
        rates = link_rates(site, self._paths[site.name], self._demand[site.name], up)
        for link in site.links:
            router.interfaces[link.if_index].counters.set_rates(rates[link.role].site, now)
            core_if = self._routers[link.core].interfaces[link.core_if_index]
            core_if.counters.set_rates(rates[link.role].core, now)
        self._refresh_core_paths(site)

    def _refresh_core_paths(self, site: SitePlan) -> None:
        """The cores' paths to ``site``'s LAN, from the sessions of ``site``."""
        for core in CORES:
            other = CORE_BY_ROLE[other_role(core.role)]
            self._core_paths[core.name][site.name] = bgp.core_paths(
                core,
                other,
                site,
                from_site=self._sessions[(site.name, core.role)].established,
                from_other=self._ibgp.established
                and self._sessions[(site.name, other.role)].established,
            )
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
        return router in CORE_BY_NAME

    def asn(self, router: str) -> int:
        return self._router(router).asn

    def router_id(self, router: str) -> Address:
        return self._router(router).router_id

    def boot_time(self, router: str) -> float:
        """When the router last booted (simulated POSIX time)."""
        return self._router(router).boot_time

    def uptime_ticks(self, router: str) -> int:
        """sysUpTime in hundredths of a second (unbounded; the MIB wraps it at 2**32)."""
        return self._router(router).uptime_ticks(self.now)

    def paths(self, router: str) -> tuple[BgpPath, ...]:
        """Every BGP path the router holds (IPv4 and IPv6), ``best`` set on the winners."""
        self._router(router)
        if router not in self._paths:
            self._paths[router] = tuple(
                path for decision in self._core_paths[router].values() for path in decision.paths
            )
        return self._paths[router]

    def best_path(self, router: str, prefix: str) -> BgpPath | None:
        wanted = canonical_prefix(prefix)
        for path in self.paths(router):
            if path.prefix == wanted and path.best:
                return path
        return None

    def losing_steps(self, router: str) -> dict[tuple[Prefix, Address], bgp.DecisionStep]:
        """(prefix, peer) of every path that is not best -> the step at which it lost."""
        self._router(router)
        if router in CORE_BY_NAME:
            return {k: v for d in self._core_paths[router].values() for k, v in d.lost.items()}
        return self._decisions[router].lost

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
        now = self.now
        result: list[PeerInfo] = []
        if router in CORE_BY_NAME:
            core = CORE_BY_NAME[router]
            other = CORE_BY_ROLE[other_role(core.role)]
            for site in self.sites:
                link = site.link(core.role)
                result.append(
                    self._sessions[(site.name, core.role)].reading(
                        state,
                        now,
                        address=link.site_address,
                        local=link.core_address,
                        remote_as=site.asn,
                        identifier=site.router_id,
                    )
                )
            result.append(
                self._ibgp.reading(
                    state,
                    now,
                    address=other.router_id,
                    local=core.router_id,
                    remote_as=CORE_AS,
                    identifier=other.router_id,
                )
            )
        else:
            for link in self.site(router).links:
                result.append(
                    self._sessions[(router, link.role)].reading(
                        state,
                        now,
                        address=link.core_address,
                        local=link.site_address,
                        remote_as=CORE_AS,
                        identifier=CORE_BY_ROLE[link.role].router_id,
                    )
                )
        return tuple(sorted(result, key=lambda p: bgp.address_key(p.peer.address)))

    def interfaces(self, router: str) -> tuple[Interface, ...]:
        """The router's interfaces with counters as of the model's time, by ifIndex."""
        state = self._router(router)
        return tuple(
            state.interfaces[index].reading(self.now, state.boot_time)
            for index in sorted(state.interfaces)
        )

    def discontinuity_time(self, router: str, if_index: int) -> float | None:
        """When the interface's counters last jumped (None: not since the router booted)."""
        return self._router(router).interfaces[if_index].discontinuity

    def interface_type(self, router: str, if_index: int) -> int:
        return self._router(router).interfaces[if_index].if_type

    def rates(self, router: str) -> dict[int, Rates]:
        """What each interface carries now, by ifIndex (for expectations in tests)."""
        state = self._router(router)
        return {index: i.counters.rates for index, i in sorted(state.interfaces.items())}

    def observation(self, router: str, *, ipv4_only: bool = False) -> SiteObservation:
        """What a perfect collector would read from ``router`` now.

        ``ipv4_only`` leaves out what BGP4-MIB cannot show, the IPv6 paths and
        the paths' communities: that is what an SNMP collector can see. Without
        it, this is what a gNMI collector reads.
        """
        paths = self.paths(router)
        if ipv4_only:
            paths = tuple(
                replace(p, communities=()) if p.communities else p
                for p in paths
                if prefix_version(p.prefix) == 4
            )
        return SiteObservation(
            site=router,
            collected_at=self.now,
            uptime_ticks=self.uptime_ticks(router) % 2**32,
            paths=paths,
            peers=tuple(p.peer for p in self.peers(router)),
            interfaces=self.interfaces(router),
        )
