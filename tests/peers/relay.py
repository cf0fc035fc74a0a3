"""A TCP relay on loopback that can silently stop forwarding: a network fault on demand.

::

    async with TcpRelay("127.0.0.1", broker.port) as relay:
        client connects to relay.port ...
        relay.drop_upstream()      # from now on, what the open connections send is lost

Each accepted connection is relayed to the target in both directions. After
:meth:`TcpRelay.drop_upstream`, bytes from the clients of the connections open
at that moment are read and discarded while the target's answers still flow,
as on a path that lost one direction; connections opened later are relayed
normally. Deterministic where a stopped or killed server is not: a request
sent after the fault never reaches the server, whatever the timing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self


@dataclass
class _Connection:
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    drop_upstream: bool = False


class TcpRelay:
    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1") -> None:
        self._target = (target_host, target_port)
        self._host = host
        self._server: asyncio.Server | None = None
        self._connections: list[_Connection] = []
        self.port = 0

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._accept, self._host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.close()
        for connection in self._connections:
            for task in connection.tasks:
                task.cancel()
            for writer in connection.writers:
                writer.close()
        tasks = [task for connection in self._connections for task in connection.tasks]
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def drop_upstream(self) -> None:
        """Lose everything the currently connected clients send from now on."""
        for connection in self._connections:
            connection.drop_upstream = True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(writers=[writer])
        self._connections.append(connection)
        try:
            target_reader, target_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        connection.writers.append(target_writer)
        connection.tasks = [
            asyncio.create_task(_pump(reader, target_writer, lambda: connection.drop_upstream)),
            asyncio.create_task(_pump(target_reader, writer, lambda: False)),
        ]


async def _pump(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, drop: Callable[[], bool]
) -> None:
    try:
        while data := await reader.read(65536):
            if drop():
                continue
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
