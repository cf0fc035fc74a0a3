"""SNMPv2c messages in BER (RFC 3416, X.690), encoded and decoded by hand.

Pure: bytes in, bytes out. The collector's SNMPv2c path uses this instead of
pysnmp because pyasn1's generic decoder spends about 140 µs of CPU per
received variable binding, which makes a 200-site poll CPU-bound; this
decoder only knows the dozen types SNMP uses and costs a few µs. SNMPv3 keeps
using pysnmp, whose USM (authentication, privacy, engine discovery) is not
worth re-implementing.

Decoding is strict: anything that is not a well-formed SNMPv2c message raises
:class:`BerError` with what was wrong and where, never an ``IndexError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sprmon.smi import Oid, SnmpValue, ValueKind, VarBind

# PDU tags (context-specific, constructed).
GET = 0xA0
GET_NEXT = 0xA1
RESPONSE = 0xA2
GET_BULK = 0xA5
REPORT = 0xA8

_SEQUENCE = 0x30
_INTEGER = 0x02
_OCTET_STRING = 0x04
_NULL = 0x05
_OID = 0x06

_KIND_BY_TAG = {
    0x02: ValueKind.INTEGER,
    0x04: ValueKind.OCTET_STRING,
    0x05: ValueKind.NULL,
    0x06: ValueKind.OBJECT_IDENTIFIER,
    0x40: ValueKind.IP_ADDRESS,
    0x41: ValueKind.COUNTER32,
    0x42: ValueKind.GAUGE32,
    0x43: ValueKind.TIMETICKS,
    0x44: ValueKind.OPAQUE,
    0x46: ValueKind.COUNTER64,
    0x80: ValueKind.NO_SUCH_OBJECT,
    0x81: ValueKind.NO_SUCH_INSTANCE,
    0x82: ValueKind.END_OF_MIB_VIEW,
}
_UNSIGNED = frozenset(
    {ValueKind.COUNTER32, ValueKind.GAUGE32, ValueKind.TIMETICKS, ValueKind.COUNTER64}
)
_OCTETS = frozenset({ValueKind.OCTET_STRING, ValueKind.IP_ADDRESS, ValueKind.OPAQUE})
#: The three exceptions and Null carry no value: share one object each.
_EMPTY = {
    kind: SnmpValue(kind)
    for kind in (
        ValueKind.NULL,
        ValueKind.NO_SUCH_OBJECT,
        ValueKind.NO_SUCH_INSTANCE,
        ValueKind.END_OF_MIB_VIEW,
    )
}

VERSION_2C = 1


class BerError(ValueError):
    """The bytes are not a well-formed SNMPv2c message."""


@dataclass(frozen=True, slots=True)
class Message:
    """A decoded SNMPv2c message (any PDU type; for GETBULK requests
    ``error_status``/``error_index`` are non-repeaters/max-repetitions)."""

    version: int
    community: bytes
    pdu_type: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: tuple[VarBind, ...]


# --- encoding -----------------------------------------------------------------------------


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + _length(len(body)) + body


def _integer(value: int) -> bytes:
    size = max(1, (value + (value < 0)).bit_length() // 8 + 1)
    return _tlv(_INTEGER, value.to_bytes(size, "big", signed=True))


def encode_oid(oid: Oid) -> bytes:
    """The content octets of an OBJECT IDENTIFIER (no tag, no length)."""
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40):
        raise BerError(f"cannot encode OID {oid}: first arcs out of range")
    out = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        if arc < 0:
            raise BerError(f"cannot encode OID {oid}: negative arc")
        if arc < 0x80:
            out.append(arc)
            continue
        chunk = bytearray((arc & 0x7F,))
        rest = arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        chunk.reverse()
        out += chunk
    return bytes(out)


def encode_request(
    *,
    community: bytes,
    pdu_type: int,
    request_id: int,
    oids: Sequence[Oid],
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """A GET, GETNEXT or GETBULK request with a Null value for every OID."""
    if pdu_type == GET_BULK:
        second, third = non_repeaters, max_repetitions
    elif pdu_type in (GET, GET_NEXT):
        second, third = 0, 0
    else:
        raise BerError(f"not a request PDU type: 0x{pdu_type:02x}")
    varbinds = b"".join(_tlv(_SEQUENCE, _tlv(_OID, encode_oid(oid)) + b"\x05\x00") for oid in oids)
    pdu = _tlv(
        pdu_type,
        _integer(request_id) + _integer(second) + _integer(third) + _tlv(_SEQUENCE, varbinds),
    )
    return _tlv(_SEQUENCE, _integer(VERSION_2C) + _tlv(_OCTET_STRING, community) + pdu)


# --- decoding -----------------------------------------------------------------------------


def _header(buf: bytes, pos: int, end: int, what: str) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``pos``."""
    if pos + 2 > end:
        raise BerError(f"{what}: message ends inside a tag/length at octet {pos}")
    tag = buf[pos]
    first = buf[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise BerError(f"{what}: unsupported length form 0x{first:02x} at octet {pos - 1}")
        if pos + count > end:
            raise BerError(f"{what}: message ends inside a length at octet {pos}")
        length = int.from_bytes(buf[pos : pos + count], "big")
        pos += count
    stop = pos + length
    if stop > end:
        raise BerError(f"{what}: length {length} at octet {pos} runs past the end of its container")
    return tag, pos, stop


def _expect(buf: bytes, pos: int, end: int, tag: int, what: str) -> tuple[int, int]:
    found, start, stop = _header(buf, pos, end, what)
    if found != tag:
        raise BerError(f"{what}: expected tag 0x{tag:02x}, found 0x{found:02x} at octet {pos}")
    return start, stop


def _decode_int(buf: bytes, pos: int, end: int, what: str) -> tuple[int, int]:
    start, stop = _expect(buf, pos, end, _INTEGER, what)
    if start == stop:
        raise BerError(f"{what}: empty INTEGER at octet {pos}")
    return int.from_bytes(buf[start:stop], "big", signed=True), stop


def decode_oid(content: bytes) -> Oid:
    """The arcs of OBJECT IDENTIFIER content octets."""
    if not content:
        raise BerError("empty OBJECT IDENTIFIER")
    if content[-1] & 0x80:
        raise BerError("OBJECT IDENTIFIER ends inside an arc")
    if max(content) < 0x80:
        # Every arc in one octet (most MIB OIDs): no base-128 loop needed.
        first = content[0]
        if first < 40:
            return (0, first, *content[1:])
        if first < 80:
            return (1, first - 40, *content[1:])
        return (2, first - 80, *content[1:])
    arcs: list[int] = []
    arc = 0
    for octet in content:
        if octet & 0x80:
            arc = (arc << 7) | (octet & 0x7F)
        else:
            arcs.append((arc << 7) | octet)
            arc = 0
    first = arcs[0]
    if first < 40:
        return (0, first, *arcs[1:])
    if first < 80:
        return (1, first - 40, *arcs[1:])
    return (2, first - 80, *arcs[1:])


def decode_message(data: bytes) -> Message:
    """Decode one SNMPv1/v2c message (any PDU type except the v1 Trap)."""
    end = len(data)
    start, stop = _expect(data, 0, end, _SEQUENCE, "message")
    if stop != end:
        raise BerError(f"message: {end - stop} octets after the end of the message")
    version, pos = _decode_int(data, start, stop, "version")
    c_start, c_stop = _expect(data, pos, stop, _OCTET_STRING, "community")
    community = data[c_start:c_stop]
    pdu_type, p_start, p_stop = _header(data, c_stop, stop, "PDU")
    if pdu_type not in (GET, GET_NEXT, RESPONSE, 0xA3, GET_BULK, 0xA6, 0xA7, REPORT):
        raise BerError(f"PDU: unknown PDU type 0x{pdu_type:02x}")
    request_id, pos = _decode_int(data, p_start, p_stop, "request-id")
    error_status, pos = _decode_int(data, pos, p_stop, "error-status")
    error_index, pos = _decode_int(data, pos, p_stop, "error-index")
    l_start, l_stop = _expect(data, pos, p_stop, _SEQUENCE, "variable-bindings")
    varbinds: list[VarBind] = []
    kinds = _KIND_BY_TAG
    pos = l_start
    while pos < l_stop:
        v_start, v_stop = _expect(data, pos, l_stop, _SEQUENCE, "variable-binding")
        o_start, o_stop = _expect(data, v_start, v_stop, _OID, "variable-binding name")
        oid = decode_oid(data[o_start:o_stop])
        tag, start, stop = _header(data, o_stop, v_stop, "variable-binding value")
        if stop != v_stop:
            raise BerError(f"variable-binding at octet {pos}: extra octets after the value")
        kind = kinds.get(tag)
        if kind is None:
            raise BerError(
                f"variable-binding value: unknown type tag 0x{tag:02x} at octet {o_stop}"
            )
        content = data[start:stop]
        value: SnmpValue
        if kind in _UNSIGNED:
            if not content:
                raise BerError(f"variable-binding value: empty {kind.value} at octet {o_stop}")
            value = SnmpValue(kind, int.from_bytes(content, "big"))
        elif kind in _OCTETS:
            value = SnmpValue(kind, content)
        elif kind is ValueKind.INTEGER:
            if not content:
                raise BerError(f"variable-binding value: empty INTEGER at octet {o_stop}")
            value = SnmpValue(kind, int.from_bytes(content, "big", signed=True))
        elif kind is ValueKind.OBJECT_IDENTIFIER:
            value = SnmpValue(kind, decode_oid(content))
        else:
            value = _EMPTY[kind]
        varbinds.append((oid, value))
        pos = v_stop
    return Message(
        version=version,
        community=community,
        pdu_type=pdu_type,
        request_id=request_id,
        error_status=error_status,
        error_index=error_index,
        varbinds=tuple(varbinds),
    )
