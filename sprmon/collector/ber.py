"""SNMPv2c messages in BER (RFC 3416, X.690), encoded and decoded by hand.

Pure: bytes in, bytes out. The collector's SNMPv2c path uses this instead of
pysnmp because pyasn1's generic decoder spends about 140 µs of CPU per
received variable binding, which makes a 200-site poll CPU-bound; this
decoder only knows the dozen types SNMP uses and costs a few µs. SNMPv3 keeps
using pysnmp, whose USM (authentication, privacy, engine discovery) is not
worth re-implementing.

Decoding is strict: anything that is not a well-formed SNMPv2c message raises
:class:`BerError` with what was wrong and where, never another exception, and
in time linear in the datagram's size. Well-formed means, besides X.690's
tags and definite lengths (RFC 3417 forbids the indefinite form and the
constructed form of strings): every container is consumed exactly (no octet
after the value of a variable binding, after the list, the PDU or the
message); Null and the exceptions carry no content octets; every number fits
its SMI type (:data:`sprmon.smi.RANGES`), an IpAddress has 4 octets, an
OCTET STRING at most 65,535; an OBJECT IDENTIFIER has at most 128 arcs, each
at most 2**32 - 1 and encoded in at most 5 octets without a leading 0x80
(RFC 2578 3.5; gosnmp refuses the same). Values are checked here, once, with
the limits of :mod:`sprmon.smi`: nothing past them reaches the collector.

One leniency, as Net-SNMP and most managers have it: an unsigned type
(Counter32, Gauge32, TimeTicks, Counter64) whose first content octet has its
top bit set is read as unsigned, not as a negative number, because some
agents omit the leading zero octet. pyasn1 (so the pysnmp backend) refuses
such a value; ``tests/collector/test_ber_hostile.py`` pins this and every other
difference between the two decoders.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sprmon.smi import (
    INTEGER32_MAX,
    INTEGER32_MIN,
    IP_ADDRESS_OCTETS,
    OCTET_STRING_MAX,
    OID_ARC_MAX,
    OID_MAX_ARCS,
    RANGES,
    Oid,
    SnmpValue,
    ValueKind,
    VarBind,
    oid_problem,
)

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
_UNSIGNED_MAX = {kind: RANGES[kind][1] for kind in _UNSIGNED}
_PDU_TYPES = frozenset((GET, GET_NEXT, RESPONSE, 0xA3, GET_BULK, 0xA6, 0xA7, REPORT))
#: Length octets of the long form: more than needed are allowed (RFC 3417 8), up to
#: pyasn1's limit; 0xff (127 of them) is reserved by X.690 anyway.
_LENGTH_MAX_OCTETS = 8
#: A sub-identifier of more than 5 octets holds more than 35 bits (gosnmp refuses it too).
_SUBID_MAX_OCTETS = 5
#: The longest OBJECT IDENTIFIER content: the first sub-identifier holds two arcs.
_OID_MAX_OCTETS = (OID_MAX_ARCS - 1) * _SUBID_MAX_OCTETS
#: A sub-identifier that starts with 0x80 (padding): searched by the regex engine
#: only when a 0x80 octet is there at all, so the arc loop stays as cheap as it was.
_PADDED_ARC = re.compile(rb"(?<![\x80-\xff])\x80")
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


def _check_integer(value: object, low: int, high: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise BerError(f"cannot encode {what}: {type(value).__name__} is not an integer")
    if not low <= value <= high:
        raise BerError(f"cannot encode {what}: outside {low}..{high}")
    return value


def encode_oid(oid: Oid) -> bytes:
    """The content octets of an OBJECT IDENTIFIER (no tag, no length).

    Raises :class:`BerError` for anything that is not an OID the decoder would
    accept back: arcs that are not integers, out of range, too many.
    """
    if not isinstance(oid, tuple) or not all(
        isinstance(arc, int) and not isinstance(arc, bool) for arc in oid
    ):
        raise BerError("cannot encode an OID that is not a tuple of integers")
    problem = oid_problem(oid)
    if problem is not None:
        raise BerError(f"cannot encode {problem}")
    out = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
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
    """A GET, GETNEXT or GETBULK request with a Null value for every OID.

    Raises :class:`BerError` for any argument that does not fit its field,
    rather than sending something an agent must guess at.
    """
    if pdu_type == GET_BULK:
        second = _check_integer(non_repeaters, 0, INTEGER32_MAX, "non-repeaters")
        third = _check_integer(max_repetitions, 0, INTEGER32_MAX, "max-repetitions")
    elif pdu_type in (GET, GET_NEXT):
        second, third = 0, 0
    else:
        raise BerError(f"not a request PDU type: {pdu_type!r}")
    if not isinstance(community, bytes):
        raise BerError(f"cannot encode a community of type {type(community).__name__}")
    _check_integer(request_id, INTEGER32_MIN, INTEGER32_MAX, "request-id")
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
        if count == 0:
            raise BerError(f"{what}: indefinite length at octet {pos - 1} (RFC 3417 forbids it)")
        if count > _LENGTH_MAX_OCTETS:
            raise BerError(f"{what}: {count} length octets at octet {pos - 1}")
        if pos + count > end:
            raise BerError(f"{what}: message ends inside a length at octet {pos}")
        # More length octets than needed are allowed (RFC 3417 8); a length past
        # the datagram is refused below whatever its size.
        length = int.from_bytes(buf[pos : pos + count], "big")
        pos += count
    stop = pos + length
    if stop > end:
        raise BerError(f"{what}: length at octet {pos} runs past the end of its container")
    return tag, pos, stop


def _expect(buf: bytes, pos: int, end: int, tag: int, what: str) -> tuple[int, int]:
    found, start, stop = _header(buf, pos, end, what)
    if found != tag:
        raise BerError(f"{what}: expected tag 0x{tag:02x}, found 0x{found:02x} at octet {pos}")
    return start, stop


def _decode_int(
    buf: bytes,
    pos: int,
    end: int,
    what: str,
    *,
    low: int | None = None,
    high: int | None = None,
) -> tuple[int, int]:
    start, stop = _expect(buf, pos, end, _INTEGER, what)
    if start == stop:
        raise BerError(f"{what}: empty INTEGER at octet {pos}")
    number = int.from_bytes(buf[start:stop], "big", signed=True)
    if (low is not None and number < low) or (high is not None and number > high):
        raise BerError(f"{what}: INTEGER at octet {pos} outside {low}..{high}")
    return number, stop


def decode_oid(content: bytes) -> Oid:
    """The arcs of OBJECT IDENTIFIER content octets, within RFC 2578's limits."""
    if not content:
        raise BerError("empty OBJECT IDENTIFIER")
    if len(content) > _OID_MAX_OCTETS:
        # Checked first: the loop below must not spend CPU on a 60,000-octet arc.
        raise BerError(
            f"OBJECT IDENTIFIER of {len(content)} octets: more than {OID_MAX_ARCS} arcs can take"
        )
    if content[-1] & 0x80:
        raise BerError("OBJECT IDENTIFIER ends inside an arc")
    if max(content) < 0x80:
        # Every arc in one octet (most MIB OIDs): no base-128 loop needed.
        if len(content) >= OID_MAX_ARCS:
            raise BerError(f"OBJECT IDENTIFIER of more than {OID_MAX_ARCS} arcs")
        first = content[0]
        if first < 40:
            return (0, first, *content[1:])
        if first < 80:
            return (1, first - 40, *content[1:])
        return (2, first - 80, *content[1:])
    if b"\x80" in content and _PADDED_ARC.search(content):
        raise BerError("OBJECT IDENTIFIER arc padded with a leading 0x80 octet")
    arcs: list[int] = []
    arc = 0
    for octet in content:
        if octet & 0x80:
            arc = (arc << 7) | (octet & 0x7F)
        else:
            arcs.append((arc << 7) | octet)
            arc = 0
    if len(arcs) >= OID_MAX_ARCS:
        raise BerError(f"OBJECT IDENTIFIER of more than {OID_MAX_ARCS} arcs")
    # Without padding, a sub-identifier of more than 5 octets is above 2**35: this
    # check refuses it too (as gosnmp does), and the length cap above bounded its cost.
    # An arc past 2**28 takes 4 continuation octets: most OIDs have fewer in all.
    continued = len(content) - len(arcs)
    if continued >= _SUBID_MAX_OCTETS - 1 and max(arcs) > OID_ARC_MAX and _arc_too_large(arcs):
        raise BerError(f"OBJECT IDENTIFIER arc above {OID_ARC_MAX}")
    first = arcs[0]
    if first < 40:
        return (0, first, *arcs[1:])
    if first < 80:
        return (1, first - 40, *arcs[1:])
    return (2, first - 80, *arcs[1:])


