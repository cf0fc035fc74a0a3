"""The model of one router rendered as the SNMP rows an agent serves.

Pure: :func:`render` turns a router of a :class:`~sprmon.lab.model.WanModel`
into a :class:`MibView`, a sorted list of (OID, value) rows that the agent
answers GET and GETNEXT from (dictionary look-up and bisection). Values are
plain Python (:class:`MibValue`); pysnmp types are made only for the rows a
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
from enum import Enum
from functools import lru_cache
from typing import NamedTuple

from sprmon import snmp_oids
from sprmon.core.observed import OperStatus, Origin, PeerState
from sprmon.core.prefixes import prefix_version
from sprmon.lab.model import WanModel
from sprmon.snmp_oids import BgpPathEntry, BgpPeerEntry, IfEntry, IfXEntry

Oid = snmp_oids.Oid


class Syntax(Enum):
    INTEGER = "INTEGER"
    OCTET_STRING = "STRING"
    OBJECT_IDENTIFIER = "OID"
    IP_ADDRESS = "IpAddress"
    COUNTER32 = "Counter32"
    GAUGE32 = "Gauge32"
    TIME_TICKS = "Timeticks"
    COUNTER64 = "Counter64"


class MibValue(NamedTuple):
    """One value in plain Python.

    A NamedTuple rather than a frozen dataclass: a core router of a 200-site
    lab has about 9,000 rows re-rendered every tick, and a NamedTuple is made
    in a quarter of the time.
    """

    syntax: Syntax
    #: int for numbers, bytes for OCTET STRING and IpAddress (4 octets),
    #: a tuple of ints for OBJECT IDENTIFIER.
    value: int | bytes | tuple[int, ...]


# The numbers live in :mod:`sprmon.snmp_oids` (the collector reads the same objects).
SYSTEM = snmp_oids.SYSTEM
SYS_DESCR = snmp_oids.SYS_DESCR
SYS_OBJECT_ID = snmp_oids.SYS_OBJECT_ID
SYS_UP_TIME = snmp_oids.SYS_UP_TIME
SYS_NAME = snmp_oids.SYS_NAME
IF_NUMBER = snmp_oids.IF_NUMBER
IF_ENTRY = snmp_oids.IF_ENTRY
IFX_ENTRY = snmp_oids.IF_X_ENTRY
BGP = snmp_oids.BGP
BGP_VERSION = snmp_oids.BGP_VERSION
BGP_LOCAL_AS = snmp_oids.BGP_LOCAL_AS
BGP_PEER_ENTRY = snmp_oids.BGP_PEER_ENTRY
BGP_IDENTIFIER = snmp_oids.BGP_IDENTIFIER
BGP4_PATH_ATTR_ENTRY = snmp_oids.BGP_PATH_ENTRY

#: pysnmp's enterprise arc (SNMP Laboratories): the agent is pysnmp.
SYS_OBJECT_ID_VALUE = (1, 3, 6, 1, 4, 1, 20408)

# Column numbers (the row index follows them).
IF_INDEX = IfEntry.INDEX
IF_DESCR = IfEntry.DESCR
IF_TYPE = IfEntry.TYPE
IF_SPEED = IfEntry.SPEED
IF_ADMIN_STATUS = IfEntry.ADMIN_STATUS
IF_OPER_STATUS = IfEntry.OPER_STATUS
IF_IN_OCTETS = IfEntry.IN_OCTETS
IF_IN_DISCARDS = IfEntry.IN_DISCARDS
IF_IN_ERRORS = IfEntry.IN_ERRORS
IF_OUT_OCTETS = IfEntry.OUT_OCTETS
IF_OUT_DISCARDS = IfEntry.OUT_DISCARDS
IF_OUT_ERRORS = IfEntry.OUT_ERRORS
IF_NAME = IfXEntry.NAME
IF_HC_IN_OCTETS = IfXEntry.HC_IN_OCTETS
IF_HC_OUT_OCTETS = IfXEntry.HC_OUT_OCTETS
IF_HIGH_SPEED = IfXEntry.HIGH_SPEED
IF_COUNTER_DISCONTINUITY_TIME = IfXEntry.COUNTER_DISCONTINUITY_TIME
PEER_IDENTIFIER = BgpPeerEntry.IDENTIFIER
PEER_STATE = BgpPeerEntry.STATE
PEER_ADMIN_STATUS = BgpPeerEntry.ADMIN_STATUS
PEER_NEGOTIATED_VERSION = BgpPeerEntry.NEGOTIATED_VERSION
PEER_LOCAL_ADDR = BgpPeerEntry.LOCAL_ADDR
PEER_REMOTE_ADDR = BgpPeerEntry.REMOTE_ADDR
PEER_REMOTE_AS = BgpPeerEntry.REMOTE_AS
PEER_ESTABLISHED_TRANSITIONS = BgpPeerEntry.FSM_ESTABLISHED_TRANSITIONS
PEER_ESTABLISHED_TIME = BgpPeerEntry.FSM_ESTABLISHED_TIME
PATH_PEER = BgpPathEntry.PEER
PATH_PREFIX_LEN = BgpPathEntry.PREFIX_LEN
PATH_PREFIX = BgpPathEntry.PREFIX
PATH_ORIGIN = BgpPathEntry.ORIGIN
PATH_AS_PATH = BgpPathEntry.AS_PATH
PATH_NEXT_HOP = BgpPathEntry.NEXT_HOP
PATH_MED = BgpPathEntry.MED
PATH_LOCAL_PREF = BgpPathEntry.LOCAL_PREF
PATH_BEST = BgpPathEntry.BEST

_IF_COLUMNS = (
    IF_INDEX,
    IF_DESCR,
    IF_TYPE,
    IF_SPEED,
    IF_ADMIN_STATUS,
    IF_OPER_STATUS,
    IF_IN_OCTETS,
    IF_IN_DISCARDS,
    IF_IN_ERRORS,
    IF_OUT_OCTETS,
    IF_OUT_DISCARDS,
    IF_OUT_ERRORS,
)
_IFX_COLUMNS = (
    IF_NAME,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_HIGH_SPEED,
    IF_COUNTER_DISCONTINUITY_TIME,
)
_PEER_COLUMNS = (
    PEER_IDENTIFIER,
    PEER_STATE,
    PEER_ADMIN_STATUS,
    PEER_NEGOTIATED_VERSION,
    PEER_LOCAL_ADDR,
    PEER_REMOTE_ADDR,
    PEER_REMOTE_AS,
    PEER_ESTABLISHED_TRANSITIONS,
    PEER_ESTABLISHED_TIME,
)
_PATH_COLUMNS = (
    PATH_PEER,
    PATH_PREFIX_LEN,
    PATH_PREFIX,
    PATH_ORIGIN,
    PATH_AS_PATH,
    PATH_NEXT_HOP,
    PATH_MED,
    PATH_LOCAL_PREF,
    PATH_BEST,
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
        *((*IF_ENTRY, c) for c in _IF_COLUMNS),
        *((*IFX_ENTRY, c) for c in _IFX_COLUMNS),
        *((*BGP_PEER_ENTRY, c) for c in _PEER_COLUMNS),
        *((*BGP4_PATH_ATTR_ENTRY, c) for c in _PATH_COLUMNS),
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
    values: tuple[MibValue, ...]
    _by_oid: dict[Oid, MibValue] = field(repr=False, compare=False)

    @classmethod
    def from_rows(cls, rows: list[tuple[Oid, MibValue]]) -> MibView:
        rows.sort(key=lambda row: row[0])
        return cls(
            oids=tuple(oid for oid, _ in rows),
            values=tuple(value for _, value in rows),
            _by_oid=dict(rows),
        )

    def __len__(self) -> int:
        return len(self.oids)

    def get(self, oid: Oid) -> MibValue | None:
        return self._by_oid.get(oid)

    def next_after(self, oid: Oid) -> tuple[Oid, MibValue] | None:
        """The first row strictly after ``oid`` (GETNEXT), or None at the end of the view."""
        i = bisect.bisect_right(self.oids, oid)
        if i == len(self.oids):
            return None
        return self.oids[i], self.values[i]

    def rows(self, prefix: Oid = ()) -> list[tuple[Oid, MibValue]]:
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
    rows: list[tuple[Oid, MibValue]] = []
    add = rows.append
    kind = "core router" if model.is_core(router) else "site router"
    asn = model.asn(router)

    add(
        (
            (*SYS_DESCR, 0),
            MibValue(
                Syntax.OCTET_STRING,
                f"sprmon lab {kind} {router} (simulated), AS {asn}".encode(),
            ),
        )
    )
    add(((*SYS_OBJECT_ID, 0), MibValue(Syntax.OBJECT_IDENTIFIER, SYS_OBJECT_ID_VALUE)))
    add(((*SYS_UP_TIME, 0), MibValue(Syntax.TIME_TICKS, model.uptime_ticks(router) % 2**32)))
    add(((*SYS_NAME, 0), MibValue(Syntax.OCTET_STRING, router.encode())))

    interfaces = model.interfaces(router)
    add(((*IF_NUMBER, 0), MibValue(Syntax.INTEGER, len(interfaces))))
    for itf in interfaces:
        i = itf.index
        speed = itf.speed_bps or 0
        in_octets = itf.in_octets or 0
        out_octets = itf.out_octets or 0
        for column, value in (
            (IF_INDEX, MibValue(Syntax.INTEGER, i)),
            (IF_DESCR, MibValue(Syntax.OCTET_STRING, itf.name.encode())),
            (IF_TYPE, MibValue(Syntax.INTEGER, model.interface_type(router, i))),
            (IF_SPEED, MibValue(Syntax.GAUGE32, min(speed, _MAX_GAUGE32))),
            (IF_ADMIN_STATUS, MibValue(Syntax.INTEGER, 1)),
            (IF_OPER_STATUS, MibValue(Syntax.INTEGER, OPER_STATUS_CODES[itf.oper_status])),
            (IF_IN_OCTETS, MibValue(Syntax.COUNTER32, in_octets % 2**32)),
            (IF_IN_DISCARDS, MibValue(Syntax.COUNTER32, itf.in_discards or 0)),
            (IF_IN_ERRORS, MibValue(Syntax.COUNTER32, itf.in_errors or 0)),
            (IF_OUT_OCTETS, MibValue(Syntax.COUNTER32, out_octets % 2**32)),
            (IF_OUT_DISCARDS, MibValue(Syntax.COUNTER32, itf.out_discards or 0)),
            (IF_OUT_ERRORS, MibValue(Syntax.COUNTER32, itf.out_errors or 0)),
        ):
            add(((*IF_ENTRY, column, i), value))
        for column, value in (
            (IF_NAME, MibValue(Syntax.OCTET_STRING, itf.name.encode())),
            (IF_HC_IN_OCTETS, MibValue(Syntax.COUNTER64, in_octets)),
            (IF_HC_OUT_OCTETS, MibValue(Syntax.COUNTER64, out_octets)),
            (IF_HIGH_SPEED, MibValue(Syntax.GAUGE32, speed // 1_000_000)),
            (
                IF_COUNTER_DISCONTINUITY_TIME,
                MibValue(Syntax.TIME_TICKS, (itf.discontinuity_ticks or 0) % 2**32),
            ),
        ):
            add(((*IFX_ENTRY, column, i), value))

    add(((*BGP_VERSION, 0), MibValue(Syntax.OCTET_STRING, b"\x10")))  # bit 3: version 4
    add(((*BGP_LOCAL_AS, 0), MibValue(Syntax.INTEGER, asn if asn <= 0xFFFF else AS_TRANS)))
    add(((*BGP_IDENTIFIER, 0), MibValue(Syntax.IP_ADDRESS, _ipv4_octets(model.router_id(router)))))

    for info in model.peers(router):
        peer = info.peer
        if ":" in peer.address:  # BGP4-MIB has no IPv6 peers
            continue
        index = tuple(_ipv4_octets(peer.address))
        established = peer.state is PeerState.ESTABLISHED
        remote_as = peer.remote_as or 0
        for column, value in (
            (
                PEER_IDENTIFIER,
                MibValue(Syntax.IP_ADDRESS, _ipv4_octets(info.identifier or "0.0.0.0")),
            ),
            (PEER_STATE, MibValue(Syntax.INTEGER, PEER_STATE_CODES[peer.state])),
            (PEER_ADMIN_STATUS, MibValue(Syntax.INTEGER, _ADMIN_START)),
            (PEER_NEGOTIATED_VERSION, MibValue(Syntax.INTEGER, 4 if established else 0)),
            (PEER_LOCAL_ADDR, MibValue(Syntax.IP_ADDRESS, _ipv4_octets(info.local_address))),
            (PEER_REMOTE_ADDR, MibValue(Syntax.IP_ADDRESS, bytes(index))),
            (PEER_REMOTE_AS, MibValue(Syntax.INTEGER, min(remote_as, 0xFFFF))),
            (
                PEER_ESTABLISHED_TRANSITIONS,
                MibValue(Syntax.COUNTER32, info.established_transitions % 2**32),
            ),
            (
                PEER_ESTABLISHED_TIME,
                MibValue(Syntax.GAUGE32, min(int(peer.established_for_s or 0), _MAX_GAUGE32)),
            ),
        ):
            add(((*BGP_PEER_ENTRY, column, *index), value))

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
            (PATH_PEER, MibValue(Syntax.IP_ADDRESS, peer_octets)),
            (PATH_PREFIX_LEN, MibValue(Syntax.INTEGER, length)),
            (PATH_PREFIX, MibValue(Syntax.IP_ADDRESS, prefix_octets)),
            (
                PATH_ORIGIN,
                MibValue(Syntax.INTEGER, ORIGIN_CODES[path.origin or Origin.INCOMPLETE]),
            ),
            (PATH_AS_PATH, MibValue(Syntax.OCTET_STRING, as_path_segments(path.as_path))),
            (PATH_NEXT_HOP, MibValue(Syntax.IP_ADDRESS, _ipv4_octets(next_hop))),
            (
                PATH_MED,
                # The MIB's INTEGER cannot hold MEDs above 2**31 - 1.
                MibValue(
                    Syntax.INTEGER, _NO_VALUE if path.med is None else min(path.med, 2**31 - 1)
                ),
            ),
            (
                PATH_LOCAL_PREF,
                MibValue(Syntax.INTEGER, _NO_VALUE if path.local_pref is None else path.local_pref),
            ),
            (PATH_BEST, MibValue(Syntax.INTEGER, 2 if path.best else 1)),
        ):
            add(((*BGP4_PATH_ATTR_ENTRY, column, *index), value))

    return MibView.from_rows(rows)
