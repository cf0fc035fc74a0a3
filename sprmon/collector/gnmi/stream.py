"""A site's gNMI STREAM subscription, kept alive, and its current observation.

::

    settings = StreamSettings(parts, prefixes, sample_interval_s=60)
    async with SiteStream(site, target, settings) as stream:   # target: the inventory's
        while True:
            update = await stream.next()      # at once after a change; coalesces bursts
            ...update.observation, update.counters_sampled, update.failure

One task per site reads its stream into a :class:`~sprmon.collector.gnmi.store.SiteStore`:
ON_CHANGE for the RIB, the neighbours' state and the interfaces' status, SAMPLE
for the counters (every ``sample_interval_s``) and for the boot time, which is
the stream's heartbeat. Nothing is queued: a change wakes :meth:`SiteStream.next`,
which builds the observation from the store when it is asked for, so a burst of
a thousand updates costs one observation, and a consumer that falls behind
sees the newest state, never a backlog.

**Failures.** A connection that fails, is refused, ends, or falls silent (no
message, not even the sampled heartbeat, for three sample intervals plus the
target's timeout) is reported once through :meth:`next` (``failure`` set), then
retried after an exponential backoff with jitter (``min_backoff_s`` doubling up
to ``max_backoff_s``, each delay drawn between half and all of it, so that a
fleet that lost its connections together does not come back in lock-step).
Every reconnection subscribes again and builds a new store from the target's
complete dump up to ``sync_response`` before it replaces the old one: a route
withdrawn while the stream was down is gone after the resync, nothing changed
meanwhile is missed. The observation is only ever built from a synced store.

**Times.** ``collected_at`` is when the counters were sampled: the target's
timestamp of the newest counter sample, shifted to the collector's clock by an
offset taken once per connection (when the first sample arrived), so that two
samples are as far apart as the target says even if it served the first from
an older cache; the receive time when the target sends no timestamps. With no
interfaces read over gNMI it is when the target was last heard from. The
uptime comes from the same timestamps (see :mod:`~sprmon.collector.gnmi.observe`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random
from types import TracebackType
from typing import Any, Self

from sprmon.collector.gnmi.badinput import BadInput, BadInputLog
from sprmon.collector.gnmi.client import (
    GnmiChannel,
    GnmiError,
    GnmiProtocolError,
    GnmiTimeout,
)
from sprmon.collector.gnmi.observe import dangling_references, observe
from sprmon.collector.gnmi.paths import subscribe_request
from sprmon.collector.gnmi.poller import GnmiOptions, read_until_sync, relevant_prefixes
from sprmon.collector.gnmi.store import COUNTERS, SiteStore
from sprmon.core.intent import Site
from sprmon.core.observed import SiteObservation
from sprmon.core.prefixes import Prefix
from sprmon.inventory import DataPart, GnmiTarget

__all__ = ["SiteStream", "StreamOptions", "StreamSettings", "StreamUpdate", "backoff_delay"]

log = logging.getLogger("sprmon.collector.gnmi")


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """What one site's stream reads."""

    parts: tuple[DataPart, ...]
    prefixes: tuple[Prefix, ...] = ()
    #: Counters and the heartbeat are sampled this often.
    sample_interval_s: float = 10.0


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """How streams are kept alive (the same for every site)."""

    gnmi: GnmiOptions = field(default_factory=GnmiOptions)
    min_backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    #: After a change, how long :meth:`SiteStream.next` waits for the rest of the burst
    #: (the counters of every interface of one sample, a route and its attribute set).
    settle_s: float = 0.02
    #: Silence longer than this many sample intervals (plus the target's timeout)
    #: means the stream is dead, whatever TCP says.
    silent_intervals: float = 3.0
    #: How long a route may point at a set not received yet (the rest of a change on
    #: its way) before the table is reported unusable.
    dangling_grace_s: float = 1.0


