"""Measure the lab at scale: start-up, memory, idle CPU, agent CPU per varbind, and a real poll.

    .venv/bin/python bench/bench_lab.py [--sites 1000] [--agents native|pysnmp]
                                        [--snmp-version 2c|3] [--concurrency 64]

The lab runs in a child process, so everything counted as the agents' (CPU
from /proc/PID/stat, memory from /proc/PID/status) is theirs alone:

1. start-up of ``run_lab`` (wall and CPU, in the child) and the child's
   memory before and after it, and its peak at the end;
2. idle CPU for 10 s;
3. Net-SNMP's ``snmpbulkwalk -Cr25`` of 1.3.6.1.2.1 on every site (8 at a
   time) and on both cores: agent CPU per 1,000 variable bindings;
4. the real collector (:class:`~sprmon.collector.poller.SnmpPoller`, in this
   process) polling every site of the lab's intent twice, ``--concurrency``
   at once: wall time, sites that failed, agent and collector CPU, and what
   one such poll every 60 s costs the lab as a share of one core.

``--agents pysnmp`` serves a v2c lab with pysnmp's agents (what every lab
ran before the native v2c agents), for before/after figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

# bench/ runs as a script from a checkout: import the checkout's sprmon.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import describe_machine

from sprmon.collector.poller import PollResult, SnmpPoller, snmp_sites
from sprmon.core.intent import Intent
from sprmon.intentfile import load_config
from sprmon.inventory import Inventory
from sprmon.lab.credentials import LabCredentials, V2cCredentials, V3Credentials
from sprmon.realpeers.snmpd import auth_args, tool_env

LAB_CHILD = r"""
import asyncio, json, os, sys, time
from pathlib import Path

def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

async def main(sites, version, agents, intent, tick):
    from sprmon.lab import run_lab
    before = rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    async with run_lab(sites=sites, seed=1, intent_path=intent, control=False,
                       snmp_version=version, v2c_backend=agents, tick=tick) as lab:
        credentials = lab.credentials
        print(json.dumps({
            "startup_s": time.perf_counter() - wall,
            "startup_cpu_s": time.process_time() - cpu,
            "rss_before_mb": before,
            "rss_after_mb": rss_mb(),
            "host": lab.host,
            "ports": lab.ports,
            "credentials": {k: getattr(credentials, k) for k in credentials.__slots__},
        }), flush=True)
        # Serve until the parent closes our stdin.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])))
