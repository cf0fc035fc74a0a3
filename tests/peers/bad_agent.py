"""A small SNMPv2c agent that misbehaves on purpose, over a real UDP socket.

Built on pysnmp's protocol API (message decoding and encoding only; the
request handling is ours), so it shares no code with sprmon's own SNMP
encoder. It serves a fixed table of ``(OID, pyasn1 value)`` and can:

- ``SILENT``: never answer;
- ``NON_INCREASING``: answer every GETNEXT/GETBULK at or after ``at`` with
  ``at`` itself (a walk loop);
- ``TRUNCATED``: answer endOfMibView from ``at`` to the end of its column;
- ``ENDLESS``: serve rows ``at.1``, ``at.2``, ... without end;
- ``MALFORMED``: answer with bytes that are not BER;
- ``SLOW``: answer every request after ``delay_s`` (any fault does, given a
  ``delay_s``: a slow agent with an endless table);
- ``TOO_BIG``: answer error-status tooBig, without variable bindings, when
  a response would hold more than ``max_varbinds`` (instead of truncating).

Wrong value types need no mode: put them in the table. Values outside their
type's range too: :func:`unchecked` makes a pyasn1 value of any SMI tag that
pyasn1 encodes without checking its range. A value may also be a function,
called for every answer (a counter that grows). ``ENDLESS`` rows carry
``endless_value`` (default Integer32 1). Requests with another community are
dropped without an answer, as real agents do.

:func:`run_junk_responder` answers every datagram with fixed bytes (whatever
the SNMP version asked), and :func:`run_corrupting_proxy` sits in front of a
healthy agent and sends a corrupted copy of each answer just before it.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import functools
import socket
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pyasn1.codec.ber import decoder, encoder
from pyasn1.type import univ
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v2c

Oid = tuple[int, ...]


class Fault(StrEnum):
    NONE = "none"
    SILENT = "silent"
    NON_INCREASING = "non-increasing"
    TRUNCATED = "truncated"
    ENDLESS = "endless"
    MALFORMED = "malformed"
    SLOW = "slow"
    TOO_BIG = "too-big"


@dataclass
class BadAgentStats:
    requests: int = 0
    dropped: int = 0
    #: Requests received but not yet answered (SLOW), and the most at once.
    in_flight: int = 0
    max_in_flight: int = 0
    #: Loop times of the first and last request received.
    first_at: float | None = None
    last_at: float | None = None


@dataclass(frozen=True)
class BadAgent:
    host: str
    port: int
    community: str
    stats: BadAgentStats = field(default_factory=BadAgentStats)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def unchecked(kind: Any, number: int) -> Any:
    """A value with the tag of ``kind`` (e.g. ``rfc1902.Gauge32``) holding ``number``,
    which pyasn1 encodes without checking ``kind``'s range: 2**1032 as a Gauge32."""
    unbounded = type(f"Unchecked{kind.__name__}", (univ.Integer,), {"tagSet": kind.tagSet})
    return unbounded(number)


