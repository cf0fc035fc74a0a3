"""The model of one router rendered as the SNMP rows an agent serves.

Pure: :func:`render` turns a router of a :class:`~sprmon.lab.model.WanModel`
into a :class:`MibView`, a sorted list of (OID, value) rows that the agent
answers GET and GETNEXT from (dictionary look-up and bisection). Values are
plain Python (:class:`~sprmon.smi.SnmpValue`); the agents encode only the rows a
request returns (:mod:`sprmon.lab.v2c_responder`, :mod:`sprmon.lab.pysnmp_agents`).

A view is cheap to make however many rows it has. Rendering reads the
router's interfaces, sessions and paths as of the model's time (a
:class:`Readings`), and a value is computed from them only when a request
asks for its row. The sorted OIDs (a :class:`Skeleton`) change only when
the router's paths do, so :class:`ViewCache`, which keeps each router's view
until the model changes, keeps the skeletons for good: a core router of a
1,000-site lab has 44,000 rows, which took 0.8 s to build and sort on every
tick, and now takes the 0.1 s of reading 1,000 interfaces and sessions.

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
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any, Generic, TypeVar

from sprmon.core.observed import BgpPath, Interface, OperStatus, Origin, PeerState
from sprmon.lab.model import WanModel
from sprmon.lab.state import PeerInfo
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

#: pysnmp's enterprise arc (SNMP Laboratories): the lab's first agents were
#: pysnmp's, and the native v2c agents answer exactly as they did.
SYS_OBJECT_ID_VALUE = (1, 3, 6, 1, 4, 1, 20408)

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


#: How a row's value is made: ``function(readings, position)``, where the
#: position is the row's interface, peer or path in the readings.
Cell = tuple[Callable[[Any, int], SnmpValue], int]


class MibView:
    """The rows one agent serves, sorted by OID; values are computed when asked."""

    __slots__ = ("_cells", "_index", "_readings", "_values", "oids")

    def __init__(
        self, oids: tuple[Oid, ...], index: dict[Oid, int], cells: tuple[Cell, ...], readings: Any
    ) -> None:
        self.oids = oids
        self._index = index
        self._cells = cells
        self._readings = readings
        self._values: tuple[SnmpValue, ...] | None = None

    @classmethod
    def from_rows(cls, rows: list[tuple[Oid, SnmpValue]]) -> MibView:
        """A view of fixed rows (in any order)."""
        rows = sorted(rows, key=itemgetter(0))
        oids = tuple(oid for oid, _ in rows)
        return cls(
            oids,
            {oid: i for i, oid in enumerate(oids)},
            tuple((_nth, i) for i in range(len(rows))),
            tuple(value for _, value in rows),
        )

    def __len__(self) -> int:
        return len(self.oids)

    def value_at(self, position: int) -> SnmpValue:
        """The value of the row at ``position`` (0: the first OID)."""
        make, k = self._cells[position]
        return make(self._readings, k)

    @property
    def values(self) -> tuple[SnmpValue, ...]:
        """Every row's value, in OID order."""
        if self._values is None:
            self._values = tuple(self.value_at(i) for i in range(len(self.oids)))
        return self._values

    def get(self, oid: Oid) -> SnmpValue | None:
        position = self._index.get(oid)
        return None if position is None else self.value_at(position)

    def next_after(self, oid: Oid) -> tuple[Oid, SnmpValue] | None:
        """The first row strictly after ``oid`` (GETNEXT), or None at the end of the view."""
        i = bisect.bisect_right(self.oids, oid)
        if i == len(self.oids):
            return None
        return self.oids[i], self.value_at(i)

    def rows(self, prefix: Oid = ()) -> list[tuple[Oid, SnmpValue]]:
        """The rows under ``prefix`` (what a walk of ``prefix`` returns)."""
        start = bisect.bisect_left(self.oids, prefix)
        result = []
        for i in range(start, len(self.oids)):
            if self.oids[i][: len(prefix)] != prefix:
                break
            result.append((self.oids[i], self.value_at(i)))
        return result


