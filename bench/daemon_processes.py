"""The child processes of bench/bench_daemon.py: the lab, ``sprmon run``, snmp_exporter, py-spy.

Each is started as a real process so that its CPU (utime + stime from
/proc/PID/stat) and memory are its own. The lab counts, per source address,
the requests and variable bindings its agents answer; the daemon and
snmp_exporter serve HTTP on free loopback ports, read with :func:`http_get`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from bench_lab import process_cpu_s

ROOT = Path(__file__).resolve().parents[1]
MODULE_FILE = Path(__file__).resolve().parent / "snmp_exporter" / "sprmon.yml"
#: Runs sprmon under cProfile, switched by signals (bench_daemon.py --cprofile).
CPROFILED = Path(__file__).resolve().parent / "cprofiled.py"
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
    #: One question at a time on the pipe, so that each caller reads its own answer.
    asking: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def counts(self) -> dict[str, tuple[int, int]]:
        """Source address -> (requests, variable bindings answered) since the lab started."""
        assert self.process.stdin is not None and self.process.stdout is not None
        async with self.asking:
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
async def daemon_process(
    intent: Path, folder: Path, *, per_prefix: bool, cprofile: Path | None = None
) -> AsyncIterator[Server]:
    """``sprmon run`` on ``intent``; with ``cprofile``, under bench/cprofiled.py writing there."""
    log = folder / "daemon.log"
    runner = ["-m", "sprmon"] if cprofile is None else [str(CPROFILED), str(cprofile)]
    extra = ["--per-prefix-metrics"] if per_prefix else []
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *runner, "run", "--intent", str(intent),
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
    if shutil.which(SNMP_EXPORTER) is None:
        raise RuntimeError(
            f"{SNMP_EXPORTER} not found: install the Debian package prometheus-snmp-exporter "
            "(make system-deps), or pass --no-snmp-exporter"
        )
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


async def start_profiler(pid: int, out: Path, seconds: float) -> asyncio.subprocess.Process:
    """py-spy sampling ``pid`` into ``out`` (collapsed stacks), 100 times a second."""
    # py-spy is a pip package: look next to this interpreter too (a venv not activated).
    where = os.pathsep.join([os.environ.get("PATH", ""), str(Path(sys.executable).parent)])
    spy = shutil.which("py-spy", path=where)
    if spy is None:
        raise RuntimeError("--profile needs py-spy: pip install py-spy (into this venv)")
    return await asyncio.create_subprocess_exec(
        spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "100",
        "--duration", str(math.ceil(seconds)), "--output", str(out),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
