"""How true are link rates under agents that cache their counters? (issue 10, part 1)

::

    .venv/bin/python bench/bench_rates.py                 # both parts (snmpd needs root)
    .venv/bin/python bench/bench_rates.py --parts lab --phases 6

(snmpd) Net-SNMP's snmpd serves a veth in a network namespace that carries a
paced UDP stream (100 datagrams/s of 1,242 octets on the wire: 993.6 kbit/s on
a 2 Mbit/s link, a true utilisation of 0.497, measured by the sender). A check
as ``sprmon check`` makes it (two polls 5 s apart) is started at several phases
of snmpd's 3 s counter refresh, each twice: timed by the polls (the collector
before issue 10, ``counter_watch_s=0``) and timed by the agent's refresh (the
default). Prints the utilisation each reported, its error, the check's wall
time and the requests spent watching.

(lab) The same against the lab with ``counter_refresh_s=3``: one check of
``--sites`` sites, each refreshing at its own phase, compared with the model's
exact rates.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import describe_machine

from sprmon.collector.poller import SnmpPoller, SnmpSite, snmp_sites
from sprmon.collector.snmp_collector import CollectOptions
from sprmon.core.evaluate import evaluate
from sprmon.core.intent import Intent, LinkRole, Site, SiteLink
from sprmon.core.observed import Snapshot
from sprmon.intentfile import load_config
from sprmon.inventory import SecretRef, SnmpTarget
from sprmon.lab import run_lab
from sprmon.realpeers.netns import ip, veth_namespace
from sprmon.realpeers.paced_stream import paced_stream
from sprmon.realpeers.snmpd import run_snmpd

REFRESH_S = 3.0
INTERVAL_S = 5.0
CAPACITY_BPS = 2_000_000
NOWHERE = "198.51.100.3"
COMMUNITY_ENV = "SPRMON_BENCH_COMMUNITY"


def _error(measured: float | None, truth: float) -> str:
    if measured is None:
        return "   no rate"
    return f"{measured:.4f} ({100 * (measured / truth - 1):+6.1f} %)"


async def _check(polled: list[SnmpSite], options: CollectOptions) -> tuple[Snapshot, float, int]:
    started = time.monotonic()
    async with SnmpPoller(options=options) as poller:
        first = await poller.poll_with_stats(polled, time_counters=options.counter_watch_s > 0)
        await asyncio.sleep(max(0.0, INTERVAL_S - (time.monotonic() - started)))
        second = await poller.poll_with_stats(
            polled,
            time_counters=options.counter_watch_s > 0,
            previous={o.site: o for o in first.snapshot.observations},
        )
    watch = sum(s.watch_requests for s in (*first.stats, *second.stats))
    snapshot = Snapshot(observations=first.snapshot.observations + second.snapshot.observations)
    return snapshot, time.monotonic() - started, watch


#: One timed check: the utilisation it found, its wall-clock seconds, its watch requests.
Check = tuple[float | None, float, int]


async def bench_snmpd(phases: int) -> None:
    print(f"(snmpd) Net-SNMP snmpd, veth, paced stream; check: 2 polls {INTERVAL_S:g} s apart")
    os.environ[COMMUNITY_ENV] = "public"
    with tempfile.TemporaryDirectory(prefix="sprmon-bench-rates-") as work:
        async with veth_namespace() as veth:
            await ip(
                "neigh", "replace", NOWHERE, "lladdr", veth.ns_mac, "dev", veth.root_device,
                "nud", "permanent",
            )  # fmt: skip
            async with (
                run_snmpd(Path(work)) as agent,
                paced_stream(NOWHERE, 9, packets_per_s=100, payload=1200) as stream,
            ):
                target = SnmpTarget(agent.host, agent.port, community=SecretRef(env=COMMUNITY_ENV))
                link = SiteLink("wan", CAPACITY_BPS, interface_name=veth.root_device)
                site = Site("r1", (link,))
                intent = Intent(links=(LinkRole("wan"),), applications=(), sites=(site,))
                polled = [SnmpSite(site, target)]
                # A first timed check finds the agent's refresh; the others start at
                # chosen phases of it.
                snapshot, _, _ = await _check(polled, CollectOptions())
                refresh = _refreshes(snapshot, veth.root_device)[-1]
                rows: list[tuple[float, Check, Check]] = []
                for n in range(phases):
                    phase = 0.2 + n * (REFRESH_S / phases)
                    checks: list[Check] = []
                    for options in (CollectOptions(counter_watch_s=0), CollectOptions()):
                        start = refresh + phase
                        while start < time.time() + 0.2:
                            start += REFRESH_S
                        await asyncio.sleep(start - time.time())
                        snapshot, wall, watch = await _check(polled, options)
                        if options.counter_watch_s:
                            refresh = _refreshes(snapshot, veth.root_device)[-1]
                        report = evaluate(intent, snapshot, snapshot.effective_time())
                        checks.append((report.links[0].utilization_out, wall, watch))
                    by_polls, by_refresh = checks
                    rows.append((phase, by_polls, by_refresh))
                sent = await stream.stop()
    truth = sent.bps / CAPACITY_BPS
    print(f"  true utilisation (sender): {truth:.4f} ({sent.packets} datagrams)")
    print("  phase   timed by the polls            timed by the refresh")
    errors: list[float] = []
    for phase, (untimed, wall0, _), (timed, wall1, watch) in rows:
        print(
            f"  {phase:4.1f} s  {_error(untimed, truth)}  {wall0:4.1f} s   "
            f"{_error(timed, truth)}  {wall1:4.1f} s, {watch} watch requests"
        )
        if isinstance(timed, float):
            errors.append(abs(timed / truth - 1))
    if errors:
        print(
            f"  timed by the refresh: worst error {100 * max(errors):.1f} %, "
            f"mean {100 * statistics.mean(errors):.1f} %"
        )


def _refreshes(snapshot: Snapshot, device: str) -> list[float]:
    times = []
    for observation in snapshot.observations:
        for iface in observation.interfaces or ():
            if iface.name == device and iface.counters_at is not None:
                times.append(iface.counters_at)
    if not times:
        raise SystemExit("the agent's counter refresh was never seen: is the stream running?")
    return times


async def bench_lab(sites: int, seed: int) -> None:
    print(f"(lab) {sites} lab sites, counters refreshed every {REFRESH_S:g} s (tick 0.02 s)")
    with tempfile.TemporaryDirectory(prefix="sprmon-bench-rates-") as work:
        async with run_lab(
            sites=sites,
            seed=seed,
            intent_path=Path(work) / "intent.yaml",
            tick=0.02,
            control=False,
            counter_refresh_s=REFRESH_S,
        ) as lab:
            assert lab.intent_path is not None
            loaded = load_config(lab.intent_path)
            intent = loaded.intent
            polled = snmp_sites(intent.sites, loaded.inventory)
            results = {}
            started_at = time.time()
            for name, options in (
                ("timed by the polls", CollectOptions(counter_watch_s=0)),
                ("timed by the refresh", CollectOptions()),
            ):
                snapshot, wall, watch = await _check(polled, options)
                report = evaluate(intent, snapshot, snapshot.effective_time())
                errors = []
                for finding in report.links:
                    plan = lab.model.site(finding.site).link(finding.link)
                    truth = lab.model.rates(finding.site)[plan.if_index]
                    pairs = ((finding.in_bps, truth.in_bps), (finding.out_bps, truth.out_bps))
                    for got, want in pairs:
                        if got is not None and want:
                            errors.append(abs(got / want - 1))
                results[name] = (errors, wall, watch)
            phases = sorted(
                round((lab.model.counter_refresh_phase(s.name) - started_at) % REFRESH_S, 2)
                for s in intent.sites
            )
    print(f"  refresh phases of the sites relative to the first check: {phases} s")
    for name, (errors, wall, watch) in results.items():
        worst, mean = 100 * max(errors), 100 * statistics.mean(errors)
        print(
            f"  {name:21s} worst error {worst:5.1f} %, mean {mean:4.1f} % over "
            f"{len(errors)} rates; {wall:.1f} s wall, {watch} watch requests"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="snmpd,lab", help="snmpd, lab or both")
    parser.add_argument("--phases", type=int, default=6, help="snmpd: phases of the refresh")
    parser.add_argument("--sites", type=int, default=6, help="lab: sites (one phase each)")
    parser.add_argument("--seed", type=int, default=11, help="lab: seed")
    args = parser.parse_args()
    print(describe_machine("pysnmp"))
    parts = set(args.parts.split(","))
    if "snmpd" in parts:
        if os.geteuid() != 0:
            print("(snmpd) skipped: needs root for the network namespace")
        else:
            asyncio.run(bench_snmpd(args.phases))
    if "lab" in parts:
        asyncio.run(bench_lab(args.sites, args.seed))


if __name__ == "__main__":
    main()
