"""DELETEs of a :class:`~sprmon.collector.gnmi.store.SiteStore`: entries, containers, leaves.

A DELETE names a path: an entry (a withdrawn route, an interface that went)
removes it; a container above entries (``.../loc-rib``, ``/interfaces``, the
RIB, the whole BGP instance, the root) removes every entry below; a leaf (the
``reject-reason`` of a path that became best) or a container of leaves clears
just those. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sprmon.collector.gnmi.badinput import BadInput
from sprmon.collector.gnmi.paths import Elem, Kind, Located, locate, render
from sprmon.collector.gnmi.records import (
    ATTR_LEAVES,
    BOOT_TIME,
    COMMUNITY_LEAVES,
    IF_LEAVES,
    NEIGHBOR_LEAVES,
    NEXT_HOP,
    ROUTE_LEAVES,
    SEGMENT_LEAVES,
    AttrRecord,
    Leaves,
    Record,
)
from sprmon.collector.gnmi.values import Malformed, as_uint
from sprmon.core.prefixes import canonical_address

if TYPE_CHECKING:
    from sprmon.collector.gnmi.store import SiteStore

__all__ = ["delete"]

#: What a notification changed (the store's STATE flag).
_STATE = 1


def delete(store: SiteStore, elems: Sequence[Elem]) -> int:
    """A DELETE of ``elems``: the entries below it go, or the one leaf it names."""
    found = locate(elems)
    if found is None:
        store.report(BadInput.UNKNOWN_PATH, f"delete of {render(elems)}")
        return 0
    kind, key, leaf = found.kind, found.key, found.leaf
    if kind is Kind.ROOT or (kind is Kind.SYSTEM and BOOT_TIME[: len(leaf)] == leaf):
        store.boot_time = None
    if kind in (Kind.ROOT, Kind.INTERFACE):
        _remove(store.interfaces, key if kind is Kind.INTERFACE else (), leaf, IF_LEAVES)
    if kind in (Kind.ROOT, Kind.BGP, Kind.NEIGHBOR):
        _remove(
            store.neighbors,
            key if kind is Kind.NEIGHBOR else (),
            leaf,
            NEIGHBOR_LEAVES,
            address=True,
        )
    if kind in (Kind.ROOT, Kind.BGP, Kind.RIB, Kind.ATTR_SET):
        _remove(
            store.attr_sets, key if kind is Kind.ATTR_SET else (), leaf, ATTR_LEAVES, index=True
        )
    if kind in (Kind.ROOT, Kind.BGP, Kind.RIB, Kind.COMMUNITY):
        _remove(
            store.communities,
            key if kind is Kind.COMMUNITY else (),
            leaf,
            COMMUNITY_LEAVES,
            index=True,
        )
    if kind is Kind.AS_SEGMENT:
        _remove_segments(store, key, leaf)
    if kind in (Kind.ROOT, Kind.BGP, Kind.RIB, Kind.ROUTE):
        _remove_routes(store, key if kind is Kind.ROUTE else (), leaf, elems)
    return _STATE


def _remove(
    table: dict[str, Any],
    key: tuple[str, ...],
    leaf: tuple[str, ...],
    leaves: Leaves,
    *,
    address: bool = False,
    index: bool = False,
) -> None:
    if not key:
        table.clear()
        return
    try:
        name = canonical_address(key[0]) if address else str(as_uint(key[0])) if index else key[0]
    except (ValueError, Malformed):
        return
    record = table.get(name)
    if record is None:
        return
    if not leaf:
        del table[name]
        return
    _clear_leaf(record, leaves, leaf)


def _remove_segments(store: SiteStore, key: tuple[str, ...], leaf: tuple[str, ...]) -> None:
    try:
        attr = store.attr_sets.get(str(as_uint(key[0])))
    except Malformed:
        return
    if attr is None:
        return
    if len(key) < 2:
        attr.segments.clear()
    elif not leaf:
        attr.segments.pop(key[1], None)
    elif key[1] in attr.segments:
        _clear_leaf(attr.segments[key[1]], SEGMENT_LEAVES, leaf)


def _remove_routes(
    store: SiteStore, key: tuple[str, ...], leaf: tuple[str, ...], elems: Sequence[Elem]
) -> None:
    if len(key) < 4:
        family = key[0] if key else None
        for route_key in [k for k in store.routes if family is None or k[0] == family]:
            del store.routes[route_key]
        return
    found = store.route_key(Located(Kind.ROUTE, key, leaf), elems)
    if found is None:
        return
    record = store.routes.get(found)
    if record is None:
        return
    if not leaf:
        del store.routes[found]
    else:
        _clear_leaf(record, ROUTE_LEAVES, leaf)


def _clear_leaf(record: Record, leaves: Leaves, leaf: tuple[str, ...]) -> None:
    """A DELETE of one leaf (or of a container of leaves, such as ``state``)."""
    for path, (attribute, _decode, _counter) in leaves.items():
        if path[: len(leaf)] == leaf:
            setattr(record, attribute, () if attribute == "members" else None)
            if record.bad is not None:
                record.bad.pop(path, None)
                if not record.bad:
                    record.bad = None
    if isinstance(record, AttrRecord) and NEXT_HOP[: len(leaf)] == leaf:
        record.next_hop = None
