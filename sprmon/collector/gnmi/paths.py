"""The OpenConfig paths sprmon reads over gNMI, and where a received path belongs.

Requests: :func:`subscriptions` lists the paths of each :class:`~sprmon.inventory.DataPart`,
each with how it is streamed (ON_CHANGE for state, SAMPLE for counters), and
:func:`pb_path` builds a gNMI ``Path`` from text such as
``/interfaces/interface/state/counters``.

Answers: :func:`locate` places a received path (a notification's prefix and an
update's path, joined) in sprmon's model: which kind of entry (interface, BGP
neighbour, attribute set, AS-path segment, community set, Loc-RIB route,
system), its key, and the leaf below it. A path that names a container above
the entries (``/interfaces``, ``.../loc-rib``) has a shorter key: a DELETE of it
removes every entry below. Module prefixes (``openconfig-interfaces:interfaces``)
and origins are ignored; keys are compared as sent (the store canonicalises
addresses and prefixes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple

from pygnmi.spec.v080 import gnmi_pb2

from sprmon.inventory import DataPart

__all__ = [
    "BGP",
    "Elem",
    "Kind",
    "Located",
    "PathSpec",
    "elems_of",
    "locate",
    "pb_path",
    "render",
    "subscribe_request",
    "subscriptions",
]

#: One path element: its name (module prefix removed) and its keys.
Elem = tuple[str, Mapping[str, str]]

_NO_KEYS: Mapping[str, str] = {}

#: The BGP instance: OpenConfig's default network instance, the BGP protocol of any name.
BGP = (
    "/network-instances/network-instance[name=default]/protocols/"
    "protocol[identifier=BGP][name=*]/bgp"
)
DEFAULT_INSTANCE = "default"


class Kind(Enum):
    #: The root: a DELETE clears everything.
    ROOT = "root"
    SYSTEM = "system"
    INTERFACE = "interface"
    NEIGHBOR = "neighbor"
    ATTR_SET = "attr-set"
    #: A segment of an attribute set's AS path: key (attr-set index, segment index).
    AS_SEGMENT = "as-segment"
    COMMUNITY = "community"
    #: A Loc-RIB route: key (address family "4"/"6", prefix, origin, path-id).
    ROUTE = "route"
    #: The BGP instance (or the whole network-instance tree): a DELETE clears the BGP kinds.
    BGP = "bgp"
    #: The RIB container: a DELETE clears routes, attribute and community sets.
    RIB = "rib"


class Located(NamedTuple):
    """Where a path belongs (a named tuple: one is made per received leaf)."""

    kind: Kind
    #: The entry's key; shorter than the kind's full key for a container above the entries.
    key: tuple[str, ...]
    #: Names below the entry (``("state", "med")``); empty for the entry itself.
    leaf: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PathSpec:
    """One subscription: a path, and whether it is sampled (counters) or sent on change."""

    text: str
    part: DataPart | None
    sampled: bool


def subscriptions(parts: Sequence[DataPart]) -> list[PathSpec]:
    """What to subscribe to for ``parts``; the system's boot time always (uptime, liveness).

    The boot time is sampled: it changes only at a reboot, so its samples are
    the stream's heartbeat when nothing else moves (an ON_CHANGE stream of a
    quiet router is otherwise silent, and silence is what a dead one looks like).
    """
    specs = [PathSpec("/system/state/boot-time", None, sampled=True)]
    if DataPart.INTERFACES in parts:
        specs += [
            PathSpec("/interfaces/interface/state/oper-status", DataPart.INTERFACES, False),
            PathSpec("/interfaces/interface/state/ifindex", DataPart.INTERFACES, False),
            PathSpec("/interfaces/interface/ethernet/state/port-speed", DataPart.INTERFACES, False),
            PathSpec("/interfaces/interface/state/counters", DataPart.INTERFACES, True),
        ]
    if DataPart.BGP in parts:
        rib = f"{BGP}/rib"
        specs += [
            PathSpec(f"{BGP}/neighbors/neighbor/state", DataPart.BGP, False),
            # Sets before routes: a route's reference should arrive after its set.
            PathSpec(f"{rib}/attr-sets", DataPart.BGP, False),
            PathSpec(f"{rib}/communities", DataPart.BGP, False),
            *(
                PathSpec(
                    f"{rib}/afi-safis/afi-safi[afi-safi-name=*]/{family}/loc-rib",
                    DataPart.BGP,
                    False,
                )
                for family in ("ipv4-unicast", "ipv6-unicast")
            ),
        ]
    return specs


_TEXT_ELEM = re.compile(r"([^/\[\]]+)((?:\[[^\]=]+=[^\]]*\])*)")
_TEXT_KEY = re.compile(r"\[([^\]=]+)=([^\]]*)\]")


def pb_path(text: str) -> Any:
    """A gNMI ``Path`` from ``/a/b[k=v]/c`` (the form sprmon writes its paths in)."""
    elems = []
    for match in _TEXT_ELEM.finditer(text):
        keys = dict(_TEXT_KEY.findall(match.group(2)))
        elems.append(gnmi_pb2.PathElem(name=match.group(1), key=keys))
    return gnmi_pb2.Path(elem=elems)


def _plain(name: str) -> str:
    return name.rpartition(":")[2] if ":" in name else name


def elems_of(path: Any) -> list[Elem]:
    """A received ``Path``'s elements, module prefixes removed (``element`` of gNMI < 0.4 too)."""
    if path is None:
        return []
    if path.elem:
        return [(_plain(e.name), e.key) for e in path.elem]
    return [(_plain(name), _NO_KEYS) for name in path.element]