def _nth(values: tuple[SnmpValue, ...], k: int) -> SnmpValue:
    return values[k]


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


@dataclass(frozen=True, slots=True)
class Readings:
    """What one router shows at one instant: the inputs of every row's value.

    Only what BGP4-MIB can show is kept: IPv4 peers and IPv4 paths.
    """

    descr: bytes
    name: bytes
    asn: int
    identifier: bytes
    uptime_ticks: int
    interfaces: tuple[Interface, ...]
    if_types: tuple[int, ...]
    peers: tuple[PeerInfo, ...]
    paths: tuple[BgpPath, ...]

    @classmethod
    def of(cls, model: WanModel, router: str) -> Readings:
        kind = "core router" if model.is_core(router) else "site router"
        asn = model.asn(router)
        interfaces = model.interfaces(router)
        return cls(
            descr=f"sprmon lab {kind} {router} (simulated), AS {asn}".encode(),
            name=router.encode(),
            asn=asn,
            identifier=_ipv4_octets(model.router_id(router)),
            uptime_ticks=model.uptime_ticks(router),
            interfaces=interfaces,
            if_types=tuple(model.interface_type(router, i.index) for i in interfaces),
            peers=tuple(info for info in model.peers(router) if ":" not in info.peer.address),
            paths=tuple(p for p in model.paths(router) if ":" not in p.prefix + p.peer),
        )

    def key(self) -> tuple[object, ...]:
        """What decides which rows there are: a skeleton with this key fits."""
        return (
            tuple(i.index for i in self.interfaces),
            tuple(info.peer.address for info in self.peers),
            tuple((path.prefix, path.peer) for path in self.paths),
        )


def _integer(value: int) -> SnmpValue:
    return SnmpValue(ValueKind.INTEGER, value)


def _octets(value: bytes) -> SnmpValue:
    return SnmpValue(ValueKind.OCTET_STRING, value)


def _address(value: str) -> SnmpValue:
    return SnmpValue(ValueKind.IP_ADDRESS, _ipv4_octets(value))


def _counter32(value: int | None) -> SnmpValue:
    return SnmpValue(ValueKind.COUNTER32, (value or 0) % 2**32)


def _gauge32(value: int) -> SnmpValue:
    return SnmpValue(ValueKind.GAUGE32, min(value, _MAX_GAUGE32))


def _path_prefix(path: BgpPath) -> tuple[bytes, int]:
    network, length = path.prefix.split("/")
    return _ipv4_octets(network), int(length)


