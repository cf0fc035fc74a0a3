"""Peers for the gNMI collector tests: misbehaving targets and network faults, over real sockets.

- :class:`ScriptedTarget`: a ``grpc.aio`` gNMI server whose Subscribe answers with
  what the test scripts (an endless dump, a stream that falls silent);
- :class:`SilentListener`: a TCP port that accepts connections and never says a word;
- :class:`Outage`: a TCP relay in front of a real target that can go down (connections
  cut, new ones refused) and come back on the same port: a target restarted mid-stream;
- :func:`gnmi_site`: a site of the lab's inventory pointed at another port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from sprmon.collector.gnmi.poller import GnmiSite
from sprmon.intentfile import LoadedIntent, load_config
from sprmon.lab import GnmiTls, Lab, run_lab
from tests.collector.gnmi_messages import attr_set, neighbor, route

Script = Callable[[], AsyncIterator[Any]]


class _Servicer(gnmi_pb2_grpc.gNMIServicer):  # type: ignore[misc]
    def __init__(self, script: Script) -> None:
        self.script = script
        self.subscriptions = 0

    async def Subscribe(self, request_iterator: Any, context: Any) -> AsyncIterator[Any]:
        await request_iterator.__anext__()
        self.subscriptions += 1
        async for response in self.script():
            yield response


class ScriptedTarget:
    """A gNMI target on 127.0.0.1 whose Subscribe yields ``script()``'s responses."""

    def __init__(self, script: Script) -> None:
        self._servicer = _Servicer(script)
        self._server: Any = None
        self.port = 0

    @property
    def subscriptions(self) -> int:
        return self._servicer.subscriptions

    async def __aenter__(self) -> Self:
        self._server = grpc.aio.server()
        gnmi_pb2_grpc.add_gNMIServicer_to_server(self._servicer, self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        await self._server.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._server.stop(None)


def update(notification: Any) -> Any:
    return gnmi_pb2.SubscribeResponse(update=notification)


SYNC = gnmi_pb2.SubscribeResponse(sync_response=True)


async def endless_routes(*, sync_first: bool) -> AsyncIterator[Any]:
    """A new route in every message, forever (after a sync_response, or never one)."""
    for message in attr_set(1, med=100, next_hop="198.51.100.1"):
        yield update(message)
    yield update(neighbor("198.51.100.1"))
    if sync_first:
        yield SYNC
    n = 0
    while True:
        yield update(
            route(f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}/32", "198.51.100.1", 1)
        )
        n += 1
        if n % 100 == 0:
            await asyncio.sleep(0)


async def sync_then_silence() -> AsyncIterator[Any]:
    yield update(neighbor("198.51.100.1"))
    yield SYNC
    await asyncio.Event().wait()


class SilentListener:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)


def closed_tcp_port() -> int:
    """A loopback TCP port nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Outage:
    """A relay to a target that can go down and come back on the same port.

    :meth:`down` closes the listening socket and every relayed connection (the
    client sees its stream end and new connections refused); :meth:`up` listens
    again on the same port.
    """

    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self._target = (host, target_port)
        self._host = host
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0
        self.connections = 0

    async def __aenter__(self) -> Self:
        await self.up()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.down()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._accept, self._host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            target_reader, target_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, target_writer}
        for source, sink in ((reader, target_writer), (target_reader, writer)):
            task = asyncio.create_task(_pump(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


def gnmi_site(site: GnmiSite, port: int, **changes: Any) -> GnmiSite:
    """``site`` with its gNMI target on ``port`` (and other target fields changed)."""
    return GnmiSite(site.site, replace(site.target, port=port, **changes))


@contextlib.asynccontextmanager
async def gnmi_lab(
    folder: Path,
    *,
    sites: int = 2,
    protocols: str = "gnmi",
    clock: Callable[[], float] | None = None,
    tick: float = 1.0,
    tls: GnmiTls | None = None,
    extra: str = "",
) -> AsyncIterator[tuple[Lab, LoadedIntent]]:
    """A lab answering gNMI and its intent file (with ``extra`` YAML appended), loaded:
    the policy and the inventory."""
    intent_path = folder / "intent.yaml"
    options: dict[str, Any] = {} if clock is None else {"clock": clock}
    async with run_lab(
        sites=sites,
        seed=3,
        tick=tick,
        control=False,
        protocols=protocols,
        intent_path=intent_path,
        gnmi_tls=tls,
        **options,
    ) as lab:
        if extra:
            intent_path.write_text(intent_path.read_text(encoding="utf-8") + extra, "utf-8")
        config = await asyncio.to_thread(load_config, intent_path)
        yield lab, config
