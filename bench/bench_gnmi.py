"""Benchmark of the gNMI collector: updates absorbed, CPU per update, time to detect a drift.

    .venv/bin/python bench/bench_gnmi.py                         # both parts
    .venv/bin/python bench/bench_gnmi.py --parts a --seconds 5   # absorption only
    .venv/bin/python bench/bench_gnmi.py --parts b --sites 100 --interval 10 --injections 20

(a) **Absorption.** A firehose gNMI target runs in a child process (a ``grpc.aio``
    server sending pre-serialised SubscribeResponses as fast as gRPC takes them:
    one interface's seven counters, or one Loc-RIB route's five leaves, JSON_IETF),
    so that its CPU is not the collector's. This process reads for ``--seconds``:
    - ``grpc.aio + store``: sprmon's path, the gNMI stubs pygnmi ships over
      ``grpc.aio``, every notification into a :class:`SiteStore` (decoded, applied);
    - ``grpc.aio, read only``: the same stream, messages read and dropped (the
      transport's ceiling);
    - ``pygnmi thread + store``: pygnmi's ``gNMIclient.subscribe2`` (a reader thread
      per subscription feeding an unbounded queue), the responses taken from its
      queue by a worker thread and applied to the same store;
    - ``pygnmi, its own parse``: iterating pygnmi's subscriber (its telemetryParser
      makes a dict of every response);
    - ``grpc.aio + store, N streams``: ``--streams`` streams at once in one event loop.
    Updates per second (leaves), and CPU per update (this process's CPU time
    divided by the updates: everything the client spends, threads included).
(b) **Time to detect.** A lab of ``--sites`` sites answering SNMP and gNMI runs
    in a child process; this process runs the daemon's engine (both collectors)
    on the lab's intent, once with every site read over gNMI (STREAM: ON_CHANGE,
    counters sampled every ``--interval``) and once over SNMP only (polled every
    ``--interval``). ``--injections`` times, a MED drift is injected at a site
    (through the child's stdin) and the time until the engine's evaluation says
    ``drift`` for that site is taken; then it is cleared. Also: the engine's
    CPU while the streams are quiet.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import json
import logging
import operator
import os
import queue
import re
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

# bench/ runs as a script from a checkout: import the checkout's sprmon.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import describe_machine

from sprmon.lab.intent_file import MAX_YAML_SITES

FIREHOSE_CHILD = r"""
import asyncio, json, sys
import grpc
from pygnmi.spec.v080 import gnmi_pb2

COUNTERS = ["in-octets", "out-octets", "in-errors", "out-errors", "in-discards", "out-discards",
            "in-unicast-pkts"]
BGP = [("network-instances", {}), ("network-instance", {"name": "default"}), ("protocols", {}),
       ("protocol", {"identifier": "BGP", "name": "BGP"}), ("bgp", {}), ("rib", {})]


def path(elems):
    return gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name=name, key=keys) for name, keys in elems])


def leaf(names, value):
    return gnmi_pb2.Update(
        path=path([(name, {}) for name in names]),
        val=gnmi_pb2.TypedValue(json_ietf_val=json.dumps(value).encode()),
    )


def notifications():
    for n in range(1000):
        interface = [("interfaces", {}), ("interface", {"name": f"eth{n % 48}"}),
                     ("state", {}), ("counters", {})]
        yield gnmi_pb2.Notification(
            timestamp=n + 1, prefix=path(interface),
            update=[leaf([c], str(n * 1000 + i)) for i, c in enumerate(COUNTERS)])
        prefix = f"10.{n // 256}.{n % 256}.0/24"
        route = [*BGP, ("afi-safis", {}), ("afi-safi", {"afi-safi-name": "IPV4_UNICAST"}),
                 ("ipv4-unicast", {}), ("loc-rib", {}), ("routes", {}),
                 ("route", {"prefix": prefix, "origin": "198.51.100.1", "path-id": "0"})]
        yield gnmi_pb2.Notification(
            timestamp=n + 1, prefix=path(route),
            update=[leaf(["state", "attr-index"], str(n % 7)),
                    leaf(["state", "valid-route"], True), leaf(["state", "path-id"], 0),
                    leaf(["state", "prefix"], prefix), leaf(["state", "origin"], "198.51.100.1")])


