"""One site's state as received over gNMI, kept up to date by its notifications.

A :class:`SiteStore` holds what sprmon reads of a router (interfaces, BGP
neighbours, the Loc-RIB's routes and the attribute and community sets they
refer to, the boot time) as plain records, and :meth:`SiteStore.apply` takes a
gNMI ``Notification`` into it: updates set leaves, deletes remove entries
(a withdrawn route disappears) or single leaves (the ``reject-reason`` of a
path that became best), and an ``atomic`` notification replaces its container
whole. Pure: no I/O, no clock; a new store is made for every (re)connection, so
a resync starts from nothing and misses nothing.

Bad input never raises. An unknown path is counted and ignored; a value that
does not decode marks its leaf bad (the part it belongs to is then not
trusted, see :mod:`~sprmon.collector.gnmi.observe`) until a good value
replaces it; a route whose prefix does not parse is counted and dropped. The
store is bounded: at most :class:`Limits` entries of each kind are kept (more
is counted, and the part is reported incomplete), and only the routes whose
prefix is in ``relevant`` (the intent prefixes and the prefixes covering them:
what a longest-prefix match can pick) are kept when it is given.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from sprmon.collector.gnmi.badinput import BadInput, BadInputLog
from sprmon.collector.gnmi.deletes import delete
from sprmon.collector.gnmi.paths import Elem, Kind, Located, elems_of, locate, render
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
    CommunityRecord,
    IfRecord,
    Leaves,
    NeighborRecord,
    Record,
    RouteKey,
    RouteRecord,
    SegmentRecord,
)
from sprmon.collector.gnmi.values import Malformed, as_uint, flatten, typed_value
from sprmon.core.prefixes import Prefix, canonical_address, canonical_prefix

__all__ = ["COUNTERS", "STATE", "Limits", "SiteStore"]

#: What a notification changed (flags returned by :meth:`SiteStore.apply`).
STATE = 1
COUNTERS = 2


@dataclass(frozen=True, slots=True)
class Limits:
    """The most entries of each kind one site's store keeps."""

    routes: int = 100_000
    attr_sets: int = 100_000
    communities: int = 100_000
    interfaces: int = 10_000
    neighbors: int = 10_000
    segments: int = 64


