"""Decoders from walked MIB rows to core objects, and the columns they need.

Pure: no sockets, no pysnmp. Every SNMP client backend hands over values as
:class:`~sprmon.smi.SnmpValue` (a kind and a plain Python value), so these
decoders can be tested with plain data and every backend is held to the same
checks. The OIDs come from :mod:`sprmon.snmp_oids`.

A walked table arrives as ``{column OID: {row index: value}}``. Decoders check
each value's SMI type against the MIB and raise :class:`SnmpWrongType` naming
the object instance (``ifHCInOctets.2 has type OctetString, expected
Counter64``): a wrong type means the agent or our OIDs are wrong, and a number
guessed from the wrong type would be silently wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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
from sprmon.smi import RANGES, Oid, SnmpValue, ValueKind, format_oid, in_range
from sprmon.snmp_oids import (
    NAMES,
    SYS_UP_TIME,
    BgpPathEntry,
    BgpPeerEntry,
    IfEntry,
    IfXEntry,
    instance_name,
    table_name,
)

#: A walked table: column OID -> row index -> value.
Columns = Mapping[Oid, Mapping[Oid, SnmpValue]]

#: Columns walked for interfaces when the agent has ifXTable (64-bit counters).
IF_COLUMNS_HC: tuple[Oid, ...] = (
    IfEntry.SPEED,
    IfEntry.OPER_STATUS,
    IfEntry.IN_DISCARDS,
    IfEntry.IN_ERRORS,
    IfEntry.OUT_DISCARDS,
    IfEntry.OUT_ERRORS,
    IfXEntry.NAME,
    IfXEntry.HC_IN_OCTETS,
    IfXEntry.HC_OUT_OCTETS,
    IfXEntry.HIGH_SPEED,
    IfXEntry.COUNTER_DISCONTINUITY_TIME,
)
#: Columns walked when ifXTable is missing: 32-bit counters, ifDescr as the name.
IF_COLUMNS_32: tuple[Oid, ...] = (
    IfEntry.DESCR,
    IfEntry.SPEED,
    IfEntry.OPER_STATUS,
    IfEntry.IN_OCTETS,
    IfEntry.IN_DISCARDS,
    IfEntry.IN_ERRORS,
    IfEntry.OUT_OCTETS,
    IfEntry.OUT_DISCARDS,
    IfEntry.OUT_ERRORS,
)
#: The remote address is the row index, so its column is not walked. The
#: columns are walked side by side: one more column costs no extra request.
PEER_COLUMNS: tuple[Oid, ...] = (
    BgpPeerEntry.STATE,
    BgpPeerEntry.REMOTE_AS,
    BgpPeerEntry.FSM_ESTABLISHED_TRANSITIONS,
    BgpPeerEntry.FSM_ESTABLISHED_TIME,
)
#: Peer, prefix and length are the row index, so their columns are not walked.
PATH_COLUMNS: tuple[Oid, ...] = (
    BgpPathEntry.ORIGIN,
    BgpPathEntry.AS_PATH,
    BgpPathEntry.NEXT_HOP,
    BgpPathEntry.MED,
    BgpPathEntry.LOCAL_PREF,
    BgpPathEntry.BEST,
)


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


def _check_range(column: Oid, index: Oid, number: int, kind: ValueKind) -> None:
    """Raise when ``number`` does not fit ``kind``.

    The native decoder reads an unsigned value of any length, and a number
    past its type's range would be refused later, when a snapshot is read.
    """
    if not in_range(kind, number):
        low, high = RANGES[kind]
        raise SnmpProtocolError(
            f"{instance_name(column, index)} is {number}, outside the {kind.value} "
            f"range {low}..{high}"
        )


def _ip(column: Oid, index: Oid, value: SnmpValue) -> Address:
    raw = _expect_bytes(column, index, value, _IP)
    if len(raw) != 4:
        raise SnmpWrongType(
            f"{instance_name(column, index)} is an IpAddress of {len(raw)} octets, expected 4"
        )
    return canonical_address(".".join(str(octet) for octet in raw))


def decode_uptime(value: SnmpValue) -> int:
    """sysUpTime.0 in hundredths of a second."""
    return _expect_int(SYS_UP_TIME, (0,), value, _TICKS)


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
    statuses = columns.get(IfEntry.OPER_STATUS, {})
    _check_complete(columns, IfEntry.OPER_STATUS, statuses.keys())
    interfaces = []
    for index in sorted(statuses):
        if len(index) != 1:
            raise SnmpProtocolError(
                f"ifTable row index {format_oid(index)} is not a single ifIndex"
            )
        if_index = index[0]
        code = _expect_int(IfEntry.OPER_STATUS, index, statuses[index], _INTEGER)
        name_column = IfXEntry.NAME if hc else IfEntry.DESCR
        name = _text(columns, name_column, index)
        speed = _speed(columns, index, hc=hc)
        if hc:
            in_octets = _counter(columns, IfXEntry.HC_IN_OCTETS, index, _COUNTER64)
            out_octets = _counter(columns, IfXEntry.HC_OUT_OCTETS, index, _COUNTER64)
        else:
            in_octets = _counter(columns, IfEntry.IN_OCTETS, index, _COUNTER32)
            out_octets = _counter(columns, IfEntry.OUT_OCTETS, index, _COUNTER32)
        discontinuity = None
        if hc:
            raw = columns.get(IfXEntry.COUNTER_DISCONTINUITY_TIME, {}).get(index)
            if raw is not None:
                discontinuity = _expect_int(IfXEntry.COUNTER_DISCONTINUITY_TIME, index, raw, _TICKS)
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
                in_errors=_counter(columns, IfEntry.IN_ERRORS, index, _COUNTER32),
                out_errors=_counter(columns, IfEntry.OUT_ERRORS, index, _COUNTER32),
                in_discards=_counter(columns, IfEntry.IN_DISCARDS, index, _COUNTER32),
                out_discards=_counter(columns, IfEntry.OUT_DISCARDS, index, _COUNTER32),
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
    raw = columns.get(IfEntry.SPEED, {}).get(index)
    if raw is not None:
        speed = _expect_int(IfEntry.SPEED, index, raw, _GAUGE)
    if hc:
        raw_high = columns.get(IfXEntry.HIGH_SPEED, {}).get(index)
        if raw_high is not None:
            high = _expect_int(IfXEntry.HIGH_SPEED, index, raw_high, _GAUGE)
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
    states = columns.get(BgpPeerEntry.STATE, {})
    peers = []
    for index in sorted(states):
        address = _index_address(BgpPeerEntry.STATE, index)
        code = _expect_int(BgpPeerEntry.STATE, index, states[index], _INTEGER)
        state = _PEER_STATE.get(code)
        if state is None:
            raise SnmpProtocolError(
                f"{instance_name(BgpPeerEntry.STATE, index)} is {code}, "
                "expected 1..6 (idle..established)"
            )
        remote_as = _not_negative(columns, BgpPeerEntry.REMOTE_AS, index, "an AS number")
        established = _not_negative(
            columns, BgpPeerEntry.FSM_ESTABLISHED_TIME, index, "a number of seconds"
        )
        transitions = _counter(columns, BgpPeerEntry.FSM_ESTABLISHED_TRANSITIONS, index, _COUNTER32)
        if transitions is not None:
            _check_range(
                BgpPeerEntry.FSM_ESTABLISHED_TRANSITIONS, index, transitions, ValueKind.COUNTER32
            )
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
                established_transitions=transitions,
            )
        )
    return tuple(peers)


def _not_negative(columns: Columns, column: Oid, index: Oid, what: str) -> int | None:
    """An Integer32 or Gauge32 object that cannot be negative (an AS number, a time).

    The codec keeps an Integer32 within its range; these objects are narrower,
    and a negative one would be refused when a saved snapshot is read back.
    """
    number = _counter(columns, column, index, _NUMBER)
    if number is not None and number < 0:
        raise SnmpProtocolError(
            f"{instance_name(column, index)} is {number}, expected {what} "
            f"(0..{RANGES[ValueKind.GAUGE32][1]})"
        )
    return number


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
        raw = columns.get(BgpPathEntry.ORIGIN, {}).get(index)
        if raw is not None:
            origin = _ORIGIN.get(_expect_int(BgpPathEntry.ORIGIN, index, raw, _INTEGER))
        as_path: tuple[int, ...] = ()
        raw = columns.get(BgpPathEntry.AS_PATH, {}).get(index)
        if raw is not None:
            octets = _expect_bytes(BgpPathEntry.AS_PATH, index, raw, _OCTETS)
            as_path = decode_as_path(octets, index)
        next_hop: Address | None = None
        raw = columns.get(BgpPathEntry.NEXT_HOP, {}).get(index)
        if raw is not None:
            next_hop = _ip(BgpPathEntry.NEXT_HOP, index, raw)
            if next_hop == "0.0.0.0":
                # The router's own route: there is no next hop to match a link by.
                next_hop = None
        best = False
        raw = columns.get(BgpPathEntry.BEST, {}).get(index)
        if raw is not None:
            best = _expect_int(BgpPathEntry.BEST, index, raw, _INTEGER) == 2
        paths.append(
            BgpPath(
                prefix=prefix,
                peer=peer,
                next_hop=next_hop,
                med=_optional_metric(columns, BgpPathEntry.MED, index),
                local_pref=_optional_metric(columns, BgpPathEntry.LOCAL_PREF, index),
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
        f"{instance_name(BgpPathEntry.AS_PATH, index)} is not a valid AS path "
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
