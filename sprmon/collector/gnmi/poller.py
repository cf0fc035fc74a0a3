"""Read sites over gNMI once (Subscribe ONCE), for ``sprmon check``.

::

    async with GnmiPoller() as poller:
        observations = await poller.poll(gnmi_sites(intent.sites, inventory), prefixes)

Each site: one channel, one Subscribe ONCE for the paths of what the intent reads
over gNMI (``gnmi.use``), every notification into a fresh
:class:`~sprmon.collector.gnmi.store.SiteStore` until ``sync_response``, then the
observation. ONCE rather than Get: the same notifications as a STREAM, so one
decoder serves both, and a target answers with leaves, not subtrees of its own choosing.

Deadlines: the target's ``timeout`` for the first answer and between messages,
and :attr:`GnmiOptions.sync_timeout_s` for the whole dump (an endless stream
ends there). A site that fails comes back with ``SiteObservation.error`` set,
never as an exception; an :class:`asyncio.Semaphore` bounds the sites read at once.
The poller is given each site with its gNMI target (:class:`GnmiSite`):
:func:`gnmi_sites` pairs an intent's sites with the inventory's targets.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import chain
from types import TracebackType
from typing import Any, NamedTuple, Self

from sprmon.collector.gnmi.badinput import BadInput, BadInputLog
from sprmon.collector.gnmi.client import (
    GnmiChannel,
    GnmiError,
    GnmiProtocolError,
    GnmiTimeout,
)
from sprmon.collector.gnmi.observe import observe
from sprmon.collector.gnmi.paths import subscribe_request
from sprmon.collector.gnmi.store import COUNTERS, Limits, SiteStore
from sprmon.core.intent import Site
from sprmon.core.observed import SiteObservation
from sprmon.core.prefixes import Prefix, covering_prefixes
from sprmon.inventory import DataPart, GnmiTarget, Inventory

__all__ = [
    "GnmiOptions",
    "GnmiPoller",
    "GnmiSite",
    "gnmi_sites",
    "read_until_sync",
    "relevant_prefixes",
]

log = logging.getLogger("sprmon.collector.gnmi")

#: ``on_site_done(site, ok)``: called once per site as it finishes.
OnGnmiSiteDone = Callable[[str, bool], None]


class GnmiSite(NamedTuple):
    """A site (its policy: name and links) and how to reach its router over gNMI."""

    site: Site
    target: GnmiTarget


def gnmi_sites(sites: Iterable[Site], inventory: Inventory) -> list[GnmiSite]:
    """``sites`` that the inventory gives a gNMI target, each with it, in order."""
    return [
        GnmiSite(site, target)
        for site in sites
        if (target := inventory.gnmi(site.name)) is not None
    ]


@dataclass(frozen=True, slots=True)
class GnmiOptions:
    """How the gNMI collector reads (the intent's per-target settings come on top)."""

    #: The initial dump (ONCE, or a STREAM's before sync_response) must end within this.
    sync_timeout_s: float = 60.0
    limits: Limits = field(default_factory=Limits)


def relevant_prefixes(prefixes: Iterable[Prefix]) -> frozenset[Prefix] | None:
    """The routes worth keeping: the prefixes and every prefix covering one (None: all)."""
    wanted = tuple(prefixes)
    if not wanted:
        return None
    return frozenset(chain.from_iterable(covering_prefixes(p) for p in wanted))


async def read_until_sync(
    channel: GnmiChannel,
    call: Any,
    store: SiteStore,
    target: GnmiTarget,
    clock: Callable[[], float],
) -> float | None:
    """Apply every notification of ``call`` to ``store`` until ``sync_response``.

    Returns when (``clock``) the last counter update of the dump arrived, None if
    none did: a large dump can take seconds, and the counters, which come first,
    must be timed by when they were read, not by when the dump ended.
    Each message must come within the target's timeout; raises :class:`GnmiError`.
    """
    counters_at: float | None = None
    first = True
    while True:
        try:
            async with asyncio.timeout(target.timeout_s):
                response = await channel.read(call)
        except TimeoutError:
            what = "no answer" if first else "no message"
            raise GnmiTimeout(
                f"gNMI target {channel.where} of {channel.site}: {what} within "
                f"{target.timeout_s:g} s"
            ) from None
        first = False
        if response is None:
            raise GnmiProtocolError(
                f"gNMI target {channel.where} of {channel.site} ended the subscription "
                "before its sync_response"
            )
        kind = response.WhichOneof("response")
        if kind == "update":
            if store.apply(response.update) & COUNTERS:
                counters_at = clock()
        elif kind == "sync_response":
            if response.sync_response:
                return counters_at
        else:
            store.report(BadInput.UNEXPECTED_MESSAGE, f"a SubscribeResponse with {kind}")


class GnmiPoller:
    """Reads sites over gNMI once each; see the module docstring."""

    def __init__(
        self,
        *,
        max_concurrency: int = 64,
        options: GnmiOptions | None = None,
        on_site_done: OnGnmiSiteDone | None = None,
        clock: Callable[[], float] = time.time,
        bad_input: BadInputLog | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._max_concurrency = max_concurrency
        self._options = options or GnmiOptions()
        self._on_site_done = on_site_done
        self._clock = clock
        self.bad_input = bad_input or BadInputLog()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def poll(
        self, sites: Iterable[GnmiSite], prefixes: Iterable[Prefix] = ()
    ) -> list[SiteObservation]:
        """One observation per site, in ``sites``' order."""
        polled = list(sites)
        relevant = relevant_prefixes(prefixes)
        semaphore = asyncio.Semaphore(self._max_concurrency)
        results: list[SiteObservation | None] = [None] * len(polled)

        async def one(position: int, polled_site: GnmiSite) -> None:
            site, target = polled_site
            async with semaphore:
                observation = await self.read_site(site, target, relevant)
            results[position] = observation
            if self._on_site_done is not None:
                self._on_site_done(site.name, observation.error is None)

        async with asyncio.TaskGroup() as group:
            for position, polled_site in enumerate(polled):
                group.create_task(one(position, polled_site))
        return [result for result in results if result is not None]

    async def read_site(
        self, site: Site, target: GnmiTarget, relevant: frozenset[Prefix] | None = None
    ) -> SiteObservation:
        """One Subscribe ONCE of ``site`` at ``target``; never raises for the site's failure."""
        parts: tuple[DataPart, ...] = target.use
        store = SiteStore(
            site.name, relevant=relevant, limits=self._options.limits, bad_input=self.bad_input
        )
        deadline = self._options.sync_timeout_s
        try:
            async with asyncio.timeout(deadline), GnmiChannel(site.name, target) as channel:
                call = await channel.subscribe(
                    subscribe_request(parts, stream=False), done_writing=True
                )
                try:
                    counters_at = await read_until_sync(channel, call, store, target, self._clock)
                finally:
                    call.cancel()
        except TimeoutError:
            return self._failed(
                site,
                f"gNMI target of {site.name} sent no sync_response within {deadline:g} s "
                f"({store.updates:,} updates so far: an endless or far too large dump)",
            )
        except GnmiError as exc:
            return self._failed(site, exc.message)
        except Exception as exc:
            # One site's bug must not cancel the other sites' reads (TaskGroup would).
            log.exception("internal error while reading site %s over gNMI", site.name)
            return self._failed(
                site, f"internal error while reading over gNMI: {type(exc).__name__}: {exc}"
            )
        collected_at = self._clock()
        if counters_at is not None and DataPart.INTERFACES in parts:
            collected_at = counters_at
        observation = observe(store, collected_at=collected_at, parts=parts)
        if observation.error is not None:
            log.info("site %s: %s", site.name, observation.error)
        return observation

    def _failed(self, site: Site, reason: str) -> SiteObservation:
        log.info("site %s: %s", site.name, reason)
        return SiteObservation(site=site.name, collected_at=self._clock(), error=reason)
