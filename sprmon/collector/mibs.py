"""OIDs sprmon reads, SMI values, and decoders from MIB rows to core objects.

Pure: no sockets, no pysnmp. The SNMP client hands over values as
:class:`SnmpValue` (a kind and a plain Python value), so these decoders can be
tested with plain data and every client backend is held to the same checks.

A walked table arrives as ``{column OID: {row index: value}}``. Decoders check
each value's SMI type against the MIB and raise :class:`SnmpWrongType` naming
the object instance (``ifHCInOctets.2 has type OctetString, expected
Counter64``): a wrong type means the agent or our OIDs are wrong, and a number
guessed from the wrong type would be silently wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from sprmon import snmp_oids
from sprmon.collector.errors import SnmpProtocolError, SnmpWrongType
from sprmon.core.observed import (
    BgpPath,
    BgpPeer,
    Interface,
    OperStatus,
    Origin,
    PeerState,
)
from sprmon.core.prefixes import Address, Prefix, canonical_address, canonical_prefix
from sprmon.snmp_oids import BgpPathEntry, BgpPeerEntry, IfEntry, IfXEntry

Oid = snmp_oids.Oid


class ValueKind(StrEnum):
    """SMI types and the SNMPv2 exceptions; the value is the name used in messages."""

    INTEGER = "Integer32"
    OCTET_STRING = "OctetString"
    NULL = "Null"
    OBJECT_IDENTIFIER = "ObjectIdentifier"
    IP_ADDRESS = "IpAddress"
    COUNTER32 = "Counter32"
    GAUGE32 = "Gauge32"
    TIMETICKS = "TimeTicks"
    OPAQUE = "Opaque"
    COUNTER64 = "Counter64"
    NO_SUCH_OBJECT = "noSuchObject"
    NO_SUCH_INSTANCE = "noSuchInstance"
    END_OF_MIB_VIEW = "endOfMibView"


#: Values that say "nothing here" instead of carrying data.
EXCEPTION_KINDS = frozenset(
    {ValueKind.NO_SUCH_OBJECT, ValueKind.NO_SUCH_INSTANCE, ValueKind.END_OF_MIB_VIEW}
)


@dataclass(frozen=True, slots=True)
class SnmpValue:
    """One SMI value: ``int`` for numbers, ``bytes`` for octet strings and
    IpAddress, an OID tuple for ObjectIdentifier, ``None`` for Null and the
    exceptions."""

    kind: ValueKind
    value: int | bytes | Oid | None = None


VarBind = tuple[Oid, SnmpValue]
#: A walked table: column OID -> row index -> value.
Columns = Mapping[Oid, Mapping[Oid, SnmpValue]]


def format_oid(oid: Iterable[int]) -> str:
    return ".".join(str(part) for part in oid)


def parse_oid(text: str) -> Oid:
    """``"1.3.6.1"`` or ``".1.3.6.1"`` -> ``(1, 3, 6, 1)``; ``ValueError`` if invalid."""
    parts = text.strip().lstrip(".").split(".")
    oid = tuple(int(part) for part in parts)
    if len(oid) < 2 or any(part < 0 for part in oid):
        raise ValueError(f"not an OID: {text!r}")
    return oid


# --- OIDs -----------------------------------------------------------------------------
# The numbers live in :mod:`sprmon.snmp_oids` (the lab serves the same objects).

SYS_UPTIME: Oid = snmp_oids.SYS_UP_TIME
SYS_UPTIME_0: Oid = (*SYS_UPTIME, 0)

#: BGP4-MIB (RFC 4273); IPv4 only.
BGP: Oid = snmp_oids.BGP
BGP_PEER_ENTRY: Oid = snmp_oids.BGP_PEER_ENTRY
BGP_PEER_STATE: Oid = (*BGP_PEER_ENTRY, BgpPeerEntry.STATE)
BGP_PEER_REMOTE_ADDR: Oid = (*BGP_PEER_ENTRY, BgpPeerEntry.REMOTE_ADDR)
BGP_PEER_REMOTE_AS: Oid = (*BGP_PEER_ENTRY, BgpPeerEntry.REMOTE_AS)
BGP_PEER_ESTABLISHED_TIME: Oid = (*BGP_PEER_ENTRY, BgpPeerEntry.FSM_ESTABLISHED_TIME)

BGP_PATH_ENTRY: Oid = snmp_oids.BGP_PATH_ENTRY
PATH_PEER: Oid = (*BGP_PATH_ENTRY, BgpPathEntry.PEER)
PATH_PREFIX_LEN: Oid = (*BGP_PATH_ENTRY, BgpPathEntry.PREFIX_LEN)
PATH_PREFIX: Oid = (*BGP_PATH_ENTRY, BgpPathEntry.PREFIX)
PATH_ORIGIN: Oid = (*BGP_PATH_ENTRY, BgpPathEntry.ORIGIN)
PATH_AS_PATH: Oid = (*BGP_PATH_ENTRY, BgpPathEntry.AS_PATH)
PATH_NEXT_HOP: Oid = (*BGP_PATH_ENTRY, BgpPathEntry.NEXT_HOP)
PATH_MED: Oid = (*BGP_PATH_ENTRY, BgpPathEntry.MED)
PATH_LOCAL_PREF: Oid = (*BGP_PATH_ENTRY, BgpPathEntry.LOCAL_PREF)
PATH_BEST: Oid = (*BGP_PATH_ENTRY, BgpPathEntry.BEST)

#: IF-MIB ifNumber (rows in ifTable) and ifTable.
IF_NUMBER: Oid = snmp_oids.IF_NUMBER
IF_NUMBER_0: Oid = (*IF_NUMBER, 0)
IF_ENTRY: Oid = snmp_oids.IF_ENTRY
IF_DESCR: Oid = (*IF_ENTRY, IfEntry.DESCR)
IF_SPEED: Oid = (*IF_ENTRY, IfEntry.SPEED)
IF_OPER_STATUS: Oid = (*IF_ENTRY, IfEntry.OPER_STATUS)
IF_IN_OCTETS: Oid = (*IF_ENTRY, IfEntry.IN_OCTETS)
IF_IN_DISCARDS: Oid = (*IF_ENTRY, IfEntry.IN_DISCARDS)
IF_IN_ERRORS: Oid = (*IF_ENTRY, IfEntry.IN_ERRORS)
IF_OUT_OCTETS: Oid = (*IF_ENTRY, IfEntry.OUT_OCTETS)
IF_OUT_DISCARDS: Oid = (*IF_ENTRY, IfEntry.OUT_DISCARDS)
IF_OUT_ERRORS: Oid = (*IF_ENTRY, IfEntry.OUT_ERRORS)

#: IF-MIB ifXTable.
IF_X_ENTRY: Oid = snmp_oids.IF_X_ENTRY
IF_NAME: Oid = (*IF_X_ENTRY, IfXEntry.NAME)
IF_HC_IN_OCTETS: Oid = (*IF_X_ENTRY, IfXEntry.HC_IN_OCTETS)
IF_HC_OUT_OCTETS: Oid = (*IF_X_ENTRY, IfXEntry.HC_OUT_OCTETS)
IF_HIGH_SPEED: Oid = (*IF_X_ENTRY, IfXEntry.HIGH_SPEED)
IF_COUNTER_DISCONTINUITY_TIME: Oid = (*IF_X_ENTRY, IfXEntry.COUNTER_DISCONTINUITY_TIME)

NAMES: dict[Oid, str] = {
    SYS_UPTIME: "sysUpTime",
    IF_NUMBER: "ifNumber",
    BGP_PEER_STATE: "bgpPeerState",
    BGP_PEER_REMOTE_ADDR: "bgpPeerRemoteAddr",
    BGP_PEER_REMOTE_AS: "bgpPeerRemoteAs",
    BGP_PEER_ESTABLISHED_TIME: "bgpPeerFsmEstablishedTime",
    PATH_PEER: "bgp4PathAttrPeer",
    PATH_PREFIX_LEN: "bgp4PathAttrIpAddrPrefixLen",
    PATH_PREFIX: "bgp4PathAttrIpAddrPrefix",
    PATH_ORIGIN: "bgp4PathAttrOrigin",
    PATH_AS_PATH: "bgp4PathAttrASPathSegment",
    PATH_NEXT_HOP: "bgp4PathAttrNextHop",
    PATH_MED: "bgp4PathAttrMultiExitDisc",
    PATH_LOCAL_PREF: "bgp4PathAttrLocalPref",
    PATH_BEST: "bgp4PathAttrBest",
    IF_DESCR: "ifDescr",
    IF_SPEED: "ifSpeed",
    IF_OPER_STATUS: "ifOperStatus",
    IF_IN_OCTETS: "ifInOctets",
    IF_IN_DISCARDS: "ifInDiscards",
    IF_IN_ERRORS: "ifInErrors",
    IF_OUT_OCTETS: "ifOutOctets",
    IF_OUT_DISCARDS: "ifOutDiscards",
    IF_OUT_ERRORS: "ifOutErrors",
    IF_NAME: "ifName",
    IF_HC_IN_OCTETS: "ifHCInOctets",
    IF_HC_OUT_OCTETS: "ifHCOutOctets",
    IF_HIGH_SPEED: "ifHighSpeed",
    IF_COUNTER_DISCONTINUITY_TIME: "ifCounterDiscontinuityTime",
}

#: Columns walked for interfaces when the agent has ifXTable (64-bit counters).
IF_COLUMNS_HC: tuple[Oid, ...] = (
    IF_SPEED,
    IF_OPER_STATUS,
    IF_IN_DISCARDS,
    IF_IN_ERRORS,
    IF_OUT_DISCARDS,
    IF_OUT_ERRORS,
    IF_NAME,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_HIGH_SPEED,
    IF_COUNTER_DISCONTINUITY_TIME,
)
#: Columns walked when ifXTable is missing: 32-bit counters, ifDescr as the name.
IF_COLUMNS_32: tuple[Oid, ...] = (
    IF_DESCR,
    IF_SPEED,
    IF_OPER_STATUS,
    IF_IN_OCTETS,
    IF_IN_DISCARDS,
    IF_IN_ERRORS,
    IF_OUT_OCTETS,
    IF_OUT_DISCARDS,
    IF_OUT_ERRORS,
)
#: The remote address is the row index, so its column is not walked.
PEER_COLUMNS: tuple[Oid, ...] = (BGP_PEER_STATE, BGP_PEER_REMOTE_AS, BGP_PEER_ESTABLISHED_TIME)
#: Peer, prefix and length are the row index, so their columns are not walked.
PATH_COLUMNS: tuple[Oid, ...] = (
    PATH_ORIGIN,
    PATH_AS_PATH,
    PATH_NEXT_HOP,
    PATH_MED,
    PATH_LOCAL_PREF,
    PATH_BEST,
)


_TABLES = {
    BGP_PATH_ENTRY: "bgp4PathAttrTable",
    BGP_PEER_ENTRY: "bgpPeerTable",
    IF_ENTRY: "ifTable",
    IF_X_ENTRY: "ifXTable",
}


def table_name(subtree: Oid) -> str:
    """``ifXTable`` for any OID inside it; the numeric OID otherwise."""
    for entry, name in _TABLES.items():
        if subtree[: len(entry)] == entry:
            return name
    return format_oid(subtree)


def instance_name(column: Oid, index: Oid) -> str:
    """``ifHCInOctets.2``; the numeric OID when the column is not one of ours."""
    name = NAMES.get(column)
    if name is None:
        return format_oid(column + index)
    return f"{name}.{format_oid(index)}" if index else name


# --- value checks -----------------------------------------------------------------------

_INTEGER = frozenset({ValueKind.INTEGER})
#: Vendors disagree on Integer32 vs Gauge32/Unsigned32 for some BGP objects (4-byte
#: ASNs, timers); both carry the same number, so accept either.
_NUMBER = frozenset({ValueKind.INTEGER, ValueKind.GAUGE32})
_GAUGE = frozenset({ValueKind.GAUGE32})
_COUNTER32 = frozenset({ValueKind.COUNTER32})
_COUNTER64 = frozenset({ValueKind.COUNTER64})
_OCTETS = frozenset({ValueKind.OCTET_STRING})
_IP = frozenset({ValueKind.IP_ADDRESS})
_TICKS = frozenset({ValueKind.TIMETICKS})


def _expect_int(column: Oid, index: Oid, value: SnmpValue, kinds: frozenset[ValueKind]) -> int:
    if value.kind not in kinds or not isinstance(value.value, int):
        raise SnmpWrongType(_type_message(column, index, value, kinds))
    return value.value


def _expect_bytes(column: Oid, index: Oid, value: SnmpValue, kinds: frozenset[ValueKind]) -> bytes:
    if value.kind not in kinds or not isinstance(value.value, bytes):
        raise SnmpWrongType(_type_message(column, index, value, kinds))
    return value.value


def _type_message(column: Oid, index: Oid, value: SnmpValue, kinds: frozenset[ValueKind]) -> str:
    expected = " or ".join(sorted(kind.value for kind in kinds))
    return f"{instance_name(column, index)} has type {value.kind.value}, expected {expected}"


def _ip(column: Oid, index: Oid, value: SnmpValue) -> Address:
    raw = _expect_bytes(column, index, value, _IP)
    if len(raw) != 4:
        raise SnmpWrongType(
            f"{instance_name(column, index)} is an IpAddress of {len(raw)} octets, expected 4"
        )
    return canonical_address(".".join(str(octet) for octet in raw))


def decode_uptime(value: SnmpValue) -> int:
    """sysUpTime.0 in hundredths of a second."""
    return _expect_int(SYS_UPTIME, (0,), value, _TICKS)


def _check_complete(
    columns: Columns, key: Oid, present: Iterable[Oid], expected: Iterable[Oid] | None = None
) -> None:
    """Raise when a row some column has is missing from ``key``'s column.

    Tables are walked column by column, so an agent that stops answering
    part-way (endOfMibView early, a sub-agent timing out) shows up as columns
    with different rows; decoding what is left would silently drop rows.
    """
    have = set(present)
    if expected is None:
        wanted: set[Oid] = set()
        for rows in columns.values():
            wanted.update(rows)
    else:
        wanted = set(expected)
    missing = sorted(wanted - have)
    if missing:
        raise SnmpProtocolError(
            f"{instance_name(key, missing[0])} is missing while other columns have that row"
            f"{f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''}: "
            f"the agent ended the walk of {table_name(key)} early"
        )


# --- interfaces ---------------------------------------------------------------------------

_OPER_STATUS = {
    1: OperStatus.UP,
    2: OperStatus.DOWN,
    3: OperStatus.TESTING,
    4: OperStatus.UNKNOWN,
    5: OperStatus.DORMANT,
    6: OperStatus.NOT_PRESENT,
    7: OperStatus.LOWER_LAYER_DOWN,
}
#: ifSpeed saturates here; ifHighSpeed then has the real speed.
_IF_SPEED_MAX = 4_294_967_295


def decode_interfaces(columns: Columns, *, hc: bool) -> tuple[Interface, ...]:
    """Interfaces from ifTable (+ ifXTable when ``hc``), one per ifOperStatus row.

    With ``hc`` the octet counters are ifXTable's 64-bit ones and the name is
    ifName; without, 32-bit ifTable counters (``counter_bits=32``) and ifDescr.
    """
    statuses = columns.get(IF_OPER_STATUS, {})
    _check_complete(columns, IF_OPER_STATUS, statuses.keys())
    interfaces = []
    for index in sorted(statuses):
        if len(index) != 1:
            raise SnmpProtocolError(
                f"ifTable row index {format_oid(index)} is not a single ifIndex"
            )
        if_index = index[0]
        code = _expect_int(IF_OPER_STATUS, index, statuses[index], _INTEGER)
        name_column = IF_NAME if hc else IF_DESCR
        name = _text(columns, name_column, index)
        speed = _speed(columns, index, hc=hc)
        if hc:
            in_octets = _counter(columns, IF_HC_IN_OCTETS, index, _COUNTER64)
            out_octets = _counter(columns, IF_HC_OUT_OCTETS, index, _COUNTER64)
        else:
            in_octets = _counter(columns, IF_IN_OCTETS, index, _COUNTER32)
            out_octets = _counter(columns, IF_OUT_OCTETS, index, _COUNTER32)
        discontinuity = None
        if hc:
            raw = columns.get(IF_COUNTER_DISCONTINUITY_TIME, {}).get(index)
            if raw is not None:
                discontinuity = _expect_int(IF_COUNTER_DISCONTINUITY_TIME, index, raw, _TICKS)
        interfaces.append(
            Interface(
                index=if_index,
                # A missing name must not match a link's interface_name by accident.
                name=name if name is not None else f"ifIndex.{if_index}",
                oper_status=_OPER_STATUS.get(code, OperStatus.UNKNOWN),
                speed_bps=speed,
                in_octets=in_octets,
                out_octets=out_octets,
                counter_bits=64 if hc else 32,
                in_errors=_counter(columns, IF_IN_ERRORS, index, _COUNTER32),
                out_errors=_counter(columns, IF_OUT_ERRORS, index, _COUNTER32),
                in_discards=_counter(columns, IF_IN_DISCARDS, index, _COUNTER32),
                out_discards=_counter(columns, IF_OUT_DISCARDS, index, _COUNTER32),
                discontinuity_ticks=discontinuity,
            )
        )
    return tuple(interfaces)


def _text(columns: Columns, column: Oid, index: Oid) -> str | None:
    raw = columns.get(column, {}).get(index)
    if raw is None:
        return None
    return _expect_bytes(column, index, raw, _OCTETS).decode("utf-8", errors="replace")


def _counter(columns: Columns, column: Oid, index: Oid, kinds: frozenset[ValueKind]) -> int | None:
    raw = columns.get(column, {}).get(index)
    if raw is None:
        return None
    return _expect_int(column, index, raw, kinds)


def _speed(columns: Columns, index: Oid, *, hc: bool) -> int | None:
    speed: int | None = None
    raw = columns.get(IF_SPEED, {}).get(index)
    if raw is not None:
        speed = _expect_int(IF_SPEED, index, raw, _GAUGE)
    if hc:
        raw_high = columns.get(IF_HIGH_SPEED, {}).get(index)
        if raw_high is not None:
            high = _expect_int(IF_HIGH_SPEED, index, raw_high, _GAUGE)
            # ifSpeed is exact below 4.29 Gbps (ifHighSpeed rounds to whole Mbps);
            # above, only ifHighSpeed is right.
            if speed is None or speed >= _IF_SPEED_MAX or (speed == 0 and high > 0):
                speed = high * 1_000_000
    # 0 means the agent does not know (RFC 2863), not "no capacity".
    return speed or None


# --- BGP peers --------------------------------------------------------------------------------

_PEER_STATE = {
    1: PeerState.IDLE,
    2: PeerState.CONNECT,
    3: PeerState.ACTIVE,
    4: PeerState.OPENSENT,
    5: PeerState.OPENCONFIRM,
    6: PeerState.ESTABLISHED,
}


def decode_peers(columns: Columns) -> tuple[BgpPeer, ...]:
    """bgpPeerTable rows; the row index is the peer's address."""
    states = columns.get(BGP_PEER_STATE, {})
    peers = []
    for index in sorted(states):
        address = _index_address(BGP_PEER_STATE, index)
        code = _expect_int(BGP_PEER_STATE, index, states[index], _INTEGER)
        state = _PEER_STATE.get(code)
        if state is None:
            raise SnmpProtocolError(
                f"{instance_name(BGP_PEER_STATE, index)} is {code}, "
                "expected 1..6 (idle..established)"
            )
        remote_as = _counter(columns, BGP_PEER_REMOTE_AS, index, _NUMBER)
        established = _counter(columns, BGP_PEER_ESTABLISHED_TIME, index, _NUMBER)
        peers.append(
            BgpPeer(
                address=address,
                state=state,
                remote_as=remote_as,
                # For a session that is not up the MIB counts time since it went
                # down; calling that "established for" would be a lie.
                established_for_s=(
                    float(established)
                    if established is not None and state is PeerState.ESTABLISHED
                    else None
                ),
            )
        )
    return tuple(peers)