R = Readings
_SCALARS: dict[Oid, Callable[[R, int], SnmpValue]] = {
    (*SYS_DESCR, 0): lambda r, _: _octets(r.descr),
    (*SYS_OBJECT_ID, 0): lambda r, _: SnmpValue(ValueKind.OBJECT_IDENTIFIER, SYS_OBJECT_ID_VALUE),
    (*SYS_UP_TIME, 0): lambda r, _: SnmpValue(ValueKind.TIMETICKS, r.uptime_ticks % 2**32),
    (*SYS_NAME, 0): lambda r, _: _octets(r.name),
    (*IF_NUMBER, 0): lambda r, _: _integer(len(r.interfaces)),
    (*BGP_VERSION, 0): lambda r, _: _octets(b"\x10"),  # bit 3: version 4
    (*BGP_LOCAL_AS, 0): lambda r, _: _integer(r.asn if r.asn <= 0xFFFF else AS_TRANS),
    (*BGP_IDENTIFIER, 0): lambda r, _: SnmpValue(ValueKind.IP_ADDRESS, r.identifier),
}
_INTERFACE_VALUES: dict[Oid, Callable[[R, int], SnmpValue]] = {
    IfEntry.INDEX: lambda r, k: _integer(r.interfaces[k].index),
    IfEntry.DESCR: lambda r, k: _octets(r.interfaces[k].name.encode()),
    IfEntry.TYPE: lambda r, k: _integer(r.if_types[k]),
    IfEntry.SPEED: lambda r, k: _gauge32(r.interfaces[k].speed_bps or 0),
    IfEntry.ADMIN_STATUS: lambda r, k: _integer(1),
    IfEntry.OPER_STATUS: lambda r, k: _integer(OPER_STATUS_CODES[r.interfaces[k].oper_status]),
    IfEntry.IN_OCTETS: lambda r, k: _counter32(r.interfaces[k].in_octets),
    IfEntry.IN_DISCARDS: lambda r, k: _counter32(r.interfaces[k].in_discards),
    IfEntry.IN_ERRORS: lambda r, k: _counter32(r.interfaces[k].in_errors),
    IfEntry.OUT_OCTETS: lambda r, k: _counter32(r.interfaces[k].out_octets),
    IfEntry.OUT_DISCARDS: lambda r, k: _counter32(r.interfaces[k].out_discards),
    IfEntry.OUT_ERRORS: lambda r, k: _counter32(r.interfaces[k].out_errors),
    IfXEntry.NAME: lambda r, k: _octets(r.interfaces[k].name.encode()),
    IfXEntry.HC_IN_OCTETS: lambda r, k: SnmpValue(
        ValueKind.COUNTER64, r.interfaces[k].in_octets or 0
    ),
    IfXEntry.HC_OUT_OCTETS: lambda r, k: SnmpValue(
        ValueKind.COUNTER64, r.interfaces[k].out_octets or 0
    ),
    IfXEntry.HIGH_SPEED: lambda r, k: SnmpValue(
        ValueKind.GAUGE32, (r.interfaces[k].speed_bps or 0) // 1_000_000
    ),
    IfXEntry.COUNTER_DISCONTINUITY_TIME: lambda r, k: SnmpValue(
        ValueKind.TIMETICKS, (r.interfaces[k].discontinuity_ticks or 0) % 2**32
    ),
}
_PEER_VALUES: dict[Oid, Callable[[R, int], SnmpValue]] = {
    BgpPeerEntry.IDENTIFIER: lambda r, k: _address(r.peers[k].identifier or "0.0.0.0"),
    BgpPeerEntry.STATE: lambda r, k: _integer(PEER_STATE_CODES[r.peers[k].peer.state]),
    BgpPeerEntry.ADMIN_STATUS: lambda r, k: _integer(_ADMIN_START),
    BgpPeerEntry.NEGOTIATED_VERSION: lambda r, k: _integer(
        4 if r.peers[k].peer.state is PeerState.ESTABLISHED else 0
    ),
    BgpPeerEntry.LOCAL_ADDR: lambda r, k: _address(r.peers[k].local_address),
    BgpPeerEntry.REMOTE_ADDR: lambda r, k: _address(r.peers[k].peer.address),
    BgpPeerEntry.REMOTE_AS: lambda r, k: _integer(min(r.peers[k].peer.remote_as or 0, 0xFFFF)),
    BgpPeerEntry.FSM_ESTABLISHED_TRANSITIONS: lambda r, k: _counter32(
        r.peers[k].established_transitions
    ),
    BgpPeerEntry.FSM_ESTABLISHED_TIME: lambda r, k: _gauge32(
        int(r.peers[k].peer.established_for_s or 0)
    ),
}
_PATH_VALUES: dict[Oid, Callable[[R, int], SnmpValue]] = {
    BgpPathEntry.PEER: lambda r, k: _address(r.paths[k].peer),
    BgpPathEntry.PREFIX_LEN: lambda r, k: _integer(_path_prefix(r.paths[k])[1]),
    BgpPathEntry.PREFIX: lambda r, k: SnmpValue(ValueKind.IP_ADDRESS, _path_prefix(r.paths[k])[0]),
    BgpPathEntry.ORIGIN: lambda r, k: _integer(
        ORIGIN_CODES[r.paths[k].origin or Origin.INCOMPLETE]
    ),
    BgpPathEntry.AS_PATH: lambda r, k: _octets(as_path_segments(r.paths[k].as_path)),
    BgpPathEntry.NEXT_HOP: lambda r, k: _address(r.paths[k].next_hop or "0.0.0.0"),
    # The MIB's INTEGER cannot hold MEDs above 2**31 - 1.
    BgpPathEntry.MED: lambda r, k: _integer(
        _NO_VALUE if r.paths[k].med is None else min(r.paths[k].med or 0, 2**31 - 1)
    ),
    BgpPathEntry.LOCAL_PREF: lambda r, k: _integer(
        _NO_VALUE if r.paths[k].local_pref is None else r.paths[k].local_pref or 0
    ),
    BgpPathEntry.BEST: lambda r, k: _integer(2 if r.paths[k].best else 1),
}


