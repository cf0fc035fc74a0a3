"""Time interface counters by the agent's refresh of them, not by the poll.

Agents do not read interface counters at every request: they serve them from a
cache refreshed every few seconds (Net-SNMP every 3 s, routers often more). A
reading is as of the last refresh, up to one refresh period before the poll,
so a rate over a 5 s interval timed by the polls really covers 3 or 6 s of
traffic at a 3 s agent: 40 % off.

After a poll, :func:`time_counters` re-reads the octet counters of the site's
link interfaces with sysUpTime (one small GET) every ``every_s`` until they
change. The refresh happened between the last unchanged answer and the first
changed one: the changed values are kept, timed at the midpoint of the two
answers by the collector's clock (``Interface.counters_at``) and by sysUpTime
(``counters_uptime_ticks``), within ``every_s / 2``. The other counters of a
timed interface (errors, discards) are read once more right after the change,
from the same refresh. An interface whose counters do not change within
``watch_s`` (no traffic, or an agent that refreshes less often) keeps the
poll's values and no timing; the core times it by the poll, as before, and
says so when its counters moved.

A link without traffic must not cost a long wait:

- once one interface's refresh is seen, the others are watched ``grace_s``
  longer, not up to ``watch_s``: most agents refresh all interfaces at once,
  and an interface that did not change in that refresh carried nothing;
- a link known to be idle is not watched at all: when the previous
  observation's counters, at least ``watch_s`` older, equal this poll's.

Only a site whose links all carry nothing waits ``watch_s``, and only on its
first poll.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sprmon.collector.errors import SnmpError
from sprmon.core.intent import SiteLink
from sprmon.core.link_evaluation import find_interface
from sprmon.core.observed import Interface, SiteObservation
from sprmon.smi import Oid, SnmpValue, ValueKind, VarBind
from sprmon.snmp_oids import SYS_UP_TIME, IfEntry, IfXEntry

log = logging.getLogger(__name__)

_SYS_UP_TIME_0: Oid = (*SYS_UP_TIME, 0)
#: (in octets, out octets) columns by counter width.
_OCTETS: dict[int, tuple[Oid, Oid]] = {
    64: (IfXEntry.HC_IN_OCTETS, IfXEntry.HC_OUT_OCTETS),
    32: (IfEntry.IN_OCTETS, IfEntry.OUT_OCTETS),
}
_OCTET_KIND = {64: ValueKind.COUNTER64, 32: ValueKind.COUNTER32}
#: The other counters a rate is computed from: Interface field -> column (Counter32).
_OTHERS: dict[str, Oid] = {
    "in_errors": IfEntry.IN_ERRORS,
    "out_errors": IfEntry.OUT_ERRORS,
    "in_discards": IfEntry.IN_DISCARDS,
    "out_discards": IfEntry.OUT_DISCARDS,
}


class WatchSession(Protocol):
    """What watching needs of a session: GET, and the agent's name for messages."""

    @property
    def address(self) -> str: ...

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]: ...


@dataclass(frozen=True, slots=True)
class WatchStats:
    """What watching one site cost and found."""

    #: Interfaces watched (link interfaces not known to be idle).
    watched: int = 0
    #: Interfaces whose refresh was seen.
    timed: int = 0
    requests: int = 0
    varbinds: int = 0


@dataclass(frozen=True, slots=True)
class _Answer:
    #: The collector's clock at the middle of the request.
    at: float
    ticks: int | None
    #: ifIndex -> (in octets, out octets).
    octets: dict[int, tuple[int, int]]


def watched_interfaces(
    observation: SiteObservation,
    links: Sequence[SiteLink],
    previous: SiteObservation | None,
    watch_s: float,
) -> list[Interface]:
    """The link interfaces worth watching: found, with octet counters, not known idle."""
    found: dict[int, Interface] = {}
    for link in links:
        iface = find_interface(link, observation.interfaces)
        if iface is None or iface.in_octets is None or iface.out_octets is None:
            continue
        if iface.counter_bits in _OCTETS and not _idle(iface, observation, previous, watch_s):
            found.setdefault(iface.index, iface)
    return list(found.values())


def _idle(
    iface: Interface, observation: SiteObservation, previous: SiteObservation | None, watch_s: float
) -> bool:
    """Whether ``iface`` carried nothing since ``previous``, across at least one refresh.

    Equal counters prove it only when an agent refresh fell between the two
    readings: the earlier one must be ``watch_s`` (the longest refresh period
    the watch assumes) older than this poll.
    """
    if previous is None or previous.interfaces is None:
        return False
    before = next((i for i in previous.interfaces if i.index == iface.index), None)
    if before is None or before.name != iface.name:
        return False
    if (before.in_octets, before.out_octets) != (iface.in_octets, iface.out_octets):
        return False
    since = before.counters_at if before.counters_at is not None else previous.collected_at
    return observation.collected_at - since >= watch_s