class _Responder(asyncio.DatagramProtocol):
    def __init__(
        self,
        objects: Iterable[tuple[Oid, Any]],
        *,
        fault: Fault,
        at: Oid,
        delay_s: float,
        community: str,
        max_varbinds: int,
        stats: BadAgentStats,
        endless_value: Any,
        max_octets: int,
    ) -> None:
        table = sorted(objects, key=lambda item: item[0])
        self.keys = [oid for oid, _ in table]
        self.values = dict(table)
        self.fault = fault
        self.at = at
        self.delay_s = delay_s
        self.community = community.encode()
        self.max_varbinds = max_varbinds
        self.stats = stats
        self.endless_value = endless_value
        self.max_octets = max_octets
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        stats = self.stats
        stats.requests += 1
        now = asyncio.get_running_loop().time()
        stats.first_at = now if stats.first_at is None else stats.first_at
        stats.last_at = now
        if self.fault is Fault.SILENT:
            return
        try:
            request, _ = decoder.decode(data, asn1Spec=v2c.Message())
        except Exception:  # any undecodable datagram is dropped, as agents do
            self.stats.dropped += 1
            return
        if bytes(v2c.apiMessage.get_community(request)) != self.community:
            self.stats.dropped += 1
            return
        if self.fault is Fault.MALFORMED:
            self._send(b"\x30\x82\x01\x00\x02\x01\x01\x04", addr)
            return
        response = self._respond(request)
        if self.delay_s > 0:
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            asyncio.get_running_loop().call_later(self.delay_s, self._send_late, response, addr)
        else:
            self._send(response, addr)

    def _send_late(self, data: bytes, addr: Any) -> None:
        self.stats.in_flight -= 1
        self._send(data, addr)

    def _send(self, data: bytes, addr: Any) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, addr)

    def _respond(self, request: Any) -> bytes:
        pdu = v2c.apiMessage.get_pdu(request)
        response = v2c.apiMessage.get_response(request)
        response_pdu = v2c.apiMessage.get_pdu(response)
        asked = [tuple(oid) for oid, _ in v2c.apiPDU.get_varbinds(pdu)]
        if pdu.tagSet == v2c.GetRequestPDU.tagSet:
            varbinds = [(oid, self._value(oid, rfc1905.noSuchInstance)) for oid in asked]
        elif pdu.tagSet == v2c.GetNextRequestPDU.tagSet:
            varbinds = [self._next(oid) for oid in asked]
        elif pdu.tagSet == v2c.GetBulkRequestPDU.tagSet:
            non_repeaters = int(v2c.apiBulkPDU.get_non_repeaters(pdu))
            repetitions = int(v2c.apiBulkPDU.get_max_repetitions(pdu))
            wanted = non_repeaters + repetitions * (len(asked) - non_repeaters)
            if self.fault is Fault.TOO_BIG and wanted > self.max_varbinds:
                v2c.apiPDU.set_error_status(response_pdu, 1)
                v2c.apiPDU.set_varbinds(response_pdu, [])
                return bytes(encoder.encode(response))
            varbinds = self._bulk(asked, non_repeaters, repetitions)
        else:
            varbinds = []
            v2c.apiPDU.set_error_status(response_pdu, 5)  # genErr
        v2c.apiPDU.set_varbinds(
            response_pdu, [(rfc1902.ObjectName(oid), value) for oid, value in varbinds]
        )
        return bytes(encoder.encode(response))

    def _value(self, oid: Oid, default: Any) -> Any:
        value = self.values.get(oid, default)
        return value() if callable(value) else value

    def _next(self, oid: Oid) -> tuple[Oid, Any]:
        at = self.at
        if self.fault is Fault.NON_INCREASING and oid >= at:
            return at, self._value(at, rfc1902.Integer32(1))
        if self.fault is Fault.ENDLESS and oid[: len(at)] == at and len(oid) > len(at):
            return (*at, oid[len(at)] + 1), self.endless_value
        position = bisect.bisect_right(self.keys, oid)
        found = self.keys[position] if position < len(self.keys) else None
        if self.fault is Fault.ENDLESS and oid < at and (found is None or found >= at):
            return (*at, 1), self.endless_value
        if found is None:
            return oid, rfc1905.endOfMibView
        # Truncation hits one column, as when a sub-agent stops answering part-way.
        if self.fault is Fault.TRUNCATED and found >= at and found[: len(at) - 1] == at[:-1]:
            return oid, rfc1905.endOfMibView
        return found, self._value(found, None)

    def _bulk(
        self, asked: list[Oid], non_repeaters: int, repetitions: int
    ) -> list[tuple[Oid, Any]]:
        non_repeaters = min(max(0, non_repeaters), len(asked))
        varbinds = [self._next(oid) for oid in asked[:non_repeaters]]
        current = asked[non_repeaters:]
        if current:
            repetitions = min(max(0, repetitions), self.max_varbinds // len(current))
        size = 0
        for _ in range(repetitions if current else 0):
            row = [self._next(oid) for oid in current]
            # As real agents do: no more rows than fit a datagram (one at least).
            size += sum(len(oid) + len(encoder.encode(value)) for oid, value in row)
            if size > self.max_octets and varbinds:
                break
            varbinds += row
            current = [oid for oid, _ in row]
        return varbinds


@contextlib.asynccontextmanager
async def _udp_endpoint(
    host: str, protocol: Callable[[], asyncio.DatagramProtocol]
) -> AsyncIterator[int]:
    """``protocol`` on a free UDP port of ``host`` until the block ends; yields the port."""
    # Bound here, not by asyncio, so a bind failure is an error we see.
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((host, 0))
    except OSError:
        sock.close()
        raise
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(protocol, sock=sock)
    try:
        yield sock.getsockname()[1]
    finally:
        transport.close()


@contextlib.asynccontextmanager
async def run_bad_agent(
    objects: Iterable[tuple[Oid, Any]] = (),
    *,
    fault: Fault = Fault.NONE,
    at: Oid = (),
    delay_s: float = 0.0,
    community: str = "public",
    max_varbinds: int = 64,
    host: str = "127.0.0.1",
    endless_value: Any = None,
    max_octets: int = 60_000,
) -> AsyncIterator[BadAgent]:
    stats = BadAgentStats()
    responder = functools.partial(
        _Responder,
        objects,
        fault=fault,
        at=at,
        delay_s=delay_s,
        community=community,
        max_varbinds=max_varbinds,
        stats=stats,
        endless_value=rfc1902.Integer32(1) if endless_value is None else endless_value,
        max_octets=max_octets,
    )
    async with _udp_endpoint(host, responder) as port:
        yield BadAgent(host=host, port=port, community=community, stats=stats)


class _Junk(asyncio.DatagramProtocol):
    def __init__(self, answer: bytes, stats: BadAgentStats) -> None:
        self.answer = answer
        self.stats = stats
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.stats.requests += 1
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(self.answer, addr)


@contextlib.asynccontextmanager
async def run_junk_responder(answer: bytes, host: str = "127.0.0.1") -> AsyncIterator[BadAgent]:
    """A UDP port that answers every datagram with ``answer`` (an SNMPv3 engine
    discovery included): the agent of a target that sends garbage."""
    stats = BadAgentStats()
    async with _udp_endpoint(host, lambda: _Junk(answer, stats)) as port:
        yield BadAgent(host=host, port=port, community="", stats=stats)


def truncated(answer: bytes) -> bytes:
    """The answer without its last octet: its outer length no longer fits, always."""
    return answer[:-1]


@dataclass
class ProxyStats:
    forwarded: int = 0
    corrupted: int = 0


class _Upstream(asyncio.DatagramProtocol):
    def __init__(self, on_answer: Callable[[bytes], None]) -> None:
        self.on_answer = on_answer

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.on_answer(data)


class _Proxy(asyncio.DatagramProtocol):
    def __init__(
        self, target: tuple[str, int], corrupt: Callable[[bytes], bytes], stats: ProxyStats
    ) -> None:
        self.target = target
        self.corrupt = corrupt
        self.stats = stats
        self.transport: asyncio.DatagramTransport | None = None
        self.upstreams: dict[Any, asyncio.DatagramTransport] = {}
        self.opening: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        upstream = self.upstreams.get(addr)
        if upstream is not None:
            upstream.sendto(data)
            return
        task = asyncio.get_running_loop().create_task(self._open(addr, data))
        self.opening.add(task)
        task.add_done_callback(self.opening.discard)

    async def _open(self, client: Any, first: bytes) -> None:
        # One upstream socket per client, so that each answer goes back to its asker.
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: _Upstream(lambda answer: self._answer(client, answer)),
            remote_addr=self.target,
        )
        self.upstreams[client] = transport
        transport.sendto(first)

    def _answer(self, client: Any, answer: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.stats.corrupted += 1
        self.transport.sendto(self.corrupt(answer), client)
        self.stats.forwarded += 1
        self.transport.sendto(answer, client)


@contextlib.asynccontextmanager
async def run_corrupting_proxy(
    target_host: str,
    target_port: int,
    *,
    corrupt: Callable[[bytes], bytes] = truncated,
    host: str = "127.0.0.1",
) -> AsyncIterator[tuple[str, int, ProxyStats]]:
    """A UDP proxy in front of an agent that sends ``corrupt(answer)`` just before
    each true answer: a stray or spoofed datagram racing every response."""
    stats = ProxyStats()
    proxy = _Proxy((target_host, target_port), corrupt, stats)
    try:
        async with _udp_endpoint(host, lambda: proxy) as port:
            yield host, port, stats
    finally:
        for task in list(proxy.opening):
            task.cancel()
        for upstream in proxy.upstreams.values():
            upstream.close()


@contextlib.asynccontextmanager
async def silent_socket(host: str = "127.0.0.1") -> AsyncIterator[tuple[str, int]]:
    """A bound UDP socket that reads nothing and answers nothing: a dead agent
    whose host is up (no ICMP port-unreachable)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((host, 0))
        yield host, sock.getsockname()[1]
    finally:
        sock.close()


def router_objects(
    *,
    interfaces: int = 2,
    paths: Iterable[tuple[str, str, int]] = (),
    peers: Iterable[str] = (),
    replace: dict[Oid, Any] | None = None,
    bgp: bool = True,
) -> list[tuple[Oid, Any]]:
    """A small router's MIB objects for the bad agent: sysUpTime, ifTable and
    ifXTable rows 1..``interfaces``, bgpPeerTable rows for ``peers`` and
    bgp4PathAttrTable rows for ``paths`` given as (prefix, peer, MED).
    ``replace`` swaps single objects (e.g. a value of the wrong type)."""
    if_entry = (1, 3, 6, 1, 2, 1, 2, 2, 1)
    ifx_entry = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
    objects: dict[Oid, Any] = {
        (1, 3, 6, 1, 2, 1, 1, 3, 0): rfc1902.TimeTicks(123456),
        (1, 3, 6, 1, 2, 1, 2, 1, 0): rfc1902.Integer32(interfaces),
    }
    for n in range(1, interfaces + 1):
        objects.update(
            {
                (*if_entry, 2, n): rfc1902.OctetString(f"eth{n}"),
                (*if_entry, 5, n): rfc1902.Gauge32(10_000_000),
                (*if_entry, 8, n): rfc1902.Integer32(1),
                (*if_entry, 10, n): rfc1902.Counter32(1000 * n),
                (*if_entry, 13, n): rfc1902.Counter32(0),
                (*if_entry, 14, n): rfc1902.Counter32(0),
                (*if_entry, 16, n): rfc1902.Counter32(2000 * n),
                (*if_entry, 19, n): rfc1902.Counter32(0),
                (*if_entry, 20, n): rfc1902.Counter32(0),
                (*ifx_entry, 1, n): rfc1902.OctetString(f"eth{n}"),
                (*ifx_entry, 6, n): rfc1902.Counter64(10**12 + n),
                (*ifx_entry, 10, n): rfc1902.Counter64(2 * 10**12 + n),
                (*ifx_entry, 15, n): rfc1902.Gauge32(10),
                (*ifx_entry, 19, n): rfc1902.TimeTicks(0),
            }
        )
    if bgp:
        bgp_oid = (1, 3, 6, 1, 2, 1, 15)
        objects[(*bgp_oid, 2, 0)] = rfc1902.Integer32(65101)
        for peer in peers:
            index = tuple(int(part) for part in peer.split("."))
            objects[(*bgp_oid, 3, 1, 2, *index)] = rfc1902.Integer32(6)
            objects[(*bgp_oid, 3, 1, 9, *index)] = rfc1902.Integer32(65000)
            objects[(*bgp_oid, 3, 1, 16, *index)] = rfc1902.Gauge32(100)
        for prefix, peer, med in paths:
            address, length = prefix.split("/")
            index = (
                *(int(part) for part in address.split(".")),
                int(length),
                *(int(part) for part in peer.split(".")),
            )
            entry = (*bgp_oid, 6, 1)
            objects.update(
                {
                    (*entry, 4, *index): rfc1902.Integer32(1),
                    (*entry, 5, *index): rfc1902.OctetString(b"\x02\x01\xfd\xe8"),
                    (*entry, 6, *index): rfc1902.IpAddress(peer),
                    (*entry, 7, *index): rfc1902.Integer32(med),
                    (*entry, 8, *index): rfc1902.Integer32(-1),
                    (*entry, 13, *index): rfc1902.Integer32(2),
                }
            )
    objects.update(replace or {})
    return sorted(objects.items())
