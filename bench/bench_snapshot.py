"""How long writing and reading a large snapshot file takes.

Builds (untimed) the fleet of ``bench_core.py`` (10,000 sites x 50 prefixes x
2 paths: 997,500 paths, two polls of interface counters per site), writes it
with ``dump_snapshot`` and reads it back with ``load_snapshot``, each timed
with the interpreter's garbage collector as it is and with the collector
paused by the caller (as ``bench_core.py`` does).

    .venv/bin/python bench/bench_snapshot.py                   # 10,000 sites x 50 prefixes
    .venv/bin/python bench/bench_snapshot.py --sites 1000 --runs 5

Prints the machine, the file size, every run's wall and CPU seconds, the best
run of each kind, and paths/s.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_core import build
from machine import describe_machine

from sprmon.core.observed import Snapshot
from sprmon.snapshot import dump_snapshot, load_snapshot


def timed(run: Callable[[], object], runs: int, label: str, *, paused: bool) -> tuple[float, float]:
    """Best wall and best CPU seconds of ``runs`` calls."""
    best_wall = best_cpu = float("inf")
    for i in range(runs):
        if paused:
            gc.disable()
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            result = run()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            gc.enable()
        del result
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
        print(f"  {label} run {i + 1}: {wall:.3f} s wall, {cpu:.3f} s CPU")
    return best_wall, best_cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--prefixes", type=int, default=50, help="application prefixes")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--bare",
        type=int,
        metavar="N",
        help="only build, write once and load N times with the GC paused, printing nothing: "
        "for instruction counts under cachegrind (see bench/README.md)",
    )
    args = parser.parse_args(argv)

    _intent, snapshot = build(args.sites, args.prefixes)
    if args.bare is not None:
        with tempfile.TemporaryDirectory(prefix="sprmon-bench-") as folder:
            target = Path(folder) / "snapshot.json"
            dump_snapshot(snapshot, target)
            gc.disable()
            for _ in range(args.bare):
                load_snapshot(target)
        return 0

    print(describe_machine("pydantic", "pydantic-core"))
    n_paths = sum(len(o.paths) for o in snapshot.observations if o.paths is not None)
    with tempfile.TemporaryDirectory(prefix="sprmon-bench-") as folder:
        target = Path(folder) / "snapshot.json"

        def dump() -> None:
            dump_snapshot(snapshot, target)

        def load() -> Snapshot:
            return load_snapshot(target)

        results: list[tuple[str, float, float]] = []
        for what, run in (("dump", dump), ("load", load)):
            print(f"{what}_snapshot (wall time.perf_counter, CPU time.process_time):")
            for label, paused in (("default gc", False), ("gc paused by the caller", True)):
                wall, cpu = timed(run, args.runs, label, paused=paused)
                results.append((f"{what}, {label}", wall, cpu))
        size = target.stat().st_size
        loaded = load()
        n_loaded = sum(len(o.paths) for o in loaded.observations if o.paths is not None)
        if len(loaded.observations) != len(snapshot.observations) or n_loaded != n_paths:
            raise SystemExit("the loaded snapshot differs from the one written")
    print(
        f"file: {size / 2**20:,.1f} MiB; {len(snapshot.observations):,} observations, "
        f"{n_paths:,} paths"
    )
    for label, wall, cpu in results:
        print(
            f"best of {args.runs}, {label}: {wall:.3f} s wall, {cpu:.3f} s CPU; "
            f"{n_paths / wall:,.0f} paths/s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