def render(elems: Sequence[Elem]) -> str:
    """``/a/b[k=v]/c``, for messages (bounded: a hostile path does not flood the log)."""
    text = "/" + "/".join(
        name + "".join(f"[{k}={v}]" for k, v in sorted(keys.items())) for name, keys in elems
    )
    return text if len(text) <= 300 else text[:297] + "..."


def _names(elems: Sequence[Elem], start: int) -> tuple[str, ...]:
    return tuple(name for name, _keys in elems[start:])


def _keyed(elems: Sequence[Elem], at: int, name: str, *keys: str) -> tuple[str, ...] | None:
    """The values of ``keys`` of element ``at`` if it is ``name`` and has them all."""
    if len(elems) <= at or elems[at][0] != name:
        return None
    given = elems[at][1]
    values = tuple(given.get(k, "") for k in keys)
    if not all(values) or "*" in values:
        return None
    return values


def locate(elems: Sequence[Elem]) -> Located | None:
    """Where ``elems`` belongs in sprmon's model; None for a path sprmon does not read."""
    if not elems:
        return Located(Kind.ROOT, (), ())
    top = elems[0][0]
    if top == "interfaces":
        return _entry(elems, 1, "interface", ("name",), Kind.INTERFACE)
    if top == "system":
        return Located(Kind.SYSTEM, (), _names(elems, 1))
    if top == "network-instances":
        return _network_instance(elems)
    return None


def _entry(
    elems: Sequence[Elem], at: int, name: str, keys: tuple[str, ...], kind: Kind
) -> Located | None:
    """An entry of list ``name`` at position ``at``, or (path ends above it) every entry."""
    if len(elems) == at:
        return Located(kind, (), ())
    key = _keyed(elems, at, name, *keys)
    if key is None:
        if len(elems) == at + 1 and elems[at][0] == name:
            return Located(kind, (), ())  # the list itself, or every entry of it
        return None
    return Located(kind, key, _names(elems, at + 1))


