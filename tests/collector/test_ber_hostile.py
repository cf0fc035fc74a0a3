"""The native codec against hostile bytes: mutations of real encodings and
well-nested messages with hostile leaves, each held to two properties.

1. ``decode_message`` returns a message or raises :class:`BerError`, nothing
   else, for any input.
2. It accepts exactly what the pysnmp backend accepts, with the same values
   (``snmp_wire.pysnmp_read``: pyasn1 with pysnmp's SNMPv2c spec, then the
   backend's conversion). Where the two legitimately differ, the property is
   narrowed to exactly that difference, each named in :func:`_documented`:

   - the native decoder refuses what RFC 3417 section 8 forbids and pyasn1
     accepts: indefinite lengths, the constructed form of OCTET STRING,
     IpAddress and Opaque; and an INTEGER (or unsigned type) without content
     octets, which X.690 8.3.1 forbids and pyasn1 reads as 0;
   - it refuses octets after the message (a datagram carries one message);
     pysnmp decodes the message and ignores them;
   - it reads an unsigned type (Counter32, Gauge32, TimeTicks, Counter64)
     whose first content octet has its top bit set as unsigned, as Net-SNMP
     does (some agents omit the leading zero octet); pyasn1 reads a negative
     number and refuses it.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sprmon.ber import length, subidentifier
from sprmon.ber import tlv as _tlv
from sprmon.collector import ber
from sprmon.smi import SnmpValue, ValueKind
from tests.collector.snmp_wire import Read, oids, pysnmp_read, pysnmp_response, tlvs, values

_UNSIGNED_TAGS = frozenset({0x41, 0x42, 0x43, 0x46})
_INTEGER_TAGS = _UNSIGNED_TAGS | {0x02}
#: OCTET STRING, IpAddress and Opaque in the constructed form.
_CONSTRUCTED_STRINGS = frozenset({0x24, 0x60, 0x64})
_INTERESTING_TAGS = [
    *(0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x1F, 0x24, 0x30, 0x31),
    *range(0x40, 0x48),
    *(0x60, 0x64, 0x80, 0x81, 0x82, 0x83, 0x9F),
    *range(0xA0, 0xA9),
    0xFF,
]


def native_read(data: bytes) -> Read | None:
    """What the native session accepts of ``data``: a decoded SNMPv2c message."""
    try:
        message = ber.decode_message(data)
    except ber.BerError:
        return None
    if message.version != ber.VERSION_2C:
        return None
    return Read(
        message.pdu_type,
        message.request_id,
        message.error_status,
        message.error_index,
        message.varbinds,
    )


def _documented(data: bytes, native: Read | None, reference: Read | None) -> str | None:
    """The documented difference that explains a disagreement, if one does."""
    found = tlvs(data)
    if native is None and reference is not None:
        if any(tlv.indefinite for tlv in found):
            return "indefinite length"
        if any(tlv.tag in _CONSTRUCTED_STRINGS for tlv in found):
            return "constructed string"
        if found and found[0].at == 0 and not found[0].indefinite and found[0].stop < len(data):
            return "octets after the message"
        if any(tlv.tag in _INTEGER_TAGS and tlv.start == tlv.stop for tlv in found):
            return "empty INTEGER"
    if (
        native is not None
        and reference is None
        and any(
            tlv.tag in _UNSIGNED_TAGS and tlv.stop > tlv.start and data[tlv.start] & 0x80
            for tlv in found
        )
    ):
        return "unsigned value without its leading zero octet"
    return None


def _check(data: bytes) -> None:
    try:
        native = native_read(data)
    except ber.BerError:  # pragma: no cover - native_read catches it
        raise
    reference = pysnmp_read(data)
    # Shown by --hypothesis-show-statistics: how often each case comes up.
    event(
        "both accept"
        if native is not None and reference is not None
        else "both refuse"
        if native is None and reference is None
        else f"documented: {_documented(data, native, reference)}"
    )
    if (native is None) != (reference is None) or (
        native is not None and reference is not None and native != reference
    ):
        assert _documented(data, native, reference) is not None, (
            f"native {native!r} vs pysnmp {reference!r} for {data.hex()}"
        )


# --- each rule, by example ------------------------------------------------------------------


def _response(
    value: bytes,
    *,
    name: bytes = _tlv(0x06, ber.encode_oid((1, 3, 6, 1, 2, 1, 1, 3, 0))),
    in_varbind: bytes = b"",
    in_list: bytes = b"",
    in_pdu: bytes = b"",
    in_message: bytes = b"",
) -> bytes:
    """A Response whose one variable binding has the value TLV ``value``, and
    optional stray octets at the end of each container."""
    varbind = _tlv(0x30, name + value + in_varbind)
    pdu = _tlv(
        0xA2, b"\x02\x01\x07\x02\x01\x00\x02\x01\x00" + _tlv(0x30, varbind + in_list) + in_pdu
    )
    return _tlv(0x30, b"\x02\x01\x01" + _tlv(0x04, b"public") + pdu + in_message)


def _refused_by_both(data: bytes, match: str) -> None:
    with pytest.raises(ber.BerError, match=match):
        ber.decode_message(data)
    assert pysnmp_read(data) is None


def test_a_well_formed_response_is_read_alike_by_both_decoders() -> None:
    data = _response(_tlv(0x43, (123456).to_bytes(3, "big")))

    assert native_read(data) == pysnmp_read(data)
    assert ber.decode_message(data).varbinds == (
        ((1, 3, 6, 1, 2, 1, 1, 3, 0), SnmpValue(ValueKind.TIMETICKS, 123456)),
    )


@pytest.mark.parametrize("tag", [0x05, 0x80, 0x81, 0x82])
def test_null_and_the_exceptions_with_content_octets_are_refused(tag: int) -> None:
    _refused_by_both(_response(_tlv(tag, b"\x00")), "content octets")


@pytest.mark.parametrize(
    ("where", "match"),
    [
        ("in_varbind", "extra octets after the value"),
        ("in_list", "variable-binding: expected tag 0x30, found 0x05"),
        ("in_pdu", "octets after the variable-bindings"),
        ("in_message", "octets after the PDU"),
    ],
)
def test_octets_left_over_in_any_container_are_refused(where: str, match: str) -> None:
    # A stray Null where nothing may follow (inside the list, it reads as a
    # variable binding that is not a SEQUENCE).
    _refused_by_both(_response(b"\x05\x00", **{where: b"\x05\x00"}), match)


@pytest.mark.parametrize(
    ("tag", "number", "match"),
    [
        (0x02, 2**31, "Integer32 of 5 octets"),
        (0x02, -(2**31) - 1, "Integer32 of 5 octets"),
        (0x41, 2**32, "Counter32 of 5 octets"),
        (0x42, 2**1032, "Gauge32 of 130 octets"),
        (0x43, 2**32, "TimeTicks of 5 octets"),
        (0x46, 2**64, "Counter64 of 9 octets"),
        (0x46, 2**23992, "Counter64 of 3000 octets"),
    ],
    # The default id would print the number, and Python refuses to print 2**23992.
    ids=lambda argument: f"{argument:#x}" if argument in range(256) else "-",
)
def test_numbers_outside_their_types_range_are_refused(tag: int, number: int, match: str) -> None:
    size = (number + (number < 0)).bit_length() // 8 + 1
    content = number.to_bytes(size, "big", signed=True)

    _refused_by_both(_response(_tlv(tag, content)), match)


def test_the_largest_number_of_each_type_is_read() -> None:
    for tag, number in ((0x02, 2**31 - 1), (0x42, 2**32 - 1), (0x46, 2**64 - 1)):
        size = number.bit_length() // 8 + 1
        data = _response(_tlv(tag, number.to_bytes(size, "big")))
        assert native_read(data) == pysnmp_read(data) is not None


@pytest.mark.parametrize("size", [0, 3, 5, 16])
def test_ip_address_of_other_than_four_octets_is_refused(size: int) -> None:
    _refused_by_both(_response(_tlv(0x40, bytes(size))), f"IpAddress of {size} octets")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"\x2b" + subidentifier(2**32), "arc above 4294967295"),
        (b"\x2b\x80\x01", "padded with a leading 0x80"),
        (b"\x2b\x80\x80\x80\x80\x80\x01", "padded with a leading 0x80"),
        (b"\x2b" + subidentifier(2**16000), "more than 128 arcs can take"),
        (b"\x2b" + b"\xff" * 60_000 + b"\x7f", "more than 128 arcs can take"),
        (b"\x2b" + b"\x01" * 127, "more than 128 arcs"),
        # Six octets without padding hold more than 2**35: refused as gosnmp does.
        (b"\x2b" + b"\x81" * 5 + b"\x01", "arc above 4294967295"),
        (b"\x2b" + b"\x01" * 100 + subidentifier(2**35) * 2, "arc above 4294967295"),
        (subidentifier(80 + 2**32), "arc above 4294967295"),
    ],
)
def test_object_identifiers_past_rfc_2578s_limits_are_refused(content: bytes, match: str) -> None:
    with pytest.raises(ber.BerError, match=match):
        ber.decode_oid(content)
    name = _tlv(0x06, content)
    with pytest.raises(ber.BerError):
        ber.decode_message(_response(b"\x05\x00", name=name))
    with pytest.raises(ber.BerError):
        ber.decode_message(_response(name))
    # pyasn1 reads every one of these (except the padding); the backend refuses them.
    assert pysnmp_read(_response(b"\x05\x00", name=name)) is None
    assert pysnmp_read(_response(name)) is None


def test_the_longest_object_identifier_is_read() -> None:
    # 2.x shares its first sub-identifier: 80 + x may pass 2**32 - 1.
    assert ber.decode_oid(ber.encode_oid((2, 2**32 - 1))) == (2, 2**32 - 1)
    oid = (1, 3, *([2**32 - 1] * 126))

    assert ber.decode_oid(ber.encode_oid(oid)) == oid
    data = _response(_tlv(0x06, ber.encode_oid(oid)))
    assert native_read(data) == pysnmp_read(data) is not None


def test_an_arc_of_two_to_the_16000_is_refused_without_a_traceback_in_the_pysnmp_backend() -> None:
    from pyasn1.type import univ  # noqa: PLC0415 - only this test builds pyasn1 values

    from sprmon.collector.errors import SnmpMalformedResponse  # noqa: PLC0415
    from sprmon.collector.pysnmp_backend import from_pysnmp  # noqa: PLC0415

    huge = univ.ObjectIdentifier((1, 3, 2**16000))
    with pytest.raises(SnmpMalformedResponse, match=r"arc outside 0\.\.4294967295"):
        from_pysnmp(huge, univ.Null(""))


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"oids": [(1, 3, 2**32)]}, "arc outside"),
        ({"oids": [(1, 3, -1)]}, "arc outside"),
        ({"oids": [(1, 3, *([1] * 127))]}, "129 arcs"),
        ({"oids": [(1,)]}, "1 arc"),
        ({"oids": [(1, 3, "6")]}, "not a tuple of integers"),
        ({"oids": [[1, 3, 6]]}, "not a tuple of integers"),
        ({"request_id": 2**31}, "request-id"),
        ({"request_id": 1.5}, "request-id"),
        ({"community": "public"}, "community of type str"),
        ({"pdu_type": ber.GET_BULK, "max_repetitions": -1}, "max-repetitions"),
        ({"pdu_type": ber.GET_BULK, "non_repeaters": 2**31}, "non-repeaters"),
        ({"pdu_type": ber.RESPONSE}, "not a request PDU type"),
    ],
)
def test_the_request_encoder_raises_for_what_does_not_fit_instead_of_sending_it(
    arguments: dict[str, object], match: str
) -> None:
    request: dict[str, object] = {
        "community": b"public",
        "pdu_type": ber.GET,
        "request_id": 1,
        "oids": [(1, 3, 6, 1)],
        **arguments,
    }
    with pytest.raises(ber.BerError, match=match):
        ber.encode_request(**request)  # type: ignore[arg-type]


# Every documented difference exists (if pyasn1 changes, these say which).


def test_difference_indefinite_length_pysnmp_reads_it_the_native_decoder_refuses() -> None:
    good = _response(b"\x05\x00")
    data = b"\x30\x80" + good[2:] + b"\x00\x00"

    assert pysnmp_read(data) is not None
    with pytest.raises(ber.BerError, match="indefinite length"):
        ber.decode_message(data)


def test_difference_constructed_string_pysnmp_reads_it_the_native_decoder_refuses() -> None:
    data = _response(_tlv(0x24, _tlv(0x04, b"eth") + _tlv(0x04, b"0")))

    assert pysnmp_read(data) is not None
    with pytest.raises(ber.BerError, match="unknown type tag 0x24"):
        ber.decode_message(data)


def test_difference_empty_integer_pysnmp_reads_zero_the_native_decoder_refuses() -> None:
    data = _response(_tlv(0x41, b""))

    read = pysnmp_read(data)
    assert read is not None and read.varbinds[0][1] == SnmpValue(ValueKind.COUNTER32, 0)
    with pytest.raises(ber.BerError, match="empty Counter32"):
        ber.decode_message(data)


def test_difference_octets_after_the_message_pysnmp_ignores_them_the_native_decoder_refuses() -> (
    None
):
    data = _response(b"\x05\x00") + b"\x00"

    assert pysnmp_read(data) is not None
    with pytest.raises(ber.BerError, match="after the end of the message"):
        ber.decode_message(data)


def test_difference_unsigned_without_leading_zero_native_reads_it_pysnmp_refuses() -> None:
    data = _response(_tlv(0x42, b"\xff\xff\xff\xff"))

    assert pysnmp_read(data) is None
    read = native_read(data)
    assert read is not None and read.varbinds[0][1] == SnmpValue(ValueKind.GAUGE32, 2**32 - 1)


# --- byte-level mutation of real encodings -------------------------------------------------


@st.composite
def real_encodings(draw: st.DrawFn) -> bytes:
    varbinds = draw(st.lists(st.tuples(oids, values), max_size=4))
    return pysnmp_response(draw(st.integers(-(2**31), 2**31 - 1)), varbinds)


def _length_octets(draw: st.DrawFn, actual: int) -> bytes:
    choice = draw(st.sampled_from(["near", "any", "padded", "indefinite", "reserved", "huge"]))
    if choice == "near":
        n = max(0, actual + draw(st.integers(-2, 2)))
    elif choice == "any":
        n = draw(st.integers(0, 70_000))
    elif choice == "padded":
        width = draw(st.integers(1, 12))
        return (
            bytes((0x80 | width,)) + actual.to_bytes(width, "big") if actual < 256**width else b""
        )
    elif choice == "indefinite":
        return b"\x80"
    elif choice == "reserved":
        return b"\xff"
    else:
        return b"\x84\xff\xff\xff\xff"
    return length(n)


@st.composite
def mutations(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(real_encodings()))
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        kind = draw(
            st.sampled_from(
                [
                    "flip",
                    "set",
                    "insert",
                    "delete",
                    "truncate",
                    "extend",
                    "length",
                    "tag",
                    "content",
                ]
            )
        )
        pos = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[pos] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
        elif kind == "truncate":
            del data[pos:]
        elif kind == "extend":
            data += draw(st.binary(min_size=1, max_size=16))
        else:
            found = tlvs(bytes(data))
            if not found:
                continue
            tlv = draw(st.sampled_from(found))
            if kind == "tag":
                data[tlv.at] = draw(st.sampled_from(_INTERESTING_TAGS) | st.integers(0, 255))
            elif kind == "length":
                data[tlv.at + 1 : tlv.start] = _length_octets(draw, tlv.stop - tlv.start)
            else:
                data[tlv.start : tlv.stop] = draw(st.binary(max_size=12))
    return bytes(data)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutations())
def test_mutated_encodings_decode_as_pysnmp_decodes_them_or_raise_ber_error(data: bytes) -> None:
    _check(data)


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(data=st.binary(max_size=300))
def test_random_bytes_decode_as_pysnmp_decodes_them_or_raise_ber_error(data: bytes) -> None:
    _check(data)


# --- well-nested messages with hostile leaves ----------------------------------------------
# Byte mutation rarely builds a consistent message around a bad value; these do.


def _hostile(draw: st.DrawFn) -> bool:
    """Whether this element goes wrong: rarely, so that one message holds about one fault."""
    return draw(st.integers(0, 9)) == 0


def _wrap(draw: st.DrawFn, tag: int, content: bytes) -> bytes:
    """A TLV, with the length in any form BER allows (and, rarely, the indefinite one)."""
    form = draw(st.sampled_from(["short"] * 12 + ["padded", "padded", "indefinite"]))
    if form == "indefinite" and tag & 0x20:
        return bytes((tag, 0x80)) + content + b"\x00\x00"
    if form == "padded":
        width = draw(st.integers(1, 9))
        if len(content) < 256**width:
            return bytes((tag, 0x80 | width)) + len(content).to_bytes(width, "big") + content
    return _tlv(tag, content)


def _extra(draw: st.DrawFn) -> bytes:
    """Usually nothing; sometimes a stray TLV or stray octets inside a container."""
    choice = draw(st.sampled_from(["none"] * 18 + ["tlv", "octets"]))
    if choice == "tlv":
        return bytes((draw(st.sampled_from(_INTERESTING_TAGS)),)) + b"\x01\x00"
    if choice == "octets":
        return draw(st.binary(min_size=1, max_size=3))
    return b""


_EDGES = [
    0,
    1,
    127,
    128,
    255,
    256,
    2**31 - 1,
    2**31,
    2**32 - 1,
    2**32,
    2**63,
    2**64 - 1,
    2**64,
    2**72,
    2**1040,
]


def _number(draw: st.DrawFn, low: int, high: int) -> int:
    if not _hostile(draw):
        return draw(st.sampled_from([low, high]) | st.integers(low, high))
    base = draw(st.sampled_from(_EDGES) | st.integers(0, 2**70))
    return -base if draw(st.booleans()) and base else base


def _integer_content(draw: st.DrawFn, number: int) -> bytes:
    """``number`` in two's complement, minimal or padded; or as plain unsigned octets."""
    style = draw(st.sampled_from(["signed"] * 12 + ["padded", "unsigned", "unsigned", "empty"]))
    if style == "empty":
        return b""
    if style == "unsigned" and number >= 0:
        return number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big")
    size = max(1, (number + (number < 0)).bit_length() // 8 + 1)
    if style == "padded":
        size += draw(st.integers(1, 3))
    return number.to_bytes(size, "big", signed=True)


def _subidentifier(draw: st.DrawFn) -> bytes:
    edges = [0, 1, 127, 128, 2**28, 2**32 - 1]
    if _hostile(draw):
        edges += [2**32, 2**35, 2**40]
    octets = subidentifier(draw(st.sampled_from(edges) | st.integers(0, 2**32 - 1)))
    if _hostile(draw) and _hostile(draw):
        return b"\x80" + octets  # padded: a leading 0x80 octet
    return octets


def _oid_content(draw: st.DrawFn) -> bytes:
    if not _hostile(draw):
        return ber.encode_oid(draw(oids))
    count = draw(st.sampled_from([0, 1, 2, 5, 126, 127, 128, 129]) | st.integers(1, 20))
    head = ber.encode_oid((1, 3))
    return head + b"".join(_subidentifier(draw) for _ in range(max(0, count - 1)))


def _value(draw: st.DrawFn) -> bytes:
    tags = [0x02, 0x41, 0x42, 0x43, 0x46, 0x04, 0x40, 0x44, 0x06, 0x05, 0x80, 0x81, 0x82]
    tag = draw(st.sampled_from(_INTERESTING_TAGS if _hostile(draw) else tags))
    if tag in _INTEGER_TAGS:
        low, high = (
            (-(2**31), 2**31 - 1) if tag == 0x02 else (0, 2**64 - 1 if tag == 0x46 else 2**32 - 1)
        )
        return _wrap(draw, tag, _integer_content(draw, _number(draw, low, high)))
    if tag in (0x04, 0x40, 0x44):
        if tag == 0x40 and not _hostile(draw):
            content = draw(st.binary(min_size=4, max_size=4))
        else:
            content = draw(st.binary(max_size=6))
        if _hostile(draw):
            # The constructed form: the content as primitive chunks.
            return _wrap(draw, tag | 0x20, _wrap(draw, tag, content))
        return _wrap(draw, tag, content)
    if tag == 0x06:
        return _wrap(draw, tag, _oid_content(draw))
    if tag in (0x05, 0x80, 0x81, 0x82):
        content = draw(st.binary(min_size=1, max_size=3)) if _hostile(draw) else b""
        return _wrap(draw, tag, content)
    return _wrap(draw, tag, draw(st.binary(max_size=4)))


@st.composite
def hostile_messages(draw: st.DrawFn) -> bytes:
    varbinds = b"".join(
        _wrap(draw, 0x30, _wrap(draw, 0x06, _oid_content(draw)) + _value(draw) + _extra(draw))
        for _ in range(draw(st.integers(0, 3)))
    )
    pdu_tag = draw(st.sampled_from([0xA2] * 6 + [0xA5, 0xA8, 0xA4, 0xA9]))
    fields = b"".join(
        _wrap(draw, 0x02, _integer_content(draw, n))
        for n in (
            draw(st.sampled_from([7] * 6 + [2**31 - 1, 2**31, -(2**31), -(2**31) - 1])),
            draw(st.sampled_from([0] * 6 + [5, 19, -1, 2**40])),
            draw(st.sampled_from([0] * 6 + [1, 3, -1, 2**31 - 1, 2**31])),
        )
    )
    pdu = _wrap(draw, pdu_tag, fields + _wrap(draw, 0x30, varbinds + _extra(draw)) + _extra(draw))
    version = _wrap(draw, 0x02, _integer_content(draw, draw(st.sampled_from([1] * 8 + [0, 3]))))
    community = draw(st.sampled_from([b"\x04\x06public"] * 8 + [b"\x24\x08\x04\x06public"]))
    message = _wrap(draw, 0x30, version + community + pdu + _extra(draw))
    return message + _extra(draw)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hostile_messages())
def test_hostile_messages_decode_as_pysnmp_decodes_them_or_raise_ber_error(data: bytes) -> None:
    _check(data)
