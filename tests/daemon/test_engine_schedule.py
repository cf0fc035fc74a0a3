"""The engine's scheduling promises, seen through a collector that records every poll.

The collector here is a second implementation of the daemon's collector
interface (as a gNMI collector will be), not a stand-in for a library: it
answers with healthy observations after a short wait and notes when each
poll ran, which no real agent can report.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from itertools import pairwise
from random import Random

from sprmon.core.intent import Intent, Site
from sprmon.core.monitor import Protocol, StateChange
from sprmon.core.settings import MonitorSettings
from sprmon.daemon.collector import PollRequest, PollResult
from sprmon.daemon.engine import Monitor
from sprmon.intentfile import LoadedIntent
from sprmon.inventory import GnmiTarget, Inventory, RouterAccess, SnmpTarget
from tests.factories import intent, observation


@dataclass
class Poll:
    site: str
    started: float
    ended: float
    bgp_table: bool


class RecordingCollector:
    protocol = Protocol.GNMI

    def __init__(self, duration_s: float) -> None:
        self.duration_s = duration_s
        self.polls: list[Poll] = []
        self.in_flight = 0
        self.most_in_flight = 0

    def handles(self, access: RouterAccess) -> bool:
        return True

    def forget(self, site: str) -> None:
        """It keeps nothing per site."""

    async def poll(self, site: Site, access: RouterAccess, request: PollRequest) -> PollResult:
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.duration_s)
        finally:
            self.in_flight -= 1
        self.polls.append(Poll(site.name, started, loop.time(), request.bgp_table))
        n = int(site.name.split("-")[1])
        obs = replace(observation(n), collected_at=loop.time() + 1e9)
        return PollResult(obs if request.bgp_table else replace(obs, paths=None))


def fleet(sites: int, **settings: float) -> Intent:
    return replace(intent(sites), monitor=MonitorSettings(**settings))  # type: ignore[arg-type]


async def run_for(monitor_intent: Intent, collector: RecordingCollector, seconds: float) -> None:
    async with Monitor(LoadedIntent(monitor_intent), [collector], rng=Random(4), clock=_clock):
        await asyncio.sleep(seconds)


def _clock() -> float:
    return asyncio.get_running_loop().time() + 1e9


async def test_polls_in_flight_stay_within_the_bound_and_one_at_a_time_per_site() -> None:
    collector = RecordingCollector(duration_s=0.05)
    settings = {"counter_interval_s": 0.02, "bgp_interval_s": 0.02, "jitter": 0.0}
    await run_for(fleet(8, **settings, max_in_flight=3), collector, 1.0)
    assert collector.most_in_flight == 3
    by_site: dict[str, list[Poll]] = {}
    for poll in collector.polls:
        by_site.setdefault(poll.site, []).append(poll)
    assert len(by_site) == 8
    for polls in by_site.values():
        polls.sort(key=lambda p: p.started)
        for before, after in pairwise(polls):
            assert after.started >= before.ended


async def test_the_bgp_table_is_read_on_the_first_poll_then_only_every_bgp_interval() -> None:
    collector = RecordingCollector(duration_s=0.0)
    settings = {"counter_interval_s": 0.05, "bgp_interval_s": 0.2, "jitter": 0.0}
    await run_for(fleet(2, **settings, max_in_flight=10), collector, 1.5)
    for site in ("branch-01", "branch-02"):
        polls = sorted((p for p in collector.polls if p.site == site), key=lambda p: p.started)
        assert polls[0].bgp_table
        tables = sum(p.bgp_table for p in polls)
        assert len(polls) >= 12
        # About one poll in four reads the table: never all of them, never none after the first.
        assert len(polls) / 6 <= tables <= len(polls) / 3


class SnmpOnlyCollector(RecordingCollector):
    def handles(self, access: RouterAccess) -> bool:
        return access.snmp is not None


def _with_targets(base: Intent, *, gnmi_only: set[str]) -> LoadedIntent:
    inventory = Inventory(
        {
            site.name: RouterAccess(gnmi=GnmiTarget(host="127.0.0.1"))
            if site.name in gnmi_only
            else RouterAccess(snmp=SnmpTarget(host="127.0.0.1", port=16100 + n))
            for n, site in enumerate(base.sites, start=1)
        }
    )
    return LoadedIntent(base, inventory)


async def test_a_site_no_collector_speaks_is_unknown_and_a_reload_can_take_it_there() -> None:
    base = fleet(2, counter_interval_s=0.05, bgp_interval_s=0.05, jitter=0.0)
    changes: list[StateChange] = []
    collector = SnmpOnlyCollector(duration_s=0.0)
    async with Monitor(
        _with_targets(base, gnmi_only={"branch-02"}),
        [collector],
        clock=_clock,
        on_changes=changes.extend,
        publish_every_s=0.01,
    ) as monitor:
        await asyncio.sleep(0.3)
        unknown = {c.new_state for c in changes if c.site == "branch-02" and c.app is not None}
        assert unknown == {"unknown"}
        (explained,) = {c.explanation for c in changes if c.site == "branch-02" and c.app}
        assert explained == (
            "BGP table not collected: no collector for this site's gnmi target "
            "(the daemon runs without one)"
        )
        assert {p.site for p in collector.polls} == {"branch-01"}

        before = len(changes)
        monitor.reload(_with_targets(base, gnmi_only={"branch-01", "branch-02"}))
        await asyncio.sleep(0.2)
        moved = [c for c in changes[before:] if c.site == "branch-01" and c.app is not None]
        assert moved
        assert {(c.old_state, c.new_state) for c in moved} == {("compliant", "unknown")}


class WatchingCollector(RecordingCollector):
    """Each poll reads, then waits ``watch_s`` through the request's ``idle`` (as the SNMP
    counter watch waits for the agent's refresh), then reads once more."""

    def __init__(self, duration_s: float, watch_s: float) -> None:
        super().__init__(duration_s)
        self.watch_s = watch_s

    async def _read(self) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.duration_s)
        finally:
            self.in_flight -= 1

    async def poll(self, site: Site, access: RouterAccess, request: PollRequest) -> PollResult:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await self._read()
        await request.idle(self.watch_s)
        await self._read()
        self.polls.append(Poll(site.name, started, loop.time(), request.bgp_table))
        n = int(site.name.split("-")[1])
        return PollResult(replace(observation(n), collected_at=loop.time() + 1e9))


async def test_a_poll_waiting_in_its_counter_watch_leaves_its_slot_to_other_sites() -> None:
    collector = WatchingCollector(duration_s=0.01, watch_s=0.3)
    settings = {"counter_interval_s": 0.05, "bgp_interval_s": 0.05, "jitter": 0.0}
    await run_for(fleet(3, **settings, max_in_flight=1), collector, 1.0)
    assert collector.most_in_flight == 1, "reads stay within the bound"
    polls = sorted(collector.polls, key=lambda p: p.started)
    overlapping = [
        (a.site, b.site) for a, b in pairwise(polls) if a.site != b.site and b.started < a.ended
    ]
    # With one slot held through the watch, no poll could start before the one
    # before it ended.
    assert overlapping, [(p.site, p.started, p.ended) for p in polls]
    assert {p.site for p in polls} == {"branch-01", "branch-02", "branch-03"}
