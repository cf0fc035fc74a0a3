"""Measure ``sprmon run`` on 1,000 lab sites, side by side with Prometheus' ``snmp_exporter``.

    .venv/bin/python bench/bench_daemon.py [--sites 1000] [--interval 60] [--cycles 3]
                                           [--warmup 1] [--concurrency 64] [--scrapes 5]
                                           [--per-prefix-metrics] [--no-snmp-exporter]

A lab of ``--sites`` sites (SNMPv2c, native agents) runs in a child process;
the intent it writes gets a ``monitor:`` section (counter and BGP intervals
``--interval``, ``--concurrency`` polls in flight), and ``python -m sprmon
run`` watches it from another child process, serving ``/metrics`` on a free
port. Debian's ``prometheus-snmp-exporter`` (0.21) runs at the same time with
the module in bench/snmp_exporter/sprmon.yml (the same IF-MIB and BGP4-MIB
columns sprmon reads), and this script scrapes it for every site once per
cycle, ``--concurrency`` scrapes at once, as a Prometheus with the usual
relabelling would. After ``--warmup`` cycles (every site's first, cold poll),
for each of ``--cycles`` cycles of ``--interval`` seconds it records:

- the daemon's CPU (utime + stime from /proc/PID/stat), its polls and failed
  polls (from its own ``/metrics``, scraped once per cycle as a Prometheus
  would), and the lab's CPU, to show that the lab is not the bottleneck;
- snmp_exporter's CPU before and after each round of scrapes, and its failures;
- the requests and variable bindings the lab's agents answered to each side:
  snmp_exporter sends from 127.0.0.2 (``--snmp.source-address``), the daemon
  from 127.0.0.1, and the lab counts per source address.

Then ``--scrapes`` back-to-back scrapes of the daemon's ``/metrics`` (median
wall, CPU each, size, series) and one with gzip, and both processes' peak
memory (VmHWM). It prints CPU per site-cycle of both sides and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# bench/ runs as a script from a checkout: import the checkout's sprmon.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_lab import process_cpu_s, process_memory_mb
from daemon_processes import (
    EXPORTER_SOURCE,
    HOST,
    MODULE_FILE,
    Lab,
    Server,
    daemon_process,
    exporter_process,
    http_get,
    lab_process,
    samples,
    start_profiler,
    stop,
    total,
)
from machine import describe_machine


@dataclass
class Round:
    """One round of snmp_exporter scrapes: every site once."""

    cpu_s: float
    wall_s: float
    failed: int
    #: Variable bindings inside the walked subtrees (snmp_scrape_pdus_returned).
    pdus: float
    #: Requests and variable bindings the lab answered to snmp_exporter meanwhile.
    requests: int
    varbinds: int
    #: How long after the end of its cycle the round finished (0: in time).
    late_s: float


async def scrape_round(exporter: Server, lab: Lab, concurrency: int, cycle_end: float) -> Round:
    slots = asyncio.Semaphore(concurrency)
    failed, pdus = 0, 0.0

    async def scrape(port: int) -> None:
        nonlocal failed, pdus
        async with slots:
            try:
                status, body = await http_get(
                    exporter.port, f"/snmp?module=sprmon&target={HOST}:{port}"
                )
            except (OSError, TimeoutError, ValueError, IndexError):
                failed += 1
                return
        if status != 200:
            failed += 1
            return
        pdus += total(samples(body.decode()), "snmp_scrape_pdus_returned")

    before = (await lab.counts()).get(EXPORTER_SOURCE, (0, 0))
    cpu, wall = exporter.cpu_s(), time.perf_counter()
    await asyncio.gather(*(scrape(port) for port in lab.ports.values()))
    cpu, wall = exporter.cpu_s() - cpu, time.perf_counter() - wall
    after = (await lab.counts()).get(EXPORTER_SOURCE, (0, 0))
    late = max(0.0, time.monotonic() - cycle_end)
    return Round(cpu, wall, failed, pdus, after[0] - before[0], after[1] - before[1], late)


@dataclass
class Reading:
    """Everything read at one cycle boundary."""

    at: float
    daemon_cpu_s: float
    lab_cpu_s: float
    polls: float
    poll_seconds: float
    poll_errors: float
    targets_up: float
    counts: dict[str, tuple[int, int]]


async def read(daemon: Server, lab: Lab) -> Reading:
    # The scrape first: its CPU belongs to the cycle that ends, as a Prometheus's would.
    status, body = await http_get(daemon.port, "/metrics")
    if status != 200:
        raise daemon.failed(f"answered /metrics with {status}")
    values = samples(body.decode())
    return Reading(
        at=time.monotonic(),
        daemon_cpu_s=daemon.cpu_s(),
        lab_cpu_s=process_cpu_s(lab.pid),
        polls=total(values, "sprmon_poll_duration_seconds_count"),
        poll_seconds=total(values, "sprmon_poll_duration_seconds_sum"),
        poll_errors=total(values, "sprmon_poll_errors_total"),
        targets_up=total(values, "sprmon_target_up"),
        counts=await lab.counts(),
    )


def per(a: Reading, b: Reading, source: str) -> tuple[int, int]:
    """(requests, variable bindings) the lab answered to ``source`` between two readings."""
    r0, v0 = a.counts.get(source, (0, 0))
    r1, v1 = b.counts.get(source, (0, 0))
    return r1 - r0, v1 - v0


@dataclass
class Run:
    readings: list[Reading] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)


async def cycles(
    args: argparse.Namespace, daemon: Server, exporter: Server | None, lab: Lab
) -> Run:
    """Warm-up cycles, then measured ones: a reading at each boundary, a round in each cycle.

    A round starts at the start of its cycle, or when the one before it ends if
    that one overran: the readings keep to the boundaries either way.
    """
    run = Run()
    start = time.monotonic()

    async def rounds(exporter: Server) -> None:
        for cycle in range(args.warmup + args.cycles):
            await asyncio.sleep(max(0.0, start + cycle * args.interval - time.monotonic()))
            end = start + (cycle + 1) * args.interval
            done = await scrape_round(exporter, lab, args.concurrency, end)
            if cycle >= args.warmup:
                run.rounds.append(done)

    async with asyncio.TaskGroup() as group:
        if exporter is not None:
            group.create_task(rounds(exporter))
        for cycle in range(args.warmup, args.warmup + args.cycles + 1):
            await asyncio.sleep(max(0.0, start + cycle * args.interval - time.monotonic()))
            run.readings.append(await read(daemon, lab))
            if cycle == args.warmup and args.profile is not None:
                group.create_task(profile(daemon.pid, args.profile, args.cycles * args.interval))
            if args.cprofile is not None and cycle in (args.warmup, args.warmup + args.cycles):
                # bench/cprofiled.py: SIGUSR1 starts cProfile, SIGUSR2 stops it and writes it.
                daemon.process.send_signal(
                    signal.SIGUSR1 if cycle == args.warmup else signal.SIGUSR2
                )
    return run


async def profile(pid: int, out: Path, seconds: float) -> None:
    profiler = await start_profiler(pid, out, seconds)
    try:
        # py-spy stops after its --duration; SIGINT makes it write what it has.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(profiler.wait()), seconds + 10)
        if profiler.returncode is None:
            profiler.send_signal(signal.SIGINT)
    finally:
        await stop(profiler)


def report_daemon(args: argparse.Namespace, run: Run, sites: int) -> float:
    """Print the daemon's cycles; return its CPU seconds per site-cycle (per poll)."""
    readings = run.readings
    for n, (a, b) in enumerate(itertools.pairwise(readings), 1):
        cpu, wall = b.daemon_cpu_s - a.daemon_cpu_s, b.at - a.at
        requests, varbinds = per(a, b, HOST)
        polls = b.polls - a.polls
        print(
            f"  cycle {n}: {wall:.1f} s, {polls:,.0f} polls ({b.poll_errors - a.poll_errors:,.0f} "
            f"failed), daemon CPU {cpu:.2f} s ({cpu / wall * 100:.1f} % of a core), lab CPU "
            f"{b.lab_cpu_s - a.lab_cpu_s:.2f} s; lab answered {requests:,} requests, "
            f"{varbinds:,} varbinds to the daemon"
        )
    first, last = readings[0], readings[-1]
    cpu, wall = last.daemon_cpu_s - first.daemon_cpu_s, last.at - first.at
    polls = max(last.polls - first.polls, 1.0)
    requests, varbinds = per(first, last, HOST)
    per_cycle = cpu / args.cycles
    print(
        f"  per site-cycle (poll): {cpu / polls * 1000:.2f} ms CPU, {requests / polls:.1f} "
        f"requests, {varbinds / polls:.1f} varbinds on the wire; a poll lasts "
        f"{(last.poll_seconds - first.poll_seconds) / polls:.2f} s on average"
    )
    expected = sites * wall / args.interval
    if polls < 0.9 * expected:
        # Polls in flight are bounded: long polls cannot all start on time.
        print(
            f"  behind schedule: {polls:,.0f} polls where {expected:,.0f} were due; "
            f"{args.concurrency} in flight at most (monitor.max_in_flight, --concurrency)"
        )
    print(
        f"  per {args.interval:g} s cycle of {sites:,} sites: {per_cycle:.2f} CPU-s = "
        f"{cpu / wall * 100:.1f} % of a core; scaled to 1,000 sites every 60 s: "
        f"{cpu / polls * 1000:.2f} CPU-s (aim: under 30, half a core)"
    )
    print(f"  sites with sprmon_target_up 1 at the end: {last.targets_up:,.0f} of {sites:,}")
    return cpu / polls


