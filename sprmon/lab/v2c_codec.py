"""The agent side of SNMPv2c in BER: decode a request, encode a response.

Pure: bytes in, bytes out. The collector's codec (:mod:`sprmon.collector.ber`)
is the manager side (it encodes requests and decodes responses); this is its
mirror for the lab's native v2c agents, kept in the lab so that the collector
never depends on the lab.

What the agents answered before this codec existed, pysnmp's, is the
reference: a request pysnmp drops is dropped here, and an answered one gets
the same octets. So decoding is as strict as pysnmp's schema (RFC 3416's
ranges for request-id, non-repeaters, max-repetitions and error-index; an
Integer32 that does not fit, an IpAddress that is not 4 octets or an OID arc
with a leading 0x80 octet makes the message undecodable) and as lenient as
pyasn1 where managers differ (an empty INTEGER is 0, long-form lengths need
not be minimal). BER forms that no SNMP manager sends (indefinite lengths,
constructed strings, multi-octet tags) are refused, where pysnmp may accept
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sprmon.smi import Oid, SnmpValue, ValueKind

# PDU tags (context-specific, constructed), RFC 3416.
GET = 0xA0
GET_NEXT = 0xA1
RESPONSE = 0xA2
GET_BULK = 0xA5
REQUEST_TYPES = frozenset({GET, GET_NEXT, GET_BULK})

#: What a ``garbage`` agent answers (v2c and v3 alike): it starts like an
#: SNMPv2c message (SEQUENCE, version, community) but its PDU claims 255
#: octets and holds 2, so every BER decoder rejects it.
GARBAGE_REPLY = bytes.fromhex("300f0201010406") + b"sprmon" + bytes.fromhex("a2ff0201")

VERSION_2C = 1
#: The largest UDP payload over IPv4: a longer response cannot be sent.
MAX_MESSAGE_SIZE = 65507

_SEQUENCE = 0x30
_INTEGER = 0x02
_OCTET_STRING = 0x04
_NULL = 0x05
_OID = 0x06
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
#: RFC 3416's max-bindings: the upper bound of error-index, non-repeaters, max-repetitions.
_MAX_BINDINGS = 2**31 - 1
_INT32 = (_INT32_MIN, _INT32_MAX)
_BINDINGS = (0, _MAX_BINDINGS)
#: pyasn1 refuses an OID arc of more continuation octets than this.
_MAX_ARC_OCTETS = 20

_TAG_BY_KIND = {
    ValueKind.INTEGER: 0x02,
    ValueKind.OCTET_STRING: 0x04,
    ValueKind.NULL: 0x05,
    ValueKind.OBJECT_IDENTIFIER: 0x06,
    ValueKind.IP_ADDRESS: 0x40,
    ValueKind.COUNTER32: 0x41,
    ValueKind.GAUGE32: 0x42,
    ValueKind.TIMETICKS: 0x43,
    ValueKind.OPAQUE: 0x44,
    ValueKind.COUNTER64: 0x46,
    ValueKind.NO_SUCH_OBJECT: 0x80,
    ValueKind.NO_SUCH_INSTANCE: 0x81,
    ValueKind.END_OF_MIB_VIEW: 0x82,
}
_NUMBERS = frozenset(
    {
        ValueKind.INTEGER,
        ValueKind.COUNTER32,
        ValueKind.GAUGE32,
        ValueKind.TIMETICKS,
        ValueKind.COUNTER64,
    }
)
_OCTETS = frozenset({ValueKind.OCTET_STRING, ValueKind.IP_ADDRESS, ValueKind.OPAQUE})

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


class RequestError(ValueError):
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


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes((tag, n)) + body
    return bytes((tag,)) + _length(n) + body


def _int_body(value: int) -> bytes:
    # Two's complement as pyasn1 writes it, also for the unsigned SMI types
    # (2**31 is 00 80 00 00 00): minimal, except that a negative power of two
    # (-128, -2**31) gets one octet more (ff 80), which BER allows.
    if value == 0:
        return b"\x00"
    bits = value.bit_length()
    if bits % 8 == 0:
        bits += 1
    return value.to_bytes((bits + 7) // 8, "big", signed=True)


def oid_body(oid: Oid) -> bytes:
    """The content octets of an OBJECT IDENTIFIER; ValueError if it has no BER form."""
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40) or min(oid) < 0:
        raise ValueError(f"OID {oid} cannot be encoded")
    first = oid[0] * 40 + oid[1]
    if first < 0x80 and max(oid[2:], default=0) < 0x80:
        return bytes((first, *oid[2:]))
    out: list[int] = []
    # Arcs below 2**14 (every arc of the lab's rows: IPv4 octets, indexes)
    # take two octets at most: written inline, the long form only beyond.
    for arc in (first, *oid[2:]):
        if arc < 0x80:
            out.append(arc)
        elif arc < 0x4000:
            out += (0x80 | arc >> 7, arc & 0x7F)
        else:
            out += _long_arc(arc)
    return bytes(out)


def _long_arc(arc: int) -> list[int]:
    octets = [arc & 0x7F]
    arc >>= 7
    while arc:
        octets.append(0x80 | (arc & 0x7F))
        arc >>= 7
    octets.reverse()
    return octets


def encode_value(value: SnmpValue) -> bytes:
    """One value's TLV, as pysnmp encodes it in a response."""
    kind, raw = value.kind, value.value
    tag = _TAG_BY_KIND[kind]
    if kind in _NUMBERS:
        assert isinstance(raw, int)
        return _tlv(tag, _int_body(raw))
    if kind in _OCTETS:
        assert isinstance(raw, bytes)
        return _tlv(tag, raw)
    if kind is ValueKind.OBJECT_IDENTIFIER:
        assert isinstance(raw, tuple)
        return _tlv(tag, oid_body(raw))
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
    tlv = _OID_TLVS.get(oid)
    if tlv is None:
        if len(_OID_TLVS) >= _OID_TLVS_LIMIT:
            _OID_TLVS.clear()
        tlv = _OID_TLVS[oid] = _tlv(_OID, oid_body(oid))
    return tlv


