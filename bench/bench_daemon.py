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
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

# bench/ runs as a script from a checkout: import the checkout's sprmon.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_lab import process_cpu_s, process_memory_mb
from machine import describe_machine

ROOT = Path(__file__).resolve().parents[1]
MODULE_FILE = Path(__file__).resolve().parent / "snmp_exporter" / "sprmon.yml"
SNMP_EXPORTER = "prometheus-snmp-exporter"
#: snmp_exporter sends from here, so that the lab can tell its requests from the daemon's.
EXPORTER_SOURCE = "127.0.0.2"
HOST = "127.0.0.1"

# The lab, counting the requests and variable bindings its agents answer per
# source address. The agents answer in one synchronous callback, so the
# source of the request being answered is simply the last one received.
LAB_CHILD = r"""
import asyncio, json, sys
from sprmon.lab import run_lab, v2c_agents, v2c_responder

counts = {}
source = [""]
received, encode = v2c_agents._Endpoint.datagram_received, v2c_responder.encode_response

def datagram_received(self, data, addr):
    source[0] = addr[0]
    counts.setdefault(addr[0], [0, 0])[0] += 1
    received(self, data, addr)

def encode_response(request, varbinds):
    counts.setdefault(source[0], [0, 0])[1] += len(varbinds)
    return encode(request, varbinds)

v2c_agents._Endpoint.datagram_received = datagram_received
v2c_responder.encode_response = encode_response

async def main(sites, intent, tick):
    async with run_lab(sites=sites, seed=1, intent_path=intent, control=False,
                       snmp_version="2c", v2c_backend="native", tick=tick) as lab:
        print(json.dumps({"ports": lab.site_ports}), flush=True)
        loop = asyncio.get_running_loop()
        # One line in, the counts out; EOF: stop.
        while await loop.run_in_executor(None, sys.stdin.readline):
            print(json.dumps(counts), flush=True)

asyncio.run(main(int(sys.argv[1]), sys.argv[2], float(sys.argv[3])))
"""


def child_env() -> dict[str, str]:
    """The environment of the children: they import this checkout's sprmon too."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


async def http_get(port: int, target: str, *, gzip: bool = False) -> tuple[int, bytes]:
    """GET ``target`` over HTTP/1.0 (no chunking, the server closes): status and body."""
    async with asyncio.timeout(120):
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            accept = "Accept-Encoding: gzip\r\n" if gzip else ""
            writer.write(f"GET {target} HTTP/1.0\r\nHost: {HOST}:{port}\r\n{accept}\r\n".encode())
            data = await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def samples(text: str) -> dict[str, float]:
    """Sample lines of a text exposition: series (name and labels) -> value."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            values[series] = float(value)
    return values


def total(values: dict[str, float], name: str) -> float:
    """The sum of every series of metric ``name``."""
    return sum(v for s, v in values.items() if s == name or s.startswith(name + "{"))


@dataclass
class Lab:
    pid: int
    ports: dict[str, int]
    process: asyncio.subprocess.Process

    async def counts(self) -> dict[str, tuple[int, int]]:
        """Source address -> (requests, variable bindings answered) since the lab started."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(b"counts\n")
        line = await self.process.stdout.readline()
        return {source: (r, v) for source, (r, v) in json.loads(line).items()}


@contextlib.asynccontextmanager
async def lab_process(sites: int, intent: Path, tick: float) -> AsyncIterator[Lab]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LAB_CHILD, str(sites), str(intent), str(tick),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=child_env(),
    )  # fmt: skip
    try:
        assert process.stdout is not None
        async with asyncio.timeout(600):
            line = await process.stdout.readline()
        if not line.startswith(b"{"):
            raise RuntimeError(f"the lab did not start (said {line!r})")
        yield Lab(process.pid, json.loads(line)["ports"], process)
    finally:
        await stop(process, close_stdin=True)


async def stop(process: asyncio.subprocess.Process, *, close_stdin: bool = False) -> int | None:
    """Stop a child (EOF on its stdin, or SIGTERM); SIGKILL after 30 s. Its exit code."""
    if process.returncode is None:
        if close_stdin and process.stdin is not None:
            process.stdin.close()
        else:
            process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(30):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
    return process.returncode


@dataclass
class Server:
    """A child process serving HTTP on ``port``."""

    name: str
    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_s(self) -> float:
        return process_cpu_s(self.pid)

    def failed(self, what: str) -> RuntimeError:
        tail = self.log.read_text(errors="replace").splitlines()[-15:]
        return RuntimeError(f"{self.name} {what}; its log ends:\n  " + "\n  ".join(tail))


@contextlib.asynccontextmanager
async def daemon_process(intent: Path, folder: Path, *, per_prefix: bool) -> AsyncIterator[Server]:
    log = folder / "daemon.log"
    extra = ["--per-prefix-metrics"] if per_prefix else []
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sprmon", "run", "--intent", str(intent),
            "--listen", f"{HOST}:0", *extra,
            stdin=asyncio.subprocess.DEVNULL, stdout=stderr, stderr=stderr, env=child_env(),
        )  # fmt: skip
    server = Server("sprmon run", process, 0, log)
    try:
        # Port 0 picks a free port; the daemon logs the URL it serves.
        async with asyncio.timeout(120):
            while not (found := re.search(rb"http://[^/\s]+:(\d+)/metrics", log.read_bytes())):
                if process.returncode is not None:
                    raise server.failed(f"exited with {process.returncode} at start")
                await asyncio.sleep(0.1)
        server.port = int(found.group(1))
        yield server
    finally:
        code = await stop(process)
        if code not in (0, None):
            print(f"  note: sprmon run exited with {code} (log {log})")


@contextlib.asynccontextmanager
async def exporter_process(community: str, folder: Path) -> AsyncIterator[Server]:
    """snmp_exporter with our module, the lab's community in a private copy of it."""
    text = MODULE_FILE.read_text()
    placeholder = "community: public"
    if text.count(placeholder) != 1:
        raise RuntimeError(f"{MODULE_FILE}: expected one {placeholder!r} to replace")
    config = folder / "snmp.yml"
    config.touch(mode=0o600)
    # A JSON string is a YAML double-quoted scalar, whatever the community holds.
    config.write_text(text.replace(placeholder, f"community: {json.dumps(community)}"))
    log, port = folder / "snmp_exporter.log", free_port()
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            SNMP_EXPORTER, f"--config.file={config}", f"--web.listen-address={HOST}:{port}",
            f"--snmp.source-address={EXPORTER_SOURCE}:0",
            stdin=asyncio.subprocess.DEVNULL, stdout=stderr, stderr=stderr,
        )  # fmt: skip
    server = Server("snmp_exporter", process, port, log)
    try:
        async with asyncio.timeout(30):
            while True:
                if process.returncode is not None:
                    raise server.failed(f"exited with {process.returncode} at start")
                with contextlib.suppress(OSError):
                    await http_get(port, "/")
                    break
                await asyncio.sleep(0.1)
        yield server
    finally:
        await stop(process)


