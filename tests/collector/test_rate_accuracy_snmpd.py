"""Link utilisation against Net-SNMP's snmpd on a real veth carrying a steady, measured stream.

snmpd refreshes its IF-MIB cache every 3 s. The check (two polls 5 s apart,
as ``sprmon check`` does by default) is started at three phases of that
refresh, a second apart, found from the refresh the previous check saw. The
stream (100 datagrams/s of 1,242 octets on the wire, 993.6 kbit/s on a link of
2 Mbit/s: 0.497, as in the report that found the problem) runs steadily from
before the first poll to after the last.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest

from sprmon.collector.poller import SnmpPoller, SnmpSite
from sprmon.collector.snmp_collector import CollectOptions
from sprmon.core.evaluate import evaluate
from sprmon.core.intent import Intent, LinkRole, SiteLink
from sprmon.core.observed import Snapshot
from sprmon.realpeers.netns import VethPair, ip, veth_namespace
from sprmon.realpeers.paced_stream import StreamReport, paced_stream
from sprmon.realpeers.snmpd import Snmpd, run_snmpd
from tests.peers.sites import snmp_site

pytestmark = [pytest.mark.root, pytest.mark.slow, pytest.mark.peer]

CAPACITY_BPS = 2_000_000
PACKETS_PER_S, PAYLOAD = 100, 1200
#: snmpd's IF-MIB cache lifetime (ifTable and ifXTable).
REFRESH_S = 3.0
INTERVAL_S = 5.0
#: When each check starts, in seconds after one of the agent's refreshes.
PHASES = (0.3, 1.3, 2.3)
#: An address in the namespace's subnet that nobody owns: the namespace drops it.
NOWHERE = "198.51.100.3"


def _intent(veth: VethPair, agent: Snmpd) -> tuple[Intent, SnmpSite]:
    link = SiteLink("wan", CAPACITY_BPS, interface_name=veth.root_device)
    site, target = snmp_site("r1", agent.host, agent.port)
    site = replace(site, links=(link,))
    intent = Intent(links=(LinkRole("wan"),), applications=(), sites=(site,))
    return intent, SnmpSite(site, target)


async def _check(polled: SnmpSite, options: CollectOptions) -> Snapshot:
    async with SnmpPoller(options=options) as poller:
        return await poller.poll_twice([polled], interval_s=INTERVAL_S)


def _utilisation(intent: Intent, snapshot: Snapshot) -> float:
    report = evaluate(intent, snapshot, snapshot.effective_time())
    (finding,) = report.links
    assert finding.utilization_out is not None, finding.notes
    return finding.utilization_out


def _refreshed_at(snapshot: Snapshot, device: str) -> list[float]:
    """When the agent refreshed the counters each poll used."""
    times = []
    for observation in snapshot.observations:
        (link,) = [i for i in observation.interfaces or () if i.name == device]
        assert link.counters_at is not None, "the agent's refresh was not seen"
        times.append(link.counters_at)
    return times


async def _sleep_until_phase(refresh: float, phase: float) -> None:
    """Until ``phase`` seconds after one of the agent's refreshes (``refresh`` was one)."""
    start = refresh + phase
    while start < time.time() + 0.2:
        start += REFRESH_S
    await asyncio.sleep(start - time.time())


async def test_utilisation_is_within_5_percent_of_the_bytes_sent_at_three_refresh_phases(
    tmp_path: Path, community: str
) -> None:
    measured: dict[float, float] = {}
    seen_phases: list[float] = []
    async with veth_namespace() as veth:
        await ip(
            "neigh", "replace", NOWHERE, "lladdr", veth.ns_mac, "dev", veth.root_device,
            "nud", "permanent",
        )  # fmt: skip
        async with (
            run_snmpd(tmp_path) as agent,
            paced_stream(NOWHERE, 9, packets_per_s=PACKETS_PER_S, payload=PAYLOAD) as stream,
        ):
            intent, polled = _intent(veth, agent)
            # The first check finds the refresh; each next one starts at a chosen phase of it.
            refresh = _refreshed_at(await _check(polled, CollectOptions()), veth.root_device)[-1]
            for phase in PHASES:
                await _sleep_until_phase(refresh, phase)
                start = time.time()
                timed = await _check(polled, CollectOptions())
                first, refresh = _refreshed_at(timed, veth.root_device)
                # The first poll's counters came from the refresh after the check
                # began: how long before that refresh it began says its phase.
                seen_phases.append(REFRESH_S - (first - start))
                measured[phase] = _utilisation(intent, timed)
            # The same polls timed by themselves: 3 s of traffic divided by 5 s.
            await _sleep_until_phase(refresh, PHASES[0])
            untimed = await _check(polled, CollectOptions(counter_watch_s=0))
            sent: StreamReport = await stream.stop()

    truth = sent.bps / CAPACITY_BPS
    assert truth == pytest.approx(0.497, rel=0.01)
    for phase, utilisation in measured.items():
        assert utilisation == pytest.approx(truth, rel=0.05), (phase, measured, truth)
    # Each check began where it was meant to in the agent's refresh: three phases.
    assert seen_phases == pytest.approx(list(PHASES), abs=0.3)
    assert _utilisation(intent, untimed) == pytest.approx(truth * 3 / 5, rel=0.05)


async def test_the_stream_is_what_the_interface_counts(tmp_path: Path, community: str) -> None:
    """The stream's own report is the truth the test above compares with."""
    async with veth_namespace() as veth:
        await ip(
            "neigh", "replace", NOWHERE, "lladdr", veth.ns_mac, "dev", veth.root_device,
            "nud", "permanent",
        )  # fmt: skip
        before = _octets_out(veth.root_device)
        async with paced_stream(NOWHERE, 9, packets_per_s=PACKETS_PER_S, payload=PAYLOAD) as s:
            await asyncio.sleep(2.0)
            sent = await s.stop()
        after = _octets_out(veth.root_device)

    assert after - before == sent.packets * sent.frame_octets
    assert sent.frame_octets == PAYLOAD + 42


def _octets_out(device: str) -> int:
    return int(Path(f"/sys/class/net/{device}/statistics/tx_bytes").read_text())