def _index_address(column: Oid, index: Oid) -> Address:
    if len(index) != 4 or any(not 0 <= part <= 255 for part in index):
        raise SnmpProtocolError(
            f"{NAMES.get(column, format_oid(column))} row index {format_oid(index)} "
            "is not an IPv4 address"
        )
    return canonical_address(format_oid(index))


# --- BGP paths ------------------------------------------------------------------------------

_ORIGIN = {
    # FRR reads 0 for IGP; RFC 4273 says 1.
    0: Origin.IGP,
    1: Origin.IGP,
    2: Origin.EGP,
    3: Origin.INCOMPLETE,
}


def path_index_prefix(prefix: Prefix) -> Oid:
    """The leading part of a bgp4PathAttrTable row index for ``prefix``:
    prefix(4).length; the peer's address follows."""
    address, _, length = prefix.partition("/")
    octets = tuple(int(part) for part in address.split("."))
    if len(octets) != 4:
        raise ValueError(f"BGP4-MIB indexes IPv4 prefixes only, not {prefix}")
    return (*octets, int(length))


def parse_path_index(index: Oid) -> tuple[Prefix, Address]:
    """bgp4PathAttrTable row index prefix(4).length.peer(4) -> (prefix, peer)."""
    if len(index) != 9 or any(not 0 <= part <= 255 for part in index) or not 0 <= index[4] <= 32:
        raise SnmpProtocolError(
            f"bgp4PathAttrTable row index {format_oid(index)} is not prefix(4).length.peer(4)"
        )
    prefix = canonical_prefix(f"{format_oid(index[:4])}/{index[4]}", strict=False)
    return prefix, canonical_address(format_oid(index[5:]))