async def report_metrics(args: argparse.Namespace, run: Run, daemon: Server, sites: int) -> None:
    first, last = run.readings[0], run.readings[-1]
    # The daemon polls on while it renders: its average CPU rate over the cycles is taken off.
    polling = (last.daemon_cpu_s - first.daemon_cpu_s) / (last.at - first.at)
    walls: list[float] = []
    cpu, started = daemon.cpu_s(), time.perf_counter()
    body = b""
    for _ in range(args.scrapes):
        wall = time.perf_counter()
        _, body = await http_get(daemon.port, "/metrics")
        walls.append(time.perf_counter() - wall)
    cpu = max(0.0, daemon.cpu_s() - cpu - polling * (time.perf_counter() - started)) / args.scrapes
    _, zipped = await http_get(daemon.port, "/metrics", gzip=True)
    series = len(samples(body.decode()))
    print(
        f"  /metrics: {args.scrapes} scrapes, median {statistics.median(walls) * 1000:.0f} ms "
        f"wall (all: {', '.join(f'{w * 1000:.0f}' for w in walls)} ms), about {cpu * 1000:.0f} "
        f"ms daemon CPU each (beyond its polling); {len(body):,} bytes ({len(zipped):,} with "
        f"gzip), {series:,} series "
        f"= {series * 1000 / sites:,.0f} per 1,000 sites"
        + (" (--per-prefix-metrics)" if args.per_prefix_metrics else "")
    )


