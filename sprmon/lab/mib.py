"""The model of one router rendered as the SNMP rows an agent serves.

Pure: :func:`render` turns a router of a :class:`~sprmon.lab.model.WanModel`
into a :class:`MibView`, a sorted list of (OID, value) rows that the agent
answers GET and GETNEXT from (dictionary look-up and bisection). Values are
plain Python (:class:`~sprmon.smi.SnmpValue`); pysnmp types are made only for the rows a
request returns, in :mod:`sprmon.lab.agents`.

Served: SNMPv2-MIB sysDescr, sysObjectID, sysUpTime, sysName; IF-MIB ifNumber,
ifTable (ifIndex, ifDescr, ifType, ifSpeed, ifAdminStatus, ifOperStatus,
ifIn/OutOctets, ifIn/OutDiscards, ifIn/OutErrors) and ifXTable (ifName,
ifHCIn/OutOctets, ifHighSpeed, ifCounterDiscontinuityTime); BGP4-MIB (RFC 4273)
bgpVersion, bgpLocalAs, bgpIdentifier, bgpPeerTable and bgp4PathAttrTable.
BGP4-MIB is IPv4-only: IPv6 paths are not rendered.
"""

from __future__ import annotations

import bisect
import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache

from sprmon.core.observed import OperStatus, Origin, PeerState
from sprmon.core.prefixes import prefix_version
from sprmon.lab.model import WanModel
from sprmon.smi import Oid, SnmpValue, ValueKind
from sprmon.snmp_oids import (
    BGP_IDENTIFIER,
    BGP_LOCAL_AS,
    BGP_VERSION,
    IF_NUMBER,
    SYS_DESCR,
    SYS_NAME,
    SYS_OBJECT_ID,
    SYS_UP_TIME,
    BgpPathEntry,
    BgpPeerEntry,
    IfEntry,
    IfXEntry,
)

#: pysnmp's enterprise arc (SNMP Laboratories): the agent is pysnmp.
SYS_OBJECT_ID_VALUE = (1, 3, 6, 1, 4, 1, 20408)

_IF_COLUMNS = (
    IfEntry.INDEX,
    IfEntry.DESCR,
    IfEntry.TYPE,
    IfEntry.SPEED,
    IfEntry.ADMIN_STATUS,
    IfEntry.OPER_STATUS,
    IfEntry.IN_OCTETS,
    IfEntry.IN_DISCARDS,
    IfEntry.IN_ERRORS,
    IfEntry.OUT_OCTETS,
    IfEntry.OUT_DISCARDS,
    IfEntry.OUT_ERRORS,
)
_IFX_COLUMNS = (
    IfXEntry.NAME,
    IfXEntry.HC_IN_OCTETS,
    IfXEntry.HC_OUT_OCTETS,
    IfXEntry.HIGH_SPEED,
    IfXEntry.COUNTER_DISCONTINUITY_TIME,
)
_PEER_COLUMNS = (
    BgpPeerEntry.IDENTIFIER,
    BgpPeerEntry.STATE,
    BgpPeerEntry.ADMIN_STATUS,
    BgpPeerEntry.NEGOTIATED_VERSION,
    BgpPeerEntry.LOCAL_ADDR,
    BgpPeerEntry.REMOTE_ADDR,
    BgpPeerEntry.REMOTE_AS,
    BgpPeerEntry.FSM_ESTABLISHED_TRANSITIONS,
    BgpPeerEntry.FSM_ESTABLISHED_TIME,
)
_PATH_COLUMNS = (
    BgpPathEntry.PEER,
    BgpPathEntry.PREFIX_LEN,
    BgpPathEntry.PREFIX,
    BgpPathEntry.ORIGIN,
    BgpPathEntry.AS_PATH,
    BgpPathEntry.NEXT_HOP,
    BgpPathEntry.MED,
    BgpPathEntry.LOCAL_PREF,
    BgpPathEntry.BEST,
)

