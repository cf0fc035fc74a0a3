"""How long loading and validating an intent file takes, on the 10,000-site example.

    .venv/bin/python bench/bench_intent.py [--runs 3] [--intent examples/large/intent.yaml]

Prints the machine, every run's wall and CPU seconds, the best run, and sites/s.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from machine import describe_machine

from sprmon.intentfile import load_intent

LARGE = Path(__file__).resolve().parents[1] / "examples" / "large" / "intent.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intent", type=Path, default=LARGE)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(describe_machine("ruamel.yaml", "pydantic"))
    best_wall = best_cpu = float("inf")
    sites = 0
    for run in range(1, args.runs + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        intent = load_intent(args.intent)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        sites = len(intent.sites)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
        print(f"run {run}: {wall:.3f} s wall, {cpu:.3f} s CPU")
    print(f"{args.intent}: {sites:,} sites")
    print(f"best: {best_wall:.3f} s wall, {best_cpu:.3f} s CPU; {sites / best_wall:,.0f} sites/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