def _network_instance(elems: Sequence[Elem]) -> Located | None:
    n = len(elems)
    if n == 1:
        return Located(Kind.BGP, (), ())
    instance = _keyed(elems, 1, "network-instance", "name")
    if instance is None or instance[0] != DEFAULT_INSTANCE:
        return None
    expected = ("protocols", "protocol", "bgp")
    for offset, name in enumerate(expected, start=2):
        if n == offset:
            return Located(Kind.BGP, (), ())
        if elems[offset][0] != name:
            return None
    identifier = elems[3][1].get("identifier", "")
    if _plain(identifier) != "BGP":
        return None
    if n == 5:
        return Located(Kind.BGP, (), ())
    section = elems[5][0]
    if section == "neighbors":
        return _entry(elems, 6, "neighbor", ("neighbor-address",), Kind.NEIGHBOR)
    if section == "rib":
        return _rib(elems)
    return None


def _rib(elems: Sequence[Elem]) -> Located | None:
    n = len(elems)
    if n == 6:
        return Located(Kind.RIB, (), ())
    table = elems[6][0]
    if table == "attr-sets":
        found = _entry(elems, 7, "attr-set", ("index",), Kind.ATTR_SET)
        if found is None or not found.key or found.leaf[:1] != ("as-path",):
            return found
        index = found.key[0]
        if n == 9:
            return Located(Kind.AS_SEGMENT, (index,), ())
        segment = _keyed(elems, 9, "as-segment", "index")
        if segment is None:
            return Located(Kind.AS_SEGMENT, (index,), ()) if n == 10 else None
        return Located(Kind.AS_SEGMENT, (index, segment[0]), _names(elems, 10))
    if table == "communities":
        return _entry(elems, 7, "community", ("index",), Kind.COMMUNITY)
    if table != "afi-safis":
        return None
    if n == 7:
        return Located(Kind.ROUTE, (), ())
    afi = _keyed(elems, 7, "afi-safi", "afi-safi-name")
    if afi is None:
        return Located(Kind.ROUTE, (), ()) if n == 8 and elems[7][0] == "afi-safi" else None
    family = {"IPV4_UNICAST": "4", "IPV6_UNICAST": "6"}.get(_plain(afi[0]))
    if family is None:
        return None
    expected = ("ipv4-unicast" if family == "4" else "ipv6-unicast", "loc-rib", "routes")
    for offset, name in enumerate(expected, start=8):
        if n == offset:
            return Located(Kind.ROUTE, (family,), ())
        if elems[offset][0] != name:
            return None
    route = _entry(elems, 11, "route", ("prefix", "origin", "path-id"), Kind.ROUTE)
    if route is None:
        return None
    return Located(Kind.ROUTE, (family, *route.key), route.leaf)


def subscribe_request(
    parts: Sequence[DataPart], *, stream: bool, sample_interval_s: float = 10.0
) -> Any:
    """The SubscribeRequest for ``parts``: ONCE, or STREAM (ON_CHANGE, and SAMPLE for counters).

    JSON_IETF is asked for: every OpenConfig target serves it, and its values say
    their type (RFC 7951).
    """
    sample_ns = max(1, round(sample_interval_s * 1e9))
    subscriptions_ = []
    for spec in subscriptions(parts):
        if not stream:
            subscriptions_.append(gnmi_pb2.Subscription(path=pb_path(spec.text)))
        elif spec.sampled:
            subscriptions_.append(
                gnmi_pb2.Subscription(
                    path=pb_path(spec.text), mode=gnmi_pb2.SAMPLE, sample_interval=sample_ns
                )
            )
        else:
            subscriptions_.append(
                gnmi_pb2.Subscription(path=pb_path(spec.text), mode=gnmi_pb2.ON_CHANGE)
            )
    mode = gnmi_pb2.SubscriptionList.STREAM if stream else gnmi_pb2.SubscriptionList.ONCE
    return gnmi_pb2.SubscribeRequest(
        subscribe=gnmi_pb2.SubscriptionList(
            mode=mode, encoding=gnmi_pb2.JSON_IETF, subscription=subscriptions_
        )
    )
