"""The SNMP collector as the daemon uses it: one site per call, with the failure's reason.

It drives the same pieces as ``sprmon check`` (:class:`SnmpClient` sessions,
:class:`SiteCollector` stages, the per-site deadline and budget of :class:`SiteLimits`,
counters timed by the agent's refresh) and adds what a long-running poller
needs: row-count hints kept between polls of a site, a poll without the BGP
table, and the collector's exception classes mapped to a short
:class:`FailureReason`.

Counter timing (:func:`time_counters`) re-reads the link counters until the
agent refreshes them, so a rate is not off by up to one refresh period of the
agent's cache (Net-SNMP: about 3 s). The daemon's polls are far apart, so it
re-reads every hundredth of the time since the previous poll (at least every
``counter_watch_every_s``, at most every second): the rate's timing error stays
near 1 % at a few requests per poll instead of one every 50 ms.

A site's session (its UDP socket, its community read from its secret) is kept
from one poll to the next: opening them was 5 % of the daemon's CPU, and a
kept session encodes each of its repeated requests once
(:mod:`sprmon.collector.native_v2c`). It is opened again when the target
comes from another load of the intent (a SIGHUP reload re-reads the secrets,
and a changed target gets its own socket) or its socket was closed; a site the
daemon no longer polls over SNMP (removed from the intent, or read over gNMI
now: :meth:`SnmpCollector.forget`) closes it. A socket
per site needs file descriptors: the soft limit is raised to the hard one at
start, and past what it allows (less a reserve for everything else) further
sites get a session per poll again, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from types import MappingProxyType, TracebackType
from typing import Self

from sprmon.collector.client import SnmpClient
from sprmon.collector.counter_timing import WatchSession, time_counters
from sprmon.collector.errors import (
    SnmpAuthError,
    SnmpError,
    SnmpProtocolError,
    SnmpTableTooLarge,
    SnmpTimeout,
    SnmpUnreachable,
)
from sprmon.collector.session import SnmpSession
from sprmon.collector.site_limits import SiteLimits
from sprmon.collector.snmp_collector import CollectOptions, SiteCollector
from sprmon.core.intent import Site
from sprmon.core.monitor import Protocol
from sprmon.core.observed import SiteObservation
from sprmon.core.prefixes import Prefix
from sprmon.daemon.collector import FailureReason, Idle, PollRequest, PollResult
from sprmon.inventory import RouterAccess, SnmpTarget

__all__ = ["SnmpCollector", "failure_reason"]

log = logging.getLogger(__name__)

#: Most specific first: a protocol error class may have subclasses.
_REASONS: tuple[tuple[type[SnmpError], FailureReason], ...] = (
    (SnmpTimeout, FailureReason.TIMEOUT),
    (SnmpUnreachable, FailureReason.UNREACHABLE),
    (SnmpAuthError, FailureReason.AUTH),
    (SnmpProtocolError, FailureReason.MALFORMED),
    (SnmpTableTooLarge, FailureReason.MALFORMED),
)
#: The agent stopped answering: the reason of the whole poll, whatever came before.
_FATAL = (FailureReason.TIMEOUT, FailureReason.UNREACHABLE, FailureReason.AUTH)
#: File descriptors left to everything but kept sessions: the HTTP server and its
#: clients, the log, sessions opened per poll, gNMI channels.
_FD_RESERVE = 512


def kept_sessions_limit() -> int:
    """How many sessions (one socket each) the daemon may keep open: the soft
    RLIMIT_NOFILE, raised to the hard limit first (as Go's runtime does), less a reserve."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    if soft == resource.RLIM_INFINITY:
        return 1 << 20
    return max(0, soft - _FD_RESERVE)


def failure_reason(errors: Sequence[BaseException]) -> FailureReason:
    """The reason a poll failed with ``errors`` (in the order they happened)."""
    reasons = [_reason_of(error) for error in errors]
    for reason in reasons:
        if reason in _FATAL:
            return reason
    return reasons[0] if reasons else FailureReason.OTHER


def _reason_of(error: BaseException) -> FailureReason:
    if isinstance(error, TimeoutError):
        return FailureReason.TIMEOUT
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return reason
    return FailureReason.OTHER


class SnmpCollector:
    """Polls sites over SNMP for the daemon (see :class:`~sprmon.daemon.collector.Collector`)."""

    protocol = Protocol.SNMP

    def __init__(
        self,
        *,
        options: CollectOptions | None = None,
        clock: Callable[[], float] = time.time,
        client: SnmpClient | None = None,
        max_kept_sessions: int | None = None,
    ) -> None:
        """``max_kept_sessions``: sessions kept open between polls (None: as the
        file descriptor limit allows, :func:`kept_sessions_limit`)."""
        self._options = options or CollectOptions()
        self._clock = clock
        self._client = client or SnmpClient()
        self._owns_client = client is None
        self._limits = SiteLimits(self._options)
        self._hints: dict[tuple[str, str, int], dict[str, int]] = {}
        #: The newest observation with counters, per site: counter timing compares against it.
        self._counters: dict[str, SiteObservation] = {}
        #: Per site, the poll deadline for (target, prefixes): counting the targeted
        #: candidates of the prefixes cost about a millisecond on every poll.
        self._deadline_of: dict[str, tuple[SnmpTarget, tuple[Prefix, ...], float]] = {}
        #: Per site, its session, kept open between polls (see the module docstring).
        self._sessions: dict[str, SnmpSession] = {}
        #: Found on first use: it raises the process's file descriptor limit.
        self._max_kept = max_kept_sessions

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
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()
        if self._owns_client:
            await self._client.__aexit__(exc_type, exc, tb)

    @property
    def sessions(self) -> Mapping[str, SnmpSession]:
        """The sessions kept open between polls, by site (for tests and diagnostics)."""
        return MappingProxyType(self._sessions)

    def handles(self, access: RouterAccess) -> bool:
        return access.snmp is not None

    def forget(self, site: str) -> None:
        """Drop what was learnt about a site no longer polled over SNMP, and close its session."""
        for key in [key for key in self._hints if key[0] == site]:
            del self._hints[key]
        self._counters.pop(site, None)
        self._deadline_of.pop(site, None)
        session = self._sessions.pop(site, None)
        if session is not None:
            session.close()

    async def poll(self, site: Site, access: RouterAccess, request: PollRequest) -> PollResult:
        target = access.snmp
        if target is None:
            raise ValueError(f"site {site.name} has no snmp target")
        deadline = self._deadline(site.name, target, request.prefixes)
        budget = self._limits.budget_octets(site, request.prefixes)
        hint_key = (site.name, target.host, target.port)
        collector: SiteCollector | None = None
        try:
            async with (
                asyncio.timeout(deadline) as poll_deadline,
                self._session(site.name, target, budget) as session,
            ):
                collector = SiteCollector(
                    session,
                    site=site.name,
                    prefixes=request.prefixes,
                    links=site.links,
                    options=self._options,
                    clock=self._clock,
                    hints=self._hints.get(hint_key),
                )
                await collector.run(paths=request.bgp_table)
                if collector.row_counts:
                    self._hints[hint_key] = {
                        **self._hints.get(hint_key, {}),
                        **collector.row_counts,
                    }
                # The watch has a bound of its own: it waits without its in-flight
                # slot, and a busy daemon may keep it waiting for one.
                poll_deadline.reschedule(None)
                observation = await self._timed(
                    site, target, session, collector.observation(), request.idle
                )
        except TimeoutError as exc:
            reason = (
                f"poll of {site.name} did not finish within its deadline of {deadline:.1f} s "
                "(agent too slow, or a table too large for the timeout)"
            )
            if collector is None:
                return self._failed(site, reason, FailureReason.TIMEOUT)
            return PollResult(
                collector.observation(extra_error=reason),
                failure_reason([*collector.failures, exc]),
            )
        except SnmpError as exc:
            return self._failed(site, exc.message, failure_reason([exc]))
        except Exception as exc:
            # One site's bug must not stop the daemon's other polls: logged with
            # its traceback, reported as this site's failure.
            log.exception("internal error while polling site %s", site.name)
            return self._failed(
                site,
                f"internal error while polling: {type(exc).__name__}: {exc}",
                FailureReason.OTHER,
            )
        if observation.error is None:
            return PollResult(observation)
        return PollResult(observation, failure_reason(collector.failures))

    @contextlib.asynccontextmanager
    async def _session(
        self, site: str, target: SnmpTarget, budget: int
    ) -> AsyncIterator[SnmpSession]:
        """The site's kept session, held to ``budget`` for this poll; a new one when
        ``target`` is another object than the kept session's (the intent was loaded
        again: its secrets are read again) or the kept socket was closed. Past
        ``max_kept_sessions``, a session for this poll only."""
        session = self._sessions.get(site)
        if session is not None and (session.target is not target or session.closed):
            del self._sessions[site]
            session.close()
            session = None
        if self._max_kept is None:
            self._max_kept = kept_sessions_limit()
        if session is None and len(self._sessions) >= self._max_kept:
            async with self._client.session(target, budget_octets=budget) as once:
                yield once
            return
        if session is None:
            session = await self._client.open(target)
            self._sessions[site] = session
        session.restart(budget_octets=budget)
        yield session

    def _deadline(self, site: str, target: SnmpTarget, prefixes: tuple[Prefix, ...]) -> float:
        """How long a poll of ``site`` may take before its counter watch (cached per site)."""
        cached = self._deadline_of.get(site)
        if cached is not None and cached[0] == target and cached[1] == prefixes:
            return cached[2]
        deadline = self._limits.deadline_s(target, prefixes)
        self._deadline_of[site] = (target, prefixes, deadline)
        return deadline

    async def _timed(
        self,
        site: Site,
        target: SnmpTarget,
        session: WatchSession,
        observation: SiteObservation,
        idle: Idle,
    ) -> SiteObservation:
        """``observation`` with its link counters timed by the agent's refresh, when it has them.

        The watch waits through ``idle`` (its slot given back) and ends within
        ``counter_watch_s`` plus room for one request that times out; past that,
        or when the agent stops answering, the counters stay as the poll read them.
        """
        options = self._options
        if (
            options.counter_watch_s <= 0
            or observation.error is not None
            or not observation.interfaces
            or not site.links
        ):
            return observation
        previous = self._counters.get(site.name)
        every_s = options.counter_watch_every_s
        if previous is not None:
            every_s = min(
                1.0, max(every_s, (observation.collected_at - previous.collected_at) / 100)
            )
        bound = options.counter_watch_s + 2 * target.timeout_s * (target.retries + 1)
        try:
            async with asyncio.timeout(bound):
                timed, _ = await time_counters(
                    session,
                    observation,
                    site.links,
                    previous=previous,
                    watch_s=options.counter_watch_s,
                    every_s=every_s,
                    grace_s=options.counter_watch_grace_s,
                    max_varbinds=options.max_varbinds,
                    clock=self._clock,
                    sleep=idle,
                )
        except TimeoutError:
            log.info("site %s: counters not timed within %.1f s", site.name, bound)
            return observation
        self._counters[site.name] = timed
        return timed

    def _failed(self, site: Site, message: str, reason: FailureReason) -> PollResult:
        observation = SiteObservation(site=site.name, collected_at=self._clock(), error=message)
        return PollResult(observation, reason)