async def time_counters(
    session: WatchSession,
    observation: SiteObservation,
    links: Sequence[SiteLink],
    *,
    previous: SiteObservation | None = None,
    watch_s: float,
    every_s: float,
    grace_s: float = 1.0,
    max_varbinds: int = 64,
    clock: Callable[[], float] = time.time,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> tuple[SiteObservation, WatchStats]:
    """``observation`` with its link interfaces' counters timed by the agent's refresh.

    Never raises :class:`SnmpError`: an agent that stops answering leaves the
    counters as the poll read them. The result says it was watched
    (``counter_watch_s``) whenever ``watch_s`` is positive.
    """
    if watch_s <= 0 or observation.interfaces is None:
        return observation, WatchStats()
    watched = watched_interfaces(observation, links, previous, watch_s)
    # One GET per read, sysUpTime included: reads of several requests would blur the timing.
    watched = watched[: max(0, (max_varbinds - 1) // 2)]
    result = dataclasses.replace(observation, counter_watch_s=watch_s)
    if not watched:
        return result, WatchStats()
    watch = _Watch(session, watched, clock, max_varbinds)
    try:
        timed = await watch.run(
            watch_s=watch_s, every_s=every_s, grace_s=grace_s, monotonic=monotonic, sleep=sleep
        )
        if timed:
            timed = await watch.other_counters(timed)
    except SnmpError as exc:
        log.info(
            "counters of %s not timed (%s): rates timed by the polls", observation.site, exc.message
        )
        timed = {}
    stats = WatchStats(
        watched=len(watched), timed=len(timed), requests=watch.requests, varbinds=watch.varbinds
    )
    if not timed:
        return result, stats
    interfaces = tuple(timed.get(i.index, i) for i in observation.interfaces)
    return dataclasses.replace(result, interfaces=interfaces), stats


class _Watch:
    def __init__(
        self,
        session: WatchSession,
        watched: Sequence[Interface],
        clock: Callable[[], float],
        max_varbinds: int,
    ) -> None:
        self._session = session
        self._max_varbinds = max(1, max_varbinds)
        self._watched = {i.index: i for i in watched}
        self._clock = clock
        self._oids: list[Oid] = [_SYS_UP_TIME_0]
        for iface in watched:
            in_column, out_column = _OCTETS[iface.counter_bits]
            self._oids += [(*in_column, iface.index), (*out_column, iface.index)]
        self.requests = 0
        self.varbinds = 0

    async def _get(self, oids: Sequence[Oid]) -> list[VarBind]:
        self.requests += 1
        varbinds = await self._session.get(oids)
        self.varbinds += len(varbinds)
        return varbinds

    async def _read(self) -> _Answer:
        sent = self._clock()
        varbinds = await self._get(self._oids)
        received = self._clock()
        values = _by_oid(varbinds)
        octets: dict[int, tuple[int, int]] = {}
        for index, iface in self._watched.items():
            kind = _OCTET_KIND[iface.counter_bits]
            in_column, out_column = _OCTETS[iface.counter_bits]
            pair = (
                _number(values.get((*in_column, index)), kind),
                _number(values.get((*out_column, index)), kind),
            )
            if pair[0] is not None and pair[1] is not None:
                octets[index] = (pair[0], pair[1])
        return _Answer(
            at=(sent + received) / 2,
            ticks=_number(values.get(_SYS_UP_TIME_0), ValueKind.TIMETICKS),
            octets=octets,
        )

    async def run(
        self,
        *,
        watch_s: float,
        every_s: float,
        grace_s: float,
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> dict[int, Interface]:
        """Read until every watched interface's octets changed, ``watch_s`` passed, or
        ``grace_s`` passed since the first change; the interfaces that changed, with
        the changed octets and their timing."""
        started = monotonic()
        before = await self._read()
        pending = set(before.octets)
        timed: dict[int, Interface] = {}
        first_seen = False
        next_read = started + every_s
        end = started + watch_s
        while pending and next_read <= end:
            await sleep(max(0.0, next_read - monotonic()))
            next_read += every_s
            after = await self._read()
            ticks = (
                (before.ticks + after.ticks) // 2
                if before.ticks is not None
                and after.ticks is not None
                and after.ticks >= before.ticks
                else None
            )
            for index in sorted(pending):
                now = after.octets.get(index)
                if now is None:
                    pending.discard(index)  # the agent stopped serving it: leave it untimed
                elif now != before.octets[index]:
                    pending.discard(index)
                    timed[index] = dataclasses.replace(
                        self._watched[index],
                        in_octets=now[0],
                        out_octets=now[1],
                        counters_at=(before.at + after.at) / 2,
                        counters_uptime_ticks=ticks,
                    )
            if timed and not first_seen:
                first_seen = True
                end = min(end, monotonic() + grace_s)
            before = after
        return timed

    async def other_counters(self, timed: dict[int, Interface]) -> dict[int, Interface]:
        """Errors and discards of the timed interfaces, read straight after the
        refresh that changed their octets (so from that refresh too)."""
        asked = [
            (*column, index)
            for index, iface in timed.items()
            for field, column in _OTHERS.items()
            if getattr(iface, field) is not None
        ]
        if not asked:
            return timed
        values: dict[Oid, SnmpValue] = {}
        for start in range(0, len(asked), self._max_varbinds):
            values.update(_by_oid(await self._get(asked[start : start + self._max_varbinds])))
        result: dict[int, Interface] = {}
        for index, iface in timed.items():
            fresh: dict[str, int | None] = {}
            for field, column in _OTHERS.items():
                if getattr(iface, field) is not None:
                    fresh[field] = _number(values.get((*column, index)), ValueKind.COUNTER32)
            if None in fresh.values():
                continue  # rather untimed than a mix of two moments
            result[index] = dataclasses.replace(
                iface,
                in_errors=fresh.get("in_errors", iface.in_errors),
                out_errors=fresh.get("out_errors", iface.out_errors),
                in_discards=fresh.get("in_discards", iface.in_discards),
                out_discards=fresh.get("out_discards", iface.out_discards),
            )
        return result


def _by_oid(varbinds: Sequence[VarBind]) -> dict[Oid, SnmpValue]:
    return dict(varbinds)


def _number(value: SnmpValue | None, kind: ValueKind) -> int | None:
    if value is None or value.kind is not kind or not isinstance(value.value, int):
        return None
    return value.value