"""


def process_cpu_s(pid: int) -> float:
    """utime + stime of another process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the ")" of the command name: field 3 is index 0, so utime (14) is index 11.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_memory_mb(pid: int, field: str) -> float:
    """VmRSS or VmHWM (peak RSS) of another process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class RunningLab:
    pid: int
    spawn_to_ready_s: float
    ready: dict[str, object]
    intent: Intent
    inventory: Inventory

    @property
    def host(self) -> str:
        return str(self.ready["host"])

    @property
    def ports(self) -> dict[str, int]:
        ports = self.ready["ports"]
        assert isinstance(ports, dict)
        return ports

    @property
    def credentials(self) -> LabCredentials:
        fields = self.ready["credentials"]
        assert isinstance(fields, dict)
        if fields["version"] == "2c":
            return V2cCredentials(community=fields["community"])
        return V3Credentials(auth_key=fields["auth_key"], priv_key=fields["priv_key"])

    def number(self, key: str) -> float:
        value = self.ready[key]
        assert isinstance(value, int | float)
        return float(value)

    def cpu_s(self) -> float:
        return process_cpu_s(self.pid)


@contextlib.asynccontextmanager
async def lab_process(args: argparse.Namespace, folder: Path) -> AsyncIterator[RunningLab]:
    intent_path = folder / "lab.yaml"
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LAB_CHILD, str(args.sites), args.snmp_version, args.agents,
        str(intent_path), str(args.tick),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        async with asyncio.timeout(600):
            line = await process.stdout.readline()
        if not line.startswith(b"{"):
            raise RuntimeError(f"the lab did not start (said {line!r})")
        yield RunningLab(
            pid=process.pid,
            spawn_to_ready_s=time.perf_counter() - started,
            ready=json.loads(line),
            intent=(loaded := load_config(intent_path)).intent,
            inventory=loaded.inventory,
        )
    finally:
        if process.returncode is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                async with asyncio.timeout(30):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


async def walk_all(lab: RunningLab, routers: list[str], workdir: Path, parallel: int) -> int:
    """Bulk-walk 1.3.6.1.2.1 of ``routers``; return the number of rows received.

    One ``xargs -P`` runs the walks, so this process forks once.
    """
    ports = "\n".join(str(lab.ports[r]) for r in routers)
    command = [
        "xargs", "-P", str(parallel), "-I", "PORT",
        "snmpbulkwalk", *auth_args(lab.credentials), "-Cr25", "-On", "-t", "5",
        f"{lab.host}:PORT", "1.3.6.1.2.1",
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=tool_env(workdir),
    )
    out, err = await process.communicate(ports.encode())
    if process.returncode != 0:
        raise RuntimeError(err.decode(errors="replace"))
    return out.count(b"\n")


async def measure_walks(lab: RunningLab, workdir: Path) -> None:
    sites = [name for name in lab.ports if name.startswith("site-")]
    cores = [name for name in lab.ports if not name.startswith("site-")]
    for label, routers in ((f"all {len(sites)} sites", sites), ("both cores", cores)):
        cpu, wall = lab.cpu_s(), time.perf_counter()
        rows = await walk_all(lab, routers, workdir, parallel=8)
        cpu, wall = lab.cpu_s() - cpu, time.perf_counter() - wall
        print(
            f"  snmpbulkwalk -Cr25 of {label}: {rows:,} rows in {wall:.1f} s; agent CPU "
            f"{cpu:.2f} s = {cpu / rows * 1e6:.0f} us per row ({cpu / rows * 1e6:.0f} ms per "
            "1,000 varbinds)"
        )


async def measure_polls(lab: RunningLab, concurrency: int) -> None:
    sites = snmp_sites(lab.intent.sites, lab.inventory)
    prefixes = [prefix for app in lab.intent.applications for prefix in app.prefixes]
    print(f"  collector (SnmpPoller, {concurrency} sites at once) polls all {len(sites)} sites:")
    async with SnmpPoller(max_concurrency=concurrency) as poller:
        for label in ("first poll (cold)", "second poll"):
            agent, own = lab.cpu_s(), own_cpu_s()
            result: PollResult = await poller.poll_with_stats(sites, prefixes)
            agent, own = lab.cpu_s() - agent, own_cpu_s() - own
            failed = [stat for stat in result.stats if not stat.ok]
            varbinds = max(result.varbinds, 1)
            print(
                f"    {label}: {result.elapsed_s:.2f} s wall, {len(failed)} of {len(sites)} sites "
                f"failed, {result.varbinds:,} varbinds in {result.requests:,} requests "
                f"({result.varbinds / len(sites):.0f} per site)"
            )
            print(
                f"      lab CPU {agent:.2f} s = {agent / varbinds * 1e6:.1f} ms per 1,000 "
                f"varbinds, {agent / len(sites) * 1000:.2f} ms per site; collector CPU "
                f"{own:.2f} s; one such poll every 60 s costs the lab {agent / 60 * 100:.1f} % "
                "of a core"
            )
            if failed:
                errors = {o.site: o.error for o in result.snapshot.observations if o.error}
                print(f"      e.g. {failed[0].site}: {errors.get(failed[0].site)}")


async def main(args: argparse.Namespace) -> None:
    bytecode = "not written" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "written"
    with tempfile.TemporaryDirectory(prefix="sprmon-bench-lab-") as tmp:
        folder = Path(tmp)
        async with lab_process(args, folder) as lab:
            routers = len(lab.ports)
            backend = "pysnmp" if args.snmp_version == "3" else args.agents
            print(
                f"{args.sites} sites + 2 cores, SNMP v{args.snmp_version}, {backend} agents, "
                f"tick {args.tick:g} s (bytecode {bytecode})"
            )
            startup, startup_cpu = lab.number("startup_s"), lab.number("startup_cpu_s")
            before, after = lab.number("rss_before_mb"), lab.number("rss_after_mb")
            print(
                f"  start-up: run_lab {startup:.2f} s wall, {startup_cpu:.2f} s CPU "
                f"({startup_cpu / routers * 1000:.2f} ms CPU per agent); spawn to ready "
                f"{lab.spawn_to_ready_s:.2f} s (interpreter and imports included)"
            )
            print(
                f"  RSS: {before:.0f} MB before run_lab, {after:.0f} MB after "
                f"({(after - before) / routers * 1024:.0f} kB per agent)"
            )
            cpu = lab.cpu_s()
            await asyncio.sleep(10)
            print(f"  idle CPU: {(lab.cpu_s() - cpu) / 10 * 100:.2f} % of a core")
            if not args.skip_walks:
                await measure_walks(lab, folder)
            await measure_polls(lab, args.concurrency)
            print(f"  peak RSS of the lab: {process_memory_mb(lab.pid, 'VmHWM'):.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--snmp-version", choices=["2c", "3"], default="2c")
    parser.add_argument(
        "--agents",
        choices=["native", "pysnmp"],
        default="native",
        help="which agents serve a v2c lab (v3 is always pysnmp)",
    )
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--tick", type=float, default=1.0, help="the lab's tick, seconds")
    parser.add_argument("--skip-walks", action="store_true", help="skip the snmpbulkwalk part")
    options = parser.parse_args()
    print(describe_machine("pysnmp"))
    asyncio.run(main(options))