def encode_varbind(oid: Oid, value: SnmpValue) -> bytes:
    """One variable binding (SEQUENCE of name and value)."""
    return _tlv(_SEQUENCE, oid_tlv(oid) + encode_value(value))


def exception_varbind(oid: Oid, kind: ValueKind) -> bytes:
    """``oid`` with noSuchObject, noSuchInstance or endOfMibView."""
    return _tlv(_SEQUENCE, oid_tlv(oid) + bytes((_TAG_BY_KIND[kind], 0)))


def encode_response(request: Request, varbinds: Sequence[bytes]) -> bytes:
    """The Response to ``request`` with encoded ``varbinds``, error-status and -index 0."""
    pdu = _tlv(
        RESPONSE,
        _tlv(_INTEGER, _int_body(request.request_id))
        + b"\x02\x01\x00\x02\x01\x00"
        + _tlv(_SEQUENCE, b"".join(varbinds)),
    )
    return _tlv(_SEQUENCE, b"\x02\x01\x01" + _tlv(_OCTET_STRING, request.community) + pdu)


# --- decoding -----------------------------------------------------------------------------


def _header(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``pos``, within ``end``."""
    if pos + 2 > end:
        raise RequestError(f"message ends inside a tag or length at octet {pos}")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise RequestError(f"multi-octet tag at octet {pos}")
    first = buf[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0:
            raise RequestError(f"indefinite length at octet {pos - 1}")
        if pos + count > end:
            raise RequestError(f"message ends inside a length at octet {pos}")
        length = int.from_bytes(buf[pos : pos + count], "big")
        pos += count
    if pos + length > end:
        raise RequestError(f"length {length} at octet {pos} runs past its container")
    return tag, pos, pos + length


def _expect(buf: bytes, pos: int, end: int, tag: int, what: str) -> tuple[int, int]:
    found, start, stop = _header(buf, pos, end)
    if found != tag:
        raise RequestError(f"{what}: expected tag 0x{tag:02x}, found 0x{found:02x}")
    return start, stop


def _int(
    buf: bytes, pos: int, end: int, what: str, *, bounds: tuple[int, int] | None
) -> tuple[int, int]:
    start, stop = _expect(buf, pos, end, _INTEGER, what)
    value = int.from_bytes(buf[start:stop], "big", signed=True)  # empty: 0, as pyasn1 reads it
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        low, high = bounds
        raise RequestError(f"{what} {value} is outside {low}..{high}")
    return value, stop


def decode_oid(content: bytes) -> Oid:
    """The arcs of OBJECT IDENTIFIER content octets (pyasn1's rules)."""
    if not content:
        raise RequestError("empty OBJECT IDENTIFIER")
    if content[-1] & 0x80:
        raise RequestError("OBJECT IDENTIFIER ends inside an arc")
    if max(content) < 0x80:
        arcs: list[int] | bytes = content
    else:
        arcs = []
        arc = 0
        octets = 0
        for octet in content:
            if octets == 0 and octet == 0x80:
                raise RequestError("OID arc starts with the padding octet 0x80")
            arc = (arc << 7) | (octet & 0x7F)
            octets += 1
            if octet < 0x80:
                arcs.append(arc)
                arc = octets = 0
            elif octets > _MAX_ARC_OCTETS:
                raise RequestError("OID arc too long")
    first = arcs[0]
    if first < 40:
        return (0, first, *arcs[1:])
    if first < 80:
        return (1, first - 40, *arcs[1:])
    return (2, first - 80, *arcs[1:])


def _check_value(buf: bytes, tag: int, start: int, stop: int) -> None:
    """Refuse a request value that pysnmp's schema refuses (an agent ignores the value)."""
    limits = _REQUEST_VALUE_LIMITS.get(tag)
    if limits is None:
        raise RequestError(f"variable-binding value: type tag 0x{tag:02x} is not SNMP's")
    form, low, high = limits
    if form == "int":
        number = int.from_bytes(buf[start:stop], "big", signed=True)
        if not low <= number <= high:
            raise RequestError(f"variable-binding value {number} is outside {low}..{high}")
    elif form == "oid":
        decode_oid(buf[start:stop])
    elif not low <= stop - start <= high:
        raise RequestError(f"variable-binding value of {stop - start} octets for tag 0x{tag:02x}")


def decode_request(data: bytes) -> Request:
    """Decode a v2c GET, GETNEXT or GETBULK; :class:`RequestError` for anything else."""
    end = len(data)
    start, stop = _expect(data, 0, end, _SEQUENCE, "message")
    if stop != end:
        raise RequestError(f"{end - stop} octets after the message")
    _version, pos = _int(data, start, stop, "version", bounds=(VERSION_2C, VERSION_2C))
    c_start, c_stop = _expect(data, pos, stop, _OCTET_STRING, "community")
    pdu_type, p_start, p_stop = _header(data, c_stop, stop)
    if pdu_type not in REQUEST_TYPES:
        raise RequestError(f"PDU type 0x{pdu_type:02x} is not a read request")
    if p_stop != stop:
        raise RequestError("octets after the PDU")
    request_id, pos = _int(data, p_start, p_stop, "request-id", bounds=_INT32)
    if pdu_type == GET_BULK:
        second, pos = _int(data, pos, p_stop, "non-repeaters", bounds=_BINDINGS)
    else:
        # error-status: any number (its named values do not constrain it).
        second, pos = _int(data, pos, p_stop, "error-status", bounds=None)
    third, pos = _int(data, pos, p_stop, "error-index", bounds=_BINDINGS)
    l_start, l_stop = _expect(data, pos, p_stop, _SEQUENCE, "variable-bindings")
    if l_stop != p_stop:
        raise RequestError("octets after the variable-bindings")
    oids: list[Oid] = []
    pos = l_start
    while pos < l_stop:
        v_start, v_stop = _expect(data, pos, l_stop, _SEQUENCE, "variable-binding")
        o_start, o_stop = _expect(data, v_start, v_stop, _OID, "variable-binding name")
        oids.append(decode_oid(data[o_start:o_stop]))
        tag, start, value_stop = _header(data, o_stop, v_stop)
        if value_stop != v_stop:
            raise RequestError("octets after a variable-binding value")
        if tag != _NULL or start != value_stop:
            _check_value(data, tag, start, value_stop)
        pos = v_stop
    return Request(
        community=data[c_start:c_stop],
        pdu_type=pdu_type,
        request_id=request_id,
        second=second,
        third=third,
        oids=tuple(oids),
    )
