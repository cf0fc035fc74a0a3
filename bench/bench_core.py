"""Benchmark of the pure evaluation core: a whole fleet evaluated in memory.

Builds (untimed) an intent of N sites with two links each and P application
prefixes, and a snapshot with two paths per prefix per site (mpls and inet,
with the scenario's MEDs) plus two polls of interface counters per site; then
times ``evaluate`` and prints the machine, throughput and memory.

    .venv/bin/python bench/bench_core.py                 # 10,000 sites x 50 prefixes
    .venv/bin/python bench/bench_core.py --profile       # plus a cProfile of one run

``evaluate`` is timed three ways: with the interpreter's garbage collector as
it is, with the caller calling ``gc.freeze()`` first (what a long-running
caller can do with the intent and snapshot it keeps), and with the collector
paused by the caller. The core itself never touches the collector.

About 1 % of the sites are given a fault (mpls down, MED 300 drift, a missing
backup path) so that the uncommon code paths take part too.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable

from machine import describe_machine

from sprmon.core.evaluate import evaluate
from sprmon.core.findings import Report
from sprmon.core.intent import Application, Intent, LinkRole, Marking, Site, SiteLink
from sprmon.core.observed import (
    BgpPath,
    BgpPeer,
    Interface,
    OperStatus,
    Origin,
    PeerState,
    SiteObservation,
    Snapshot,
)
from sprmon.core.prefixes import Address, Prefix, canonical_address, canonical_prefix

NOW = 1_700_000_000.0
POLL_INTERVAL_S = 60.0
CORE_AS = 65000


def path(
    prefix: Prefix, peer: Address, med: int, as_path: tuple[int, ...], *, best: bool
) -> BgpPath:
    """One path as a collector builds it: a new object per row, nothing shared."""
    return BgpPath(prefix, peer, peer, med, None, as_path, (), Origin.IGP, best)


def build(sites: int, prefixes: int) -> tuple[Intent, Snapshot]:
    """The fleet: a fifth of the prefixes steered to mpls, the rest default (inet)."""
    steered = max(1, prefixes // 5)
    app_prefixes = [canonical_prefix(f"10.{i // 256}.{i % 256}.0/24") for i in range(prefixes)]
    legacy = Application(
        name="legacy",
        prefixes=tuple(app_prefixes[:steered]),
        links=("mpls", "inet"),
        marking={"mpls": Marking(med=100), "inet": Marking(med=200)},
    )
    default = Application(
        name="default",
        prefixes=tuple(app_prefixes[steered:]),
        links=("inet", "mpls"),
        is_default=True,
    )
    site_list: list[Site] = []
    observations: list[SiteObservation] = []
    as_path = (CORE_AS,)
    for n in range(sites):
        name = f"branch-{n:05d}"
        # Per-site PE-CE and tunnel addresses, as in a real fleet: nothing is
        # shared between sites but the strings' interning.
        mpls_peer = canonical_address(f"10.{100 + n // 65536}.{n // 256 % 256}.{n % 256}")
        inet_peer = canonical_address(f"10.{200 + n // 65536}.{n // 256 % 256}.{n % 256}")
        site_list.append(
            Site(
                name=name,
                links=(
                    SiteLink("mpls", 10_000_000, (mpls_peer,), (mpls_peer,), "Gi0/0/0", 1),
                    SiteLink("inet", 100_000_000, (inet_peer,), (), "Tunnel100", 2),
                ),
            )
        )
        fault = n % 100
        mpls_up = fault != 1
        paths: list[BgpPath] = []
        for i, prefix in enumerate(app_prefixes):
            is_steered = i < steered
            mpls_med = 100 if is_steered and fault != 2 else 300
            mpls_best = mpls_up and is_steered and fault != 2
            paths.append(path(prefix, inet_peer, 200, as_path, best=not mpls_best))
            if fault == 3 and i % 2 == 0:
                continue  # no backup path for half of this site's prefixes
            paths.append(path(prefix, mpls_peer, mpls_med, as_path, best=mpls_best))
        peers = (
            BgpPeer(mpls_peer, PeerState.ESTABLISHED if mpls_up else PeerState.ACTIVE,
                    CORE_AS, 86_400.0 if mpls_up else None),
            BgpPeer(inet_peer, PeerState.ESTABLISHED, CORE_AS, 86_400.0),
        )  # fmt: skip
        for poll in (1, 0):
            moved = 1_000_000 * (1 - poll) + n
            ifaces = (
                Interface(1, "Gi0/0/0", OperStatus.UP if mpls_up else OperStatus.DOWN,
                          1_000_000_000, 10**9 + moved, 10**9 + 2 * moved, 64, 0, 0, 0, 0),
                Interface(2, "Tunnel100", OperStatus.UP,
                          1_000_000_000, 10**10 + 9 * moved, 10**10 + moved, 64, 0, 0, 0, 0),
            )  # fmt: skip
            observations.append(
                SiteObservation(
                    site=name,
                    collected_at=NOW - poll * POLL_INTERVAL_S,
                    uptime_ticks=10**8 - poll * 6000,
                    paths=tuple(paths) if poll == 0 else None,
                    peers=peers,
                    interfaces=ifaces,
                )
            )
    intent = Intent(
        links=(LinkRole("mpls"), LinkRole("inet")),
        applications=(legacy, default),
        sites=tuple(site_list),
    )
    return intent, Snapshot(observations=tuple(observations), taken_at=NOW)


def measure(run: Callable[[], Report], runs: int, label: str) -> tuple[float, float]:
    """Best wall and best CPU seconds of ``runs`` calls."""
    walls, cpus = [], []
    for i in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        report = run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        del report
        walls.append(wall)
        cpus.append(cpu)
        print(f"  {label} run {i + 1}: {wall:.3f} s wall, {cpu:.3f} s CPU")
    return min(walls), min(cpus)


def gc_paused(run: Callable[[], Report]) -> Callable[[], Report]:
    def paused() -> Report:
        gc.disable()
        try:
            return run()
        finally:
            gc.enable()

    return paused


def gc_frozen(run: Callable[[], Report]) -> Callable[[], Report]:
    """What a long-running caller can do: freeze what it keeps (intent, snapshot)."""

    def frozen() -> Report:
        gc.freeze()
        try:
            return run()
        finally:
            gc.unfreeze()

    return frozen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--prefixes", type=int, default=50, help="application prefixes")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one run")
    parser.add_argument(
        "--bare",
        type=int,
        metavar="N",
        help="only build the fleet and evaluate it N times with the GC paused, printing "
        "nothing: for instruction counts under cachegrind (see bench/README.md)",
    )
    args = parser.parse_args(argv)

    if args.bare is not None:
        intent, snapshot = build(args.sites, args.prefixes)
        gc.disable()
        for _ in range(args.bare):
            evaluate(intent, snapshot, NOW)
        return 0

    print(describe_machine())
    build_start = time.perf_counter()
    intent, snapshot = build(args.sites, args.prefixes)
    n_paths = sum(len(o.paths) for o in snapshot.observations if o.paths is not None)
    n_pairs = args.sites * args.prefixes
    print(
        f"fleet: {args.sites:,} sites x {args.prefixes} prefixes = {n_pairs:,} (site, prefix); "
        f"{n_paths:,} paths; built in {time.perf_counter() - build_start:.1f} s (not timed)"
    )

    def run() -> Report:
        return evaluate(intent, snapshot, NOW)

    print("evaluate (wall time.perf_counter, CPU time.process_time):")
    variants = (
        ("default gc", run),
        ("gc.freeze() by the caller", gc_frozen(run)),
        ("gc paused by the caller", gc_paused(run)),
    )
    results = [(label, *measure(call, args.runs, label)) for label, call in variants]
    for label, wall, cpu in results:
        print(
            f"best of {args.runs}, {label}: {wall:.3f} s wall, {cpu:.3f} s CPU; "
            f"{n_paths / wall:,.0f} paths/s; {n_pairs / wall:,.0f} (site, prefix)/s"
        )

    report = run()
    print(
        f"findings: {len(report.paths):,} path, {len(report.links):,} link; "
        f"states {report.state_counts()}"
    )
    del report

    tracemalloc.start()
    run()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory of one evaluate call (tracemalloc): {peak / 2**20:,.1f} MiB")
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"process max RSS (ru_maxrss, includes the fleet): {rss_kib / 1024:,.1f} MiB")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(run)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