def report_exporter(args: argparse.Namespace, run: Run, sites: int) -> float:
    """Print snmp_exporter's rounds; return its CPU seconds per site-cycle (per scrape)."""
    for n, one in enumerate(run.rounds, 1):
        late = f", ended {one.late_s:.1f} s after its cycle" if one.late_s > 0.05 else ""
        print(
            f"  cycle {n}: {sites:,} scrapes in {one.wall_s:.1f} s{late}, {one.failed} failed, "
            f"CPU {one.cpu_s:.2f} s"
        )
    scrapes = sites * len(run.rounds)
    cpu = sum(one.cpu_s for one in run.rounds)
    requests = sum(one.requests for one in run.rounds)
    varbinds = sum(one.varbinds for one in run.rounds)
    pdus = sum(one.pdus for one in run.rounds)
    print(
        f"  per site-cycle (scrape): {cpu / scrapes * 1000:.2f} ms CPU, {requests / scrapes:.1f} "
        f"requests, {varbinds / scrapes:.1f} varbinds on the wire ({pdus / scrapes:.1f} inside "
        "the walked columns, snmp_scrape_pdus_returned)"
    )
    return cpu / scrapes


async def main(args: argparse.Namespace) -> None:
    bytecode = "not written" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "written"
    with tempfile.TemporaryDirectory(prefix="sprmon-bench-daemon-") as tmp:
        folder = Path(tmp)
        intent = folder / "lab.yaml"
        async with lab_process(args.sites, intent, args.tick) as lab:
            interval = f"{round(args.interval * 1000)}ms"
            with intent.open("a") as file:
                file.write(
                    f"monitor: {{counter_interval: {interval}, bgp_interval: {interval}, "
                    f"max_in_flight: {args.concurrency}}}\n"
                )
            community = (folder / "lab-community.secret").read_text()
            print(
                f"{args.sites:,} lab sites (SNMPv2c, native agents, tick {args.tick:g} s, in a "
                f"child process); counter and BGP intervals {args.interval:g} s, "
                f"{args.concurrency} polls (and snmp_exporter scrapes) at once; {args.warmup} "
                f"warm-up + {args.cycles} measured cycles (bytecode {bytecode})"
            )
            async with contextlib.AsyncExitStack() as stack:
                daemon = await stack.enter_async_context(
                    daemon_process(
                        intent, folder, per_prefix=args.per_prefix_metrics, cprofile=args.cprofile
                    )
                )
                exporter = None
                if args.snmp_exporter:
                    exporter = await stack.enter_async_context(exporter_process(community, folder))
                run = await cycles(args, daemon, exporter, lab)
                print(f"sprmon run (pid {daemon.pid}, http://{HOST}:{daemon.port}/metrics):")
                sprmon_cpu = report_daemon(args, run, args.sites)
                await report_metrics(args, run, daemon, args.sites)
                print(
                    f"  memory: peak {process_memory_mb(daemon.pid, 'VmHWM'):.0f} MB (VmHWM), "
                    f"{process_memory_mb(daemon.pid, 'VmRSS'):.0f} MB now (aim: under 300 MB)"
                )
                if exporter is not None:
                    print(f"snmp_exporter (pid {exporter.pid}, module {MODULE_FILE.name}):")
                    exporter_cpu = report_exporter(args, run, args.sites)
                    print(
                        f"  memory: peak {process_memory_mb(exporter.pid, 'VmHWM'):.0f} MB (VmHWM)"
                    )
                    print(
                        f"ratio sprmon / snmp_exporter, CPU per site-cycle: "
                        f"{sprmon_cpu / exporter_cpu:.2f} (aim: at most 0.5)"
                    )
            first, last = run.readings[0], run.readings[-1]
            lab_cpu = last.lab_cpu_s - first.lab_cpu_s
            print(
                f"lab (pid {lab.pid}): {lab_cpu / args.cycles:.2f} CPU-s per cycle = "
                f"{lab_cpu / (last.at - first.at) * 100:.1f} % of a core"
                + (" for both sides" if args.snmp_exporter else "")
            )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=60.0, help="seconds per cycle")
    parser.add_argument("--cycles", type=int, default=3, help="measured cycles")
    parser.add_argument("--warmup", type=int, default=1, help="cycles before measuring")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--scrapes", type=int, default=5, help="timed scrapes of /metrics")
    parser.add_argument("--tick", type=float, default=1.0, help="the lab's tick, seconds")
    parser.add_argument("--per-prefix-metrics", action="store_true")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="sample the daemon with py-spy during the measured cycles (collapsed stacks to "
        "FILE); its pauses inflate the daemon's CPU figures",
    )
    parser.add_argument(
        "--cprofile",
        type=Path,
        metavar="FILE",
        help="profile the daemon's main thread with cProfile on a CPU clock during the "
        "measured cycles (pstats to FILE; bench/cprofiled.py); it inflates the CPU figures",
    )
    parser.add_argument(
        "--no-snmp-exporter", dest="snmp_exporter", action="store_false", help="sprmon only"
    )
    args = parser.parse_args(argv)
    if args.cycles < 1 or args.warmup < 0 or args.scrapes < 1 or args.interval < 0.1:
        parser.error("need --cycles >= 1, --warmup >= 0, --scrapes >= 1, --interval >= 0.1")
    return args


if __name__ == "__main__":
    options = parse_args()
    print(describe_machine("prometheus-client"))
    asyncio.run(main(options))
