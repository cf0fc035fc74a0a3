"""Benchmark of the SNMP collector against real agents on this machine.

    .venv/bin/python bench/bench_snmp.py                  # everything (part c needs root)
    .venv/bin/python bench/bench_snmp.py --parts ab --sites 200 --rounds 5

(a) one lab site's full poll (and the same site in targeted BGP mode);
(b) ``--sites`` lab sites polled concurrently. The lab runs in a child
    process so that the agents' CPU (read from /proc/PID/stat) and the
    collector's (getrusage of this process) are measured apart. Done for
    SNMPv2c on the native client, SNMPv2c through pysnmp, and SNMPv3
    authPriv (pysnmp). One warm-up poll comes first, as in any repeated
    polling: it resolves the secrets, discovers v3 engine IDs and gives the
    poller each site's table sizes, so the measured polls ask for the rows
    there are plus one. The lab's model ticks every ``--lab-tick`` seconds
    (30): each tick re-renders the tables of every router asked, which is
    lab cost, not collector cost;
(c) one large table: Net-SNMP's snmpd serving 500 real interfaces, walked by
    the collector and by Net-SNMP's snmpbulkwalk in the same run.

For (c) the interfaces are veth pairs inside a network namespace with IPv6
disabled (real IF-MIB code in snmpd, not a synthetic ``override`` table:
``override`` makes one registration per object, which is not how an agent
serves a table and has no Counter64). snmpd runs in that namespace and is
reached over one more veth pair at 203.0.113.2; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

# bench/ runs as a script from a checkout: import the checkout's sprmon.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import describe_machine

from sprmon.collector.client import SnmpClient, V2cBackend
from sprmon.collector.mibs import IF_COLUMNS_HC
from sprmon.collector.poller import PollResult, SnmpPoller, SnmpSite, snmp_sites
from sprmon.collector.snmp_collector import CollectOptions
from sprmon.collector.walk import walk
from sprmon.core.prefixes import Prefix
from sprmon.intentfile import LoadedIntent, load_config
from sprmon.inventory import SecretRef, SnmpTarget
from sprmon.realpeers.netns import namespace_with_interfaces
from sprmon.realpeers.snmpd import Snmpd, parse_tool_output, run_snmpd, run_tool
from sprmon.smi import format_oid
from sprmon.snmp_oids import IF_X_ENTRY

LAB_CHILD = r"""
import asyncio, sys
from sprmon.lab import run_lab

async def main(sites, version, intent, tick):
    async with run_lab(sites=sites, seed=1, intent_path=intent, control=False,
                       snmp_version=version, tick=tick):
        print("READY", flush=True)
        # Serve until the parent closes our stdin.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])))
"""


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_s(pid: int) -> float:
    """utime + stime of another process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the ")" of the command name: field 3 is index 0, so utime (14) is index 11.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class RunningLab:
    pid: int
    loaded: LoadedIntent

    @property
    def prefixes(self) -> list[Prefix]:
        return [prefix for app in self.loaded.intent.applications for prefix in app.prefixes]

    @property
    def sites(self) -> list[SnmpSite]:
        return snmp_sites(self.loaded.intent.sites, self.loaded.inventory)


@contextlib.asynccontextmanager
async def lab_process(
    sites: int, version: str, folder: Path, tick_s: float
) -> AsyncIterator[RunningLab]:
    intent_path = folder / f"lab-{version}.yaml"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        LAB_CHILD,
        str(sites),
        version,
        str(intent_path),
        str(tick_s),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(120):
            line = await process.stdout.readline()
        if line.strip() != b"READY":
            raise RuntimeError(f"the lab did not start (said {line!r})")
        yield RunningLab(pid=process.pid, loaded=load_config(intent_path))
    finally:
        if process.returncode is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                async with asyncio.timeout(10):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


@dataclass(frozen=True)
class Round:
    wall_s: float
    collector_cpu_s: float
    agent_cpu_s: float
    result: PollResult

    @property
    def sites(self) -> int:
        return len(self.result.stats)

    @property
    def varbinds(self) -> int:
        return self.result.varbinds


async def measured_poll(
    poller: SnmpPoller, lab: RunningLab, sites: Sequence[SnmpSite], prefixes: Sequence[Prefix]
) -> Round:
    agent_before, own_before = process_cpu_s(lab.pid), own_cpu_s()
    started = time.perf_counter()
    result = await poller.poll_with_stats(sites, prefixes)
    wall = time.perf_counter() - started
    return Round(
        wall_s=wall,
        collector_cpu_s=own_cpu_s() - own_before,
        agent_cpu_s=process_cpu_s(lab.pid) - agent_before,
        result=result,
    )


