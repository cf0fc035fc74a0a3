"""Whether anything listens on a UDP port, for the pysnmp backend's sessions.

The native SNMPv2c transport connects its socket, so the kernel reports an
ICMP port unreachable from the target as ECONNREFUSED, at once. pysnmp sends
every target's requests from one unconnected socket per engine, for which
Linux reports no such error: a closed port looked like a dead agent (no
answer after every try and timeout), and v3 said so where v2c said "ICMP port
unreachable". A :class:`PortProbe` is a socket connected to the target that
sends a zero-length datagram with each request, which agents ignore
(Net-SNMP's snmpd does, checked on 5.9), and hears the refusal if one comes.
With each request, not once per session: an agent that stops in the middle
of a poll is then reported as the native transport reports it, not as "no
answer".
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any


class PortProbe(asyncio.DatagramProtocol):
    """A connected UDP socket to one target; :attr:`refused` is done once the
    target's host said nothing listens there. :meth:`close` closes it."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._transport: asyncio.BaseTransport | None = None
        self._loop = asyncio.get_running_loop()
        self.refused: asyncio.Future[None] = self._loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        """Nothing is expected back but the refusal."""

    def error_received(self, exc: Exception) -> None:
        if isinstance(exc, ConnectionRefusedError):
            self._refuse()

    def send(self) -> asyncio.Future[None]:
        """Send the zero-length datagram (asyncio's transport would skip an empty one);
        return :attr:`refused`, new unless a refusal is still to be heard.

        A refusal heard for an earlier request is not this one's: the agent
        may have come back since, as a restarted one does.
        """
        if self.refused.done():
            self.refused = self._loop.create_future()
        try:
            self._sock.send(b"")
        except ConnectionRefusedError:
            # A refusal still pending from an earlier send surfaces here.
            self._refuse()
        except OSError:
            # The probe only ever adds a verdict; a socket that cannot send adds none.
            pass
        return self.refused

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        else:
            self._sock.close()
        if not self.refused.done():
            self.refused.cancel()

    def _refuse(self) -> None:
        if not self.refused.done():
            self.refused.set_result(None)


async def open_probe(host: str, port: int) -> PortProbe | None:
    """A probe connected to ``host:port`` (an address), or None if the socket
    cannot be made: the session then works without the early verdict."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    loop = asyncio.get_running_loop()
    try:
        sock = socket.socket(family, socket.SOCK_DGRAM)
    except OSError:
        return None
    try:
        sock.setblocking(False)
        sock.connect((host, port))
        _, probe = await loop.create_datagram_endpoint(lambda: PortProbe(sock), sock=sock)
    except OSError:
        with contextlib.suppress(OSError):
            sock.close()
        return None
    return probe
