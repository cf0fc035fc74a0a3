"""Poll many sites concurrently into one :class:`Snapshot`.

::

    async with SnmpPoller(on_site_done=progress) as poller:
        snapshot = await poller.poll(snmp_sites(intent.sites, inventory), prefixes)

One asyncio loop; an :class:`asyncio.Semaphore` bounds how many sites are
polled at once (``max_concurrency``) and the client bounds requests in flight
per agent (``per_target_concurrency``). Every site gets its own deadline,
counted from when it starts (not while it waits for a slot): the target's
``timeout_s`` x tries x an expected number of requests, capped at
``deadline_cap_s``, and its own byte budget for what the agent may send
(:mod:`sprmon.collector.budget`). A slow, dead or misbehaving agent therefore
delays no other site beyond its own deadline, holds no more memory than its
budget, and every failure becomes that site's ``SiteObservation.error``
instead of an exception.

A whole check can also have a deadline (``deadline_s`` of :meth:`SnmpPoller.poll`
and :meth:`SnmpPoller.poll_twice`, :class:`CheckDeadline`): every site's poll
ends by it, a site still waiting for a slot then is not polled, and both
say so in the site's error; the sites that finished are reported as usual.
With two polls, a site whose first poll was whole and whose second the check's
deadline cut is judged on its first (its rates are then unknown), and the
second poll is skipped when the deadline leaves no time for it.

Rates need two observations of the same site: :meth:`SnmpPoller.poll_twice`
polls, waits ``interval_s`` from the first poll's start, polls again and
returns both observations of every site in one snapshot. Long-running
callers (an exporter loop) instead keep the previous snapshot and merge.
The poller is given each site with its SNMP target (:class:`SnmpSite`, of
:mod:`sprmon.collector.poll_types` with the results; the per-site deadline and
budget are :mod:`sprmon.collector.site_limits`'s):
:func:`snmp_sites` pairs an intent's sites with the inventory's targets and
leaves out the sites without one (a gNMI collector serves them).

``poll_twice`` (and ``poll(time_counters=True)``) times each site's link
counters by the agent's refresh of them (:mod:`sprmon.collector.counter_timing`):
after its poll, a site's link interfaces are re-read until their counters
change. That mostly waits, so it does not hold one of the ``max_concurrency``
slots: at most ``max_watches`` sites are watched at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Self

from sprmon import __version__
from sprmon.collector.client import SnmpClient, V2cBackend
from sprmon.collector.counter_timing import time_counters
from sprmon.collector.deadline import CheckDeadline, acquire_before
from sprmon.collector.errors import SnmpError
from sprmon.collector.poll_types import (
    OnSiteDone,
    PollResult,
    SitePollStats,
    SnmpSite,
    snmp_sites,
)
from sprmon.collector.site_limits import SiteLimits, first_hints
from sprmon.collector.snmp_collector import CollectOptions, SiteCollector
from sprmon.core.intent import Site
from sprmon.core.observed import SiteObservation, Snapshot
from sprmon.core.prefixes import Prefix
from sprmon.inventory import SnmpTarget

__all__ = [
    "OnSiteDone",
    "PollResult",
    "SitePollStats",
    "SnmpPoller",
    "SnmpSite",
    "snmp_sites",
]

log = logging.getLogger(__name__)


class SnmpPoller:
    """Polls sites over SNMP; see the module docstring."""

    def __init__(
        self,
        *,
        max_concurrency: int = 64,
        per_target_concurrency: int = 1,
        options: CollectOptions | None = None,
        expected_requests: int = 12,
        deadline_cap_s: float = 120.0,
        on_site_done: OnSiteDone | None = None,
        clock: Callable[[], float] = time.time,
        v2c_backend: V2cBackend = "native",
        client: SnmpClient | None = None,
        max_watches: int | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._max_concurrency = max_concurrency
        # A watch is one small request every few tens of milliseconds: many can
        # run for each poll slot (each holds a socket).
        self._max_watches = max(1, max_watches or 8 * max_concurrency)
        self._options = options or CollectOptions()
        self._limits = SiteLimits(self._options, expected_requests, deadline_cap_s)
        self._on_site_done = on_site_done
        self._clock = clock
        self._client = client or SnmpClient(
            per_target_concurrency=per_target_concurrency, v2c_backend=v2c_backend
        )
        self._owns_client = client is None
        # Row counts of each site's last poll: the next poll asks for that many
        # rows (see snmp_collector), so repeated polls carry little overshoot.
        self._hints: dict[tuple[str, str, int], dict[str, int]] = {}

    async def __aenter__(self) -> Self:
        if self._owns_client:
            await self._client.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._owns_client:
            await self._client.__aexit__(exc_type, exc, tb)

    def site_deadline_s(self, target: SnmpTarget, prefixes: Sequence[Prefix] = ()) -> float:
        """How long one site's poll may take before it is cut off (:class:`SiteLimits`)."""
        return self._limits.deadline_s(target, prefixes)

    def site_budget_octets(self, site: Site, prefixes: Sequence[Prefix] = ()) -> int:
        """The octets the site's agent may send in one poll (:class:`SiteLimits`)."""
        return self._limits.budget_octets(site, prefixes)

    async def poll(
        self,
        sites: Iterable[SnmpSite],
        prefixes: Iterable[Prefix] = (),
        *,
        time_counters: bool = False,
        previous: Mapping[str, SiteObservation] | None = None,
        deadline_s: float | None = None,
    ) -> Snapshot:
        result = await self.poll_with_stats(
            sites, prefixes, time_counters=time_counters, previous=previous, deadline_s=deadline_s
        )
        return result.snapshot

    async def poll_with_stats(
        self,
        sites: Iterable[SnmpSite],
        prefixes: Iterable[Prefix] = (),
        *,
        time_counters: bool = False,
        previous: Mapping[str, SiteObservation] | None = None,
        deadline_s: float | None = None,
    ) -> PollResult:
        """One poll of every site.

        ``time_counters``: time the link interfaces' counters by the agent's
        refresh (``CollectOptions.counter_watch_s``); ``previous`` (site name ->
        its previous observation) lets links that carried nothing since go
        unwatched; ``deadline_s``: the whole poll ends within this (see the
        module docstring).
        """
        polled = list(sites)
        return await self._poll(
            polled,
            tuple(dict.fromkeys(prefixes)),
            0,
            len(polled),
            time_counters=time_counters,
            previous=previous or {},
            deadline=None if deadline_s is None else CheckDeadline.starting_now(deadline_s),
        )

    async def _poll(
        self,
        polled: Sequence[SnmpSite],
        wanted: Sequence[Prefix],
        done_before: int,
        total: int,
        *,
        time_counters: bool = False,
        previous: Mapping[str, SiteObservation],
        deadline: CheckDeadline | None = None,
    ) -> PollResult:
        """Poll ``polled``; progress counts on from ``done_before`` up to ``total``."""
        semaphore = asyncio.Semaphore(self._max_concurrency)
        watches = asyncio.Semaphore(self._max_watches)
        done = done_before
        results: list[tuple[SiteObservation, SitePollStats] | None] = [None] * len(polled)
        started = time.perf_counter()

        async def one(position: int, polled_site: SnmpSite) -> None:
            nonlocal done
            site, target = polled_site
            if await acquire_before(semaphore, deadline):
                try:
                    observation, stats, answering = await self._poll_site(
                        site, target, wanted, deadline
                    )
                finally:
                    semaphore.release()
            else:
                assert deadline is not None  # only a deadline refuses a slot
                observation, stats, answering = self._not_polled(site, deadline), None, False
            stats = stats or SitePollStats(
                site=site.name,
                ok=False,
                requests=0,
                retries=0,
                varbinds=0,
                elapsed_s=0.0,
                deadline_s=0.0,
                cut_by_check_deadline=True,
            )
            if time_counters and answering and site.links and observation.interfaces:
                async with watches:
                    observation, stats = await self._time_site(
                        site, target, observation, stats, previous.get(site.name), check=deadline
                    )
            results[position] = (observation, stats)
            done += 1
            if self._on_site_done is not None:
                self._on_site_done(site.name, observation.error is None, done, total)

        async with asyncio.TaskGroup() as group:
            for position, polled_site in enumerate(polled):
                group.create_task(one(position, polled_site))
        elapsed = time.perf_counter() - started
        finished = [result for result in results if result is not None]
        observations = tuple(observation for observation, _ in finished)
        return PollResult(
            snapshot=Snapshot(
                observations=observations,
                taken_at=max((o.collected_at for o in observations), default=None),
                source=f"sprmon {__version__} snmp",
            ),
            stats=tuple(stats for _, stats in finished),
            elapsed_s=elapsed,
        )

    async def poll_twice(
        self,
        sites: Iterable[SnmpSite],
        prefixes: Iterable[Prefix] = (),
        *,
        interval_s: float,
        deadline_s: float | None = None,
    ) -> Snapshot:
        """Two polls ``interval_s`` apart (start to start), for counter rates,
        both within ``deadline_s`` if given (see the module docstring).

        Progress runs once from 1 to twice the number of sites.
        """
        polled = list(sites)
        wanted = tuple(dict.fromkeys(prefixes))
        timed = self._options.counter_watch_s > 0
        deadline = None if deadline_s is None else CheckDeadline.starting_now(deadline_s)
        started = time.monotonic()
        first = await self._poll(
            polled, wanted, 0, 2 * len(polled), time_counters=timed, previous={}, deadline=deadline
        )
        pause = max(0.0, interval_s - (time.monotonic() - started))
        if deadline is not None and deadline.remaining() <= pause:
            log.warning(
                "the check's deadline of %g s leaves no time for the second poll: "
                "every site is judged on its first poll, without rates",
                deadline.total_s,
            )
            return first.snapshot
        await asyncio.sleep(pause)
        second = await self._poll(
            polled,
            wanted,
            len(polled),
            2 * len(polled),
            time_counters=timed,
            previous={o.site: o for o in first.snapshot.observations},
            deadline=deadline,
        )
        # A site the check's deadline cut in its second poll only is judged on its
        # first: one slow agent must not turn the healthy sites it delayed unknown.
        whole = {o.site for o in first.snapshot.observations if o.error is None}
        cut = {
            stat.site for stat in second.stats if stat.cut_by_check_deadline and stat.site in whole
        }
        for site in sorted(cut):
            log.info("site %s: second poll cut by the check's deadline; judged on its first", site)
        return Snapshot(
            observations=first.snapshot.observations
            + tuple(o for o in second.snapshot.observations if o.site not in cut),
            taken_at=second.snapshot.taken_at,
            source=second.snapshot.source,
        )

    async def _time_site(
        self,
        site: Site,
        target: SnmpTarget,
        observation: SiteObservation,
        stats: SitePollStats,
        previous: SiteObservation | None,
        *,
        check: CheckDeadline | None,
    ) -> tuple[SiteObservation, SitePollStats]:
        """``observation`` with its link counters timed (see counter_timing)."""
        options = self._options
        # Room for one request that times out after the watch, besides the watch.
        bound = options.counter_watch_s + 2 * target.timeout_s * (target.retries + 1)
        if check is not None:
            bound = min(bound, check.remaining())
            if bound <= 0:
                return observation, stats
        budget = self.site_budget_octets(site)
        try:
            async with (
                asyncio.timeout(bound),
                self._client.session(target, budget_octets=budget) as session,
            ):
                timed, watch = await time_counters(
                    session,
                    observation,
                    site.links,
                    previous=previous,
                    watch_s=options.counter_watch_s,
                    every_s=options.counter_watch_every_s,
                    grace_s=options.counter_watch_grace_s,
                    max_varbinds=options.max_varbinds,
                    clock=self._clock,
                )
        except (TimeoutError, SnmpError) as exc:
            log.info("site %s: counters not timed: %s", site.name, exc)
            return observation, stats
        return timed, dataclasses.replace(
            stats,
            watch_requests=watch.requests,
            watch_varbinds=watch.varbinds,
            timed_interfaces=watch.timed,
        )

    async def _poll_site(
        self,
        site: Site,
        target: SnmpTarget,
        prefixes: Sequence[Prefix],
        check: CheckDeadline | None = None,
    ) -> tuple[SiteObservation, SitePollStats, bool]:
        """The site's observation, what it cost, and whether the agent still answers."""
        deadline = self.site_deadline_s(target, prefixes)
        by_check = check is not None and check.remaining() < deadline
        if check is not None and by_check:
            deadline = max(0.0, check.remaining())
        started = time.perf_counter()
        collector: SiteCollector | None = None
        requests = retries = varbinds = octets = malformed = 0
        timed_out = False
        budget = self.site_budget_octets(site, prefixes)
        try:
            async with asyncio.timeout(deadline):
                async with self._client.session(target, budget_octets=budget) as session:
                    hint_key = (site.name, target.host, target.port)
                    collector = SiteCollector(
                        session,
                        site=site.name,
                        prefixes=prefixes,
                        links=site.links,
                        options=self._options,
                        clock=self._clock,
                        hints=self._hints.get(hint_key) or first_hints(site),
                    )
                    try:
                        await collector.run()
                        if collector.row_counts:
                            self._hints[hint_key] = collector.row_counts
                    finally:
                        requests = session.stats.requests
                        retries = session.stats.retries
                        varbinds = session.stats.varbinds
                        octets = session.stats.octets
                        malformed = session.stats.malformed
            observation = collector.observation()
        except TimeoutError:
            timed_out = True
            reason = (
                check.cut(site.name)
                if check is not None and by_check
                else f"poll of {site.name} did not finish within its deadline of {deadline:.1f} s "
                "(agent too slow, or a table too large for the timeout)"
            )
            observation = (
                collector.observation(extra_error=reason)
                if collector is not None
                else self._failed(site, reason)
            )
        except SnmpError as exc:
            observation = self._failed(site, exc.message)
        except Exception as exc:
            # One site's bug must not cancel every other site's poll (TaskGroup
            # would); it is logged with its traceback and reported as this site's error.
            log.exception("internal error while polling site %s", site.name)
            observation = self._failed(
                site, f"internal error while polling: {type(exc).__name__}: {exc}"
            )
        if observation.error is not None:
            log.info("site %s: %s", site.name, observation.error)
        stats = SitePollStats(
            site=site.name,
            ok=observation.error is None,
            requests=requests,
            retries=retries,
            varbinds=varbinds,
            elapsed_s=time.perf_counter() - started,
            deadline_s=deadline,
            octets=octets,
            malformed=malformed,
            cut_by_check_deadline=timed_out and by_check,
        )
        answering = collector is not None and collector.answering and not timed_out
        return observation, stats, answering

    def _failed(self, site: Site, reason: str) -> SiteObservation:
        return SiteObservation(site=site.name, collected_at=self._clock(), error=reason)

    def _not_polled(self, site: Site, deadline: CheckDeadline) -> SiteObservation:
        reason = deadline.missed(site.name)
        log.info("site %s: %s", site.name, reason)
        return self._failed(site, reason)
