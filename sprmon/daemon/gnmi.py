"""The gNMI collector as the daemon uses it: one kept-alive STREAM per watched site.

A :class:`~sprmon.daemon.collector.StreamingCollector`: :meth:`GnmiCollector.watch`
opens a :class:`~sprmon.collector.gnmi.stream.SiteStream` for the site and hands
the engine a feed whose ``next()`` returns the site's observation as soon as it
changed, with the stream's failures as the daemon's short
:class:`~sprmon.daemon.collector.FailureReason`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from random import Random
from types import TracebackType
from typing import Self

from sprmon.collector.gnmi.badinput import BadInputLog
from sprmon.collector.gnmi.client import (
    GnmiAuthError,
    GnmiError,
    GnmiProtocolError,
    GnmiRefused,
    GnmiTimeout,
    GnmiUnreachable,
)
from sprmon.collector.gnmi.stream import SiteStream, StreamOptions, StreamSettings
from sprmon.core.intent import Site
from sprmon.core.monitor import Protocol
from sprmon.daemon.collector import FailureReason, PushResult, SiteFeed, StreamRequest
from sprmon.inventory import RouterAccess

__all__ = ["GnmiCollector", "gnmi_failure_reason"]

_REASONS: tuple[tuple[type[GnmiError], FailureReason], ...] = (
    (GnmiAuthError, FailureReason.AUTH),
    (GnmiUnreachable, FailureReason.UNREACHABLE),
    (GnmiTimeout, FailureReason.TIMEOUT),
    (GnmiProtocolError, FailureReason.MALFORMED),
    (GnmiRefused, FailureReason.MALFORMED),
)


def gnmi_failure_reason(error: GnmiError) -> FailureReason:
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return reason
    return FailureReason.OTHER


class _Feed:
    def __init__(self, stream: SiteStream, bad_input: BadInputLog) -> None:
        self.stream = stream
        self._bad_input = bad_input

    async def next(self) -> PushResult:
        update = await self.stream.next()
        observation = update.observation
        bad = self._bad_input.totals(observation.site)
        if update.failure is not None:
            return PushResult(observation, gnmi_failure_reason(update.failure), bad_input=bad)
        if observation.error is not None:
            # The target answered, but what it sent cannot be trusted (malformed values).
            return PushResult(observation, FailureReason.MALFORMED, bad_input=bad)
        return PushResult(observation, counters_sampled=update.counters_sampled, bad_input=bad)


class GnmiCollector:
    """Watches sites over gNMI for the daemon (see the module docstring)."""

    protocol = Protocol.GNMI

    def __init__(
        self,
        *,
        options: StreamOptions | None = None,
        clock: Callable[[], float] = time.time,
        rng: Random | None = None,
    ) -> None:
        self._options = options or StreamOptions()
        self._clock = clock
        self._rng = rng or Random()
        self.bad_input = BadInputLog()
        #: The open streams by site, for tests and diagnostics.
        self.streams: dict[str, SiteStream] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def handles(self, access: RouterAccess) -> bool:
        return access.gnmi is not None

    def forget(self, site: str) -> None:
        """Drop what was counted about a site no longer watched over gNMI."""
        self.bad_input.forget(site)

    @contextlib.asynccontextmanager
    async def watch(
        self, site: Site, access: RouterAccess, request: StreamRequest
    ) -> AsyncIterator[SiteFeed]:
        target = access.gnmi
        if target is None:
            raise ValueError(f"site {site.name} has no gnmi target")
        settings = StreamSettings(
            parts=request.parts,
            prefixes=request.prefixes,
            sample_interval_s=request.sample_interval_s,
        )
        stream = SiteStream(
            site,
            target,
            settings,
            options=self._options,
            clock=self._clock,
            rng=self._rng,
            bad_input=self.bad_input,
        )
        async with stream:
            self.streams[site.name] = stream
            try:
                yield _Feed(stream, self.bad_input)
            finally:
                if self.streams.get(site.name) is stream:
                    del self.streams[site.name]
