"""Benchmark of one Prometheus scrape of a whole fleet's view (collector + exposition).

Builds (untimed) a MonitorView of N sites as docs/metrics.md counts them (2
links, A applications x P prefixes, one SNMP target with one error reason:
:func:`sprmon.lab.monitor_views.typical_fleet`),
then times, in process CPU seconds (the machine is shared; wall time is shown
too): building the metric families, writing the text format with sprmon's
writer and with prometheus-client's, and gzip level 1. Per-prefix metrics off
and on.

    .venv/bin/python bench/bench_prometheus.py                  # 10,000 sites x 2 x 10
    .venv/bin/python bench/bench_prometheus.py --sites 1000 --apps 3 --prefixes 5
"""

from __future__ import annotations

import argparse
import functools
import gzip
import time
from collections.abc import Callable
from typing import TypeVar

from machine import describe_machine
from prometheus_client.exposition import generate_latest

from sprmon.core.monitor import MonitorView
from sprmon.exporters.exposition import encode
from sprmon.exporters.prometheus import SprmonMetrics, build_registry
from sprmon.lab.monitor_views import typical_fleet

NOW = 1_700_000_000.0


T = TypeVar("T")


def timed(action: Callable[[], T]) -> tuple[T, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = action()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def _same(view: MonitorView) -> MonitorView:
    return view


def scrape(view: MonitorView, *, per_prefix: bool) -> str:
    collector = SprmonMetrics(functools.partial(_same, view), per_prefix=per_prefix)
    families, build_cpu, build_wall = timed(lambda: list(collector.collect()))
    samples = sum(len(family.samples) for family in families)
    registry = build_registry(functools.partial(_same, view), per_prefix=per_prefix)
    list(registry.collect())  # the collector keeps the families of this view
    text, fast_cpu, fast_wall = timed(functools.partial(encode, registry, openmetrics=False))
    _, ref_cpu, ref_wall = timed(functools.partial(generate_latest, registry))
    packed, gzip_cpu, _ = timed(functools.partial(gzip.compress, text, compresslevel=1))
    return (
        f"per_prefix={per_prefix}: {samples:,} series, {len(text) / 1e6:.1f} MB "
        f"({len(packed) / 1e6:.1f} MB gzip 1); CPU s (wall s): families "
        f"{build_cpu:.2f} ({build_wall:.2f}), sprmon writer {fast_cpu:.2f} "
        f"({fast_wall:.2f}), prometheus-client writer {ref_cpu:.2f} ({ref_wall:.2f}), "
        f"gzip {gzip_cpu:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--apps", type=int, default=2)
    parser.add_argument("--prefixes", type=int, default=10, help="per application")
    args = parser.parse_args()
    print(describe_machine("prometheus-client"))
    view = typical_fleet(args.sites, args.apps, args.prefixes, now=NOW)
    print(f"{args.sites} sites x {args.apps} applications x {args.prefixes} prefixes")
    for per_prefix in (False, True):
        print(scrape(view, per_prefix=per_prefix), flush=True)


if __name__ == "__main__":
    main()
