"""SNMPv2c on sprmon's own codec: one connected UDP socket per session.

pyasn1's decoder made a 200-site poll CPU-bound at about 140 µs per received
variable binding; :mod:`sprmon.collector.ber` costs a few µs. A connected
socket also turns an ICMP port-unreachable into an immediate, honest "nothing
listens there" instead of a timeout.

Requests are matched to responses by request-id. A retry resends the same
request-id, so a slow answer to an earlier try still counts; an answer with
no waiter (to an abandoned request) is dropped. So is a datagram that is not
a well-formed SNMPv2c message: it is counted, the requests in flight keep
waiting for their true answers (a stray or spoofed packet must not fail
them), and a request that then times out says that malformed datagrams came
instead of an answer.

A session kept from poll to poll (the daemon's) sends the same requests again
and again: the probe, each walk's first GETBULK, the counter watch's GET. Each
distinct request is encoded once (:class:`_Templates`) and only its request-id
is patched in afterwards; request-ids are kept to 4 content octets so that the
patch never changes a length. Encoding was about a quarter of the daemon's CPU.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import Sequence
from typing import Any

from sprmon.collector import ber
from sprmon.collector.errors import (
    SnmpConfigError,
    SnmpError,
    SnmpProtocolError,
)
from sprmon.collector.session import SnmpSession, target_address, unreachable_error
from sprmon.inventory import SnmpTarget
from sprmon.secrets import Secret
from sprmon.smi import Oid, VarBind

log = logging.getLogger(__name__)

#: request-ids from 2**24 to the Integer32 maximum (RFC 3416) all take 4 content
#: octets in BER: a template's request-id can be patched in place.
_MIN_REQUEST_ID = 1 << 24
_MAX_REQUEST_ID = (1 << 31) - 1
_ID_OCTETS = 4
#: Two request-ids that differ in every octet: where their encodings differ is
#: where the request-id goes.
_PROBE_IDS = (0x11223344, 0x22334455)
#: Distinct requests remembered per session: a poll sends about ten.
_MAX_TEMPLATES = 32

_Key = tuple[int, tuple[Oid, ...], int, int]


class _Templates:
    """Encoded requests by (PDU type, OIDs, non-repeaters, max-repetitions),
    each as the octets before and after its request-id."""

    def __init__(self, community: bytes) -> None:
        self._community = community
        self._parts: dict[_Key, tuple[bytes, bytes]] = {}

    def encode(
        self,
        pdu_type: int,
        oids: Sequence[Oid],
        non_repeaters: int,
        max_repetitions: int,
        request_id: int,
    ) -> bytes:
        try:
            key: _Key = (pdu_type, tuple(oids), non_repeaters, max_repetitions)
            parts = self._parts.get(key)
        except TypeError:  # an unhashable OID: let the encoder say what is wrong with it
            return self._encode(pdu_type, oids, non_repeaters, max_repetitions, request_id)
        if parts is None:
            parts = self._split(pdu_type, key[1], non_repeaters, max_repetitions)
            if len(self._parts) >= _MAX_TEMPLATES:
                del self._parts[next(iter(self._parts))]
            self._parts[key] = parts
        head, tail = parts
        return head + request_id.to_bytes(_ID_OCTETS, "big") + tail

    def _split(
        self, pdu_type: int, oids: Sequence[Oid], non_repeaters: int, max_repetitions: int
    ) -> tuple[bytes, bytes]:
        first, second = (
            self._encode(pdu_type, oids, non_repeaters, max_repetitions, request_id)
            for request_id in _PROBE_IDS
        )
        at = next(i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b)
        assert first[at : at + _ID_OCTETS] == _PROBE_IDS[0].to_bytes(_ID_OCTETS, "big")
        return first[:at], first[at + _ID_OCTETS :]

    def _encode(
        self,
        pdu_type: int,
        oids: Sequence[Oid],
        non_repeaters: int,
        max_repetitions: int,
        request_id: int,
    ) -> bytes:
        return ber.encode_request(
            community=self._community,
            pdu_type=pdu_type,
            request_id=request_id,
            oids=oids,
            non_repeaters=non_repeaters,
            max_repetitions=max_repetitions,
        )


class _V2cProtocol(asyncio.DatagramProtocol):
    """Hands each response to the request waiting for its request-id; drops and
    counts what is not an SNMPv2c message."""

    def __init__(self, address: str) -> None:
        self.address = address
        #: request-id -> the future of the try waiting for its answer (None: timed out).
        self.pending: dict[int, asyncio.Future[ber.Message | None]] = {}
        #: Datagrams dropped as malformed, and why the last one was.
        self.malformed = 0
        self.last_malformed = ""

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            message = ber.decode_message(data)
            if message.version != ber.VERSION_2C:
                raise ber.BerError(f"version {message.version}, not 1 (SNMPv2c)")
        except ber.BerError as exc:
            self.malformed += 1
            self.last_malformed = str(exc)
            log.debug("dropped a malformed datagram from %s: %s", self.address, exc)
            return
        future = self.pending.get(message.request_id)
        # No waiter: a late answer to a retransmitted or abandoned request.
        if future is not None and not future.done():
            future.set_result(message)

    def error_received(self, exc: Exception) -> None:
        if isinstance(exc, ConnectionRefusedError):
            self._fail_all(unreachable_error(self.address))
        else:
            self._fail_all(SnmpError(f"cannot talk to {self.address}: {exc}", target=self.address))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail_all(SnmpError(f"socket to {self.address} closed", target=self.address))

    def _fail_all(self, error: SnmpError) -> None:
        for future in self.pending.values():
            if not future.done():
                future.set_exception(error)


class V2cSession(SnmpSession):
    """An SNMPv2c session on its own connected socket; :meth:`close` closes it."""

    def __init__(
        self,
        target: SnmpTarget,
        semaphore: asyncio.Semaphore,
        community: Secret,
        transport: asyncio.DatagramTransport,
        protocol: _V2cProtocol,
    ) -> None:
        super().__init__(target, semaphore)
        self._templates = _Templates(community.reveal().encode("utf-8"))
        self._transport = transport
        self._protocol = protocol
        self._next_id = random.randrange(_MIN_REQUEST_ID, 1 << 30)

    def close(self) -> None:
        self._transport.close()

    @property
    def closed(self) -> bool:
        return self._transport.is_closing()

    async def _request(
        self, pdu_type: int, oids: Sequence[Oid], non_repeaters: int, max_repetitions: int
    ) -> list[VarBind]:
        request_id = self._next_id
        self._next_id = self._next_id + 1 if self._next_id < _MAX_REQUEST_ID else _MIN_REQUEST_ID
        payload = self._templates.encode(pdu_type, oids, non_repeaters, max_repetitions, request_id)
        loop = asyncio.get_running_loop()
        protocol = self._protocol
        malformed = protocol.malformed
        message: ber.Message | None = None
        try:
            for attempt in range(self.target.retries + 1):
                if attempt:
                    self.stats.retries += 1
                # Each try waits on a future of its own, under the same request-id: a
                # slow answer to an earlier try still counts. A timer instead of
                # asyncio.wait: that cost a waiter, a set and callbacks per request.
                future: asyncio.Future[ber.Message | None] = loop.create_future()
                protocol.pending[request_id] = future
                self._transport.sendto(payload)
                timer = loop.call_later(self.target.timeout_s, _expire, future)
                try:
                    message = await future
                finally:
                    timer.cancel()
                if message is not None:
                    break
            else:
                dropped = protocol.malformed - malformed
                if dropped:
                    raise self._malformed_error(dropped, protocol.last_malformed)
                raise self._timeout_error(v3=False)
        finally:
            self.stats.malformed += protocol.malformed - malformed
            del protocol.pending[request_id]
        if message.pdu_type != ber.RESPONSE:
            raise SnmpProtocolError(
                f"agent {self.address} answered with PDU type 0x{message.pdu_type:02x}, "
                "expected a Response",
                target=self.address,
            )
        if message.error_status:
            raise self._agent_error(message.error_status, message.error_index, oids)
        return list(message.varbinds)


def _expire(future: asyncio.Future[ber.Message | None]) -> None:
    """A try's timeout: no answer (None) unless one came."""
    if not future.done():
        future.set_result(None)


async def open_v2c(
    target: SnmpTarget, semaphore: asyncio.Semaphore, community: Secret
) -> V2cSession:
    """A session on a new socket connected to ``target``; the caller closes it."""
    address = target_address(target)
    loop = asyncio.get_running_loop()
    try:
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: _V2cProtocol(address), remote_addr=(target.host, target.port)
        )
    except socket.gaierror as exc:
        raise SnmpConfigError(
            f"cannot resolve SNMP host {target.host!r}: {exc.strerror}", target=address
        ) from exc
    except OSError as exc:
        raise SnmpError(
            f"cannot open a UDP socket to {address}: {exc.strerror or exc}", target=address
        ) from exc
    return V2cSession(target, semaphore, community, transport, protocol)