#: Every object the agent implements (scalars without their ``.0``, table
#: columns). A GET inside one of them that finds no row is ``noSuchInstance``;
#: anywhere else it is ``noSuchObject``.
KNOWN_OBJECTS: frozenset[Oid] = frozenset(
    {scalar[:-1] for scalar in _SCALARS}
    | set(_INTERFACE_VALUES)
    | set(_PEER_VALUES)
    | set(_PATH_VALUES)
)
_KNOWN_LENGTHS = sorted({len(oid) for oid in KNOWN_OBJECTS})


@dataclass(frozen=True, slots=True)
class Skeleton:
    """The sorted OIDs of a router's rows and how each value is made; see :meth:`Readings.key`."""

    key: tuple[object, ...]
    oids: tuple[Oid, ...]
    index: dict[Oid, int]
    cells: tuple[Cell, ...]

    @classmethod
    def of(cls, readings: Readings, key: tuple[object, ...]) -> Skeleton:
        rows: list[tuple[Oid, Callable[[R, int], SnmpValue], int]] = [
            (oid, make, 0) for oid, make in _SCALARS.items()
        ]
        for k, interface in enumerate(readings.interfaces):
            rows.extend(
                ((*column, interface.index), make, k) for column, make in _INTERFACE_VALUES.items()
            )
        for k, info in enumerate(readings.peers):
            peer = tuple(_ipv4_octets(info.peer.address))
            rows.extend(((*column, *peer), make, k) for column, make in _PEER_VALUES.items())
        for k, path in enumerate(readings.paths):
            prefix, length = _path_prefix(path)
            index = (*prefix, length, *_ipv4_octets(path.peer))
            rows.extend(((*column, *index), make, k) for column, make in _PATH_VALUES.items())
        rows.sort(key=itemgetter(0))
        oids = tuple(row[0] for row in rows)
        return cls(
            key=key,
            oids=oids,
            index={oid: i for i, oid in enumerate(oids)},
            cells=tuple((make, k) for _, make, k in rows),
        )


def render(model: WanModel, router: str, skeletons: dict[str, Skeleton] | None = None) -> MibView:
    """Every row of ``router`` as of the model's time.

    ``skeletons``: the router's skeleton is taken from there if it still fits,
    and stored there if it was built.
    """
    readings = Readings.of(model, router)
    key = readings.key()
    skeleton = None if skeletons is None else skeletons.get(router)
    if skeleton is None or skeleton.key != key:
        skeleton = Skeleton.of(readings, key)
        if skeletons is not None:
            skeletons[router] = skeleton
    return MibView(skeleton.oids, skeleton.index, skeleton.cells, readings)


T = TypeVar("T")


class ViewCache(Generic[T]):
    """Each router's view as of the model's current generation, built on first use.

    ``build`` makes the cached form from a router's rendered :class:`MibView`.
    When the model moves on (a tick, a fault) every cached view is dropped at
    the next look-up, so memory holds only the routers asked since then; the
    skeletons (which rows there are) stay, and are rebuilt only when a
    router's paths change.
    """

    def __init__(self, model: WanModel, build: Callable[[MibView], T]) -> None:
        self._model = model
        self._build = build
        self._generation = model.generation
        self._views: dict[str, T] = {}
        self._skeletons: dict[str, Skeleton] = {}

    def view(self, router: str) -> T:
        if self._generation != self._model.generation:
            self._views.clear()
            self._generation = self._model.generation
        view = self._views.get(router)
        if view is None:
            view = self._views[router] = self._build(render(self._model, router, self._skeletons))
        return view