def _arc_too_large(subidentifiers: list[int]) -> bool:
    # The first sub-identifier holds 2.x as 80 + x: it may exceed the limit by 80.
    return subidentifiers[0] - 80 > OID_ARC_MAX or any(
        arc > OID_ARC_MAX for arc in subidentifiers[1:]
    )


def decode_message(data: bytes) -> Message:
    """Decode one SNMPv1/v2c message (any PDU type except the v1 Trap).

    The caller checks the version and the PDU type it expects.
    """
    end = len(data)
    start, stop = _expect(data, 0, end, _SEQUENCE, "message")
    if stop != end:
        raise BerError(f"message: {end - stop} octets after the end of the message")
    version, pos = _decode_int(data, start, stop, "version")
    c_start, c_stop = _expect(data, pos, stop, _OCTET_STRING, "community")
    community = data[c_start:c_stop]
    pdu_type, p_start, p_stop = _header(data, c_stop, stop, "PDU")
    if pdu_type not in _PDU_TYPES:
        raise BerError(f"PDU: unknown PDU type 0x{pdu_type:02x}")
    if p_stop != stop:
        raise BerError(f"message: {stop - p_stop} octets after the PDU")
    request_id, pos = _decode_int(
        data, p_start, p_stop, "request-id", low=INTEGER32_MIN, high=INTEGER32_MAX
    )
    if pdu_type == GET_BULK:
        error_status, pos = _decode_int(
            data, pos, p_stop, "non-repeaters", low=0, high=INTEGER32_MAX
        )
        error_index, pos = _decode_int(
            data, pos, p_stop, "max-repetitions", low=0, high=INTEGER32_MAX
        )
    else:
        # Any error-status is kept (the session names an unknown one); the
        # error-index points into the list, so it cannot be negative.
        error_status, pos = _decode_int(data, pos, p_stop, "error-status")
        error_index, pos = _decode_int(data, pos, p_stop, "error-index", low=0, high=INTEGER32_MAX)
    l_start, l_stop = _expect(data, pos, p_stop, _SEQUENCE, "variable-bindings")
    if l_stop != p_stop:
        raise BerError(f"PDU: {p_stop - l_stop} octets after the variable-bindings")
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
        varbinds.append((oid, _decode_value(data, kind, start, stop, o_stop)))
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


