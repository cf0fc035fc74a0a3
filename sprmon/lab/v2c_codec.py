"""The agent side of SNMPv2c in BER: decode a request, encode a response.

Pure: bytes in, bytes out. The collector's codec (:mod:`sprmon.collector.ber`)
is the manager side (it encodes requests and decodes responses); this is its
mirror for the lab's native v2c agents. Both are built on the BER primitives
of :mod:`sprmon.ber`, so the collector never depends on the lab; what is the
lab's own is which requests it reads, as below.

What the agents answered before this codec existed, pysnmp's, is the
reference: a request pysnmp drops is dropped here, and an answered one gets
the same octets. So decoding is as strict as pysnmp's schema (RFC 3416's
ranges for request-id, non-repeaters, max-repetitions and error-index; an
Integer32 that does not fit, an IpAddress that is not 4 octets or an OID arc
with a leading 0x80 octet makes the message undecodable) and as lenient as
pyasn1 where managers differ (an empty INTEGER is 0, long-form lengths need
not be minimal, up to pyasn1's 8 length octets). BER forms that no SNMP
manager sends (indefinite lengths, constructed strings, multi-octet tags) are
refused, where pysnmp may accept them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sprmon.ber import (
    GET,
    GET_BULK,
    GET_NEXT,
    INTEGER,
    NULL,
    OBJECT_IDENTIFIER,
    OCTET_KINDS,
    OCTET_STRING,
    RESPONSE,
    SEQUENCE,
    TAG_BY_KIND,
    VERSION_2C,
    BerError,
    decode_integer,
    expect,
    header,
    number_in,
    oid_body,
    tlv,
)
from sprmon.ber import decode_oid as decode_subidentifiers
from sprmon.smi import Oid, SnmpValue, ValueKind

REQUEST_TYPES = frozenset({GET, GET_NEXT, GET_BULK})

#: What a ``garbage`` agent answers (v2c and v3 alike): it starts like an
#: SNMPv2c message (SEQUENCE, version, community) but its PDU claims 255
#: octets and holds 2, so every BER decoder rejects it.
GARBAGE_REPLY = bytes.fromhex("300f0201010406") + b"sprmon" + bytes.fromhex("a2ff0201")

#: The largest UDP payload over IPv4: a longer response cannot be sent.
MAX_MESSAGE_SIZE = 65507

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
#: RFC 3416's max-bindings: the upper bound of error-index, non-repeaters, max-repetitions.
_MAX_BINDINGS = 2**31 - 1
#: pyasn1 refuses an OID arc of more continuation octets than this: searched for
#: before the arcs are decoded, which also bounds what decoding one costs.
_MAX_ARC_OCTETS = 20
_LONG_ARC = re.compile(rb"[\x80-\xff]{%d}" % (_MAX_ARC_OCTETS + 1))

_NUMBERS = frozenset(
    {
        ValueKind.INTEGER,
        ValueKind.COUNTER32,
        ValueKind.GAUGE32,
        ValueKind.TIMETICKS,
        ValueKind.COUNTER64,
    }
)

#: What a value of each tag may hold in a request, as pysnmp's schema says:
#: (lowest, highest) number for the integer types, (shortest, longest) content for the others.
_REQUEST_VALUE_LIMITS: dict[int, tuple[str, int, int]] = {
    0x02: ("int", _INT32_MIN, _INT32_MAX),
    0x04: ("octets", 0, 65535),
    0x05: ("octets", 0, 0),
    0x06: ("oid", 0, 0),
    0x40: ("octets", 4, 4),
    0x41: ("int", 0, 2**32 - 1),
    0x42: ("int", 0, 2**32 - 1),
    0x43: ("int", 0, 2**32 - 1),
    0x44: ("octets", 0, 2**31),
    0x46: ("int", 0, 2**64 - 1),
    0x80: ("octets", 0, 0),
    0x81: ("octets", 0, 0),
    0x82: ("octets", 0, 0),
}


class RequestError(BerError):
    """The datagram is not an SNMPv2c request the agent answers: drop it."""


@dataclass(frozen=True, slots=True)
class Request:
    """A decoded GET, GETNEXT or GETBULK request; for GETBULK ``second`` and
    ``third`` are non-repeaters and max-repetitions, otherwise error-status
    and error-index (which an agent ignores)."""

    community: bytes
    pdu_type: int
    request_id: int
    second: int
    third: int
    oids: tuple[Oid, ...]


# --- encoding -----------------------------------------------------------------------------


def _int_body(value: int) -> bytes:
    # As pyasn1 writes it: X.690's minimal form (:func:`sprmon.ber.int_body`) except
    # that a negative power of two -2**(8k-1) gets a leading 0xff (-128: ff 80).
    return value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)


def encode_value(value: SnmpValue) -> bytes:
    """One value's TLV, as pysnmp encodes it in a response."""
    kind, raw = value.kind, value.value
    tag = TAG_BY_KIND[kind]
    if kind in _NUMBERS:
        assert isinstance(raw, int)
        return tlv(tag, _int_body(raw))
    if kind in OCTET_KINDS:
        assert isinstance(raw, bytes)
        return tlv(tag, raw)
    if kind is ValueKind.OBJECT_IDENTIFIER:
        assert isinstance(raw, tuple)
        return tlv(tag, oid_body(raw))
    return bytes((tag, 0))


