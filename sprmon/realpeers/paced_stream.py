"""A steady, measured UDP stream: the traffic whose rate a link's utilisation must match.

For the tests and bench/ (``bench_rates.py``), like the rest of :mod:`sprmon.realpeers`.

The sender is a separate process (so the poller's event loop cannot delay it)
that sends one datagram every ``1 / packets_per_s`` seconds on absolute
deadlines until it is told to stop (SIGTERM), then reports how many it sent
and when the first and the last left. Its rate on the wire is then exact,
whatever the scheduling: ``(packets - 1) x frame octets / (last - first)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

#: Ethernet header + IPv4 + UDP: what an interface counts besides the payload.
WIRE_OVERHEAD = 14 + 20 + 8

_SENDER = """
import json, signal, socket, sys, time
target, port, rate, size = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = b"x" * size
print("ready", flush=True)
start = time.time()
sent, first, last = 0, None, None
while not stop:
    due = start + sent / rate
    wait = due - time.time()
    if wait > 0:
        time.sleep(wait)
        continue
    sock.sendto(payload, (target, port))
    last = time.time()
    first = first if first is not None else last
    sent += 1
print(json.dumps({"packets": sent, "first": first, "last": last}), flush=True)
"""


@dataclass(frozen=True)
class StreamReport:
    packets: int
    #: POSIX times the first and the last datagram were sent.
    first_at: float
    last_at: float
    frame_octets: int

    @property
    def bps(self) -> float:
        """Bits per second on the wire, from the first datagram to the last."""
        return (self.packets - 1) * self.frame_octets * 8 / (self.last_at - self.first_at)


class PacedStream:
    def __init__(self, process: asyncio.subprocess.Process, frame_octets: int) -> None:
        self._process = process
        self._frame = frame_octets
        self.report: StreamReport | None = None

    async def stop(self) -> StreamReport:
        """Stop the sender; what it sent."""
        if self.report is not None:
            return self.report
        self._process.send_signal(signal.SIGTERM)
        out, _ = await self._process.communicate()
        lines = out.decode().splitlines()
        sent = json.loads(lines[-1])
        self.report = StreamReport(sent["packets"], sent["first"], sent["last"], self._frame)
        return self.report


@contextlib.asynccontextmanager
async def paced_stream(
    target: str, port: int, *, packets_per_s: float, payload: int
) -> AsyncIterator[PacedStream]:
    """Send ``payload``-octet UDP datagrams to ``target:port`` at ``packets_per_s``
    until the block ends (or :meth:`PacedStream.stop`)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _SENDER,
        target,
        str(port),
        str(packets_per_s),
        str(payload),
        stdout=asyncio.subprocess.PIPE,
    )
    stream = PacedStream(process, payload + WIRE_OVERHEAD)
    try:
        if process.stdout is None:  # pragma: no cover - stdout is a pipe
            raise RuntimeError("the stream's sender has no stdout")
        ready = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        if ready.strip() != b"ready":
            raise RuntimeError(f"the stream's sender did not start: {ready!r}")
        yield stream
    finally:
        if process.returncode is None:
            await stream.stop()