def decode_paths(columns: Columns) -> tuple[BgpPath, ...]:
    """bgp4PathAttrTable rows (every row seen in any walked column)."""
    indexes: set[Oid] = set()
    for column in PATH_COLUMNS:
        indexes.update(columns.get(column, {}))
    # Every column is mandatory per row: a missing "best" would read as False.
    for column in PATH_COLUMNS:
        _check_complete(columns, column, columns.get(column, {}).keys(), indexes)
    paths = []
    for index in sorted(indexes):
        prefix, peer = parse_path_index(index)
        origin: Origin | None = None
        raw = columns.get(PATH_ORIGIN, {}).get(index)
        if raw is not None:
            origin = _ORIGIN.get(_expect_int(PATH_ORIGIN, index, raw, _INTEGER))
        as_path: tuple[int, ...] = ()
        raw = columns.get(PATH_AS_PATH, {}).get(index)
        if raw is not None:
            as_path = decode_as_path(_expect_bytes(PATH_AS_PATH, index, raw, _OCTETS), index)
        next_hop: Address | None = None
        raw = columns.get(PATH_NEXT_HOP, {}).get(index)
        if raw is not None:
            next_hop = _ip(PATH_NEXT_HOP, index, raw)
            if next_hop == "0.0.0.0":
                # The router's own route: there is no next hop to match a link by.
                next_hop = None
        best = False
        raw = columns.get(PATH_BEST, {}).get(index)
        if raw is not None:
            best = _expect_int(PATH_BEST, index, raw, _INTEGER) == 2
        paths.append(
            BgpPath(
                prefix=prefix,
                peer=peer,
                next_hop=next_hop,
                med=_optional_metric(columns, PATH_MED, index),
                local_pref=_optional_metric(columns, PATH_LOCAL_PREF, index),
                as_path=as_path,
                origin=origin,
                best=best,
            )
        )
    return tuple(paths)