#: Every object the agent implements (scalars without their ``.0``, table
#: columns). A GET inside one of them that finds no row is ``noSuchInstance``;
#: anywhere else it is ``noSuchObject``.
KNOWN_OBJECTS: frozenset[Oid] = frozenset(
    {
        SYS_DESCR,
        SYS_OBJECT_ID,
        SYS_UP_TIME,
        SYS_NAME,
        IF_NUMBER,
        BGP_VERSION,
        BGP_LOCAL_AS,
        BGP_IDENTIFIER,
        *_IF_COLUMNS,
        *_IFX_COLUMNS,
        *_PEER_COLUMNS,
        *_PATH_COLUMNS,
    }
)

_KNOWN_LENGTHS = sorted({len(oid) for oid in KNOWN_OBJECTS})

PEER_STATE_CODES = {
    PeerState.IDLE: 1,
    PeerState.CONNECT: 2,
    PeerState.ACTIVE: 3,
    PeerState.OPENSENT: 4,
    PeerState.OPENCONFIRM: 5,
    PeerState.ESTABLISHED: 6,
}
ORIGIN_CODES = {Origin.IGP: 1, Origin.EGP: 2, Origin.INCOMPLETE: 3}
OPER_STATUS_CODES = {
    OperStatus.UP: 1,
    OperStatus.DOWN: 2,
    OperStatus.TESTING: 3,
    OperStatus.UNKNOWN: 4,
    OperStatus.DORMANT: 5,
    OperStatus.NOT_PRESENT: 6,
    OperStatus.LOWER_LAYER_DOWN: 7,
}
AS_SEQUENCE = 2
#: RFC 6793: a 4-octet AS number shows as AS_TRANS in a 2-octet AS path.
AS_TRANS = 23456
_ADMIN_START = 2
_NO_VALUE = -1  # BGP4-MIB's "absent" for MED and local preference
_MAX_GAUGE32 = 2**32 - 1


@dataclass(frozen=True, slots=True)
class MibView:
    """The rows one agent serves, sorted by OID."""

    oids: tuple[Oid, ...]
    values: tuple[SnmpValue, ...]
    _by_oid: dict[Oid, SnmpValue] = field(repr=False, compare=False)

    @classmethod
    def from_rows(cls, rows: list[tuple[Oid, SnmpValue]]) -> MibView:
        rows.sort(key=lambda row: row[0])
        return cls(
            oids=tuple(oid for oid, _ in rows),
            values=tuple(value for _, value in rows),
            _by_oid=dict(rows),
        )

    def __len__(self) -> int:
        return len(self.oids)

    def get(self, oid: Oid) -> SnmpValue | None:
        return self._by_oid.get(oid)

    def next_after(self, oid: Oid) -> tuple[Oid, SnmpValue] | None:
        """The first row strictly after ``oid`` (GETNEXT), or None at the end of the view."""
        i = bisect.bisect_right(self.oids, oid)
        if i == len(self.oids):
            return None
        return self.oids[i], self.values[i]

    def rows(self, prefix: Oid = ()) -> list[tuple[Oid, SnmpValue]]:
        """The rows under ``prefix`` (what a walk of ``prefix`` returns)."""
        start = bisect.bisect_left(self.oids, prefix)
        result = []
        for i in range(start, len(self.oids)):
            if self.oids[i][: len(prefix)] != prefix:
                break
            result.append((self.oids[i], self.values[i]))
        return result


def is_known_object(oid: Oid) -> bool:
    """True if ``oid`` is one of :data:`KNOWN_OBJECTS` or inside one."""
    return any(oid[:n] in KNOWN_OBJECTS for n in _KNOWN_LENGTHS if n <= len(oid))


@lru_cache(maxsize=65536)
def _ipv4_octets(address: str) -> bytes:
    return ipaddress.IPv4Address(address).packed


def as_path_segments(as_path: tuple[int, ...]) -> bytes:
    """bgp4PathAttrASPathSegment: one AS_SEQUENCE of 2-octet AS numbers."""
    if not as_path:
        return b""
    out = bytearray()
    # A segment holds at most 255 AS numbers.
    for start in range(0, len(as_path), 255):
        chunk = as_path[start : start + 255]
        out += bytes((AS_SEQUENCE, len(chunk)))
        for asn in chunk:
            out += (asn if asn <= 0xFFFF else AS_TRANS).to_bytes(2, "big")
    return bytes(out)


