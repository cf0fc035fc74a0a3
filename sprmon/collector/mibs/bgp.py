"""BGP4-MIB (RFC 4273): the peer and path columns a poll walks, their rows decoded to
:class:`BgpPeer` and :class:`BgpPath`, and the path table's row index."""

from __future__ import annotations

from sprmon.collector.errors import SnmpProtocolError
from sprmon.collector.mibs.values import (
    COUNTER32,
    INTEGER,
    NUMBER,
    OCTETS,
    Columns,
    check_complete,
    check_range,
    expect_bytes,
    expect_int,
    ip_address,
    optional_int,
)
from sprmon.core.observed import BgpPath, BgpPeer, Origin, PeerState
from sprmon.core.prefixes import Address, Prefix, canonical_address, canonical_prefix
from sprmon.smi import RANGES, Oid, ValueKind, format_oid
from sprmon.snmp_oids import NAMES, BgpPathEntry, BgpPeerEntry, instance_name

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
        code = expect_int(BgpPeerEntry.STATE, index, states[index], INTEGER)
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
        transitions = optional_int(
            columns, BgpPeerEntry.FSM_ESTABLISHED_TRANSITIONS, index, COUNTER32
        )
        if transitions is not None:
            check_range(
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
    number = optional_int(columns, column, index, NUMBER)
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
        check_complete(columns, column, columns.get(column, {}).keys(), indexes)
    paths = []
    for index in sorted(indexes):
        prefix, peer = parse_path_index(index)
        origin: Origin | None = None
        raw = columns.get(BgpPathEntry.ORIGIN, {}).get(index)
        if raw is not None:
            origin = _ORIGIN.get(expect_int(BgpPathEntry.ORIGIN, index, raw, INTEGER))
        as_path: tuple[int, ...] = ()
        raw = columns.get(BgpPathEntry.AS_PATH, {}).get(index)
        if raw is not None:
            octets = expect_bytes(BgpPathEntry.AS_PATH, index, raw, OCTETS)
            as_path = decode_as_path(octets, index)
        next_hop: Address | None = None
        raw = columns.get(BgpPathEntry.NEXT_HOP, {}).get(index)
        if raw is not None:
            next_hop = ip_address(BgpPathEntry.NEXT_HOP, index, raw)
            if next_hop == "0.0.0.0":
                # The router's own route: there is no next hop to match a link by.
                next_hop = None
        best = False
        raw = columns.get(BgpPathEntry.BEST, {}).get(index)
        if raw is not None:
            best = expect_int(BgpPathEntry.BEST, index, raw, INTEGER) == 2
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
    number = expect_int(column, index, raw, INTEGER)
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
