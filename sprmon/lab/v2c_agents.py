"""The lab's native SNMPv2c agents: one asyncio datagram endpoint per router.

A v2c request is decoded (:mod:`sprmon.lab.v2c_codec`), answered from the
router's rendered view (:mod:`sprmon.lab.v2c_responder`) and sent back from
the socket it arrived on, all in one synchronous callback: no engine per
router, no request cache, no pyasn1 objects. That is what lets one process
serve 1,000 sites to a poller that asks 64 of them at once: pysnmp's agent
side cost 240-320 ms of CPU per 1,000 variable bindings, this costs 11-15
ms under the collector (figures in bench/README.md).

A request that is not a well-formed v2c GET, GETNEXT or GETBULK with the
lab's community gets no answer, as from pysnmp (and from a router): wrong
community, SNMPv1 or v3, SET, a malformed message.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
from collections.abc import Sequence
from typing import Any, cast

from sprmon.lab.faults import Fault
from sprmon.lab.mib import ViewCache
from sprmon.lab.model import WanModel
from sprmon.lab.v2c_codec import GARBAGE_REPLY, RequestError, decode_request
from sprmon.lab.v2c_responder import EncodedView, respond

log = logging.getLogger(__name__)


class _Endpoint(asyncio.DatagramProtocol):
    """One router's agent."""

    def __init__(self, agents: V2cAgents, router: str) -> None:
        self._agents = agents
        self._router = router
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's datagram transport is not a DatagramTransport subclass in 3.11.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        agents, router, transport = self._agents, self._router, self._transport
        if transport is None or agents.model.has_fault(router, Fault.MUTE):
            return
        if agents.model.has_fault(router, Fault.GARBAGE):
            transport.sendto(GARBAGE_REPLY, addr)
            return
        try:
            request = decode_request(data)
            if request.community != agents.community:
                return
            response = respond(request, agents.views.view(router))
        except RequestError:
            return  # not a request this agent answers, as from any agent
        except Exception:
            # An exception here would close the endpoint and silence the
            # router for good; a lab bug must cost one answer, not the site.
            log.exception("lab agent %s failed to answer a request; dropped it", router)
            return
        if response is not None:
            transport.sendto(response, addr)

    def error_received(self, exc: Exception) -> None:
        # An ICMP error for an answer to a client that has gone: nothing to do.
        pass


class V2cAgents:
    """Native v2c agents for routers of ``model``; :meth:`close` stops them."""

    def __init__(self, model: WanModel, community: str) -> None:
        self.model = model
        self.community = community.encode("utf-8")
        self.views: ViewCache[EncodedView] = ViewCache(model, EncodedView)
        self._transports: list[asyncio.BaseTransport] = []

    async def start(self, sockets: Sequence[tuple[str, socket.socket]]) -> None:
        """Serve ``router`` on its bound socket, for each pair, in order."""
        loop = asyncio.get_running_loop()
        for router, sock in sockets:
            transport, _ = await loop.create_datagram_endpoint(
                functools.partial(_Endpoint, self, router), sock=sock
            )
            self._transports.append(transport)

    @property
    def taken(self) -> int:
        """How many of the sockets given to :meth:`start` a transport owns (and closes)."""
        return len(self._transports)

    def close(self) -> None:
        for transport in self._transports:
            transport.close()
        self._transports.clear()
