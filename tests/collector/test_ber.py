"""sprmon's SNMPv2c codec, checked against pyasn1/pysnmp as an independent codec."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder
from pysnmp.proto.api import v2c

from sprmon.collector import ber
from sprmon.smi import Oid, SnmpValue, ValueKind
from tests.collector.snmp_wire import oids, pysnmp_response, values


@settings(max_examples=300, deadline=None)
@given(
    request_id=st.integers(-(2**31), 2**31 - 1),
    varbinds=st.lists(st.tuples(oids, values), max_size=20),
)
def test_decoder_reads_every_value_type_as_pysnmp_encodes_it(
    request_id: int, varbinds: list[tuple[Oid, SnmpValue]]
) -> None:
    message = ber.decode_message(pysnmp_response(request_id, varbinds))

    assert message.pdu_type == ber.RESPONSE
    assert message.community == b"s3cret"
    assert message.request_id == request_id
    assert list(message.varbinds) == varbinds


@settings(max_examples=200, deadline=None)
@given(
    request_id=st.integers(0, 2**31 - 1),
    pdu_type=st.sampled_from([ber.GET, ber.GET_NEXT, ber.GET_BULK]),
    requested=st.lists(oids, min_size=1, max_size=30),
    repetitions=st.integers(0, 100),
)
def test_requests_decode_in_pysnmp_as_sent(
    request_id: int, pdu_type: int, requested: list[Oid], repetitions: int
) -> None:
    data = ber.encode_request(
        community=b"public",
        pdu_type=pdu_type,
        request_id=request_id,
        oids=requested,
        non_repeaters=1 if pdu_type == ber.GET_BULK else 0,
        max_repetitions=repetitions,
    )

    message, rest = decoder.decode(data, asn1Spec=v2c.Message())
    pdu = v2c.apiMessage.get_pdu(message)

    assert rest == b""
    assert bytes(v2c.apiMessage.get_community(message)) == b"public"
    assert int(v2c.apiPDU.get_request_id(pdu)) == request_id
    assert [tuple(oid) for oid, _ in v2c.apiPDU.get_varbinds(pdu)] == requested
    expected_tag = {
        ber.GET: v2c.GetRequestPDU.tagSet,
        ber.GET_NEXT: v2c.GetNextRequestPDU.tagSet,
        ber.GET_BULK: v2c.GetBulkRequestPDU.tagSet,
    }[pdu_type]
    assert pdu.tagSet == expected_tag
    if pdu_type == ber.GET_BULK:
        assert int(v2c.apiBulkPDU.get_non_repeaters(pdu)) == 1
        assert int(v2c.apiBulkPDU.get_max_repetitions(pdu)) == repetitions


@settings(max_examples=500, deadline=None)
@given(
    varbinds=st.lists(st.tuples(oids, values), min_size=1, max_size=5),
    cut=st.integers(0, 10_000),
)
def test_truncated_messages_raise_ber_error_only(
    varbinds: list[tuple[Oid, SnmpValue]], cut: int
) -> None:
    data = pysnmp_response(7, varbinds)
    truncated = data[: cut % len(data)]

    with pytest.raises(ber.BerError):
        ber.decode_message(truncated)


@settings(max_examples=1000, deadline=None)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_raise_ber_error(data: bytes) -> None:
    with contextlib.suppress(ber.BerError):
        ber.decode_message(data)


@settings(max_examples=300, deadline=None)
@given(
    varbinds=st.lists(st.tuples(oids, values), min_size=1, max_size=5),
    position=st.integers(0, 10_000),
    byte=st.integers(0, 255),
)
def test_corrupted_messages_decode_or_raise_ber_error(
    varbinds: list[tuple[Oid, SnmpValue]], position: int, byte: int
) -> None:
    data = bytearray(pysnmp_response(7, varbinds))
    data[position % len(data)] = byte
    with contextlib.suppress(ber.BerError):
        ber.decode_message(bytes(data))


def test_trailing_bytes_after_the_message_are_an_error() -> None:
    data = pysnmp_response(1, [((1, 3, 6, 1), SnmpValue(ValueKind.INTEGER, 5))])

    with pytest.raises(ber.BerError, match="after the end"):
        ber.decode_message(data + b"\x00")


def test_unknown_value_tag_is_named_in_the_error() -> None:
    good = pysnmp_response(1, [((1, 3, 6, 1), SnmpValue(ValueKind.INTEGER, 5))])
    # The INTEGER value's tag is the third-last octet: 02 01 05.
    bad = good[:-3] + b"\x47" + good[-2:]

    with pytest.raises(ber.BerError, match="unknown type tag 0x47"):
        ber.decode_message(bad)


def test_counter_without_leading_zero_octet_reads_as_unsigned() -> None:
    # Some agents encode 0xFFFFFFFF in four octets (its top bit would make a
    # BER INTEGER negative); application types are unsigned, so accept it.
    good = pysnmp_response(1, [((1, 3, 6, 1), SnmpValue(ValueKind.COUNTER32, 0x0FFFFFFF))])
    assert good.endswith(b"\x41\x04\x0f\xff\xff\xff")
    bad = good[:-4] + b"\xff\xff\xff\xff"

    message = ber.decode_message(bad)

    assert message.varbinds[0][1] == SnmpValue(ValueKind.COUNTER32, 0xFFFFFFFF)


@pytest.mark.parametrize(
    ("oid", "encoded"),
    [
        ((1, 3, 6, 1, 2, 1), bytes([0x2B, 6, 1, 2, 1])),
        ((1, 3, 6, 1, 4, 1, 2021), bytes([0x2B, 6, 1, 4, 1, 0x8F, 0x65])),
        ((2, 999, 3), bytes([0x88, 0x37, 3])),
        ((0, 0), bytes([0])),
    ],
)
def test_oid_encoding_matches_x690_examples(oid: Oid, encoded: bytes) -> None:
    assert ber.encode_oid(oid) == encoded
    assert ber.decode_oid(encoded) == oid


def test_oid_that_ends_inside_an_arc_is_an_error() -> None:
    with pytest.raises(ber.BerError, match="ends inside an arc"):
        ber.decode_oid(bytes([0x2B, 0x86]))