@dataclass
class Round:
    """One round of snmp_exporter scrapes: every site once."""

    cpu_s: float
    wall_s: float
    failed: int
    pdus: float  # variable bindings inside the walked subtrees (snmp_scrape_pdus_returned)
    late_s: float = 0.0


async def scrape_round(exporter: Server, ports: list[int], concurrency: int) -> Round:
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

    cpu, wall = exporter.cpu_s(), time.perf_counter()
    await asyncio.gather(*(scrape(port) for port in ports))
    return Round(exporter.cpu_s() - cpu, time.perf_counter() - wall, failed, pdus)


@dataclass
class Reading:
    """Everything read at one cycle boundary."""

    at: float
    daemon_cpu_s: float
    lab_cpu_s: float
    polls: float
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
    """Warm-up cycles, then measured ones: a reading at each boundary, a round in each cycle."""
    run, ports = Run(), list(lab.ports.values())
    start = time.monotonic()
    profiler: asyncio.subprocess.Process | None = None
    pending: asyncio.Task[Round] | None = None
    for cycle in range(args.warmup + args.cycles + 1):
        await asyncio.sleep(max(0.0, start + cycle * args.interval - time.monotonic()))
        if pending is not None:
            late = time.monotonic()
            finished = await pending
            finished.late_s = time.monotonic() - late
            if cycle > args.warmup:
                run.rounds.append(finished)
            pending = None
        if cycle >= args.warmup:
            run.readings.append(await read(daemon, lab))
        if cycle == args.warmup and args.profile is not None:
            profiler = await start_profiler(daemon.pid, args.profile, args.cycles * args.interval)
        if exporter is not None and cycle < args.warmup + args.cycles:
            pending = asyncio.create_task(scrape_round(exporter, ports, args.concurrency))
    if profiler is not None:
        # py-spy stops after --duration; SIGINT makes it write what it has.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(profiler.wait()), 10)
        if profiler.returncode is None:
            profiler.send_signal(signal.SIGINT)
        await stop(profiler)
    return run


async def start_profiler(pid: int, out: Path, seconds: float) -> asyncio.subprocess.Process:
    """py-spy sampling ``pid`` into ``out`` (collapsed stacks), 100 times a second."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return await asyncio.create_subprocess_exec(
        spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "100",
        "--duration", str(math.ceil(seconds)), "--output", str(out),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


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
        f"requests, {varbinds / polls:.1f} varbinds on the wire"
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
    cpu = (daemon.cpu_s() - cpu - polling * (time.perf_counter() - started)) / args.scrapes
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
        late = f", finished {one.late_s:.1f} s after its cycle" if one.late_s > 0.05 else ""
        print(
            f"  cycle {n}: {sites:,} scrapes in {one.wall_s:.1f} s{late}, {one.failed} failed, "
            f"CPU {one.cpu_s:.2f} s"
        )
    first, last = run.readings[0], run.readings[-1]
    scrapes = sites * len(run.rounds)
    cpu = sum(one.cpu_s for one in run.rounds)
    requests, varbinds = per(first, last, EXPORTER_SOURCE)
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
                    daemon_process(intent, folder, per_prefix=args.per_prefix_metrics)
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
                f"{lab_cpu / (last.at - first.at) * 100:.1f} % of a core for both sides"
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