def render(model: WanModel, router: str) -> MibView:
    """Every row of ``router`` as of the model's time."""
    rows: list[tuple[Oid, SnmpValue]] = []
    add = rows.append
    kind = "core router" if model.is_core(router) else "site router"
    asn = model.asn(router)

    add(
        (
            (*SYS_DESCR, 0),
            SnmpValue(
                ValueKind.OCTET_STRING,
                f"sprmon lab {kind} {router} (simulated), AS {asn}".encode(),
            ),
        )
    )
    add(((*SYS_OBJECT_ID, 0), SnmpValue(ValueKind.OBJECT_IDENTIFIER, SYS_OBJECT_ID_VALUE)))
    add(((*SYS_UP_TIME, 0), SnmpValue(ValueKind.TIMETICKS, model.uptime_ticks(router) % 2**32)))
    add(((*SYS_NAME, 0), SnmpValue(ValueKind.OCTET_STRING, router.encode())))

    interfaces = model.interfaces(router)
    add(((*IF_NUMBER, 0), SnmpValue(ValueKind.INTEGER, len(interfaces))))
    for itf in interfaces:
        i = itf.index
        speed = itf.speed_bps or 0
        in_octets = itf.in_octets or 0
        out_octets = itf.out_octets or 0
        for column, value in (
            (IfEntry.INDEX, SnmpValue(ValueKind.INTEGER, i)),
            (IfEntry.DESCR, SnmpValue(ValueKind.OCTET_STRING, itf.name.encode())),
            (IfEntry.TYPE, SnmpValue(ValueKind.INTEGER, model.interface_type(router, i))),
            (IfEntry.SPEED, SnmpValue(ValueKind.GAUGE32, min(speed, _MAX_GAUGE32))),
            (IfEntry.ADMIN_STATUS, SnmpValue(ValueKind.INTEGER, 1)),
            (IfEntry.OPER_STATUS, SnmpValue(ValueKind.INTEGER, OPER_STATUS_CODES[itf.oper_status])),
            (IfEntry.IN_OCTETS, SnmpValue(ValueKind.COUNTER32, in_octets % 2**32)),
            (IfEntry.IN_DISCARDS, SnmpValue(ValueKind.COUNTER32, itf.in_discards or 0)),
            (IfEntry.IN_ERRORS, SnmpValue(ValueKind.COUNTER32, itf.in_errors or 0)),
            (IfEntry.OUT_OCTETS, SnmpValue(ValueKind.COUNTER32, out_octets % 2**32)),
            (IfEntry.OUT_DISCARDS, SnmpValue(ValueKind.COUNTER32, itf.out_discards or 0)),
            (IfEntry.OUT_ERRORS, SnmpValue(ValueKind.COUNTER32, itf.out_errors or 0)),
        ):
            add(((*column, i), value))
        for column, value in (
            (IfXEntry.NAME, SnmpValue(ValueKind.OCTET_STRING, itf.name.encode())),
            (IfXEntry.HC_IN_OCTETS, SnmpValue(ValueKind.COUNTER64, in_octets)),
            (IfXEntry.HC_OUT_OCTETS, SnmpValue(ValueKind.COUNTER64, out_octets)),
            (IfXEntry.HIGH_SPEED, SnmpValue(ValueKind.GAUGE32, speed // 1_000_000)),
            (
                IfXEntry.COUNTER_DISCONTINUITY_TIME,
                SnmpValue(ValueKind.TIMETICKS, (itf.discontinuity_ticks or 0) % 2**32),
            ),
        ):
            add(((*column, i), value))

    add(((*BGP_VERSION, 0), SnmpValue(ValueKind.OCTET_STRING, b"\x10")))  # bit 3: version 4
    add(((*BGP_LOCAL_AS, 0), SnmpValue(ValueKind.INTEGER, asn if asn <= 0xFFFF else AS_TRANS)))
    add(
        (
            (*BGP_IDENTIFIER, 0),
            SnmpValue(ValueKind.IP_ADDRESS, _ipv4_octets(model.router_id(router))),
        )
    )

    for info in model.peers(router):
        peer = info.peer
        if ":" in peer.address:  # BGP4-MIB has no IPv6 peers
            continue
        index = tuple(_ipv4_octets(peer.address))
        established = peer.state is PeerState.ESTABLISHED
        remote_as = peer.remote_as or 0
        for column, value in (
            (
                BgpPeerEntry.IDENTIFIER,
                SnmpValue(ValueKind.IP_ADDRESS, _ipv4_octets(info.identifier or "0.0.0.0")),
            ),
            (BgpPeerEntry.STATE, SnmpValue(ValueKind.INTEGER, PEER_STATE_CODES[peer.state])),
            (BgpPeerEntry.ADMIN_STATUS, SnmpValue(ValueKind.INTEGER, _ADMIN_START)),
            (
                BgpPeerEntry.NEGOTIATED_VERSION,
                SnmpValue(ValueKind.INTEGER, 4 if established else 0),
            ),
            (
                BgpPeerEntry.LOCAL_ADDR,
                SnmpValue(ValueKind.IP_ADDRESS, _ipv4_octets(info.local_address)),
            ),
            (BgpPeerEntry.REMOTE_ADDR, SnmpValue(ValueKind.IP_ADDRESS, bytes(index))),
            (BgpPeerEntry.REMOTE_AS, SnmpValue(ValueKind.INTEGER, min(remote_as, 0xFFFF))),
            (
                BgpPeerEntry.FSM_ESTABLISHED_TRANSITIONS,
                SnmpValue(ValueKind.COUNTER32, info.established_transitions % 2**32),
            ),
            (
                BgpPeerEntry.FSM_ESTABLISHED_TIME,
                SnmpValue(ValueKind.GAUGE32, min(int(peer.established_for_s or 0), _MAX_GAUGE32)),
            ),
        ):
            add(((*column, *index), value))

    for path in model.paths(router):
        if prefix_version(path.prefix) != 4 or ":" in path.peer:
            continue
        network, length_text = path.prefix.split("/")
        length = int(length_text)
        prefix_octets = _ipv4_octets(network)
        peer_octets = _ipv4_octets(path.peer)
        index = (*prefix_octets, length, *peer_octets)
        next_hop = path.next_hop or "0.0.0.0"
        for column, value in (
            (BgpPathEntry.PEER, SnmpValue(ValueKind.IP_ADDRESS, peer_octets)),
            (BgpPathEntry.PREFIX_LEN, SnmpValue(ValueKind.INTEGER, length)),
            (BgpPathEntry.PREFIX, SnmpValue(ValueKind.IP_ADDRESS, prefix_octets)),
            (
                BgpPathEntry.ORIGIN,
                SnmpValue(ValueKind.INTEGER, ORIGIN_CODES[path.origin or Origin.INCOMPLETE]),
            ),
            (
                BgpPathEntry.AS_PATH,
                SnmpValue(ValueKind.OCTET_STRING, as_path_segments(path.as_path)),
            ),
            (BgpPathEntry.NEXT_HOP, SnmpValue(ValueKind.IP_ADDRESS, _ipv4_octets(next_hop))),
            (
                BgpPathEntry.MED,
                # The MIB's INTEGER cannot hold MEDs above 2**31 - 1.
                SnmpValue(
                    ValueKind.INTEGER, _NO_VALUE if path.med is None else min(path.med, 2**31 - 1)
                ),
            ),
            (
                BgpPathEntry.LOCAL_PREF,
                SnmpValue(
                    ValueKind.INTEGER, _NO_VALUE if path.local_pref is None else path.local_pref
                ),
            ),
            (BgpPathEntry.BEST, SnmpValue(ValueKind.INTEGER, 2 if path.best else 1)),
        ):
            add(((*column, *index), value))

    return MibView.from_rows(rows)
