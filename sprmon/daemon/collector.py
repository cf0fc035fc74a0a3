"""What the daemon needs from a collector: one poll of one site, or a site's stream of changes.

The daemon knows nothing of SNMP or gNMI, nor of how to reach a router: it
hands each collector a site's :class:`~sprmon.inventory.RouterAccess` from the
inventory without reading it. A polling :class:`Collector` says whether it
speaks one of the access's targets (:meth:`Collector.handles`) and polls the
site through it (:meth:`Collector.poll`) into a :class:`~sprmon.core.observed.SiteObservation`;
a poll that fails carries the reason in the observation's ``error`` and, for
the daemon's metrics, a short :class:`FailureReason` in the result.

A :class:`StreamingCollector` (gNMI STREAM) instead keeps each watched site's
observation up to date itself and hands the daemon a :class:`SiteFeed` whose
:meth:`~SiteFeed.next` returns as soon as the site changed (coalescing what
changed meanwhile), so the site is judged at once instead of at its next poll.
The scheduler of polled sites, the history and the exporters do not change.

Either kind keeps things per site between reads (an SNMP session, gNMI bad-input
counts); the daemon tells it to :meth:`~Collector.forget` a site as soon as it
no longer reads the site through it (removed from the intent, or read through
another collector after a reload).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol as TypingProtocol
from typing import cast

from sprmon.core.intent import Site
from sprmon.core.monitor import Protocol
from sprmon.core.observed import SiteObservation
from sprmon.core.prefixes import Prefix
from sprmon.inventory import DataPart, RouterAccess

__all__ = [
    "Collector",
    "FailureReason",
    "Idle",
    "PollRequest",
    "PollResult",
    "PushResult",
    "SiteFeed",
    "StreamRequest",
    "StreamingCollector",
    "is_streaming",
    "split_collectors",
]


class FailureReason(StrEnum):
    """Why a poll failed, as a metric label (``sprmon_poll_errors_total{reason}``)."""

    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    AUTH = "auth"
    MALFORMED = "malformed"
    OTHER = "other"


#: ``await idle(seconds)``: wait within a poll without holding its in-flight slot.
Idle = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PollRequest:
    """What one poll reads. Interfaces and BGP peers are always read (small, and
    the link states need them); the BGP table only when ``bgp_table`` is set.

    ``idle`` is how the poll waits between requests (the SNMP counter watch's
    pauses): the engine's gives the poll's ``max_in_flight`` slot back meanwhile
    (:mod:`sprmon.daemon.inflight`).
    """

    prefixes: tuple[Prefix, ...]
    bgp_table: bool = True
    idle: Idle = asyncio.sleep


@dataclass(frozen=True, slots=True)
class PollResult:
    observation: SiteObservation
    #: None when the poll succeeded (``observation.error`` is None too).
    failure: FailureReason | None = None


class Collector(TypingProtocol):
    """A way to poll site routers (SNMP, gNMI)."""

    @property
    def protocol(self) -> Protocol: ...

    def handles(self, access: RouterAccess) -> bool:
        """Whether ``access`` has a target this collector speaks."""
        ...

    async def poll(self, site: Site, access: RouterAccess, request: PollRequest) -> PollResult:
        """Poll ``site`` through ``access``; never raises for a failure of the site (only
        when cancelled)."""
        ...

    def forget(self, site: str) -> None:
        """Drop what is kept about ``site`` (a session, hints): it no longer reads it."""
        ...


@dataclass(frozen=True, slots=True)
class StreamRequest:
    """What a streaming collector keeps up to date for one site."""

    prefixes: tuple[Prefix, ...]
    #: What the stream reads (the rest, if anything, is polled over SNMP).
    parts: tuple[DataPart, ...]
    #: How often counters are sampled (the intent's counter interval).
    sample_interval_s: float


@dataclass(frozen=True, slots=True)
class PushResult:
    """A watched site's observation after a change, or why its stream failed."""

    observation: SiteObservation
    #: None when the observation is good (``observation.error`` is None too).
    failure: FailureReason | None = None
    #: The interface counters are a new sample: they advance the rates. False: the
    #: counters (and ``collected_at``, which times them) are those of the last sample.
    counters_sampled: bool = False
    #: What the target sent that could not be used, by kind (``unknown_path``,
    #: ``malformed_value``, ...), counted since the collector started, sorted by kind.
    bad_input: tuple[tuple[str, int], ...] = ()


class SiteFeed(TypingProtocol):
    async def next(self) -> PushResult:
        """Wait for the site's next change (or failure); safe to cancel while waiting."""
        ...


class StreamingCollector(TypingProtocol):
    """A way to watch site routers that push their changes (gNMI STREAM)."""

    @property
    def protocol(self) -> Protocol: ...

    def handles(self, access: RouterAccess) -> bool:
        """Whether ``access`` has a target this collector speaks."""
        ...

    def watch(
        self, site: Site, access: RouterAccess, request: StreamRequest
    ) -> AbstractAsyncContextManager[SiteFeed]:
        """Keep ``site`` watched through ``access`` while the context is open; it never
        raises for the site."""
        ...

    def forget(self, site: str) -> None:
        """Drop what is kept about ``site`` (its counts of bad input): it no longer
        watches it, and its stream has ended."""
        ...


def is_streaming(collector: object) -> bool:
    """Whether ``collector`` pushes changes (:class:`StreamingCollector`) rather than polls."""
    return callable(getattr(collector, "watch", None))


def split_collectors(
    collectors: Sequence[Collector | StreamingCollector],
) -> tuple[tuple[Collector, ...], tuple[StreamingCollector, ...]]:
    """``(polling, streaming)`` collectors, each in the order given."""
    polling = tuple(cast(Collector, c) for c in collectors if not is_streaming(c))
    streaming = tuple(cast(StreamingCollector, c) for c in collectors if is_streaming(c))
    return polling, streaming
