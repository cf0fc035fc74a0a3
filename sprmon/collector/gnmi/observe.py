"""A site's received gNMI state as a :class:`~sprmon.core.observed.SiteObservation`.

The same observation an SNMP poll gives, so the evaluation cannot tell the
protocols apart:

- **paths** from the Loc-RIB: one :class:`BgpPath` per route (prefix, the neighbour it
  came from), its attributes from the attribute set and community set it refers to.
  A valid route without ``reject-reason`` is in use: the first such route of a prefix
  (by neighbour address) is ``best``, any other is ``multipath`` (OpenConfig's Loc-RIB
  has no best-path leaf; ``reject-reason`` is the reason a route is not used);
- **peers** from the neighbours' state: ``established_for_s`` from ``last-established``
  (while established), ``established_transitions``, the peer AS;
- **interfaces**: oper status, counters (64-bit), the Ethernet port speed,
  ``last-clear`` as the counters' discontinuity time;
- **uptime** from ``/system/state/boot-time`` and the target's timestamps: the time the
  counters were sampled, by the router's clock, as SNMP's sysUpTime gives it.

A part (BGP, interfaces) whose data is not trustworthy (a value that did not
decode, a route pointing at a set never sent, more entries than the store
keeps) is left out (``None``) with the reason in ``error``, so that the site is
judged ``unknown`` rather than from half its table. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sprmon.collector.gnmi.badinput import BadInput
from sprmon.collector.gnmi.paths import Kind
from sprmon.collector.gnmi.records import IfRecord, Record
from sprmon.collector.gnmi.store import SiteStore
from sprmon.core.observed import BgpPath, BgpPeer, Interface, PeerState, SiteObservation
from sprmon.core.prefixes import Address, Prefix
from sprmon.inventory import DataPart

__all__ = ["dangling_references", "observe"]

_NS_PER_TICK = 10_000_000
_BGP_KINDS = frozenset({Kind.ROUTE, Kind.ATTR_SET, Kind.AS_SEGMENT, Kind.COMMUNITY, Kind.NEIGHBOR})


class _Problems:
    """Why a part cannot be trusted: a count and the first few examples."""

    def __init__(self) -> None:
        self.count = 0
        self.examples: list[str] = []

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.examples) < 2:
            self.examples.append(text)

    def bad(self, what: str, record: Record) -> None:
        if record.bad:
            leaf, reason = next(iter(record.bad.items()))
            self.add(f"{what} {'/'.join(leaf)}: {reason}")

    def text(self, part: str) -> str:
        shown = "; ".join(self.examples)
        more = f" (and {self.count - len(self.examples)} more)" if self.count > 2 else ""
        return f"{part} over gNMI not usable: {shown}{more}"


def observe(store: SiteStore, *, collected_at: float, parts: Sequence[DataPart]) -> SiteObservation:
    """The observation ``store`` holds, as of ``collected_at`` (the collector's clock)."""
    errors: list[str] = []
    device_now = store.counters_ts if DataPart.INTERFACES in parts else 0
    device_now = device_now or store.newest_ts
    paths: tuple[BgpPath, ...] | None = None
    peers: tuple[BgpPeer, ...] | None = None
    interfaces: tuple[Interface, ...] | None = None
    if DataPart.BGP in parts:
        problems = _Problems()
        for kind in sorted(store.overflow & _BGP_KINDS, key=lambda k: k.value):
            problems.add(f"more {kind.value} entries than sprmon keeps")
        peers = _peers(store, device_now, problems)
        paths = _paths(store, problems)
        if problems.count:
            errors.append(problems.text("BGP"))
            paths = peers = None
    if DataPart.INTERFACES in parts:
        problems = _Problems()
        if Kind.INTERFACE in store.overflow:
            problems.add("more interfaces than sprmon keeps")
        interfaces = _interfaces(store, problems)
        if problems.count:
            errors.append(problems.text("interfaces"))
            interfaces = None
    uptime = None
    if store.boot_time is not None and device_now >= store.boot_time > 0:
        uptime = (device_now - store.boot_time) // _NS_PER_TICK
    return SiteObservation(
        site=store.site,
        collected_at=collected_at,
        uptime_ticks=uptime,
        paths=paths,
        peers=peers,
        interfaces=interfaces,
        error="; ".join(errors) or None,
    )


def dangling_references(store: SiteStore) -> int:
    """Routes pointing at an attribute or community set the store does not hold.

    Between two notifications of one change this is normal (a target may delete
    the old set before it updates the route that pointed at it); a stream waits
    for the rest of the change before it reports the table as unusable.
    """
    sets, communities = store.attr_sets, store.communities
    return sum(
        1
        for route in store.routes.values()
        if (route.attr_index is not None and route.attr_index not in sets)
        or (route.community_index is not None and route.community_index not in communities)
    )


def _peers(store: SiteStore, device_now: int, problems: _Problems) -> tuple[BgpPeer, ...]:
    peers = []
    for address, record in store.neighbors.items():
        problems.bad(f"neighbor {address}", record)
        if record.state is None:
            if not record.bad:
                problems.add(f"neighbor {address} without session-state")
            continue
        established_for = None
        if (
            record.state is PeerState.ESTABLISHED
            and record.last_established is not None
            and device_now
        ):
            established_for = max(0.0, (device_now - record.last_established) / 1e9)
        peers.append(
            BgpPeer(
                address=Address(address),
                state=record.state,
                remote_as=record.peer_as,
                established_for_s=established_for,
                established_transitions=record.transitions,
            )
        )
    return tuple(sorted(peers, key=lambda p: p.address))


def _paths(store: SiteStore, problems: _Problems) -> tuple[BgpPath, ...]:
    paths: list[BgpPath] = []
    selected: set[Prefix] = set()
    dangling = 0
    for (_family, prefix, origin, _path_id), route in sorted(store.routes.items()):
        where = f"route {prefix} from {origin}"
        problems.bad(where, route)
        attr = store.attr_sets.get(route.attr_index) if route.attr_index is not None else None
        if attr is None:
            if not route.bad:
                dangling += 1
                problems.add(
                    f"{where} refers to attribute set {route.attr_index}, which was not sent"
                    if route.attr_index is not None
                    else f"{where} has no attr-index"
                )
            continue
        problems.bad(f"attribute set {route.attr_index}", attr)
        communities: tuple[str, ...] = ()
        if route.community_index is not None:
            community = store.communities.get(route.community_index)
            if community is None:
                dangling += 1
                problems.add(f"{where} refers to community set {route.community_index}, not sent")
                continue
            problems.bad(f"community set {route.community_index}", community)
            communities = community.communities
        as_path: list[int] = []
        for _index, segment in sorted(attr.segments.items(), key=lambda s: _number(s[0])):
            problems.bad(f"attribute set {route.attr_index} as-path", segment)
            as_path.extend(segment.members)
        used = route.valid is not False and route.reject is None
        best = used and prefix not in selected
        if used:
            selected.add(prefix)
        paths.append(
            BgpPath(
                prefix=prefix,
                peer=Address(origin),
                next_hop=Address(attr.next_hop) if attr.next_hop is not None else None,
                med=attr.med,
                local_pref=attr.local_pref,
                as_path=tuple(as_path),
                communities=communities,
                origin=attr.origin,
                best=best,
                multipath=used and not best,
            )
        )
    if dangling:
        store.report(BadInput.DANGLING_REFERENCE, problems.examples[-1])
    return tuple(paths)


def _number(text: str) -> tuple[int, str]:
    return (int(text), text) if text.isdigit() else (1 << 64, text)


def _interfaces(store: SiteStore, problems: _Problems) -> tuple[Interface, ...]:
    result = [
        interface
        for interface in (
            _interface(name, record, problems, store.boot_time) for name, record in _sorted(store)
        )
        if interface is not None
    ]
    return tuple(result)


def _sorted(store: SiteStore) -> Iterable[tuple[str, IfRecord]]:
    return sorted(store.interfaces.items(), key=lambda item: (item[1].ifindex or 0, item[0]))


def _interface(
    name: str, record: IfRecord, problems: _Problems, boot: int | None
) -> Interface | None:
    problems.bad(f"interface {name}", record)
    if record.oper is None:
        if not record.bad:
            problems.add(f"interface {name} without oper-status")
        return None
    discontinuity = None
    if record.last_clear is not None and boot is not None:
        discontinuity = max(0, (record.last_clear - boot) // _NS_PER_TICK)
    return Interface(
        index=record.ifindex or 0,
        name=name,
        oper_status=record.oper,
        speed_bps=record.speed,
        in_octets=record.in_octets,
        out_octets=record.out_octets,
        counter_bits=64,
        in_errors=record.in_errors,
        out_errors=record.out_errors,
        in_discards=record.in_discards,
        out_discards=record.out_discards,
        discontinuity_ticks=discontinuity,
    )
