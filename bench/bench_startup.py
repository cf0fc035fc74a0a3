"""How long does sprmon take to start? (issue 10, part 2)

::

    .venv/bin/python bench/bench_startup.py              # 20 runs of each command
    .venv/bin/python bench/bench_startup.py --runs 50 --entry module
    .venv/bin/python bench/bench_startup.py --instructions   # plus instruction counts
    .venv/bin/python bench/bench_startup.py --tree /tmp/old  # another checkout's sprmon

A monitoring system (Nagios, Icinga) starts ``sprmon check`` afresh for every
check, so start-up is most of what a check costs. This runs, each ``--runs``
times and interleaved (one run of each command in turn, so that a burst of load
on a shared machine hits them all alike), after ``--warmup`` untimed rounds:

- ``python -c pass``: the interpreter alone, the floor everything is compared with;
- ``sprmon --help``;
- ``sprmon check`` of the example's saved snapshot (``mixed.json``, exit 2), as a
  monitoring system runs it every minute: the intent compiled by an earlier run
  (sprmon/intentfile/cache.py; the warm-up rounds fill a cache folder of the
  benchmark's own);
- the same ``--format json`` (without the table);
- the same with the intent compiled afresh (``SPRMON_NO_CACHE=1``): the first
  run after the intent changed;
- ``sprmon validate`` of the example intent (always compiles).

As a user's install has it, with compiled bytecode: the sprmon package is
compiled first (``compileall``) and the children run without
``PYTHONDONTWRITEBYTECODE``, so anything else left uncompiled is compiled by
the warm-up rounds. ``sprmon`` is the console script next to this interpreter
(``--entry script``, the default when there is one) or ``python -m sprmon``.

Printed per command: wall time median, min, mean and standard deviation (as
hyperfine prints them), the children's CPU time (user + system, median), and
the ratio of the median and of the min to those of ``python -c pass``.

On a machine shared with other jobs wall times move with the load (the ratio
less so); ``--instructions`` also runs each command once under valgrind's
cachegrind and prints the instructions it executed, a figure the load does not
change. ``--tree`` measures the sprmon of another checkout (e.g. an older
commit unpacked with ``git archive``), with its own example files.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import describe_machine

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class Command:
    label: str
    argv: tuple[str, ...]
    #: The exit code it must end with: a command that fails early would look fast.
    exit_code: int
    #: Set in its environment, over the benchmark's own.
    env: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class Samples:
    wall_s: list[float]
    cpu_s: list[float]


def sprmon_argv(entry: str) -> tuple[str, ...]:
    script = Path(sys.executable).with_name("sprmon")
    if entry == "script" and script.exists():
        return (sys.executable, str(script))
    return (sys.executable, "-m", "sprmon")


def commands(sprmon: tuple[str, ...], tree: Path) -> list[Command]:
    intent = tree / "examples" / "scenario" / "intent.yaml"
    snapshot = tree / "examples" / "scenario" / "snapshots" / "mixed.json"
    check = (*sprmon, "check", "-i", str(intent), "-s", str(snapshot))
    return [
        Command("python -c pass", (sys.executable, "-c", "pass"), 0),
        Command("sprmon --help", (*sprmon, "--help"), 0),
        Command("check, intent cached", check, 2),
        Command("check --format json, cached", (*check, "--format", "json"), 2),
        Command("check, intent compiled", check, 2, (("SPRMON_NO_CACHE", "1"),)),
        Command("sprmon validate", (*sprmon, "validate", str(intent)), 0),
    ]


def child_env(tree: Path, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("SPRMON_NO_CACHE", None)
    # The sprmon measured is the tree's, also under an editable install of another one.
    env["PYTHONPATH"] = str(tree)
    env["SPRMON_CACHE_DIR"] = str(cache)
    return env


def command_env(command: Command, env: dict[str, str]) -> dict[str, str]:
    return {**env, **dict(command.env)}


def compile_sprmon(tree: Path) -> Path:
    package = tree / "sprmon"
    if not (package / "__init__.py").is_file():
        raise SystemExit(f"no sprmon package in {tree}")
    if not compileall.compile_dir(package, quiet=1):
        raise SystemExit(f"compileall failed for {package}")
    return package


def instructions(command: Command, env: dict[str, str]) -> int:
    """Instructions one run of ``command`` executes (valgrind --tool=cachegrind)."""
    result = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            *command.argv,
        ],
        env=command_env(command, env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if result.returncode != command.exit_code or found is None:
        raise SystemExit(f"{command.label} under valgrind: exit {result.returncode}")
    return int(found.group(1).replace(",", ""))


def run_once(command: Command, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        command.argv,
        env=command_env(command, env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != command.exit_code:
        raise SystemExit(
            f"{command.label}: exit {result.returncode}, expected {command.exit_code}: "
            f"{result.stderr.decode(errors='replace').strip()}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(cmds: list[Command], env: dict[str, str], runs: int, warmup: int) -> dict[str, Samples]:
    for _ in range(warmup):
        for command in cmds:
            run_once(command, env)
    samples = {command.label: Samples([], []) for command in cmds}
    for _ in range(runs):
        for command in cmds:
            wall, cpu = run_once(command, env)
            samples[command.label].wall_s.append(wall)
            samples[command.label].cpu_s.append(cpu)
    return samples


def report(cmds: list[Command], samples: dict[str, Samples]) -> list[str]:
    floor = samples[cmds[0].label]
    floor_median = statistics.median(floor.wall_s)
    floor_min = min(floor.wall_s)
    lines = [
        f"{'command':<28} {'median':>8} {'min':>8} {'mean ± sd':>17} {'cpu med':>8}"
        f" {'x median':>9} {'x min':>6}"
    ]
    for command in cmds:
        wall = samples[command.label].wall_s
        cpu = samples[command.label].cpu_s
        median = statistics.median(wall)
        spread = f"{1000 * statistics.mean(wall):.1f} ± {1000 * statistics.stdev(wall):.1f}"
        lines.append(
            f"{command.label:<28} {1000 * median:>5.1f} ms {1000 * min(wall):>5.1f} ms"
            f" {spread:>14} ms {1000 * statistics.median(cpu):>5.1f} ms"
            f" {median / floor_median:>8.2f}x {min(wall) / floor_min:>5.2f}x"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each command")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first")
    parser.add_argument(
        "--entry",
        choices=("script", "module"),
        default="script",
        help="run the sprmon console script (default, if installed) or python -m sprmon",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each command's instructions once under valgrind (slow: minutes)",
    )
    parser.add_argument(
        "--tree",
        type=Path,
        default=ROOT,
        help="the checkout whose sprmon and examples are measured (default: this one)",
    )
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs must be at least 2 (a standard deviation needs two)")
    if args.warmup < 1:
        parser.error("--warmup must be at least 1 (it fills the cache the cached checks use)")
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (apt-get install valgrind)")
    tree = args.tree.resolve()
    print(describe_machine("click", "pydantic", "rich"))
    package = compile_sprmon(tree)
    with tempfile.TemporaryDirectory(prefix="sprmon-bench-cache-") as cache:
        run(args, tree, package, child_env(tree, Path(cache)))


def run(args: argparse.Namespace, tree: Path, package: Path, env: dict[str, str]) -> None:
    sprmon = sprmon_argv(args.entry)
    cmds = commands(sprmon, tree)
    print(f"sprmon from {package} (bytecode compiled), run as: {' '.join(sprmon)}")
    print(f"runs: {args.runs} of each, interleaved, after {args.warmup} warm-up rounds")
    print(f"load average before: {_load()}")
    samples = measure(cmds, env, args.runs, args.warmup)
    for line in report(cmds, samples):
        print(line)
    print(f"load average after: {_load()}")
    if args.instructions:
        counts = {command.label: instructions(command, env) for command in cmds}
        floor = counts[cmds[0].label]
        print("instructions executed (valgrind --tool=cachegrind --cache-sim=no), one run each:")
        for command in cmds:
            count = counts[command.label]
            print(f"{command.label:<28} {count / 1e6:>8,.0f} M {count / floor:>6.2f}x")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
