"""Real SNMP agents on loopback, one per simulated router, all in one process.

:class:`AgentPool` binds one UDP socket per router, starts the agents on
them and drives the model's clock. Two kinds of agent answer from the same
rendered rows (:mod:`sprmon.lab.mib`):

- SNMPv2c: native agents (:mod:`sprmon.lab.v2c_agents`), a small BER codec
  on plain asyncio datagram endpoints: cheap enough for 1,000 sites polled
  64 at a time on two cores;
- SNMPv3, or v2c with ``v2c_backend="pysnmp"``: pysnmp engines
  (:mod:`sprmon.lab.pysnmp_agents`), imported only then.

Both answer the same octets to the same v2c request; why the lab is built
this way: see docs/lab.md.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Literal

from sprmon.lab.credentials import LabCredentials, V2cCredentials
from sprmon.lab.mib import MibView, ViewCache
from sprmon.lab.model import WanModel
from sprmon.lab.pool import ServerPool, listen_error
from sprmon.lab.v2c_agents import V2cAgents

if TYPE_CHECKING:
    from sprmon.lab.pysnmp_agents import PysnmpAgents

#: Which agents serve a v2c lab: the native codec, or pysnmp (for comparison).
V2cBackend = Literal["native", "pysnmp"]


def _bind(host: str, port: int, router: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise listen_error(
            "SNMP",
            f"UDP {host}:{port}",
            router,
            str(exc.strerror),
            port=port,
            any_port_hint="check that the address is a local loopback address and that the "
            "process may open one file per agent (ulimit -n)",
        ) from exc
    return sock


class AgentPool(ServerPool):
    """Every router of ``model`` as a live SNMP agent, and the clock that drives them.

    An async context manager: entering binds every port and starts the tick;
    leaving (or a failure half-way through entering) closes everything that
    was opened. ``ports`` maps a router to its requested port (0: any free
    port); after entering, :attr:`ports` holds the ports actually bound.
    ``routers``: the routers that answer SNMP (default: all of them);
    ``on_tick`` is called after every tick of the model (the gNMI targets
    push what changed).
    """

    def __init__(
        self,
        model: WanModel,
        *,
        credentials: LabCredentials,
        host: str = "127.0.0.1",
        ports: Mapping[str, int] | None = None,
        tick: float = 1.0,
        clock: Callable[[], float] = time.time,
        routers: Sequence[str] | None = None,
        on_tick: Callable[[], None] | None = None,
        v2c_backend: V2cBackend = "native",
    ) -> None:
        if tick <= 0:
            raise ValueError(f"the tick must be positive, not {tick}")
        if v2c_backend not in ("native", "pysnmp"):
            raise ValueError(f"v2c agents are 'native' or 'pysnmp', not {v2c_backend!r}")
        self.model = model
        self._routers = tuple(model.router_names if routers is None else routers)
        self._on_tick = on_tick
        self.credentials = credentials
        self.host = host
        self.tick = tick
        #: "native" if the native v2c agents serve, else "pysnmp".
        self.backend: V2cBackend = (
            "native"
            if isinstance(credentials, V2cCredentials) and v2c_backend == "native"
            else "pysnmp"
        )
        self._clock = clock
        self._requested = dict(ports or {})
        self._sockets: list[tuple[str, socket.socket]] = []
        self._agents: V2cAgents | PysnmpAgents | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.ports: dict[str, int] = {}

    async def _start(self) -> None:
        # Bind every port first: a taken port fails the start before any
        # agent is built.
        for router in self._routers:
            sock = _bind(self.host, self._requested.get(router, 0), router)
            self._sockets.append((router, sock))
            self.ports[router] = sock.getsockname()[1]
        if self.backend == "native":
            assert isinstance(self.credentials, V2cCredentials)
            native = self._agents = V2cAgents(self.model, self.credentials.community)
            await native.start(self._sockets)
        else:
            # pysnmp takes 0.2 s to import: only for the labs that use it.
            from sprmon.lab.pysnmp_agents import PysnmpAgents  # noqa: PLC0415

            views: ViewCache[MibView] = ViewCache(self.model, lambda view: view)
            engines = self._agents = PysnmpAgents(self.model, self.credentials, views)
            await engines.start(self._sockets, lab_id=secrets.token_bytes(4))
        self._ticker = asyncio.create_task(self._tick_forever(), name="sprmon-lab-tick")

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.tick)
            self.model.advance(max(self.model.now, self._clock()))
            if self._on_tick is not None:
                self._on_tick()

    async def _stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        taken = 0
        if self._agents is not None:
            taken = self._agents.taken
            self._agents.close()
            self._agents = None
        # The agents' transports close the sockets they took (the first
        # ``taken``); the others are left from a start that failed half-way.
        for _router, sock in self._sockets[taken:]:
            sock.close()
        self._sockets.clear()
        # Let the transports' close callbacks run before the caller moves on.
        await asyncio.sleep(0)
