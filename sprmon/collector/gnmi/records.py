"""The records a :class:`~sprmon.collector.gnmi.store.SiteStore` keeps, and how each leaf decodes.

One small mutable record per entry (interface, neighbour, attribute set,
AS-path segment, community set, Loc-RIB route), with ``__slots__``: a site's
store holds thousands of them and updates them in place. The ``*_LEAVES``
tables say which OpenConfig leaf (below its entry) sets which attribute, with
which decoder, and whether it is a counter (a counter sample counts as news
even when its value did not move). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, TypeVar

from sprmon.collector.gnmi.values import (
    Malformed,
    as_bool,
    as_name,
    as_str_list,
    as_uint,
    as_uint_list,
)
from sprmon.core.observed import OperStatus, Origin, PeerState
from sprmon.core.prefixes import Prefix
from sprmon.smi import SPEED_BPS_MAX

_E = TypeVar("_E", bound=Enum)

_U32 = 0xFFFF_FFFF


class Record:
    __slots__ = ("bad",)

    def __init__(self) -> None:
        #: Leaves whose last value did not decode -> why.
        self.bad: dict[tuple[str, ...], str] | None = None


class IfRecord(Record):
    __slots__ = (
        "ifindex",
        "in_discards",
        "in_errors",
        "in_octets",
        "last_clear",
        "oper",
        "out_discards",
        "out_errors",
        "out_octets",
        "speed",
    )

    def __init__(self) -> None:
        super().__init__()
        self.ifindex: int | None = None
        self.oper: OperStatus | None = None
        self.speed: int | None = None
        self.in_octets: int | None = None
        self.out_octets: int | None = None
        self.in_errors: int | None = None
        self.out_errors: int | None = None
        self.in_discards: int | None = None
        self.out_discards: int | None = None
        self.last_clear: int | None = None


class NeighborRecord(Record):
    __slots__ = ("last_established", "peer_as", "state", "transitions")

    def __init__(self) -> None:
        super().__init__()
        self.state: PeerState | None = None
        self.peer_as: int | None = None
        self.last_established: int | None = None
        self.transitions: int | None = None


class SegmentRecord(Record):
    __slots__ = ("members", "type")

    def __init__(self) -> None:
        super().__init__()
        self.type: str | None = None
        self.members: tuple[int, ...] = ()


class AttrRecord(Record):
    __slots__ = ("local_pref", "med", "next_hop", "origin", "segments")

    def __init__(self) -> None:
        super().__init__()
        self.origin: Origin | None = None
        self.next_hop: str | None = None
        self.med: int | None = None
        self.local_pref: int | None = None
        self.segments: dict[str, SegmentRecord] = {}


class CommunityRecord(Record):
    __slots__ = ("communities",)

    def __init__(self) -> None:
        super().__init__()
        self.communities: tuple[str, ...] = ()


class RouteRecord(Record):
    __slots__ = ("attr_index", "community_index", "reject", "valid")

    def __init__(self) -> None:
        super().__init__()
        self.attr_index: str | None = None
        self.community_index: str | None = None
        self.reject: str | None = None
        self.valid: bool | None = None


#: (family, prefix, origin, path-id), canonical.
RouteKey = tuple[str, Prefix, str, str]


def _identity(kind: type[_E], what: str) -> Callable[[object], _E]:
    """A decoder of an identity leaf into the ``kind`` member of the same name."""
    members = {member.name: member for member in kind}

    def decode(value: object) -> _E:
        name = as_name(value)
        member = members.get(name)
        if member is None:
            raise Malformed(f"{name!r} is not {what}")
        return member

    return decode


_oper = _identity(OperStatus, "an oper-status")
_session = _identity(PeerState, "a BGP session-state")
_origin = _identity(Origin, "a BGP origin")
_SPEED = re.compile(r"SPEED_(\d{1,9})(MB|GB)")


def _speed(value: object) -> int | None:
    """openconfig-if-ethernet's ETHERNET_SPEED identity in bit/s (None for SPEED_UNKNOWN)."""
    name = as_name(value)
    if name == "SPEED_UNKNOWN":
        return None
    match = _SPEED.fullmatch(name)
    if match is None:
        raise Malformed(f"{name!r} is not an Ethernet port speed")
    speed = int(match.group(1)) * (1_000_000 if match.group(2) == "MB" else 1_000_000_000)
    # The same bound as ifHighSpeed (and the snapshot loader): what is read must load again.
    if speed > SPEED_BPS_MAX:
        raise Malformed(f"{name!r} is faster than {SPEED_BPS_MAX} bit/s")
    return speed


def _u32(value: object) -> int:
    return as_uint(value, _U32)


def _index(value: object) -> str:
    """A set index as the key the set itself arrives under (canonical digits)."""
    return str(as_uint(value))


def _communities(value: object) -> tuple[str, ...]:
    # A well-known community is an identity ("openconfig-bgp-types:NO_EXPORT"):
    # its module goes; "65000:100" keeps its colon.
    return tuple(
        item.rpartition(":")[2] if ":" in item and not item.split(":")[0].isdigit() else item
        for item in as_str_list(value)
    )


#: Leaf -> (attribute, decoder, is a counter). Leaves not listed are ignored.
Leaves = Mapping[tuple[str, ...], tuple[str, Callable[[object], Any], bool]]
IF_LEAVES: Leaves = {
    ("state", "oper-status"): ("oper", _oper, False),
    ("state", "ifindex"): ("ifindex", _u32, False),
    ("ethernet", "state", "port-speed"): ("speed", _speed, False),
    ("state", "counters", "in-octets"): ("in_octets", as_uint, True),
    ("state", "counters", "out-octets"): ("out_octets", as_uint, True),
    ("state", "counters", "in-errors"): ("in_errors", as_uint, True),
    ("state", "counters", "out-errors"): ("out_errors", as_uint, True),
    ("state", "counters", "in-discards"): ("in_discards", as_uint, True),
    ("state", "counters", "out-discards"): ("out_discards", as_uint, True),
    ("state", "counters", "last-clear"): ("last_clear", as_uint, True),
}
NEIGHBOR_LEAVES: Leaves = {
    ("state", "session-state"): ("state", _session, False),
    ("state", "peer-as"): ("peer_as", _u32, False),
    ("state", "last-established"): ("last_established", as_uint, False),
    ("state", "established-transitions"): ("transitions", as_uint, False),
}
ATTR_LEAVES: Leaves = {
    ("state", "origin"): ("origin", _origin, False),
    ("state", "med"): ("med", _u32, False),
    ("state", "local-pref"): ("local_pref", _u32, False),
}
SEGMENT_LEAVES: Leaves = {
    ("state", "type"): ("type", as_name, False),
    ("state", "member"): ("members", as_uint_list, False),
}
COMMUNITY_LEAVES: Leaves = {
    ("state", "community"): ("communities", _communities, False),
}
ROUTE_LEAVES: Leaves = {
    ("state", "attr-index"): ("attr_index", _index, False),
    ("state", "community-index"): ("community_index", _index, False),
    ("state", "reject-reason"): ("reject", as_name, False),
    ("state", "valid-route"): ("valid", as_bool, False),
}
NEXT_HOP = ("state", "next-hop")
BOOT_TIME = ("state", "boot-time")