def report_rounds(label: str, rounds: list[Round]) -> None:
    failed = sum(1 for stat in rounds[-1].result.stats if not stat.ok)
    middle = sorted(rounds, key=lambda r: r.wall_s)[len(rounds) // 2]
    per_kvb = 1000 / middle.varbinds
    print(
        f"  {label}: {middle.sites} sites in {middle.wall_s:.2f} s wall (median of {len(rounds)}; "
        f"all: {', '.join(f'{r.wall_s:.2f}' for r in rounds)})"
    )
    print(
        f"    {middle.sites / middle.wall_s:,.0f} sites/s, {middle.varbinds / middle.wall_s:,.0f} "
        f"varbinds/s, {middle.varbinds / middle.sites:.0f} varbinds and "
        f"{middle.result.requests / middle.sites:.1f} requests per site per cycle"
    )
    print(
        f"    CPU per 1,000 varbinds: collector {middle.collector_cpu_s * per_kvb * 1000:.1f} ms, "
        f"agents {middle.agent_cpu_s * per_kvb * 1000:.1f} ms "
        f"(collector {middle.collector_cpu_s:.2f} s, agents {middle.agent_cpu_s:.2f} s)"
        + (f"; {failed} sites FAILED" if failed else "")
    )
    if failed:
        for stat, observation in zip(
            rounds[-1].result.stats, rounds[-1].result.snapshot.observations, strict=True
        ):
            if not stat.ok:
                print(f"    {stat.site}: {observation.error}")
                break


async def part_a_b(args: argparse.Namespace, folder: Path) -> None:
    print(f"\n(a)+(b) lab sites, lab in a child process; {args.rounds} rounds after one warm-up")
    plans: list[tuple[str, str, V2cBackend]] = [
        ("v2c, native client", "2c", "native"),
        ("v2c, pysnmp client", "2c", "pysnmp"),
        ("v3 authPriv SHA-256/AES-128, pysnmp", "3", "pysnmp"),
    ]
    for label, version, backend in plans:
        if version == "3" and args.skip_v3:
            continue
        async with lab_process(args.sites, version, folder, args.lab_tick) as lab:
            prefixes = lab.prefixes
            async with SnmpPoller(max_concurrency=args.concurrency, v2c_backend=backend) as poller:
                if version == "2c" and backend == "native":
                    await part_a(poller, lab, prefixes, args.rounds)
                cold = await measured_poll(poller, lab, lab.sites, prefixes)
                rounds = [
                    await measured_poll(poller, lab, lab.sites, prefixes)
                    for _ in range(args.rounds)
                ]
            print(f" (b) {len(lab.sites)} sites concurrently (max {args.concurrency} at once):")
            report_rounds(label, rounds)
            failed = sum(1 for stat in cold.result.stats if not stat.ok)
            print(
                f"    first (cold) poll: {cold.wall_s:.2f} s wall, "
                f"{cold.varbinds / cold.sites:.0f} varbinds per site, {failed} sites failed"
            )


async def part_a(
    poller: SnmpPoller, lab: RunningLab, prefixes: Sequence[Prefix], rounds: int
) -> None:
    site = lab.sites[0]
    targeted = SnmpSite(site.site, replace(site.target, targeted_bgp=True))
    print(f" (a) one site ({site.site.name}), v2c native, {len(prefixes)} intent prefixes:")
    for label, one in (("full walk", site), ("targeted BGP", targeted)):
        await poller.poll_with_stats([one], prefixes)
        results = []
        for _ in range(max(rounds, 10)):
            started = time.perf_counter()
            result = await poller.poll_with_stats([one], prefixes)
            results.append((time.perf_counter() - started, result))
        wall = statistics.median(w for w, _ in results)
        (stat,) = results[-1][1].stats
        (observation,) = results[-1][1].snapshot.observations
        print(
            f"    {label}: {wall * 1000:.1f} ms wall (median), {stat.requests} requests, "
            f"{stat.varbinds} varbinds, {len(observation.paths or ())} paths, "
            f"{len(observation.interfaces or ())} interfaces, error={observation.error}"
        )


async def part_c(args: argparse.Namespace, folder: Path) -> None:
    print(f"\n(c) one large table: snmpd serving {args.interfaces} interfaces (veth, netns)")
    if os.geteuid() != 0 or shutil.which("snmpd") is None:
        print("  skipped: needs root and Net-SNMP's snmpd")
        return
    async with (
        namespace_with_interfaces(args.interfaces) as space,
        run_snmpd(
            folder / "snmpd-large",
            host=space.address,
            clients="203.0.113.0/30",
            netns=space.namespace,
            community="bench",
        ) as agent,
    ):
        os.environ["SPRMON_BENCH_COMMUNITY"] = "bench"
        target = SnmpTarget(
            agent.host,
            agent.port,
            community=SecretRef(env="SPRMON_BENCH_COMMUNITY"),
            timeout_s=5.0,
            retries=1,
            max_repetitions=args.repetitions,
        )
        print(
            f"  {space.interfaces} interfaces in the namespace; "
            f"max-repetitions {args.repetitions} for both"
        )
        await _compare_walks(agent, target, args)


async def _tool_walk(agent: Snmpd, oid: str, repetitions: int) -> tuple[float, int]:
    started = time.perf_counter()
    out = await run_tool(
        "snmpbulkwalk",
        "-v2c",
        "-c",
        "bench",
        "-On",
        "-Oe",
        f"-Cr{repetitions}",
        agent.address,
        oid,
        env=agent.env,
    )
    return time.perf_counter() - started, len(parse_tool_output(out))


async def _compare_walks(agent: Snmpd, target: SnmpTarget, args: argparse.Namespace) -> None:
    ifx = format_oid(IF_X_ENTRY)
    async with SnmpClient() as native, SnmpClient(v2c_backend="pysnmp") as through_pysnmp:
        clients = {"native": native, "pysnmp": through_pysnmp}

        async def ours(
            subtrees: Sequence[tuple[int, ...]], max_varbinds: int, backend: str = "native"
        ) -> tuple[float, int, float]:
            async with clients[backend].session(target) as session:
                cpu = own_cpu_s()
                started = time.perf_counter()
                rows = await walk(
                    session,
                    subtrees,
                    max_rows=1_000_000,
                    max_repetitions=target.max_repetitions,
                    max_varbinds=max_varbinds,
                )
                wall = time.perf_counter() - started
                return wall, sum(len(r) for r in rows.values()), own_cpu_s() - cpu

        # Warm snmpd's IF-MIB cache and our code paths.
        await _tool_walk(agent, ifx, args.repetitions)
        await ours([IF_X_ENTRY], args.repetitions)
        tool_rates, our_rates, pysnmp_rates, column_rates, cpu_per_kvb = [], [], [], [], []
        tool_count = our_count = column_count = 0
        for _ in range(args.rounds):
            wall, tool_count = await _tool_walk(agent, ifx, args.repetitions)
            tool_rates.append(tool_count / wall)
            # Same subtree, same repetitions per request as the tool.
            wall, our_count, cpu = await ours([IF_X_ENTRY], args.repetitions)
            our_rates.append(our_count / wall)
            cpu_per_kvb.append(cpu / our_count * 1e6)
            wall, count, _ = await ours([IF_X_ENTRY], args.repetitions, "pysnmp")
            pysnmp_rates.append(count / wall)
            # What a poll does: the 11 interface columns, about 64 values a response.
            wall, column_count, _ = await ours(IF_COLUMNS_HC, CollectOptions().max_varbinds)
            column_rates.append(column_count / wall)
    tool = statistics.median(tool_rates)
    our = statistics.median(our_rates)
    print(
        f"  snmpbulkwalk ifXTable: {tool_count} varbinds, {tool:,.0f} varbinds/s "
        f"(median of {args.rounds}, process start included)"
    )
    print(
        f"  collector walk ifXTable: {our_count} varbinds, {our:,.0f} varbinds/s, "
        f"{statistics.median(cpu_per_kvb):.1f} ms CPU per 1,000 varbinds"
    )
    print(
        f"  same walk through pysnmp (the SNMPv3 path): "
        f"{statistics.median(pysnmp_rates):,.0f} varbinds/s"
    )
    print(
        f"  collector interface columns ({len(IF_COLUMNS_HC)} columns side by side, "
        f"<= {CollectOptions().max_varbinds} a response): {column_count} varbinds, "
        f"{statistics.median(column_rates):,.0f} varbinds/s"
    )
    print(f"  ratio collector / snmpbulkwalk (ifXTable): {our / tool:.2f} (aim: at least 0.125)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default="abc", help="which parts to run (a, b, c)")
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=16,
        help="sites polled at once; one lab process serves every agent, so more only queue there",
    )
    parser.add_argument("--interfaces", type=int, default=500)
    parser.add_argument("--repetitions", type=int, default=25)
    parser.add_argument("--skip-v3", action="store_true")
    parser.add_argument(
        "--lab-tick",
        type=float,
        default=30.0,
        help="seconds between lab model updates (each re-renders every router's tables)",
    )
    args = parser.parse_args()
    print(describe_machine("pysnmp"))
    with tempfile.TemporaryDirectory(prefix="sprmon-bench-") as tmp:
        folder = Path(tmp)
        if "a" in args.parts or "b" in args.parts:
            await part_a_b(args, folder)
        if "c" in args.parts:
            await part_c(args, folder)


if __name__ == "__main__":
    asyncio.run(main())