async def main():
    # Pre-serialised: the target spends as little as it can per message.
    wire = [gnmi_pb2.SubscribeResponse(update=n).SerializeToString() for n in notifications()]
    sync = gnmi_pb2.SubscribeResponse(sync_response=True).SerializeToString()
    capabilities = gnmi_pb2.CapabilityResponse(
        supported_encodings=[gnmi_pb2.JSON_IETF], gNMI_version="0.8.0").SerializeToString()

    async def subscribe(requests, context):
        await requests.__anext__()
        yield sync
        while True:
            for message in wire:
                yield message

    async def capability(request, context):
        return capabilities

    handler = grpc.method_handlers_generic_handler("gnmi.gNMI", {
        "Subscribe": grpc.stream_stream_rpc_method_handler(
            subscribe, request_deserializer=gnmi_pb2.SubscribeRequest.FromString),
        "Capabilities": grpc.unary_unary_rpc_method_handler(
            capability, request_deserializer=gnmi_pb2.CapabilityRequest.FromString)})
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(json.dumps({"port": port}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.stop(None)

asyncio.run(main())
"""

LAB_CHILD = r"""
import asyncio, sys
from sprmon.lab import run_lab

async def main(sites, intent, tick):
    async with run_lab(sites=sites, seed=1, intent_path=intent, control=False,
                       protocols="snmp,gnmi", tick=tick) as lab:
        print("READY", flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            op, site = line.split()
            if op == "inject":
                lab.inject(site, "med-drift")
            else:
                lab.clear(site)
            print("ok", flush=True)

asyncio.run(main(int(sys.argv[1]), sys.argv[2], float(sys.argv[3])))
"""


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


ROOT = str(Path(__file__).resolve().parents[1])


@contextlib.asynccontextmanager
async def child(script: str, *args: str) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(180):
            first = (await process.stdout.readline()).decode().strip()
        yield process, first
    finally:
        if process.returncode is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                async with asyncio.timeout(20):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


# --- (a) absorption -------------------------------------------------------------------------------


class Measure:
    def __init__(self, label: str, seconds: float) -> None:
        self.label = label
        self.seconds = seconds
        self.updates = 0

    def __enter__(self) -> Measure:
        gc.collect()
        self._wall = time.perf_counter()
        self._cpu = own_cpu_s()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._wall
        cpu = own_cpu_s() - self._cpu
        rate = self.updates / wall
        per = cpu / self.updates * 1e6 if self.updates else float("nan")
        print(
            f"  {self.label:<34} {rate:>10,.0f} updates/s   {per:5.2f} us CPU/update   "
            f"({self.updates:,} updates in {wall:.1f} s, {cpu:.1f} s CPU, RSS {rss_mb():.0f} MB)"
        )


async def aio_stream(port: int, seconds: float, apply: Callable[[Any], int] | None) -> int:
    import grpc  # noqa: PLC0415
    from pygnmi.spec.v080 import gnmi_pb2_grpc  # noqa: PLC0415

    from sprmon.collector.gnmi.paths import subscribe_request  # noqa: PLC0415
    from sprmon.inventory import ALL_PARTS  # noqa: PLC0415

    updates = messages = 0
    deadline = time.perf_counter() + seconds
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = gnmi_pb2_grpc.gNMIStub(channel).Subscribe()
        await call.write(subscribe_request(ALL_PARTS, stream=True))
        try:
            while True:
                response = await call.read()
                messages += 1
                if response.HasField("update"):
                    notification = response.update
                    if apply is not None:
                        apply(notification)
                    updates += len(notification.update)
                if messages % 32 == 0 and time.perf_counter() > deadline:
                    return updates
        finally:
            call.cancel()


def pygnmi_stream(port: int, seconds: float, consume: str) -> int:
    """pygnmi's subscriber; ``consume``: "store" (raw responses from its queue) or "parse"."""
    from pygnmi.client import gNMIclient  # noqa: PLC0415

    from sprmon.collector.gnmi.store import SiteStore  # noqa: PLC0415

    store = SiteStore("firehose")
    updates = 0
    deadline = time.perf_counter() + seconds
    with gNMIclient(target=("127.0.0.1", port), insecure=True, gnmi_timeout=5) as client:
        subscriber = client.subscribe2(
            subscribe={"subscription": [{"path": "interfaces", "mode": "sample"}], "mode": "stream"}
        )
        try:
            if consume == "parse":
                for n, parsed in enumerate(subscriber):
                    updates += len((parsed or {}).get("update", {}).get("update", ()))
                    if n % 32 == 0 and time.perf_counter() > deadline:
                        break
            else:
                raw: queue.Queue[Any] = subscriber._updates
                while time.perf_counter() < deadline:
                    response = raw.get(timeout=5)
                    if response.HasField("update"):
                        store.apply(response.update)
                        updates += len(response.update.update)
        finally:
            subscriber.close()
    return updates


def decode_only() -> None:
    """The store's own cost: the firehose's notifications applied in memory, no I/O."""
    from pygnmi.spec.v080 import gnmi_pb2  # noqa: PLC0415

    from sprmon.collector.gnmi.store import SiteStore  # noqa: PLC0415

    scope: dict[str, Any] = {}
    exec(FIREHOSE_CHILD.split("async def main", maxsplit=1)[0], scope)
    messages = [
        gnmi_pb2.Notification.FromString(n.SerializeToString()) for n in scope["notifications"]()
    ]
    store = SiteStore("decode")
    for message in messages:
        store.apply(message)
    with Measure("decode only (store, no I/O)", 0) as measure:
        for _ in range(20):
            for message in messages:
                store.apply(message)
                measure.updates += len(message.update)


async def part_a(args: argparse.Namespace) -> None:
    from sprmon.collector.gnmi.store import SiteStore  # noqa: PLC0415

    # pygnmi's reader threads raise CANCELLED when their channel closes: expected here.
    threading.excepthook = lambda hook_args: None
    logging.getLogger("pygnmi").setLevel(logging.CRITICAL)

    print("\n(a) updates absorbed by one process (a firehose target in a child process)")
    decode_only()
    async with child(FIREHOSE_CHILD) as (process, first):
        port = json.loads(first)["port"]
        seconds = args.seconds
        await aio_stream(port, 1.0, None)  # warm-up: imports, first connection
        for label, apply in (
            ("grpc.aio + store (sprmon)", SiteStore("firehose").apply),
            ("grpc.aio, read only", None),
        ):
            server_cpu = process_cpu_s(process.pid)
            with Measure(label, seconds) as measure:
                measure.updates = await aio_stream(port, seconds, apply)
            used = process_cpu_s(process.pid) - server_cpu
            print(f"  {'':<34} (the target used {used:.1f} s CPU)")
        for label, consume in (
            ("pygnmi thread + store", "store"),
            ("pygnmi, its own parse", "parse"),
        ):
            with Measure(label, seconds) as measure:
                measure.updates = await asyncio.to_thread(pygnmi_stream, port, seconds, consume)
        streams = args.streams
        stores = [SiteStore(f"site-{n}") for n in range(streams)]
        with Measure(f"grpc.aio + store, {streams} streams", seconds) as measure:
            counts = await asyncio.gather(
                *(aio_stream(port, seconds, store.apply) for store in stores)
            )
            measure.updates = sum(counts)
        print(f"  {'':<34} threads in this process: {threading.active_count()}")
        await slow_consumers(port, seconds)


async def slow_consumers(port: int, seconds: float) -> None:
    """A consumer that stops reading: what each bridge holds meanwhile."""
    import grpc  # noqa: PLC0415
    from pygnmi.client import gNMIclient  # noqa: PLC0415
    from pygnmi.spec.v080 import gnmi_pb2_grpc  # noqa: PLC0415

    from sprmon.collector.gnmi.paths import subscribe_request  # noqa: PLC0415
    from sprmon.inventory import ALL_PARTS  # noqa: PLC0415

    gc.collect()
    before = rss_mb()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = gnmi_pb2_grpc.gNMIStub(channel).Subscribe()
        await call.write(subscribe_request(ALL_PARTS, stream=True))
        await call.read()
        await asyncio.sleep(seconds)
        grown = rss_mb() - before
        call.cancel()
    print(f"  a consumer that stops reading for {seconds:g} s: grpc.aio holds {grown:+.0f} MB")

    def pygnmi_unread() -> tuple[int, float]:
        with gNMIclient(target=("127.0.0.1", port), insecure=True, gnmi_timeout=5) as client:
            subscriber = client.subscribe2(
                subscribe={
                    "subscription": [{"path": "interfaces", "mode": "sample"}],
                    "mode": "stream",
                }
            )
            time.sleep(seconds)
            queued = subscriber._updates.qsize()
            grown = rss_mb() - before
            subscriber.close()
            return queued, grown

    gc.collect()
    before = rss_mb()
    queued, grown = await asyncio.to_thread(pygnmi_unread)
    print(f"  {'':<34} pygnmi's queue holds {queued:,} responses, {grown:+.0f} MB (unbounded)")


# --- (b) time to detect ---------------------------------------------------------------------------


def snmp_only(text: str) -> str:
    text = re.sub(r"\n  gnmi: \{[^\n]*\}", "", text)
    text = re.sub(r", gnmi: \{port: \d+\}", "", text)
    return text.replace(", 2001:db8:21::/48", "").replace(", 2001:db8:10::/48", "")


async def detect(
    label: str,
    intent_path: Path,
    lab: asyncio.subprocess.Process,
    args: argparse.Namespace,
) -> None:
    from sprmon.core.monitor import StateChange  # noqa: PLC0415
    from sprmon.daemon.engine import Monitor  # noqa: PLC0415
    from sprmon.daemon.gnmi import GnmiCollector  # noqa: PLC0415
    from sprmon.daemon.snmp import SnmpCollector  # noqa: PLC0415
    from sprmon.intentfile import load_config  # noqa: PLC0415

    config = load_config(intent_path)
    sites = [site.name for site in config.intent.sites]
    legacy = "10.0.21.0/24"
    states: dict[str, str] = {}
    detected: dict[str, float] = {}
    changed = asyncio.Event()

    def on_changes(changes: Sequence[StateChange]) -> None:
        now = time.monotonic()
        for change in changes:
            if change.prefix == legacy and change.new_state is not None:
                states[change.site] = change.new_state
                if change.new_state == "drift":
                    detected.setdefault(change.site, now)
        changed.set()

    async def until(predicate: Callable[[], bool], limit_s: float) -> None:
        async with asyncio.timeout(limit_s):
            while not predicate():
                changed.clear()
                await changed.wait()

    async def tell(op: str, site: str) -> None:
        assert lab.stdin is not None and lab.stdout is not None
        lab.stdin.write(f"{op} {site}\n".encode())
        await lab.stdin.drain()
        await lab.stdout.readline()

    async with SnmpCollector() as snmp, GnmiCollector() as gnmi:
        started = time.monotonic()
        async with Monitor(config, [snmp, gnmi], on_changes=on_changes, publish_every_s=0.5):
            await until(lambda: len(states) == len(sites), 3 * args.interval + 60)
            ready = time.monotonic() - started
            await asyncio.sleep(2.0)
            cpu, wall = own_cpu_s(), time.monotonic()
            await asyncio.sleep(args.quiet)
            quiet_cpu = (own_cpu_s() - cpu) / (time.monotonic() - wall)
            times = []
            for n in range(args.injections):
                site = sites[(n * 37) % len(sites)]
                detected.pop(site, None)
                sent = time.monotonic()
                await tell("inject", site)
                await until(
                    functools.partial(operator.contains, detected, site), 3 * args.interval + 30
                )
                times.append(detected[site] - sent)
                # Each injection goes to another site: no need to wait for this one to recover.
                await tell("clear", site)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(
        f"  {label:<36} median {statistics.median(times):6.3f} s   p95 {p95:6.3f} s   "
        f"max {times[-1]:6.3f} s   (all {len(sites)} sites judged {ready:.1f} s after start; "
        f"quiet: {100 * quiet_cpu:.0f} % of a core)"
    )


async def part_b(args: argparse.Namespace, folder: Path) -> None:
    print(
        f"\n(b) time to detect a MED drift, {args.sites} sites, interval {args.interval:g} s, "
        f"{args.injections} injections (lab in a child process, tick {args.lab_tick:g} s)"
    )
    intent_path = folder / "lab.yaml"
    async with child(LAB_CHILD, str(args.sites), str(intent_path), str(args.lab_tick)) as (
        lab,
        first,
    ):
        if first != "READY":
            raise RuntimeError(f"the lab did not start: {first!r}")
        text = intent_path.read_text(encoding="utf-8")
        monitor = (
            f"monitor: {{bgp_interval: {args.interval}s, counter_interval: {args.interval}s, "
            f"max_in_flight: 200}}\nthresholds: {{stale_after: {10 * args.interval}s}}\n"
        )
        over_gnmi = folder / "gnmi.yaml"
        over_gnmi.write_text(text + monitor, encoding="utf-8")
        over_snmp = folder / "snmp.yaml"
        over_snmp.write_text(snmp_only(text) + monitor, encoding="utf-8")
        lab_cpu = process_cpu_s(lab.pid)
        if "gnmi" in args.protocols:
            await detect("gNMI STREAM (ON_CHANGE)", over_gnmi, lab, args)
        if "snmp" in args.protocols:
            await detect(f"SNMP polled every {args.interval:g} s", over_snmp, lab, args)
        print(f"  (the lab used {process_cpu_s(lab.pid) - lab_cpu:.0f} s CPU meanwhile)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", default="ab", help="a: absorption, b: time to detect")
    parser.add_argument("--seconds", type=float, default=5.0, help="(a) seconds per variant")
    parser.add_argument("--streams", type=int, default=100, help="(a) streams at once")
    parser.add_argument("--sites", type=int, default=100, help="(b) lab sites")
    parser.add_argument("--interval", type=float, default=10.0, help="(b) poll/sample interval")
    parser.add_argument("--injections", type=int, default=20, help="(b) drifts injected")
    parser.add_argument("--quiet", type=float, default=10.0, help="(b) seconds of quiet CPU")
    parser.add_argument("--lab-tick", type=float, default=1.0, help="(b) the lab's tick")
    parser.add_argument("--protocols", default="gnmi,snmp", help="(b) gnmi, snmp or both")
    args = parser.parse_args()
    if "b" in args.parts and args.sites > MAX_YAML_SITES:
        # snmp_only() edits the sites' YAML lines; a larger lab writes them to a CSV.
        parser.error(f"--sites is at most {MAX_YAML_SITES:,} (the lab's sites in YAML)")
    print(describe_machine("grpcio", "pygnmi", "protobuf"))
    if "a" in args.parts:
        await part_a(args)
    if "b" in args.parts:
        with tempfile.TemporaryDirectory(prefix="sprmon-bench-gnmi-") as folder:
            await part_b(args, Path(folder))


if __name__ == "__main__":
    asyncio.run(main())