class SiteStore:
    """One site's received gNMI state; see the module docstring."""

    def __init__(
        self,
        site: str,
        *,
        relevant: frozenset[Prefix] | None = None,
        limits: Limits | None = None,
        bad_input: BadInputLog | None = None,
    ) -> None:
        self.site = site
        self.relevant = relevant
        self.limits = limits or Limits()
        self.bad_input = bad_input or BadInputLog()
        self.boot_time: int | None = None
        self.interfaces: dict[str, IfRecord] = {}
        self.neighbors: dict[str, NeighborRecord] = {}
        self.attr_sets: dict[str, AttrRecord] = {}
        self.communities: dict[str, CommunityRecord] = {}
        self.routes: dict[RouteKey, RouteRecord] = {}
        #: Kinds of which more entries came than the limits keep (until the next resync).
        self.overflow: set[Kind] = set()
        #: Routes left out because no intent prefix can match them.
        self.skipped_routes = 0
        #: Newest notification timestamp (ns, the target's clock), and of a counter update.
        self.newest_ts = 0
        self.counters_ts = 0
        self.notifications = 0
        self.updates = 0
        #: The entries one notification touched (see :meth:`apply`).
        self._entries: dict[tuple[Kind, tuple[str, ...]], tuple[Record | None, Leaves]] = {}

    # --- notifications -----------------------------------------------------------------------

    def apply(self, notification: Any) -> int:
        """Take one ``Notification`` in; returns what changed (:data:`STATE`, :data:`COUNTERS`)."""
        self.notifications += 1
        prefix = elems_of(notification.prefix) if notification.HasField("prefix") else []
        changed = 0
        for path in notification.delete:
            changed |= self._delete([*prefix, *elems_of(path)])
        if notification.atomic:
            changed |= self._delete(prefix)
        # Routers send one notification per list entry: its prefix is located once, and
        # the entry's record found once (and a bad key or a full table reported once).
        self._entries.clear()
        base = locate(prefix) if prefix and notification.update else None
        if base is not None and (not base.key or base.kind is Kind.SYSTEM):
            base = None
        for update in notification.update:
            self.updates += 1
            elems = update.path.elem
            found = None
            if base is not None and not any(e.key for e in elems):
                leaf = base.leaf + tuple(_plain(e.name) for e in elems)
                if base.kind is not Kind.ATTR_SET or leaf[:1] != ("as-path",):
                    found = Located(base.kind, base.key, leaf)
            changed |= self._update(prefix, update.path, update.val, found)
        timestamp = notification.timestamp
        self.newest_ts = max(self.newest_ts, timestamp)
        if changed & COUNTERS and timestamp > self.counters_ts:
            self.counters_ts = timestamp
        return changed

    def _update(self, prefix: list[Elem], path: Any, val: Any, found: Located | None) -> int:
        try:
            value = typed_value(val)
        except Malformed as exc:
            return self._set(_Joined(prefix, path), None, exc, found)
        if found is not None and not isinstance(value, dict):
            return self._set(_Joined(prefix, path), value, None, found)
        elems = [*prefix, *elems_of(path)]
        changed = 0
        leaves = flatten(value, elems)
        while True:
            try:
                path, leaf = next(leaves)
            except StopIteration:
                return changed
            except Malformed as exc:
                self.report(BadInput.MALFORMED_VALUE, f"{render(elems)}: {exc}")
                return changed | STATE
            changed |= self._set(path, leaf, None, None)

    def report(self, kind: BadInput, detail: str) -> None:
        self.bad_input.report(self.site, kind, detail)

    # --- setting a leaf ----------------------------------------------------------------------

    def _set(
        self, elems: Sequence[Elem], value: object, error: Malformed | None, found: Located | None
    ) -> int:
        """Set the leaf at ``elems`` to ``value`` (or mark it bad with ``error``)."""
        if found is None:
            elems = list(elems)
            found = locate(elems)
        if found is None or (not found.key and found.kind is not Kind.SYSTEM):
            self.report(BadInput.UNKNOWN_PATH, render(elems))
            return 0
        kind = found.kind
        if kind is Kind.SYSTEM:
            if found.leaf != BOOT_TIME:
                return 0
            if error is None:
                try:
                    boot = as_uint(value)
                except Malformed as exc:
                    error = exc
                else:
                    changed = STATE if boot != self.boot_time else 0
                    self.boot_time = boot
                    return changed
            self.report(BadInput.MALFORMED_VALUE, f"{render(elems)}: {error}")
            self.boot_time = None
            return STATE
        entry = (kind, found.key)
        if entry in self._entries:
            record, leaves = self._entries[entry]
        else:
            record, leaves = self._record(found, elems)
            self._entries[entry] = (record, leaves)
        if isinstance(record, AttrRecord) and found.leaf == NEXT_HOP and error is None:
            return self._next_hop(record, value, elems)
        return self._leaf(record, leaves, found, value=value, error=error, elems=elems)

    def _record(self, found: Located, elems: Sequence[Elem]) -> tuple[Record | None, Leaves]:
        """The record ``found`` belongs to (made if new), and its leaf table."""
        kind = found.kind
        if kind is Kind.INTERFACE:
            return self._entry(self.interfaces, found, IfRecord), IF_LEAVES
        if kind is Kind.NEIGHBOR:
            return self._entry(self.neighbors, found, NeighborRecord, address=True), NEIGHBOR_LEAVES
        if kind is Kind.ATTR_SET:
            return self._entry(self.attr_sets, found, AttrRecord, index=True), ATTR_LEAVES
        if kind is Kind.AS_SEGMENT:
            return self._segment(found), SEGMENT_LEAVES
        if kind is Kind.COMMUNITY:
            return self._entry(
                self.communities, found, CommunityRecord, index=True
            ), COMMUNITY_LEAVES
        if kind is Kind.ROUTE:
            return self._route(found, elems), ROUTE_LEAVES
        self.report(BadInput.UNKNOWN_PATH, render(elems))
        return None, {}

    def _leaf(
        self,
        record: Record | None,
        leaves: Leaves,
        found: Located,
        *,
        value: object,
        error: Malformed | None,
        elems: Sequence[Elem],
    ) -> int:
        if record is None:
            return 0
        spec = leaves.get(found.leaf)
        if spec is None:
            return 0  # a leaf sprmon does not use (a key leaf, admin-status, ...)
        attribute, decode, counter = spec
        if error is None:
            try:
                decoded = decode(value)
            except Malformed as exc:
                error = exc
        if error is not None:
            self.report(BadInput.MALFORMED_VALUE, f"{render(elems)}: {error}")
            if record.bad is None:
                record.bad = {}
            record.bad[found.leaf] = str(error)
            setattr(record, attribute, None if attribute != "members" else ())
            return STATE
        if record.bad is not None:
            record.bad.pop(found.leaf, None)
            if not record.bad:
                record.bad = None
        if counter:
            setattr(record, attribute, decoded)
            return COUNTERS
        if getattr(record, attribute) == decoded:
            return 0
        setattr(record, attribute, decoded)
        return STATE

    def _next_hop(self, attr: AttrRecord, value: object, elems: Sequence[Elem]) -> int:
        # OpenConfig's next hop is an address or a keyword (DROP, LOCAL_LINK): a keyword
        # is no address to attribute a path by, but no reason to distrust the set either.
        try:
            hop: str | None = canonical_address(value) if isinstance(value, str) else None
        except ValueError:
            hop = None
        if hop is None:
            self.report(BadInput.BAD_ADDRESS, f"{render(elems)}: {value!r:.60}")
        if hop == attr.next_hop:
            return 0
        attr.next_hop = hop
        return STATE

    # --- finding or making an entry ----------------------------------------------------------

    def _entry(
        self,
        table: dict[str, Any],
        found: Located,
        make: Callable[[], Record],
        *,
        address: bool = False,
        index: bool = False,
    ) -> Any:
        raw = found.key[0]
        key: str = raw
        try:
            if address:
                key = canonical_address(raw)
            elif index:
                key = str(as_uint(raw))
        except (ValueError, Malformed):
            kind = BadInput.BAD_ADDRESS if address else BadInput.MALFORMED_VALUE
            self.report(kind, f"{found.kind.value} key {raw!r:.60}")
            return None
        record = table.get(key)
        if record is None:
            if len(table) >= self._limit(found.kind):
                self._overflow(found.kind)
                return None
            record = table[key] = make()
        return record

    def _segment(self, found: Located) -> SegmentRecord | None:
        if len(found.key) < 2:
            self.report(BadInput.UNKNOWN_PATH, f"as-path without a segment index: {found.leaf}")
            return None
        attr = self._entry(self.attr_sets, found, AttrRecord, index=True)
        if attr is None:
            return None
        segment: SegmentRecord | None = attr.segments.get(found.key[1])
        if segment is None:
            if len(attr.segments) >= self.limits.segments:
                self._overflow(Kind.AS_SEGMENT)
                return None
            segment = attr.segments[found.key[1]] = SegmentRecord()
        return segment

    def route_key(self, found: Located, elems: Sequence[Elem]) -> RouteKey | None:
        family, raw_prefix, raw_origin, path_id = found.key
        try:
            prefix = canonical_prefix(raw_prefix)
        except ValueError:
            self.report(BadInput.BAD_PREFIX, f"{raw_prefix!r:.60} in {render(elems)}")
            return None
        if ("6" if ":" in prefix else "4") != family:
            self.report(BadInput.BAD_PREFIX, f"{prefix} in the other address family's table")
            return None
        origin: str = raw_origin
        # A route the router made itself (origin "LOCAL", ...) keeps its name.
        with contextlib.suppress(ValueError):
            origin = canonical_address(raw_origin)
        return (family, prefix, origin, path_id)

    def _route(self, found: Located, elems: Sequence[Elem]) -> RouteRecord | None:
        if len(found.key) < 4:
            self.report(BadInput.UNKNOWN_PATH, render(elems))
            return None
        key = self.route_key(found, elems)
        if key is None:
            return None
        if self.relevant is not None and key[1] not in self.relevant:
            self.skipped_routes += 1
            return None
        record = self.routes.get(key)
        if record is None:
            if len(self.routes) >= self.limits.routes:
                self._overflow(Kind.ROUTE)
                return None
            record = self.routes[key] = RouteRecord()
        return record

    def _limit(self, kind: Kind) -> int:
        limits = self.limits
        return {
            Kind.INTERFACE: limits.interfaces,
            Kind.NEIGHBOR: limits.neighbors,
            Kind.ATTR_SET: limits.attr_sets,
            Kind.AS_SEGMENT: limits.attr_sets,
            Kind.COMMUNITY: limits.communities,
        }.get(kind, limits.routes)

    def _overflow(self, kind: Kind) -> None:
        self.report(
            BadInput.TOO_MANY,
            f"more {kind.value} entries than the {self._limit(kind):,} sprmon keeps",
        )
        self.overflow.add(kind)

    def _delete(self, elems: Sequence[Elem]) -> int:
        return delete(self, elems)


def _plain(name: str) -> str:
    return name.rpartition(":")[2] if ":" in name else name


class _Joined(Sequence[Elem]):
    """A notification's prefix and an update's path, joined only if a message needs it."""

    __slots__ = ("_path", "_prefix", "_whole")

    def __init__(self, prefix: list[Elem], path: Any) -> None:
        self._prefix = prefix
        self._path = path
        self._whole: list[Elem] | None = None

    def _all(self) -> list[Elem]:
        if self._whole is None:
            self._whole = [*self._prefix, *elems_of(self._path)]
        return self._whole

    def __len__(self) -> int:
        return len(self._all())

    @overload
    def __getitem__(self, index: int) -> Elem: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Elem]: ...

    def __getitem__(self, index: int | slice) -> Elem | Sequence[Elem]:
        return self._all()[index]