#: Encoded names, shared by every view: a router's rows keep their names from
#: one tick to the next (only values move), and sites share most of theirs,
#: so a name is encoded once rather than on every tick (encoding was about
#: two thirds of a variable binding's cost). Emptied when full: 1,000 sites
#: have about 40,000 distinct names, 130,000 with both cores walked.
_OID_TLVS: dict[Oid, bytes] = {}
_OID_TLVS_LIMIT = 1 << 18


def oid_tlv(oid: Oid) -> bytes:
    """An OBJECT IDENTIFIER's TLV (tag, length, content)."""
    encoded = _OID_TLVS.get(oid)
    if encoded is None:
        if len(_OID_TLVS) >= _OID_TLVS_LIMIT:
            _OID_TLVS.clear()
        encoded = _OID_TLVS[oid] = tlv(OBJECT_IDENTIFIER, oid_body(oid))
    return encoded


def encode_varbind(oid: Oid, value: SnmpValue) -> bytes:
    """One variable binding (SEQUENCE of name and value)."""
    return tlv(SEQUENCE, oid_tlv(oid) + encode_value(value))


def exception_varbind(oid: Oid, kind: ValueKind) -> bytes:
    """``oid`` with noSuchObject, noSuchInstance or endOfMibView."""
    return tlv(SEQUENCE, oid_tlv(oid) + bytes((TAG_BY_KIND[kind], 0)))


def encode_response(request: Request, varbinds: Sequence[bytes]) -> bytes:
    """The Response to ``request`` with encoded ``varbinds``, error-status and -index 0."""
    pdu = tlv(
        RESPONSE,
        tlv(INTEGER, _int_body(request.request_id))
        + b"\x02\x01\x00\x02\x01\x00"
        + tlv(SEQUENCE, b"".join(varbinds)),
    )
    return tlv(SEQUENCE, b"\x02\x01\x01" + tlv(OCTET_STRING, request.community) + pdu)


# --- decoding -----------------------------------------------------------------------------


def decode_oid(content: bytes) -> Oid:
    """The arcs of OBJECT IDENTIFIER content octets (pyasn1's rules)."""
    if len(content) > _MAX_ARC_OCTETS and _LONG_ARC.search(content):
        raise RequestError("OID arc too long")
    return decode_subidentifiers(content)


def _check_value(buf: bytes, tag: int, start: int, stop: int, at: int) -> None:
    """Refuse a request value that pysnmp's schema refuses (an agent ignores the value)."""
    limits = _REQUEST_VALUE_LIMITS.get(tag)
    if limits is None:
        raise RequestError(f"variable-binding value: type tag 0x{tag:02x} is not SNMP's")
    form, low, high = limits
    if form == "int":
        number_in(buf, start, stop, low=low, high=high, what="variable-binding value", at=at)
    elif form == "oid":
        decode_oid(buf[start:stop])
    elif not low <= stop - start <= high:
        raise RequestError(f"variable-binding value of {stop - start} octets for tag 0x{tag:02x}")


def decode_request(data: bytes) -> Request:
    """Decode a v2c GET, GETNEXT or GETBULK; :class:`RequestError` for anything else."""
    try:
        return _decode_request(data)
    except RequestError:
        raise
    except BerError as exc:
        raise RequestError(*exc.args) from None


def _decode_request(data: bytes) -> Request:
    end = len(data)
    start, stop = expect(data, 0, end, SEQUENCE, "message")
    if stop != end:
        raise RequestError(f"{end - stop} octets after the message")
    # An empty INTEGER reads as 0 in every field, as pyasn1 reads it.
    _version, pos = decode_integer(
        data, start, stop, "version", low=VERSION_2C, high=VERSION_2C, empty_is_zero=True
    )
    c_start, c_stop = expect(data, pos, stop, OCTET_STRING, "community")
    pdu_type, p_start, p_stop = header(data, c_stop, stop, "PDU")
    if pdu_type not in REQUEST_TYPES:
        raise RequestError(f"PDU type 0x{pdu_type:02x} is not a read request")
    if p_stop != stop:
        raise RequestError("octets after the PDU")
    request_id, pos = decode_integer(
        data, p_start, p_stop, "request-id", low=_INT32_MIN, high=_INT32_MAX, empty_is_zero=True
    )
    if pdu_type == GET_BULK:
        second, pos = decode_integer(
            data, pos, p_stop, "non-repeaters", low=0, high=_MAX_BINDINGS, empty_is_zero=True
        )
    else:
        # error-status: any number (its named values do not constrain it).
        second, pos = decode_integer(data, pos, p_stop, "error-status", empty_is_zero=True)
    third, pos = decode_integer(
        data, pos, p_stop, "error-index", low=0, high=_MAX_BINDINGS, empty_is_zero=True
    )
    l_start, l_stop = expect(data, pos, p_stop, SEQUENCE, "variable-bindings")
    if l_stop != p_stop:
        raise RequestError("octets after the variable-bindings")
    oids: list[Oid] = []
    pos = l_start
    while pos < l_stop:
        v_start, v_stop = expect(data, pos, l_stop, SEQUENCE, "variable-binding")
        o_start, o_stop = expect(data, v_start, v_stop, OBJECT_IDENTIFIER, "variable-binding name")
        oids.append(decode_oid(data[o_start:o_stop]))
        tag, start, value_stop = header(data, o_stop, v_stop, "variable-binding value")
        if value_stop != v_stop:
            raise RequestError("octets after a variable-binding value")
        if tag != NULL or start != value_stop:
            _check_value(data, tag, start, value_stop, o_stop)
        pos = v_stop
    return Request(
        community=data[c_start:c_stop],
        pdu_type=pdu_type,
        request_id=request_id,
        second=second,
        third=third,
        oids=tuple(oids),
    )
