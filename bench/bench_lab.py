"""Measure the lab at scale: start-up time, memory, idle CPU and CPU per variable binding.

    .venv/bin/python bench/bench_lab.py [--sites 200] [--snmp-version 2c|3]

The client is Net-SNMP's ``snmpbulkwalk`` (-Cr25) in subprocesses,
so the CPU counted here (``time.process_time`` of this process) is the
agents' alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

# bench/ runs as a script from a checkout: import the checkout's sprmon.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import describe_machine

from sprmon.lab import Lab, run_lab
from sprmon.realpeers.snmpd import auth_args, tool_env


def rss_mb() -> float:
    with Path(f"/proc/{os.getpid()}/statm").open(encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def walk_all(lab: Lab, routers: list[str], workdir: Path, parallel: int) -> int:
    """Bulk-walk 1.3.6.1.2.1 of ``routers``; return the number of rows received.

    One ``xargs -P`` runs the walks, so this process forks once: forking a
    150 MB process 200 times would be counted as the agents' CPU.
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


async def main(sites: int, version: str) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="sprmon-measure-"))
    before = rss_mb()
    started, started_cpu = time.perf_counter(), time.process_time()
    async with run_lab(
        sites=sites, snmp_version="3" if version == "3" else "2c", control=False
    ) as lab:
        startup = time.perf_counter() - started
        startup_cpu = time.process_time() - started_cpu
        after = rss_mb()
        print(f"{sites} sites + 2 cores, SNMP v{version}")
        print(
            f"  start-up: {startup:.2f} s wall, {startup_cpu:.2f} s CPU "
            f"({startup_cpu / (sites + 2) * 1000:.1f} ms CPU per agent)"
        )
        print(
            f"  RSS: {before:.0f} MB before, {after:.0f} MB after "
            f"({(after - before) / (sites + 2) * 1024:.0f} kB per agent)"
        )
        cpu = time.process_time()
        await asyncio.sleep(10)
        print(f"  idle CPU: {(time.process_time() - cpu) / 10 * 100:.2f} % of a core")

        site_names = list(lab.site_ports)
        for label, routers in (("sites", site_names), ("cores", list(lab.core_ports))):
            cpu, wall = time.process_time(), time.perf_counter()
            rows = await walk_all(lab, routers, workdir, parallel=8)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            print(
                f"  walk of all {label} (1.3.6.1.2.1, max-repetitions 25): {rows} rows in "
                f"{wall:.1f} s, agent CPU {cpu:.2f} s = {cpu / rows * 1e6:.0f} us per row"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--snmp-version", choices=["2c", "3"], default="2c")
    options = parser.parse_args()
    print(describe_machine("pysnmp"))
    asyncio.run(main(options.sites, options.snmp_version))
