"""Timing counters by the agent's refresh: a scripted agent whose counters change only
every few seconds, on a clock the test owns (no sockets, no real waiting)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from sprmon.collector.counter_timing import time_counters
from sprmon.collector.errors import SnmpTimeout
from sprmon.core.intent import SiteLink
from sprmon.core.observed import Interface, OperStatus, SiteObservation, Snapshot
from sprmon.smi import Oid, SnmpValue, ValueKind, VarBind
from sprmon.snapshot import (
    SnapshotError,
    dump_snapshot,
    load_snapshot,
    snapshot_from_dict,
    snapshot_to_dict,
)
from sprmon.snmp_oids import SYS_UP_TIME, IfEntry, IfXEntry

START = 1_767_225_600.0
PERIOD = 3.0
RTT = 0.004
WATCH, EVERY = 4.0, 0.05
BOOT = START - 1000.0
NO_SUCH = SnmpValue(ValueKind.NO_SUCH_INSTANCE)


@dataclass
class RefreshingAgent:
    """An agent whose interface counters (ifIndex 2 and 3) refresh every PERIOD at ``phase``.

    ``rates`` gives octets per second per ifIndex, both directions; errors
    grow at a tenth of that. Each request takes RTT of the test's clock.
    """

    phase: float
    rates: dict[int, float]
    now: float = START
    counter_bits: int = 64
    fail_after: int | None = None
    requests: list[tuple[Oid, ...]] = field(default_factory=list)

    @property
    def address(self) -> str:
        return "192.0.2.1:161"

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds

    def refreshed(self, at: float) -> float:
        return self.phase + math.floor((at - self.phase) / PERIOD) * PERIOD

    def octets(self, index: int, at: float) -> int:
        return 10**9 + math.floor(self.rates.get(index, 0.0) * (self.refreshed(at) - START))

    def errors(self, index: int, at: float) -> int:
        return math.floor(self.rates.get(index, 0.0) / 10 * (self.refreshed(at) - START))

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        self.requests.append(tuple(oids))
        if self.fail_after is not None and len(self.requests) > self.fail_after:
            raise SnmpTimeout("no answer from 192.0.2.1:161", target=self.address)
        self.now += RTT / 2
        answer = [(oid, self._value(oid)) for oid in oids]
        self.now += RTT / 2
        return answer

    def _value(self, oid: Oid) -> SnmpValue:
        if oid == (*SYS_UP_TIME, 0):
            return SnmpValue(ValueKind.TIMETICKS, math.floor((self.now - BOOT) * 100))
        column, index = oid[:-1], oid[-1]
        octet_kind = ValueKind.COUNTER64 if self.counter_bits == 64 else ValueKind.COUNTER32
        if column in (IfXEntry.HC_IN_OCTETS, IfXEntry.HC_OUT_OCTETS) and self.counter_bits == 64:
            return SnmpValue(octet_kind, self.octets(index, self.now))
        if column in (IfEntry.IN_OCTETS, IfEntry.OUT_OCTETS) and self.counter_bits == 32:
            return SnmpValue(octet_kind, self.octets(index, self.now) % 2**32)
        if column in (IfEntry.IN_ERRORS, IfEntry.OUT_ERRORS):
            return SnmpValue(ValueKind.COUNTER32, self.errors(index, self.now))
        if column in (IfEntry.IN_DISCARDS, IfEntry.OUT_DISCARDS):
            return SnmpValue(ValueKind.COUNTER32, 0)
        return NO_SUCH


LINKS = (
    SiteLink("mpls", 10_000_000, interface_name="eth1"),
    SiteLink("inet", 100_000_000, interface_name="eth2"),
)


def polled(agent: RefreshingAgent, *, at: float | None = None) -> SiteObservation:
    """What a poll at ``at`` (default: the agent's now) read: the cached counters."""
    when = agent.now if at is None else at

    def iface(index: int, name: str) -> Interface:
        octets = agent.octets(index, when)
        if agent.counter_bits == 32:
            octets %= 2**32
        return Interface(
            index=index,
            name=name,
            oper_status=OperStatus.UP,
            in_octets=octets,
            out_octets=octets,
            counter_bits=agent.counter_bits,
            in_errors=agent.errors(index, when),
            out_errors=agent.errors(index, when),
            in_discards=0,
            out_discards=0,
        )

    return SiteObservation(
        site="site-1",
        collected_at=when,
        uptime_ticks=math.floor((when - BOOT) * 100),
        interfaces=(iface(1, "lo"), iface(2, "eth1"), iface(3, "eth2")),
    )


async def watch(
    agent: RefreshingAgent, observation: SiteObservation, previous: SiteObservation | None = None
) -> tuple[SiteObservation, int]:
    timed, stats = await time_counters(
        agent,
        observation,
        LINKS,
        previous=previous,
        watch_s=WATCH,
        every_s=EVERY,
        clock=agent.clock,
        monotonic=agent.clock,
        sleep=agent.sleep,
    )
    assert stats.requests == len(agent.requests)
    return timed, stats.requests


def by_name(observation: SiteObservation, name: str) -> Interface:
    return next(i for i in observation.interfaces or () if i.name == name)


async def test_the_counters_are_those_of_the_next_refresh_timed_within_half_a_read() -> None:
    agent = RefreshingAgent(phase=START + 1.234, rates={2: 125_000.0, 3: 1_000_000.0})
    timed, requests = await watch(agent, polled(agent))

    refresh = START + 1.234
    for name, index in (("eth1", 2), ("eth2", 3)):
        iface = by_name(timed, name)
        assert iface.in_octets == iface.out_octets == agent.octets(index, refresh)
        assert iface.in_errors == agent.errors(index, refresh)
        assert iface.counters_at is not None and iface.counters_uptime_ticks is not None
        assert abs(iface.counters_at - refresh) <= EVERY / 2 + RTT
        assert abs(iface.counters_uptime_ticks / 100 - (refresh - BOOT)) <= EVERY / 2 + RTT
    assert timed.counter_watch_s == WATCH
    # Reads until the refresh, then one for the errors and discards; nothing more.
    assert requests == math.ceil(1.234 / EVERY) + 2
    assert by_name(timed, "lo") == by_name(polled(agent, at=START), "lo")


async def test_a_link_without_traffic_stops_the_watch_after_its_bound_untimed() -> None:
    agent = RefreshingAgent(phase=START + 0.5, rates={})
    before = polled(agent)
    timed, requests = await watch(agent, before)

    assert timed.interfaces == before.interfaces
    assert timed.counter_watch_s == WATCH
    assert requests == round(WATCH / EVERY) + 1
    assert agent.now - START <= WATCH + EVERY


async def test_an_idle_link_beside_a_busy_one_is_watched_only_briefly_after_the_refresh() -> None:
    agent = RefreshingAgent(phase=START + 1.0, rates={3: 1_000_000.0})
    timed, requests = await watch(agent, polled(agent))

    assert by_name(timed, "eth2").counters_at is not None
    assert by_name(timed, "eth1").counters_at is None
    # Reads up to the refresh, one second of grace, then the errors of eth2.
    assert requests == round(1.0 / EVERY) + round(1.0 / EVERY) + 2
    assert agent.now - START < 1.0 + 1.0 + 2 * EVERY


async def test_links_idle_since_an_earlier_poll_are_not_watched_at_all() -> None:
    agent = RefreshingAgent(phase=START + 0.5, rates={})
    earlier = polled(agent, at=START)
    agent.now = START + WATCH + 1.0
    timed, requests = await watch(agent, polled(agent), previous=earlier)

    assert requests == 0
    assert timed.counter_watch_s == WATCH
    assert all(i.counters_at is None for i in timed.interfaces or ())


async def test_equal_counters_too_recent_to_span_a_refresh_are_still_watched() -> None:
    agent = RefreshingAgent(phase=START + 0.5, rates={})
    earlier = polled(agent, at=START)
    agent.now = START + 1.0
    _, requests = await watch(agent, polled(agent), previous=earlier)

    assert requests > 0


async def test_only_the_links_that_moved_since_the_previous_poll_are_watched() -> None:
    agent = RefreshingAgent(phase=START + 0.7, rates={3: 1_000_000.0})
    earlier = polled(agent, at=START)
    agent.now = START + 5.0
    timed, _ = await watch(agent, polled(agent), previous=earlier)

    watched = {oid[-1] for request in agent.requests[:1] for oid in request[1:]}
    assert watched == {3}
    assert by_name(timed, "eth2").counters_at is not None
    assert by_name(timed, "eth1").counters_at is None


async def test_32_bit_counters_are_watched_in_iftable() -> None:
    agent = RefreshingAgent(phase=START + 2.0, rates={2: 125_000.0}, counter_bits=32)
    timed, _ = await watch(agent, polled(agent))

    assert {oid[:-1] for oid in agent.requests[0][1:]} == {IfEntry.IN_OCTETS, IfEntry.OUT_OCTETS}
    eth1 = by_name(timed, "eth1")
    assert eth1.counters_at is not None
    assert eth1.in_octets == agent.octets(2, START + 2.0) % 2**32


async def test_an_agent_that_stops_answering_leaves_the_poll_as_it_was() -> None:
    agent = RefreshingAgent(phase=START + 2.0, rates={2: 125_000.0}, fail_after=3)
    before = polled(agent)
    timed, _ = await watch(agent, before)

    assert timed == replace(before, counter_watch_s=WATCH)


async def test_no_watch_without_a_bound_or_without_interfaces() -> None:
    agent = RefreshingAgent(phase=START + 2.0, rates={2: 125_000.0})
    observation = polled(agent)
    off, stats = await time_counters(agent, observation, LINKS, watch_s=0, every_s=EVERY)
    empty = replace(observation, interfaces=None)
    none, _ = await time_counters(agent, empty, LINKS, watch_s=WATCH, every_s=EVERY)

    assert off == observation
    assert none == empty
    assert stats.requests == 0
    assert agent.requests == []


async def test_a_timed_observation_is_saved_and_loads_again(tmp_path: Path) -> None:
    agent = RefreshingAgent(phase=START + 1.5, rates={2: 125_000.0, 3: 1_000_000.0})
    timed, _ = await watch(agent, polled(agent))
    path = tmp_path / "timed.json"
    dump_snapshot(Snapshot(observations=(timed,)), path)

    (loaded,) = load_snapshot(path).observations
    assert loaded.counter_watch_s == WATCH
    for name in ("eth1", "eth2"):
        saved, read = by_name(timed, name), by_name(loaded, name)
        assert read.counters_uptime_ticks == saved.counters_uptime_ticks
        assert read.counters_at == pytest.approx(saved.counters_at, abs=1e-6)


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("interface", {"counters_uptime_ticks": 2**32}, "at most 4294967295"),
        ("interface", {"counters_uptime_ticks": -1}, "at least 0"),
        ("interface", {"counters_at": "yesterday"}, "not an ISO 8601 time"),
        ("observation", {"counter_watch_s": -4.0}, "counter_watch_s"),
    ],
)
def test_counter_timing_fields_out_of_range_are_refused(
    where: str, value: dict[str, object], message: str
) -> None:
    observation: dict[str, Any] = {
        "site": "s",
        "collected_at": "2026-01-01T00:00:00Z",
        "interfaces": [{"index": 2, "name": "eth1", "oper_status": "up"}],
    }
    if where == "interface":
        observation["interfaces"][0].update(value)
    else:
        observation.update(value)
    with pytest.raises(SnapshotError, match=message):
        snapshot_from_dict({"version": 1, "observations": [observation]})


def test_a_snapshot_without_counter_timing_reads_as_untimed() -> None:
    document = {
        "version": 1,
        "observations": [
            {
                "site": "s",
                "collected_at": "2026-01-01T00:00:00Z",
                "interfaces": [{"index": 2, "name": "eth1", "oper_status": "up"}],
            }
        ],
    }
    (observation,) = snapshot_from_dict(document).observations
    assert observation.counter_watch_s is None
    (iface,) = observation.interfaces or ()
    assert iface.counters_at is None and iface.counters_uptime_ticks is None
    assert snapshot_to_dict(snapshot_from_dict(document)) == document