def _optional_metric(columns: Columns, column: Oid, index: Oid) -> int | None:
    raw = columns.get(column, {}).get(index)
    if raw is None:
        return None
    number = _expect_int(column, index, raw, _INTEGER)
    # RFC 4273: -1 means the attribute is absent from the path.
    return None if number < 0 else number


def decode_as_path(octets: bytes, index: Oid = ()) -> tuple[int, ...]:
    """bgp4PathAttrASPathSegment: repeated [type, count, count x ASN] -> ASNs in order.

    RFC 4273 says 2-octet ASNs; a few agents put 4-octet ones, so when the
    octets do not parse one way they are tried the other. AS_SET members are
    listed in place (the order inside a set carries no meaning).
    """
    for width in (2, 4):
        parsed = _parse_segments(octets, width)
        if parsed is not None:
            return parsed
    raise SnmpProtocolError(
        f"{instance_name(PATH_AS_PATH, index)} is not a valid AS path "
        f"(octets {octets.hex(' ')}): expected repeated [type, count, count x ASN]"
    )


def _parse_segments(octets: bytes, width: int) -> tuple[int, ...] | None:
    asns: list[int] = []
    position = 0
    while position < len(octets):
        if position + 2 > len(octets):
            return None
        segment_type, count = octets[position], octets[position + 1]
        # 1 AS_SET, 2 AS_SEQUENCE, 3/4 the confederation variants (RFC 5065).
        if segment_type not in (1, 2, 3, 4):
            return None
        position += 2
        end = position + count * width
        if end > len(octets):
            return None
        for start in range(position, end, width):
            asns.append(int.from_bytes(octets[start : start + width], "big"))
        position = end
    return tuple(asns)
