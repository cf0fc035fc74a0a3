"""The native v2c agents' codec and responder, pure: checked against pyasn1 and the collector.

pyasn1 (what pysnmp's agents encode with) is the reference for the octets of
a response; the collector's encoder (a manager's requests) for decoding.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sprmon.ber import GET, GET_BULK, GET_NEXT, oid_body
from sprmon.collector import ber
from sprmon.lab.mib import MibView
from sprmon.lab.v2c_codec import (
    MAX_MESSAGE_SIZE,
    Request,
    RequestError,
    decode_request,
    encode_response,
    encode_varbind,
)
from sprmon.lab.v2c_responder import EncodedView, respond
from sprmon.smi import Oid, SnmpValue, ValueKind
from tests.collector.snmp_wire import oid_strategy, pysnmp_response, value_strategy

oids = oid_strategy(max_arcs=16)
values = value_strategy(oids)


@settings(max_examples=300, deadline=None)
@given(
    request_id=st.integers(-(2**31), 2**31 - 1),
    community=st.binary(max_size=200),
    varbinds=st.lists(st.tuples(oids, values), max_size=20),
)
def test_a_response_is_the_octets_pyasn1_encodes(
    request_id: int, community: bytes, varbinds: list[tuple[Oid, SnmpValue]]
) -> None:
    request = Request(community, GET, request_id, 0, 0, ())
    encoded = encode_response(request, [encode_varbind(oid, value) for oid, value in varbinds])
    assert encoded == pysnmp_response(request_id, varbinds, community=community)


@settings(max_examples=300, deadline=None)
@given(oid=oids)
def test_oids_encode_as_the_collector_encodes_them(oid: Oid) -> None:
    assert oid_body(oid) == ber.encode_oid(oid)


@settings(max_examples=300, deadline=None)
@given(
    request_id=st.integers(-(2**31), 2**31 - 1),
    pdu_type=st.sampled_from([GET, GET_NEXT, GET_BULK]),
    names=st.lists(oids, max_size=30),
    non_repeaters=st.integers(0, 2**31 - 1),
    repetitions=st.integers(0, 2**31 - 1),
)
def test_a_request_decodes_as_the_collector_encoded_it(
    request_id: int, pdu_type: int, names: list[Oid], non_repeaters: int, repetitions: int
) -> None:
    bulk = pdu_type == GET_BULK
    data = ber.encode_request(
        community=b"lab",
        pdu_type=pdu_type,
        request_id=request_id,
        oids=names,
        non_repeaters=non_repeaters,
        max_repetitions=repetitions,
    )
    assert decode_request(data) == Request(
        community=b"lab",
        pdu_type=pdu_type,
        request_id=request_id,
        second=non_repeaters if bulk else 0,
        third=repetitions if bulk else 0,
        oids=tuple(names),
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "ends inside a tag"),
        (bytes.fromhex("3080020101"), "indefinite length"),
        (bytes.fromhex("3f01"), "multi-octet tag"),
        # More length octets than pyasn1 reads (8): pysnmp drops it too.
        (bytes.fromhex("3089000000000000000003020101"), "9 length octets"),
        (bytes.fromhex("3003020100"), "version 0"),
        (bytes.fromhex("30090201010400a2020000"), "not a read request"),
    ],
)
def test_what_is_not_a_v2c_read_request_is_refused_with_the_reason(
    data: bytes, reason: str
) -> None:
    with pytest.raises(RequestError, match=reason):
        decode_request(data)


def test_a_response_of_exactly_the_largest_datagram_is_sent_and_one_octet_more_is_not() -> None:
    name: Oid = (1, 3, 6, 1, 4, 1, 99, 1, 0)
    get = Request(b"c", GET, 1, 0, 0, (name,))

    def answer(size: int) -> bytes | None:
        view = MibView.from_rows([(name, SnmpValue(ValueKind.OCTET_STRING, b"x" * size))])
        return respond(get, EncodedView(view))

    # The largest value that is still answered, by bisection over its size.
    low, high = 0, MAX_MESSAGE_SIZE
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if answer(middle) is not None else (low, middle)
    assert len(answer(low) or b"") == MAX_MESSAGE_SIZE
    assert answer(low + 1) is None
