"""The SNMP counter watch against the lab's agents: it waits without its in-flight slot.

The lab's counters stand still here (one model step an hour), so each site's
first poll watches its link counters for the whole ``counter_watch_s`` without
seeing them change: the longest a watch sleeps. With one slot for the whole
daemon, the other site is polled meanwhile instead of after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from sprmon.collector.snmp_collector import CollectOptions
from sprmon.core.intent import Site
from sprmon.daemon.collector import PollRequest, PollResult
from sprmon.daemon.engine import Monitor
from sprmon.daemon.snmp import SnmpCollector
from sprmon.intentfile import load_config
from sprmon.inventory import RouterAccess
from sprmon.lab import Lab, run_lab
from tests.daemon.daemon_support import Recorder

pytestmark = pytest.mark.peer

SITES = ("site-001", "site-002")
WATCH_S = 2.0


@dataclass
class Poll:
    site: str
    started: float
    ended: float
    #: Seconds the poll spent waiting through the engine's idle (its slot given back).
    idled: float
    watched: float | None


class TimedSnmpCollector(SnmpCollector):
    """The daemon's SNMP collector, noting when each poll ran and how long it idled."""

    def __init__(self) -> None:
        super().__init__(options=CollectOptions(counter_watch_s=WATCH_S))
        self.polls: list[Poll] = []

    async def poll(self, site: Site, access: RouterAccess, request: PollRequest) -> PollResult:
        loop = asyncio.get_running_loop()
        waits: list[float] = []

        async def idle(seconds: float) -> None:
            waits.append(seconds)
            await request.idle(seconds)

        started = loop.time()
        result = await super().poll(site, access, replace(request, idle=idle))
        watched = result.observation.counter_watch_s
        self.polls.append(Poll(site.name, started, loop.time(), sum(waits), watched))
        return result


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    async with run_lab(
        sites=len(SITES),
        seed=5,
        intent_path=tmp_path / "lab" / "intent.yaml",
        control=False,
        tick=3600.0,
    ) as running:
        yield running


async def test_a_site_whose_counter_watch_sleeps_does_not_hold_back_the_other_sites_poll(
    lab: Lab,
) -> None:
    assert lab.intent_path is not None
    text = lab.intent_path.read_text(encoding="utf-8")
    # Both first polls fall within the first half second; one slot for both.
    text += "monitor: {bgp_interval: 0.5s, counter_interval: 0.5s, max_in_flight: 1}\n"
    path = lab.intent_path.with_name("daemon.yaml")
    path.write_text(text, encoding="utf-8")
    recorder = Recorder()
    async with (
        TimedSnmpCollector() as snmp,
        Monitor(load_config(path), [snmp], on_changes=recorder.on_changes, publish_every_s=0.05),
    ):
        await recorder.until(
            "both sites judged",
            lambda: {c.site for c in recorder.changes} >= set(SITES),
            3 * WATCH_S + 10,
        )
    first = {
        site: min((p for p in snmp.polls if p.site == site), key=lambda p: p.started)
        for site in SITES
    }
    one, two = sorted(first.values(), key=lambda p: p.started)
    for poll in (one, two):
        assert poll.watched == WATCH_S
        assert poll.idled > 0, "the watch waited through the engine's idle"
    # With the slot held through the watch, the second poll could only start
    # once the first had ended.
    assert two.started < one.ended
