"""The daemon's engine: poll every site on its schedule, judge, publish.

::

    async with Monitor(load_config(path), [snmp, gnmi], on_view=..., on_changes=...) as m:
        ...                           # m.view() is the newest MonitorView
        m.reload(load_config(path))   # SIGHUP: sites added and removed at once

One asyncio task per site: it sleeps until its next poll (or until its data
turns stale), so a site is never polled twice at once, and a slow or dead
site delays nobody else. A site read over gNMI is watched instead: its task
waits for its stream's next change (:class:`~sprmon.daemon.collector.
StreamingCollector`) and judges the site at once, at most every
``min_push_interval_s`` (what changes meanwhile is coalesced); a site read
over both gNMI and SNMP (``gnmi.use``) is watched and polled, and judged from
the merge of both. Polled-only sites are scheduled exactly as before.

A bound on the polls in flight over all sites (``monitor.max_in_flight``,
:class:`~sprmon.daemon.inflight.InFlight`) counts a poll while it reads, not
while it only waits (the SNMP counter watch's pauses). After each poll the site is judged (see
:class:`~sprmon.daemon.sites.SiteState`); its state changes go to
``on_changes`` at once, and a new :class:`MonitorView` goes to ``on_view``
— at most every ``publish_every_s``, so that ten thousand sites finishing
their polls within a second build one view, not ten thousand.

On a reload, a site read through other collectors than before (SNMP to gNMI,
or back) gets a fresh task, and each collector that no longer reads a site
forgets it (closes its SNMP session, drops its gNMI bad-input counts).

Hooks run on the event loop and must not block (the MQTT exporter queues,
the Prometheus collector reads a reference). An exception in a hook is
logged and the daemon carries on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from itertools import chain
from random import Random
from types import TracebackType
from typing import Self

from sprmon.core.findings import Report
from sprmon.core.intent import Site
from sprmon.core.monitor import (
    EventQueueStatus,
    MonitorView,
    StateChange,
    TargetHealth,
)
from sprmon.daemon.collector import (
    Collector,
    PollRequest,
    StreamingCollector,
    StreamRequest,
    split_collectors,
)
from sprmon.daemon.health import DurationRecorder
from sprmon.daemon.inflight import InFlight
from sprmon.daemon.routes import Route, route_for
from sprmon.daemon.schedule import first_delay, next_delay
from sprmon.daemon.shard import Shard
from sprmon.daemon.sites import Policy, SiteState
from sprmon.intentfile.loaded import LoadedIntent
from sprmon.inventory import DataPart, RouterAccess

__all__ = ["ChangesHook", "Monitor", "ViewHook"]

log = logging.getLogger(__name__)

ViewHook = Callable[[MonitorView], None]
ChangesHook = Callable[[Sequence[StateChange]], None]
EventsStatus = Callable[[], EventQueueStatus | None]

#: Most views per second: a Prometheus scrape or a dashboard needs no more.
DEFAULT_PUBLISH_EVERY_S = 1.0
#: Most judgements per second of one streamed site: a flapping router costs little.
DEFAULT_MIN_PUSH_INTERVAL_S = 0.1


class Monitor:
    """Polls this shard's sites of an intent; see the module docstring."""

    def __init__(
        self,
        loaded: LoadedIntent,
        collectors: Sequence[Collector | StreamingCollector],
        *,
        shard: Shard | None = None,
        on_view: ViewHook | None = None,
        on_changes: ChangesHook | None = None,
        events_status: EventsStatus | None = None,
        publish_every_s: float | None = None,
        min_push_interval_s: float = DEFAULT_MIN_PUSH_INTERVAL_S,
        clock: Callable[[], float] = time.time,
        rng: Random | None = None,
    ) -> None:
        self._shard = shard or Shard()
        self._policy = Policy.of(loaded, self._shard)
        intent = loaded.intent
        self._collectors = tuple(collectors)
        self._pollers, self._streamers = split_collectors(collectors)
        self._min_push_interval_s = min_push_interval_s
        self._routes: dict[str, Route] = {}
        self._on_view = on_view
        self._on_changes = on_changes
        self._events_status = events_status
        self._publish_every_s = (
            publish_every_s
            if publish_every_s is not None
            else min(DEFAULT_PUBLISH_EVERY_S, intent.monitor.counter_interval_s / 4)
        )
        self._clock = clock
        self._rng = rng or Random()
        self._states: dict[str, SiteState] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._in_flight = InFlight(intent.monitor.max_in_flight)
        self._durations = {c.protocol: DurationRecorder() for c in self._pollers}
        self._dirty = asyncio.Event()
        self._publisher: asyncio.Task[None] | None = None
        self._view: MonitorView | None = None

    # --- lifetime ------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._publisher = asyncio.create_task(self._publish_loop(), name="sprmon-publisher")
        for site in self._policy.sites:
            self._add(site)
        log.info(
            "watching %d site(s)%s of %s: counters every %g s, BGP tables every %g s",
            len(self._policy.sites),
            "" if self._shard.count == 1 else f" (shard {self._shard})",
            self._policy.intent.source,
            self._policy.settings.counter_interval_s,
            self._policy.settings.bgp_interval_s,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tasks = [*self._tasks.values(), *([self._publisher] if self._publisher else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    # --- what the exporters read ---------------------------------------------------------------

    def view(self) -> MonitorView | None:
        """The newest published view; None until the first poll finished."""
        return self._view

    @property
    def policy(self) -> Policy:
        return self._policy

    @property
    def shard(self) -> Shard:
        return self._shard

    # --- reload --------------------------------------------------------------------------------

    def reload(self, loaded: LoadedIntent) -> None:
        """Put ``loaded`` in force: sites added and removed at once, the others re-judged."""
        policy = Policy.of(loaded, self._shard)
        intent = loaded.intent
        self._policy = policy
        now = self._clock()
        wanted = {site.name for site in policy.sites}
        changes: list[StateChange] = []
        removed = [name for name in self._states if name not in wanted]
        for name in removed:
            changes.extend(self._remove(name, now))
        added = 0
        for site in policy.sites:
            state = self._states.get(site.name)
            if state is None:
                self._add(site)
                added += 1
                continue
            # A target changed in the inventory takes effect at a polled site's next
            # poll; a watched site's stream, or a change of collector, starts afresh.
            if self._route(site).key != self._routes[site.name].key:
                self._restart(site, state)
                continue
            if state.site != site:
                state.relink(site)
            if state.report is not None:
                changes.extend(state.judge(policy, now))
        if self._in_flight.limit != intent.monitor.max_in_flight:
            # Polls in flight keep (and release) the old bound's slots.
            self._in_flight = InFlight(intent.monitor.max_in_flight)
        self._emit(changes)
        self._dirty.set()
        log.info(
            "intent %s reloaded: %d site(s) watched, %d added, %d removed",
            intent.source,
            len(policy.sites),
            added,
            len(removed),
        )

    # --- sites ---------------------------------------------------------------------------------

    def _add(self, site: Site, *, previous: SiteState | None = None) -> None:
        route = self._route(site)
        self._routes[site.name] = route
        if route.plan is not None:
            state = SiteState(site, None, plan=route.plan)
        else:
            state = SiteState(site, None if route.poller is None else route.poller.protocol)
        if previous is not None:
            state.report = previous.report
        self._states[site.name] = state
        if route.poller is None and route.streamer is None:
            access = route.access
            kinds = [
                kind for kind, target in (("snmp", access.snmp), ("gnmi", access.gnmi)) if target
            ]
            state.absorb_unpollable(
                f"no collector for this site's {' or '.join(kinds) or 'missing'} target "
                "(the daemon runs without one)",
                self._clock(),
            )
            self._emit(state.judge(self._policy, self._clock()))
            self._dirty.set()
            return
        self._tasks[site.name] = asyncio.create_task(
            self._watch_site(site.name, route), name=f"sprmon-site-{site.name}"
        )

    def _route(self, site: Site) -> Route:
        return route_for(site, self._pollers, self._streamers, self._policy)

    async def _watch_site(self, name: str, route: Route) -> None:
        if route.streamer is None or route.request is None:
            await self._site_loop(name)
            return
        if route.poller is None:
            await self._stream_loop(name, route.streamer, route.access, route.request)
            return
        async with asyncio.TaskGroup() as group:
            group.create_task(self._stream_loop(name, route.streamer, route.access, route.request))
            group.create_task(self._site_loop(name))

    def _remove(self, name: str, now: float) -> list[StateChange]:
        self._routes.pop(name, None)
        state = self._states.pop(name)
        self._retire(name, self._tasks.pop(name, None))
        return state.leave(now)

    def _restart(self, site: Site, state: SiteState) -> None:
        """Another collector (or none) polls the site now: a fresh state and task.

        The last evaluation is kept, so that its next judgement sends only what changed.
        """
        task = self._tasks.pop(site.name, None)
        self._add(site, previous=state)
        self._retire(site.name, task)

    def _retire(self, name: str, task: asyncio.Task[None] | None) -> None:
        """End a site's old task, then have each collector that no longer reads the site
        forget it: only then, as a stream's reader may count bad input until it ends."""
        if task is None or task.done():
            self._forget_unread(name)
            return
        task.cancel()
        task.add_done_callback(lambda _: self._forget_unread(name))

    def _forget_unread(self, name: str) -> None:
        # Asked when the old task has ended: a later reload may have routed the
        # site back to a collector meanwhile, which must keep what it has.
        route = self._routes.get(name)
        readers = () if route is None else route.readers
        for collector in self._collectors:
            if not any(collector is reader for reader in readers):
                collector.forget(name)

    def _collector_for(self, site: Site) -> Collector | None:
        access = self._policy.access(site)
        for collector in self._pollers:
            if collector.handles(access):
                return collector
        return None

    async def _site_loop(self, name: str) -> None:
        loop = asyncio.get_running_loop()
        next_poll = loop.time() + first_delay(self._policy.settings.counter_interval_s, self._rng)
        while True:
            state = self._states.get(name)
            if state is None:
                return
            wake = next_poll
            if state.stale_check_at is not None:
                wake = min(wake, loop.time() + (state.stale_check_at - self._clock()))
            await asyncio.sleep(max(0.0, wake - loop.time()))
            try:
                now = self._clock()
                if state.stale_check_at is not None and now >= state.stale_check_at:
                    self._emit(state.judge(self._policy, now))
                    self._dirty.set()
                if loop.time() < next_poll:
                    continue
                started = loop.time()
                await self._poll(state)
                settings = self._policy.settings
                failures = state.target.failures if state.target is not None else 0
                next_poll = started + next_delay(
                    settings.counter_interval_s,
                    jitter=settings.jitter,
                    failures=failures,
                    rng=self._rng,
                )
            except Exception:
                # The one place that catches everything: a bug in judging one
                # site must not stop it from being polled, nor the others.
                log.exception("internal error while watching site %s", name)
                next_poll = loop.time() + self._policy.settings.counter_interval_s

    async def _poll(self, state: SiteState) -> None:
        collector = self._collector_for(state.site)
        if collector is None:  # the site's targets changed on reload
            return
        policy = self._policy
        plan = state.plan
        async with self._in_flight.slot() as idle:
            # Asked once the slot is ours: a poll that waited its turn still reads
            # the table if it fell due meanwhile.
            started = asyncio.get_running_loop().time()
            table = state.bgp_table_due(started, policy)
            if plan is not None and DataPart.BGP not in plan.snmp:
                table = False  # gNMI reads the BGP table
            request = PollRequest(prefixes=policy.prefixes, bgp_table=table, idle=idle)
            clock_started = time.perf_counter()
            result = await collector.poll(state.site, policy.access(state.site), request)
            elapsed = time.perf_counter() - clock_started
        if self._states.get(state.name) is not state:
            return  # removed by a reload while it was being polled
        self._durations.setdefault(collector.protocol, DurationRecorder()).observe(elapsed)
        if plan is None:
            state.absorb(result, started=started)
        else:
            state.absorb_part(
                collector.protocol,
                result,
                sampled=True,
                started=started,
                now=self._clock(),
                policy=self._policy,
            )
        self._emit(state.judge(self._policy, self._clock()))
        self._dirty.set()

    async def _stream_loop(
        self,
        name: str,
        streamer: StreamingCollector,
        access: RouterAccess,
        request: StreamRequest,
    ) -> None:
        """Judge a watched site at each change of its stream (and when its data turns stale)."""
        state = self._states.get(name)
        if state is None:
            return
        async with streamer.watch(state.site, access, request) as feed:
            while self._states.get(name) is state:
                wait = None
                if state.stale_check_at is not None:
                    wait = max(0.0, state.stale_check_at - self._clock())
                try:
                    result = await asyncio.wait_for(feed.next(), wait)
                except TimeoutError:
                    self._emit(state.judge(self._policy, self._clock()))
                    self._dirty.set()
                    continue
                except Exception:
                    # A bug must not end the site's watch (nor spin on it).
                    log.exception("internal error in the feed of site %s", name)
                    await asyncio.sleep(self._policy.settings.counter_interval_s)
                    continue
                try:
                    state.absorb_part(
                        streamer.protocol,
                        result,
                        sampled=result.counters_sampled,
                        started=None,
                        now=self._clock(),
                        policy=self._policy,
                    )
                    self._emit(state.judge(self._policy, self._clock()))
                    self._dirty.set()
                except Exception:
                    log.exception("internal error while judging site %s", name)
                # What changes meanwhile waits in the feed, coalesced.
                await asyncio.sleep(self._min_push_interval_s)

    # --- publishing ----------------------------------------------------------------------------

    def _emit(self, changes: Sequence[StateChange]) -> None:
        if not changes or self._on_changes is None:
            return
        try:
            self._on_changes(changes)
        except Exception:
            log.exception("a state-change hook failed; the daemon carries on")

    async def _publish_loop(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            try:
                self._publish()
            except Exception:
                log.exception("publishing a view failed; the daemon carries on")
            await asyncio.sleep(self._publish_every_s)

    def _publish(self) -> None:
        view = self.build_view()
        self._view = view
        if self._on_view is not None:
            self._on_view(view)

    def build_view(self) -> MonitorView:
        """A view of every site as judged so far (sites not polled yet are left out)."""
        now = self._clock()
        stale = self._policy.stale_after_s
        states = [self._states[s.name] for s in self._policy.sites if s.name in self._states]
        reports = [state.report for state in states if state.report is not None]
        targets: list[TargetHealth] = []
        for state in states:
            for health in state.health(now, stale):
                if state.report is not None or health.errors_total:
                    targets.append(health)
        return MonitorView(
            built_at=now,
            report=_merged(reports, now),
            targets=tuple(targets),
            links=tuple(chain.from_iterable(state.link_totals() for state in states)),
            poll_durations=tuple(
                (protocol, recorder.snapshot()) for protocol, recorder in self._durations.items()
            ),
            events=None if self._events_status is None else self._events_status(),
            shard_index=self._shard.index,
            shard_count=self._shard.count,
        )


def _merged(reports: Sequence[Report], now: float) -> Report:
    return Report(
        evaluated_at=now,
        paths=tuple(chain.from_iterable(r.paths for r in reports)),
        links=tuple(chain.from_iterable(r.links for r in reports)),
    )
