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

from collections.abc import Sequence
from dataclasses import dataclass

from sprmon.ber import (
    GET,
    GET_BULK,
    GET_NEXT,
    INTEGER,
    KIND_BY_TAG,
    OBJECT_IDENTIFIER,
    OCTET_KINDS,
    OCTET_STRING,
    REPORT,
    RESPONSE,
    SEQUENCE,
    VERSION_2C,
    BerError,
    decode_integer,
    expect,
    header,
    int_body,
    oid_body,
    tlv,
)
from sprmon.ber import decode_oid as decode_subidentifiers
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

__all__ = [
    "GET",
    "GET_BULK",
    "GET_NEXT",
    "REPORT",
    "RESPONSE",
    "VERSION_2C",
    "BerError",
    "Message",
    "decode_message",
    "decode_oid",
    "encode_oid",
    "encode_request",
]

_UNSIGNED = frozenset(
    {ValueKind.COUNTER32, ValueKind.GAUGE32, ValueKind.TIMETICKS, ValueKind.COUNTER64}
)
_UNSIGNED_MAX = {kind: RANGES[kind][1] for kind in _UNSIGNED}
_PDU_TYPES = frozenset((GET, GET_NEXT, RESPONSE, 0xA3, GET_BULK, 0xA6, 0xA7, REPORT))
#: A sub-identifier of more than 5 octets holds more than 35 bits (gosnmp refuses it too).
_SUBID_MAX_OCTETS = 5
#: The longest OBJECT IDENTIFIER content: the first sub-identifier holds two arcs.
_OID_MAX_OCTETS = (OID_MAX_ARCS - 1) * _SUBID_MAX_OCTETS
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


def _integer(value: int) -> bytes:
    return tlv(INTEGER, int_body(value))


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
    return oid_body(oid)


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
    varbinds = b"".join(
        tlv(SEQUENCE, tlv(OBJECT_IDENTIFIER, encode_oid(oid)) + b"\x05\x00") for oid in oids
    )
    pdu = tlv(
        pdu_type,
        _integer(request_id) + _integer(second) + _integer(third) + tlv(SEQUENCE, varbinds),
    )
    return tlv(SEQUENCE, _integer(VERSION_2C) + tlv(OCTET_STRING, community) + pdu)


# --- decoding -----------------------------------------------------------------------------


def decode_oid(content: bytes) -> Oid:
    """The arcs of OBJECT IDENTIFIER content octets, within RFC 2578's limits."""
    if len(content) > _OID_MAX_OCTETS:
        # Checked first: decoding must not spend CPU on a 60,000-octet arc.
        raise BerError(
            f"OBJECT IDENTIFIER of {len(content)} octets: more than {OID_MAX_ARCS} arcs can take"
        )
    oid = decode_subidentifiers(content)
    # Without padding, a sub-identifier of more than 5 octets is above 2**35: the arc
    # check refuses it too (as gosnmp does), and the length cap above bounded its cost.
    # An arc past 2**28 takes 4 continuation octets (more octets than arcs + 2): most
    # OIDs have fewer in all. (2.x shares its first sub-identifier, 80 + x: x is checked.)
    arcs = len(oid)
    if arcs > OID_MAX_ARCS or (len(content) > arcs + 2 and max(oid) > OID_ARC_MAX):
        if arcs > OID_MAX_ARCS:
            raise BerError(f"OBJECT IDENTIFIER of more than {OID_MAX_ARCS} arcs")
        raise BerError(f"OBJECT IDENTIFIER arc above {OID_ARC_MAX}")
    return oid


def decode_message(data: bytes) -> Message:
    """Decode one SNMPv1/v2c message (any PDU type except the v1 Trap).

    The caller checks the version and the PDU type it expects.
    """
    end = len(data)
    start, stop = expect(data, 0, end, SEQUENCE, "message")
    if stop != end:
        raise BerError(f"message: {end - stop} octets after the end of the message")
    version, pos = decode_integer(data, start, stop, "version")
    c_start, c_stop = expect(data, pos, stop, OCTET_STRING, "community")
    community = data[c_start:c_stop]
    pdu_type, p_start, p_stop = header(data, c_stop, stop, "PDU")
    if pdu_type not in _PDU_TYPES:
        raise BerError(f"PDU: unknown PDU type 0x{pdu_type:02x}")
    if p_stop != stop:
        raise BerError(f"message: {stop - p_stop} octets after the PDU")
    request_id, pos = decode_integer(
        data, p_start, p_stop, "request-id", low=INTEGER32_MIN, high=INTEGER32_MAX
    )
    if pdu_type == GET_BULK:
        error_status, pos = decode_integer(
            data, pos, p_stop, "non-repeaters", low=0, high=INTEGER32_MAX
        )
        error_index, pos = decode_integer(
            data, pos, p_stop, "max-repetitions", low=0, high=INTEGER32_MAX
        )
    else:
        # Any error-status is kept (the session names an unknown one); the
        # error-index points into the list, so it cannot be negative.
        error_status, pos = decode_integer(data, pos, p_stop, "error-status")
        error_index, pos = decode_integer(
            data, pos, p_stop, "error-index", low=0, high=INTEGER32_MAX
        )
    l_start, l_stop = expect(data, pos, p_stop, SEQUENCE, "variable-bindings")
    if l_stop != p_stop:
        raise BerError(f"PDU: {p_stop - l_stop} octets after the variable-bindings")
    varbinds: list[VarBind] = []
    kinds = KIND_BY_TAG
    pos = l_start
    while pos < l_stop:
        v_start, v_stop = expect(data, pos, l_stop, SEQUENCE, "variable-binding")
        o_start, o_stop = expect(data, v_start, v_stop, OBJECT_IDENTIFIER, "variable-binding name")
        oid = decode_oid(data[o_start:o_stop])
        tag, start, stop = header(data, o_stop, v_stop, "variable-binding value")
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
    if kind in OCTET_KINDS:
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
