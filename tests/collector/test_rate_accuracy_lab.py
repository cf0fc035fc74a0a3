"""Link rates against the lab with counters that change only every 3 s, as Net-SNMP's do.

Each lab router refreshes its counters at its own phase, so one check of four
sites covers four phases of the agent's refresh relative to the polls; the
model knows every link's true rate to the bit.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sprmon.collector.poller import SnmpPoller, snmp_sites
from sprmon.collector.snmp_collector import CollectOptions
from sprmon.core.evaluate import evaluate
from sprmon.core.intent import Intent
from sprmon.core.observed import Snapshot
from sprmon.core.prefixes import Prefix
from sprmon.intentfile import LoadedIntent, load_config
from sprmon.lab import Lab, run_lab
from sprmon.lab.plan import INET, MPLS

pytestmark = [pytest.mark.peer, pytest.mark.slow]

REFRESH_S = 3.0
#: sprmon check's default interval.
INTERVAL_S = 5.0
#: The lab's clock (sysUpTime too) moves in ticks: well below the refresh period.
TICK_S = 0.02
#: Four sites whose refresh phases leave no gap of a second or more in the period.
SITES, SEED = 4, 11


def _prefixes(intent: Intent) -> list[Prefix]:
    return [prefix for app in intent.applications for prefix in app.prefixes]


@pytest.fixture
async def refreshing_lab(tmp_path: Path) -> AsyncIterator[tuple[Lab, LoadedIntent]]:
    async with run_lab(
        sites=SITES,
        seed=SEED,
        intent_path=tmp_path / "intent.yaml",
        tick=TICK_S,
        control=False,
        counter_refresh_s=REFRESH_S,
    ) as lab:
        assert lab.intent_path is not None
        yield lab, load_config(lab.intent_path)


async def test_utilisation_is_within_5_percent_of_the_traffic_at_every_refresh_phase(
    refreshing_lab: tuple[Lab, LoadedIntent],
) -> None:
    lab, loaded = refreshing_lab
    intent = loaded.intent
    sites = [site.name for site in intent.sites]
    phases = sorted(lab.model.counter_refresh_phase(site) for site in sites)
    gaps = [b - a for a, b in itertools.pairwise(phases)]
    assert max([*gaps, phases[0] + REFRESH_S - phases[-1]]) < 1.0, phases

    async with SnmpPoller() as poller:
        snapshot = await poller.poll_twice(
            snmp_sites(intent.sites, loaded.inventory), _prefixes(intent), interval_s=INTERVAL_S
        )
    report = evaluate(intent, snapshot, snapshot.effective_time())

    assert len(report.links) == 2 * SITES
    for finding in report.links:
        plan = lab.model.site(finding.site).link(finding.link)
        truth = lab.model.rates(finding.site)[plan.if_index]
        capacity = finding.capacity_bps
        assert finding.utilization_out == pytest.approx(truth.out_bps / capacity, rel=0.05)
        assert finding.utilization_in == pytest.approx(truth.in_bps / capacity, rel=0.05)
        assert finding.notes == ()
    for observation in snapshot.observations:
        links = [i for i in observation.interfaces or () if i.name != "lo"]
        assert len(links) == 2
        assert all(i.counters_at is not None for i in links), observation


async def test_a_link_without_traffic_costs_no_wait_once_it_is_known_idle(
    refreshing_lab: tuple[Lab, LoadedIntent],
) -> None:
    lab, loaded = refreshing_lab
    intent = loaded.intent
    polled = snmp_sites(intent.sites, loaded.inventory)
    idle = intent.sites[0].name
    for link in (MPLS, INET):
        lab.inject(idle, "link-down", link)
    # The agent shows the traffic before the fault until its next refresh.
    await asyncio.sleep(REFRESH_S + 2 * TICK_S)
    options = CollectOptions()
    started = time.monotonic()
    async with SnmpPoller(options=options) as poller:
        first = await poller.poll_with_stats(polled, _prefixes(intent), time_counters=True)
        await asyncio.sleep(max(0.0, INTERVAL_S - (time.monotonic() - started)))
        second = await poller.poll_with_stats(
            polled,
            _prefixes(intent),
            time_counters=True,
            previous={o.site: o for o in first.snapshot.observations},
        )

    by_site = {stats.site: stats for stats in first.stats}
    again = {stats.site: stats for stats in second.stats}
    # The first poll knows nothing of the link: it watches it for at most the bound.
    bound = round(options.counter_watch_s / options.counter_watch_every_s) + 1
    assert 0 < by_site[idle].watch_requests <= bound
    assert by_site[idle].timed_interfaces == 0
    # Five seconds on, the counters have not moved across a refresh: no watch at all.
    assert again[idle].watch_requests == 0
    busy = intent.sites[1].name
    assert again[busy].timed_interfaces == 2
    # ... and a link with traffic costs at most one refresh period of reads, plus the
    # read of its errors and discards.
    assert again[busy].watch_requests <= round(REFRESH_S / options.counter_watch_every_s) + 3
    snapshot_sites = first.snapshot.observations + second.snapshot.observations
    report = evaluate(
        intent, Snapshot(observations=snapshot_sites), second.snapshot.effective_time()
    )
    idle_links = [f for f in report.links if f.site == idle]
    assert [(f.in_bps, f.out_bps) for f in idle_links] == [(0.0, 0.0), (0.0, 0.0)]
    assert all("counter refresh" not in note for f in idle_links for note in f.notes)