@dataclass(frozen=True, slots=True)
class StreamUpdate:
    observation: SiteObservation
    #: The counters in ``observation`` were sampled since the previous update.
    counters_sampled: bool = False
    #: Why the stream failed (``observation.error`` says it too); None: the stream is fine.
    failure: GnmiError | None = None


def backoff_delay(attempt: int, rng: Random, min_s: float, max_s: float) -> float:
    """Seconds before reconnection ``attempt`` (1, 2, ...): doubling, capped, jittered."""
    base = min(max_s, min_s * 2 ** min(attempt - 1, 30))
    return rng.uniform(base / 2, base)


class SiteStream:
    """One site's STREAM subscription; see the module docstring."""

    def __init__(
        self,
        site: Site,
        target: GnmiTarget,
        settings: StreamSettings,
        *,
        options: StreamOptions | None = None,
        clock: Callable[[], float] = time.time,
        rng: Random | None = None,
        bad_input: BadInputLog | None = None,
    ) -> None:
        self.site = site
        self.settings = settings
        self._target = target
        self._options = options or StreamOptions()
        self._clock = clock
        self._rng = rng or Random()
        self.bad_input = bad_input or BadInputLog()
        self._relevant = relevant_prefixes(settings.prefixes)
        self._request = subscribe_request(
            settings.parts, stream=True, sample_interval_s=settings.sample_interval_s
        )
        self._store: SiteStore | None = None
        self._counters_at = 0.0
        #: Collector time minus the target's, fixed at each sync (None: no timestamps).
        self._offset: float | None = None
        self._heard_at = 0.0
        self._counters_new = False
        self._failure: GnmiError | None = None
        self._changed = asyncio.Event()
        self._published = 0.0
        self._dangling_since: float | None = None
        self._task: asyncio.Task[None] | None = None
        #: Completed initial dumps (the first sync and every resync), and failed sessions.
        self.syncs = 0
        self.failures = 0

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run(), name=f"sprmon-gnmi-{self.site.name}")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    @property
    def store(self) -> SiteStore | None:
        """The synced store the observations come from (None while down)."""
        return self._store

    # --- what the consumer sees --------------------------------------------------------------

    async def next(self) -> StreamUpdate:
        """The site after its next change (or the stream's failure); see the module docstring."""
        while True:
            await self._changed.wait()
            if self._options.settle_s > 0:
                await asyncio.sleep(self._options.settle_s)
            self._changed.clear()
            self._published = asyncio.get_running_loop().time()
            if self._failure is not None:
                failure, self._failure = self._failure, None
                if self._store is not None:
                    self._changed.set()  # resynced since: that comes next
                failed = SiteObservation(
                    site=self.site.name, collected_at=self._clock(), error=failure.message
                )
                return StreamUpdate(failed, failure=failure)
            store = self._store
            if store is None:
                continue
            if not self._consistent(store):
                continue
            parts = self.settings.parts
            counters = DataPart.INTERFACES in parts
            collected_at = self._counters_at if counters else self._heard_at
            if counters and self._offset is not None and store.counters_ts:
                collected_at = store.counters_ts / 1e9 + self._offset
            observation = observe(store, collected_at=collected_at, parts=parts)
            sampled, self._counters_new = self._counters_new and counters, False
            return StreamUpdate(observation, counters_sampled=sampled)

    def _consistent(self, store: SiteStore) -> bool:
        """False while routes point at sets not received yet, for at most the grace time.

        The change is then published once the rest of it arrived (or the grace
        ran out, and the observation says the table is unusable).
        """
        if DataPart.BGP not in self.settings.parts or not dangling_references(store):
            self._dangling_since = None
            return True
        now = asyncio.get_running_loop().time()
        if self._dangling_since is None:
            self._dangling_since = now
        if now - self._dangling_since >= self._options.dangling_grace_s:
            return True
        # Look again shortly, even if nothing else arrives.
        asyncio.get_running_loop().call_later(
            min(0.05, self._options.dangling_grace_s), self._changed.set
        )
        return False

    # --- the subscription --------------------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        while True:
            syncs = self.syncs
            try:
                await self._session()
                error: GnmiError = GnmiProtocolError(
                    f"gNMI target of {self.site.name} ended the stream"
                )
            except GnmiError as exc:
                error = exc
            except Exception as exc:
                # A bug must not end the site's watch: logged, reported, retried.
                log.exception("internal error in the gNMI stream of site %s", self.site.name)
                error = GnmiError(f"internal error in the gNMI stream: {type(exc).__name__}")
            self._store = None
            self._failure = error
            self.failures += 1
            self._changed.set()
            attempt = 1 if self.syncs != syncs else attempt + 1
            delay = backoff_delay(
                attempt, self._rng, self._options.min_backoff_s, self._options.max_backoff_s
            )
            log.info("site %s: %s; subscribing again in %.1f s", self.site.name, error, delay)
            await asyncio.sleep(delay)

    async def _session(self) -> None:
        target = self._target
        sync_timeout = self._options.gnmi.sync_timeout_s
        async with GnmiChannel(self.site.name, target) as channel:
            call = await channel.subscribe(self._request)
            try:
                store = SiteStore(
                    self.site.name,
                    relevant=self._relevant,
                    limits=self._options.gnmi.limits,
                    bad_input=self.bad_input,
                )
                try:
                    async with asyncio.timeout(sync_timeout):
                        counters_at = await read_until_sync(
                            channel, call, store, target, self._clock
                        )
                except TimeoutError:
                    raise GnmiProtocolError(
                        f"gNMI target of {self.site.name} sent no sync_response within "
                        f"{sync_timeout:g} s ({store.updates:,} updates so far)"
                    ) from None
                now = self._clock()
                self._store, self._heard_at = store, now
                self._counters_at = now if counters_at is None else counters_at
                # The counters are timed by the target's clock, shifted once per connection
                # to the collector's: two samples are then exactly as far apart as the
                # target says, even when it served the first from an older cache.
                self._offset = None
                if store.counters_ts:
                    self._offset = self._counters_at - store.counters_ts / 1e9
                self._counters_new = True
                self._failure = None
                self.syncs += 1
                self._changed.set()
                await self._follow(channel, call, store)
            finally:
                call.cancel()

    async def _follow(self, channel: GnmiChannel, call: Any, store: SiteStore) -> None:
        """Apply the stream's messages to ``store`` until it fails or ends."""
        loop = asyncio.get_running_loop()
        silence = self.settings.sample_interval_s * self._options.silent_intervals
        silence += self._target.timeout_s
        heartbeat = self.settings.sample_interval_s
        counters = DataPart.INTERFACES in self.settings.parts
        try:
            async with asyncio.timeout(silence) as watchdog:
                while True:
                    response = await channel.read(call)
                    now = loop.time()
                    # Moved only when half used up: rescheduling on every message costs more.
                    deadline = watchdog.when()
                    if deadline is not None and now + silence / 2 > deadline:
                        watchdog.reschedule(now + silence)
                    if response is None:
                        return
                    kind = response.WhichOneof("response")
                    changed = 0
                    if kind == "update":
                        changed = store.apply(response.update)
                    elif kind != "sync_response":
                        store.report(
                            BadInput.UNEXPECTED_MESSAGE, f"a SubscribeResponse with {kind}"
                        )
                    self._heard_at = self._clock()
                    if changed & COUNTERS:
                        self._counters_at = self._heard_at
                        self._counters_new = True
                    if changed or (not counters and now - self._published >= heartbeat):
                        self._changed.set()
        except TimeoutError:
            raise GnmiTimeout(
                f"gNMI stream of {self.site.name} silent for {silence:g} s "
                "(not even its sampled heartbeat)"
            ) from None
