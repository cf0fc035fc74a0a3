"""What loading and validating an intent file costs, on the 10,000-site example.

    .venv/bin/python bench/bench_intent.py [--runs 3] [--intent examples/large/intent.yaml]
    .venv/bin/python bench/bench_intent.py --hostile     # and the inputs of issue 9, item 7

Prints the machine; ``sprmon validate`` of the file in a child process: wall,
CPU and peak RSS (the child's, from ``wait4``), start-up included; then every
in-process ``load_intent`` run's wall and CPU seconds, the best run and sites/s.
``--hostile`` adds, each in its own child, the inputs that took tens of
seconds and hundreds of MB before their limits (bench/README.md): a 1 MB
document of 500,000 scalars, one 600 KB anchor aliased 8 times, a sites CSV
of 200,000 rows, and the example's 10,000 sites written out in YAML.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe_machine

from sprmon.intentfile import load_intent

ROOT = Path(__file__).resolve().parents[1]
LARGE = ROOT / "examples" / "large" / "intent.yaml"


def in_process(intent: Path, runs: int) -> None:
    best_wall = best_cpu = float("inf")
    sites = 0
    for run in range(1, runs + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        loaded = load_intent(intent)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        sites = len(loaded.sites)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
        print(f"run {run}: {wall:.3f} s wall, {cpu:.3f} s CPU")
    print(f"{intent}: {sites:,} sites")
    print(f"best: {best_wall:.3f} s wall, {best_cpu:.3f} s CPU; {sites / best_wall:,.0f} sites/s")


def validate(label: str, intent: Path) -> None:
    """``sprmon validate INTENT`` in a child: its wall, CPU and peak RSS, and its verdict."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "sprmon", "validate", str(intent)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    assert child.stdout is not None
    output = child.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    verdict = output.strip().splitlines()[-1] if output.strip() else "(no output)"
    if len(verdict) > 150:
        verdict = verdict[:147] + "..."
    peak_mb = usage.ru_maxrss / 1024
    print(f"  {label:<34} {wall:6.2f} s wall {cpu:6.2f} s CPU {peak_mb:6.0f} MB peak")
    print(f"    exit {child.returncode}: {verdict}")


def hostile(folder: Path) -> None:
    """The inputs of issue 9, item 7, and the example written out in YAML."""
    base = LARGE.read_text().replace("sites_csv: sites.csv\n", "")
    scalars = folder / "scalars" / "intent.yaml"
    scalars.parent.mkdir()
    scalars.write_text("version: 1\nlinks: [" + ",".join(["1"] * 500_000) + "]\n")
    aliased = folder / "aliased" / "intent.yaml"
    aliased.parent.mkdir()
    anchor = ",".join(["1"] * 300_000)
    aliases = "\n".join(f"x{n}: *big" for n in range(8))
    aliased.write_text(f"version: 1\nlinks: &big [{anchor}]\n{aliases}\n")
    rows = folder / "rows" / "intent.yaml"
    rows.parent.mkdir()
    rows.write_text(LARGE.read_text())
    with (rows.parent / "sites.csv").open("w") as out:
        out.write("name,address,snmp.port,links.mpls.neighbors,labels.region\n")
        for n in range(200_000):
            out.write(f"s{n},127.2.{n // 250 % 256}.{n % 250 + 1},{20000 + n % 40000},")
            out.write(f"100.64.{n // 64 % 256}.{n % 64 * 4 + 1},north\n")
    yaml_sites = folder / "yaml-sites" / "intent.yaml"
    yaml_sites.parent.mkdir()
    lines = [base, "sites:\n"]
    for line in (LARGE.parent / "sites.csv").read_text().splitlines()[1:]:
        name, group, address, port, neighbors, *_ = line.split(",")
        group_part = f", group: {group}" if group else ""
        listed = ", ".join(f'"{n}"' for n in neighbors.split(";"))
        lines.append(
            f"  - {{name: {name}{group_part}, address: {address}, snmp: {{port: {port}}},"
            f" links: {{mpls: {{neighbors: [{listed}]}}}}}}\n"
        )
    yaml_sites.write_text("".join(lines))
    print("hostile and oversized inputs (sprmon validate in a child, start-up included):")
    validate("1 MB of 500,000 scalars", scalars)
    validate("600 KB anchor aliased 8 times", aliased)
    validate("sites CSV of 200,000 rows", rows)
    validate("10,000 sites written out in YAML", yaml_sites)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--intent", type=Path, default=LARGE)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hostile", action="store_true", help="also the inputs of issue 9")
    args = parser.parse_args()
    print(describe_machine("ruamel.yaml", "pydantic"))
    # Children first: Linux counts in a child's peak RSS what its parent held
    # when it forked, and the parent is small only until it loads an intent.
    print("sprmon validate in a child (start-up included):")
    validate(args.intent.name, args.intent)
    if args.hostile:
        with tempfile.TemporaryDirectory(prefix="bench-intent-") as folder:
            hostile(Path(folder))
    print("\nload_intent in this process:")
    in_process(args.intent, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
