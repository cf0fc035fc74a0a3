"""The native SNMPv2c session: each distinct request encoded once (its request-id
patched in), and retransmissions under the same request-id."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from sprmon.collector import ber
from sprmon.collector.native_v2c import _MAX_REQUEST_ID, _MIN_REQUEST_ID, _Templates, open_v2c
from sprmon.inventory import SnmpTarget
from sprmon.secrets import Secret
from sprmon.smi import Oid

COMMUNITY = b"lab-secret"
OIDS: tuple[Oid, ...] = ((1, 3, 6, 1, 2, 1, 1, 3), (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 300))


@pytest.mark.parametrize("request_id", [_MIN_REQUEST_ID, 0x12345678, _MAX_REQUEST_ID])
@pytest.mark.parametrize(
    ("pdu_type", "non_repeaters", "max_repetitions"),
    [(ber.GET, 0, 0), (ber.GET_NEXT, 0, 0), (ber.GET_BULK, 1, 25)],
)
def test_a_request_from_its_template_is_the_encoders_own_bytes(
    request_id: int, pdu_type: int, non_repeaters: int, max_repetitions: int
) -> None:
    templates = _Templates(COMMUNITY)
    # The first call fills the template, the second uses it.
    for _ in range(2):
        sent = templates.encode(pdu_type, OIDS, non_repeaters, max_repetitions, request_id)
        assert sent == ber.encode_request(
            community=COMMUNITY,
            pdu_type=pdu_type,
            request_id=request_id,
            oids=OIDS,
            non_repeaters=non_repeaters,
            max_repetitions=max_repetitions,
        )
        assert ber.decode_message(sent).request_id == request_id


def test_requests_that_differ_get_templates_of_their_own() -> None:
    templates = _Templates(COMMUNITY)
    bulk = templates.encode(ber.GET_BULK, OIDS, 0, 10, _MIN_REQUEST_ID)
    fewer = templates.encode(ber.GET_BULK, OIDS, 0, 11, _MIN_REQUEST_ID)
    one = templates.encode(ber.GET_BULK, OIDS[:1], 0, 10, _MIN_REQUEST_ID)
    assert len({bulk, fewer, one}) == 3
    assert ber.decode_message(fewer).error_index == 11
    assert [oid for oid, _ in ber.decode_message(one).varbinds] == [OIDS[0]]


def test_a_request_the_encoder_refuses_is_refused_from_the_cache_too() -> None:
    templates = _Templates(COMMUNITY)
    with pytest.raises(ber.BerError):
        templates.encode(ber.GET, [[1, 3, 6]], 0, 0, _MIN_REQUEST_ID)  # type: ignore[list-item]
    with pytest.raises(ber.BerError):
        templates.encode(ber.GET, ((1, 3, -6),), 0, 0, _MIN_REQUEST_ID)


class _SlowAgent(asyncio.DatagramProtocol):
    """Answers only the first datagram, ``delay_s`` late, with its request as a Response."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.received = 0
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # CPython's datagram transport does not derive from DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received += 1
        if self.received == 1:
            # A short message: SEQUENCE, version, community, then the PDU's tag.
            at = 2 + 3 + 2 + data[6]
            answer = data[:at] + bytes([ber.RESPONSE]) + data[at + 1 :]
            loop = asyncio.get_running_loop()
            assert self.transport is not None
            loop.call_later(self.delay_s, self.transport.sendto, answer, addr)


async def test_a_late_answer_to_the_first_try_ends_the_retry() -> None:
    loop = asyncio.get_running_loop()
    agent_transport, agent = await loop.create_datagram_endpoint(
        lambda: _SlowAgent(delay_s=0.3), local_addr=("127.0.0.1", 0)
    )
    try:
        port = agent_transport.get_extra_info("sockname")[1]
        target = SnmpTarget("127.0.0.1", port=port, timeout_s=0.2, retries=2)
        session = await open_v2c(target, asyncio.Semaphore(1), Secret("public"))
        try:
            varbinds = await session.get([OIDS[0]])
        finally:
            session.close()
    finally:
        agent_transport.close()

    assert [oid for oid, _ in varbinds] == [OIDS[0]]
    assert session.stats.retries == 1
    assert agent.received == 2