def _decode_value(data: bytes, kind: ValueKind, start: int, stop: int, at: int) -> SnmpValue:
    """The value of ``kind`` in ``data[start:stop]`` (its TLV starts at octet ``at``)."""
    if kind in _UNSIGNED:
        if start == stop:
            raise BerError(f"variable-binding value: empty {kind.value} at octet {at}")
        number = int.from_bytes(data[start:stop], "big")
        if number > _UNSIGNED_MAX[kind]:
            raise BerError(
                f"variable-binding value: {kind.value} of {stop - start} octets at octet "
                f"{at} is above {_UNSIGNED_MAX[kind]}"
            )
        return SnmpValue(kind, number)
    if kind in _OCTETS:
        if kind is ValueKind.IP_ADDRESS and stop - start != IP_ADDRESS_OCTETS:
            raise BerError(
                f"variable-binding value: IpAddress of {stop - start} octets at octet "
                f"{at}, not {IP_ADDRESS_OCTETS}"
            )
        if kind is ValueKind.OCTET_STRING and stop - start > OCTET_STRING_MAX:
            raise BerError(
                f"variable-binding value: OCTET STRING of {stop - start} octets at octet "
                f"{at}, more than {OCTET_STRING_MAX}"
            )
        return SnmpValue(kind, data[start:stop])
    if kind is ValueKind.INTEGER:
        if start == stop:
            raise BerError(f"variable-binding value: empty INTEGER at octet {at}")
        number = int.from_bytes(data[start:stop], "big", signed=True)
        if not INTEGER32_MIN <= number <= INTEGER32_MAX:
            raise BerError(
                f"variable-binding value: Integer32 of {stop - start} octets at octet "
                f"{at} is outside {INTEGER32_MIN}..{INTEGER32_MAX}"
            )
        return SnmpValue(kind, number)
    if kind is ValueKind.OBJECT_IDENTIFIER:
        return SnmpValue(kind, decode_oid(data[start:stop]))
    if start != stop:
        raise BerError(
            f"variable-binding value: {kind.value} with {stop - start} content "
            f"octets at octet {at} (it has none)"
        )
    return _EMPTY[kind]
