"""SNMP messages for the codec tests: strategies, an independent encoder and decoder
(pyasn1, as the pysnmp backend uses it), and a generic BER walker to mutate with."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v2c

from sprmon.collector.errors import SnmpError
from sprmon.collector.pysnmp_backend import from_pysnmp
from sprmon.smi import Oid, SnmpValue, ValueKind, VarBind


def oid_strategy(*, min_arcs: int = 2, max_arcs: int) -> st.SearchStrategy[Oid]:
    """OIDs of ``min_arcs`` to ``max_arcs`` arcs within RFC 2578's limits: 0-2 and 0-39
    first (any second arc under 2 would do, 39 covers both), then arcs up to 2**32 - 1."""
    return st.tuples(st.integers(0, 2), st.integers(0, 39)).flatmap(
        lambda head: st.lists(
            st.integers(0, 2**32 - 1), min_size=min_arcs - 2, max_size=max_arcs - 2
        ).map(lambda tail: (*head, *tail))
    )


def value_strategy(oid_values: st.SearchStrategy[Oid]) -> st.SearchStrategy[SnmpValue]:
    """Every SMI type and exception within its range; ObjectIdentifiers from ``oid_values``."""
    return st.one_of(
        st.integers(-(2**31), 2**31 - 1).map(lambda n: SnmpValue(ValueKind.INTEGER, n)),
        st.binary(max_size=300).map(lambda b: SnmpValue(ValueKind.OCTET_STRING, b)),
        st.binary(min_size=4, max_size=4).map(lambda b: SnmpValue(ValueKind.IP_ADDRESS, b)),
        st.integers(0, 2**32 - 1).map(lambda n: SnmpValue(ValueKind.COUNTER32, n)),
        st.integers(0, 2**32 - 1).map(lambda n: SnmpValue(ValueKind.GAUGE32, n)),
        st.integers(0, 2**32 - 1).map(lambda n: SnmpValue(ValueKind.TIMETICKS, n)),
        st.integers(0, 2**64 - 1).map(lambda n: SnmpValue(ValueKind.COUNTER64, n)),
        st.binary(max_size=20).map(lambda b: SnmpValue(ValueKind.OPAQUE, b)),
        oid_values.map(lambda oid: SnmpValue(ValueKind.OBJECT_IDENTIFIER, oid)),
        st.sampled_from(
            [
                SnmpValue(ValueKind.NULL),
                SnmpValue(ValueKind.NO_SUCH_OBJECT),
                SnmpValue(ValueKind.NO_SUCH_INSTANCE),
                SnmpValue(ValueKind.END_OF_MIB_VIEW),
            ]
        ),
    )


#: Names of 5 to 17 arcs, and values, for the collector's codec tests.
oids = oid_strategy(min_arcs=5, max_arcs=17)
values = value_strategy(oids)

_PYASN1_TYPES = {
    ValueKind.INTEGER: rfc1902.Integer32,
    ValueKind.OCTET_STRING: rfc1902.OctetString,
    ValueKind.IP_ADDRESS: rfc1902.IpAddress,
    ValueKind.COUNTER32: rfc1902.Counter32,
    ValueKind.GAUGE32: rfc1902.Gauge32,
    ValueKind.TIMETICKS: rfc1902.TimeTicks,
    ValueKind.COUNTER64: rfc1902.Counter64,
    ValueKind.OPAQUE: rfc1902.Opaque,
    ValueKind.OBJECT_IDENTIFIER: rfc1902.ObjectIdentifier,
}
_PYASN1_EMPTY = {
    ValueKind.NULL: rfc1902.Null(""),
    ValueKind.NO_SUCH_OBJECT: rfc1905.noSuchObject,
    ValueKind.NO_SUCH_INSTANCE: rfc1905.noSuchInstance,
    ValueKind.END_OF_MIB_VIEW: rfc1905.endOfMibView,
}


def to_pyasn1(value: SnmpValue) -> object:
    empty = _PYASN1_EMPTY.get(value.kind)
    return empty if empty is not None else _PYASN1_TYPES[value.kind](value.value)


def pysnmp_response(
    request_id: int,
    varbinds: list[tuple[Oid, SnmpValue]],
    *,
    error_status: int = 0,
    community: bytes = b"s3cret",
) -> bytes:
    """A Response message as pysnmp encodes it."""
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, community)
    pdu = v2c.ResponsePDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_request_id(pdu, request_id)
    v2c.apiPDU.set_error_status(pdu, error_status)
    v2c.apiPDU.set_varbinds(
        pdu, [(rfc1902.ObjectName(oid), to_pyasn1(value)) for oid, value in varbinds]
    )
    v2c.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


@dataclass(frozen=True)
class Read:
    """What a decoder read from a response: the fields the collector uses."""

    pdu_type: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: tuple[VarBind, ...]


def pysnmp_read(data: bytes) -> Read | None:
    """What the pysnmp backend would accept of ``data``, or None if it would drop it.

    pysnmp's own path: pyasn1 decodes with the SNMPv2c message spec (its
    constraints: Integer32 and the unsigned ranges, IpAddress of 4 octets,
    OCTET STRING up to 65,535), the message must be version 2c, and the backend
    converts every value with :func:`~sprmon.collector.pysnmp_backend.from_pysnmp`
    (OID limits, which pyasn1 does not check). pysnmp ignores octets after the
    message; so does this function (see the tests for that difference).
    """
    try:
        message, _rest = decoder.decode(data, asn1Spec=v2c.Message())
        if int(v2c.apiMessage.get_version(message)) != 1:
            return None
        pdu = v2c.apiMessage.get_pdu(message)
        varbinds = tuple(from_pysnmp(name, value) for name, value in v2c.apiPDU.get_varbinds(pdu))
        # The raw fields: pysnmp's accessors clamp the error-index to the list.
        second, third = int(pdu.getComponentByPosition(1)), int(pdu.getComponentByPosition(2))
        return Read(
            pdu.tagSet[0][2] | 0xA0,
            int(v2c.apiPDU.get_request_id(pdu)),
            second,
            third,
            varbinds,
        )
    except SnmpError:
        return None
    except Exception:  # pyasn1 raises many types; the backend drops them all
        return None


@dataclass(frozen=True)
class Tlv:
    """One TLV of a BER encoding: where its header and content are."""

    at: int
    tag: int
    start: int
    stop: int
    #: Length in indefinite form (``0x80``), closed by ``00 00`` after ``stop``.
    indefinite: bool = False


_CONSTRUCTED = 0x20


class _Stop(Exception):
    pass


def tlvs(data: bytes) -> list[Tlv]:
    """Every TLV of ``data`` (nested ones too, in order), as far as it parses.

    A generic walker that knows nothing of SNMP: single-octet tags, definite
    and indefinite lengths, constructed forms (bit 6 of the tag). It stops
    quietly where the bytes stop making sense.
    """
    found: list[Tlv | None] = []
    with contextlib.suppress(_Stop):
        _parse(data, 0, len(data), found, until_eoc=False)
    return [tlv for tlv in found if tlv is not None]


def _parse(data: bytes, pos: int, end: int, out: list[Tlv | None], *, until_eoc: bool) -> int:
    while pos < end:
        if until_eoc and data[pos : pos + 2] == b"\x00\x00":
            return pos + 2
        if pos + 2 > end:
            raise _Stop
        at, tag, first = pos, data[pos], data[pos + 1]
        pos += 2
        if first == 0x80:
            if not tag & _CONSTRUCTED:
                raise _Stop
            slot = len(out)
            out.append(None)
            after = _parse(data, pos, end, out, until_eoc=True)
            out[slot] = Tlv(at, tag, pos, after - 2, indefinite=True)
            pos = after
            continue
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            if pos + count > end:
                raise _Stop
            length = int.from_bytes(data[pos : pos + count], "big")
            pos += count
        stop = pos + length
        if stop > end:
            raise _Stop
        out.append(Tlv(at, tag, pos, stop))
        if tag & _CONSTRUCTED:
            _parse(data, pos, stop, out, until_eoc=False)
        pos = stop
    if until_eoc:
        raise _Stop
    return pos
