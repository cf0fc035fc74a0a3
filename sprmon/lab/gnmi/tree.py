"""One lab router as the OpenConfig leaves a gNMI target serves.

Pure: :func:`render` turns a router of a :class:`~sprmon.lab.model.WanModel`
into its leaves (a :class:`~sprmon.lab.gnmi.paths.Snapshot`), the same
simulated state its SNMP agent shows (and the IPv6 paths and communities
BGP4-MIB cannot show).
Names, keys and types are those of the OpenConfig models (openconfig/public,
release/models): ``openconfig-system``, ``openconfig-interfaces`` with
``openconfig-if-ethernet``, ``openconfig-network-instance`` with BGP
(``openconfig-bgp``) and its RIB (``openconfig-rib-bgp``, ``openconfig-rib-bgp-ext``).

Best path: the Loc-RIB holds every candidate path of a prefix, keyed by the
neighbour it came from (``origin``) with ``path-id`` 0; a path that lost
carries ``openconfig-rib-bgp-ext:reject-reason`` (the decision step it lost
at, e.g. ``MED_HIGHER``), the best one has none. The per-neighbour
Adj-RIB-In post-policy tables carry the model's explicit ``best-path`` flag.
See docs/lab.md.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable

from sprmon.core.observed import BgpPath, OperStatus, Origin, PeerState
from sprmon.core.prefixes import prefix_version
from sprmon.lab.bgp import DecisionStep
from sprmon.lab.gnmi.paths import Containers, Elem, Kind, Path, Snapshot, State, Value
from sprmon.lab.model import WanModel
from sprmon.lab.state import IF_TYPE_ETHERNET, IF_TYPE_LOOPBACK

NI = "openconfig-network-instance"
IF = "openconfig-interfaces"
ETH = "openconfig-if-ethernet"
SYSTEM = "openconfig-system"
RIB_EXT = "openconfig-rib-bgp-ext"

#: The network instance and protocol every path below starts with.
DEFAULT_INSTANCE = "default"
BGP_PROTOCOL = (Elem("protocol", (("identifier", "BGP"), ("name", "BGP"))),)
AFI_SAFI = {4: "IPV4_UNICAST", 6: "IPV6_UNICAST"}
_UNICAST = {4: "ipv4-unicast", 6: "ipv6-unicast"}

_IF_TYPES = {
    IF_TYPE_ETHERNET: "iana-if-type:ethernetCsmacd",
    IF_TYPE_LOOPBACK: "iana-if-type:softwareLoopback",
}
_IF_TYPE_TUNNEL = "iana-if-type:tunnel"
_OPER_STATUS = {
    OperStatus.UP: "UP",
    OperStatus.DOWN: "DOWN",
    OperStatus.TESTING: "TESTING",
    OperStatus.UNKNOWN: "UNKNOWN",
    OperStatus.DORMANT: "DORMANT",
    OperStatus.NOT_PRESENT: "NOT_PRESENT",
    OperStatus.LOWER_LAYER_DOWN: "LOWER_LAYER_DOWN",
}
#: openconfig-if-ethernet ETHERNET_SPEED identities by bit/s.
_ETHERNET_SPEEDS = {
    10_000_000: "SPEED_10MB",
    100_000_000: "SPEED_100MB",
    1_000_000_000: "SPEED_1GB",
    2_500_000_000: "SPEED_2500MB",
    5_000_000_000: "SPEED_5GB",
    10_000_000_000: "SPEED_10GB",
    25_000_000_000: "SPEED_25GB",
    40_000_000_000: "SPEED_40GB",
    50_000_000_000: "SPEED_50GB",
    100_000_000_000: "SPEED_100GB",
    200_000_000_000: "SPEED_200GB",
    400_000_000_000: "SPEED_400GB",
}
_ORIGIN = {Origin.IGP: "IGP", Origin.EGP: "EGP", Origin.INCOMPLETE: "INCOMPLETE"}
#: openconfig-rib-bgp-types BGP_NOT_SELECTED_BESTPATH identities by decision step.
REJECT_REASONS = {
    DecisionStep.LOCAL_PREF: "LOCAL_PREF_LOWER",
    DecisionStep.AS_PATH: "AS_PATH_LONGER",
    DecisionStep.ORIGIN: "ORIGIN_TYPE_HIGHER",
    DecisionStep.MED: "MED_HIGHER",
    DecisionStep.EXTERNAL: "PREFER_EXTERNAL",
    DecisionStep.ROUTER_ID: "HIGHER_ROUTER_ID",
    DecisionStep.PEER_ADDRESS: "HIGHER_PEER_ADDRESS",
}


def _s(text: str) -> Value:
    return Value(Kind.STRING, text)


def _u(number: int) -> Value:
    return Value(Kind.UINT, number)


def _u64(number: int) -> Value:
    return Value(Kind.UINT64, number)


def _enum(name: str) -> Value:
    return Value(Kind.ENUM, name)


def _identity(qualified: str) -> Value:
    return Value(Kind.IDENTITY, qualified)


_TRUE = Value(Kind.BOOL, True)


def nanoseconds(seconds: float) -> int:
    """A simulated POSIX time as OpenConfig's timeticks64 (ns since the epoch)."""
    return max(0, math.floor(seconds * 1e9))


def set_index(*attributes: object) -> int:
    """A stable uint64 index for a set of shared attributes.

    Derived from the attributes themselves, so that a set keeps its index
    while it exists and a route's ``attr-index`` changes exactly when its
    attributes do (an ON_CHANGE subscriber sees the change, nothing else).
    63 bits, for clients that read it as a signed number.
    """
    digest = hashlib.blake2b(repr(attributes).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


class _Builder:
    def __init__(self) -> None:
        self.containers: Containers = {}

    def leaves(self, container: Path, values: Iterable[tuple[str | Elem, Value | None]]) -> None:
        node = self.containers.setdefault(container, {})
        for name, value in values:
            if value is not None:
                node[Elem(name) if isinstance(name, str) else name] = value


def render(model: WanModel, router: str) -> State:
    """Every leaf ``router`` serves now, in the order a full dump sends them."""
    out = _Builder()
    _system(out, model, router)
    _interfaces(out, model, router)
    _bgp(out, model, router)
    _rib(out, model, router, (*bgp_root(), Elem("rib")))
    return Snapshot(out.containers, model.now).leaves()


class RouterTree:
    """The leaves of one router (a :class:`Snapshot`), made at most once per change of the model.

    The RIB (three quarters of a site's leaves and of the time) is rendered
    again only when the router's paths change, not on every tick; its
    containers are then the very same objects in successive snapshots, which
    lets a subscription skip them by identity.
    """

    def __init__(self, model: WanModel, router: str) -> None:
        self.model = model
        self.router = router
        self._generation = -1
        self._snapshot = Snapshot({}, 0.0)
        self._rib_of: tuple[BgpPath, ...] | None = None
        self._rib: Containers = {}

    def current(self) -> Snapshot:
        """The leaves as of the model's time."""
        model = self.model
        if self._generation != model.generation:
            paths = model.paths(self.router)
            if paths is not self._rib_of:
                rib = _Builder()
                _rib(rib, model, self.router, (*bgp_root(), Elem("rib")))
                self._rib, self._rib_of = rib.containers, paths
            out = _Builder()
            _system(out, model, self.router)
            _interfaces(out, model, self.router)
            _bgp(out, model, self.router)
            out.containers.update(self._rib)
            self._snapshot = Snapshot(out.containers, model.now)
            self._generation = model.generation
        return self._snapshot


def bgp_root() -> Path:
    """``/network-instances/network-instance[name=default]/protocols/protocol[BGP]/bgp``."""
    return (
        Elem("network-instances", module=NI),
        Elem("network-instance", (("name", DEFAULT_INSTANCE),)),
        Elem("protocols"),
        *BGP_PROTOCOL,
        Elem("bgp"),
    )


def _system(out: _Builder, model: WanModel, router: str) -> None:
    state = (Elem("system", module=SYSTEM), Elem("state"))
    out.leaves(
        state,
        [
            ("hostname", _s(router)),
            ("boot-time", _u64(nanoseconds(model.boot_time(router)))),
        ],
    )


def _interfaces(out: _Builder, model: WanModel, router: str) -> None:
    top = Elem("interfaces", module=IF)
    for itf in model.interfaces(router):
        entry = (top, Elem("interface", (("name", itf.name),)))
        if_type = model.interface_type(router, itf.index)
        out.leaves(entry, [("name", _s(itf.name))])
        out.leaves(
            (*entry, Elem("state")),
            [
                ("name", _s(itf.name)),
                ("type", _identity(_IF_TYPES.get(if_type, _IF_TYPE_TUNNEL))),
                ("enabled", _TRUE),
                ("ifindex", _u(itf.index)),
                ("admin-status", _enum("UP")),
                ("oper-status", _enum(_OPER_STATUS[itf.oper_status])),
            ],
        )
        jumped = model.discontinuity_time(router, itf.index)
        discontinuity = None if jumped is None else _u64(nanoseconds(jumped))
        out.leaves(
            (*entry, Elem("state"), Elem("counters")),
            [
                ("in-octets", _u64(itf.in_octets or 0)),
                ("in-errors", _u64(itf.in_errors or 0)),
                ("in-discards", _u64(itf.in_discards or 0)),
                ("out-octets", _u64(itf.out_octets or 0)),
                ("out-discards", _u64(itf.out_discards or 0)),
                ("out-errors", _u64(itf.out_errors or 0)),
                ("last-clear", discontinuity),
            ],
        )
        if if_type == IF_TYPE_ETHERNET and itf.speed_bps:
            speed = _ETHERNET_SPEEDS.get(itf.speed_bps, "SPEED_UNKNOWN")
            out.leaves(
                (*entry, Elem("ethernet", module=ETH), Elem("state")),
                [("port-speed", _identity(f"{ETH}:{speed}"))],
            )


def _bgp(out: _Builder, model: WanModel, router: str) -> None:
    instance = (
        Elem("network-instances", module=NI),
        Elem("network-instance", (("name", DEFAULT_INSTANCE),)),
    )
    out.leaves(instance, [("name", _s(DEFAULT_INSTANCE))])
    out.leaves(
        (*instance, Elem("state")),
        [
            ("name", _s(DEFAULT_INSTANCE)),
            ("type", _identity("openconfig-network-instance-types:DEFAULT_INSTANCE")),
        ],
    )
    protocol = (*instance, Elem("protocols"), *BGP_PROTOCOL)
    protocol_keys = [
        ("identifier", _identity("openconfig-policy-types:BGP")),
        ("name", _s("BGP")),
    ]
    out.leaves(protocol, protocol_keys)
    out.leaves((*protocol, Elem("state")), protocol_keys)
    bgp = bgp_root()
    out.leaves(
        (*bgp, Elem("global"), Elem("state")),
        [("as", _u(model.asn(router))), ("router-id", _s(model.router_id(router)))],
    )
    local_as = model.asn(router)
    for info in model.peers(router):
        peer = info.peer
        entry = (*bgp, Elem("neighbors"), Elem("neighbor", (("neighbor-address", peer.address),)))
        out.leaves(entry, [("neighbor-address", _s(peer.address))])
        out.leaves(
            (*entry, Elem("state")),
            [
                ("neighbor-address", _s(peer.address)),
                ("enabled", _TRUE),
                ("peer-as", _u(peer.remote_as or 0)),
                ("local-as", _u(local_as)),
                ("peer-type", _enum("INTERNAL" if peer.remote_as == local_as else "EXTERNAL")),
                ("session-state", _enum(_session_state(peer.state))),
                ("last-established", _u64(nanoseconds(info.since))),
                ("established-transitions", _u64(info.established_transitions)),
            ],
        )
        out.leaves(
            (*entry, Elem("transport"), Elem("state")),
            [("local-address", _s(info.local_address))],
        )


def _session_state(state: PeerState) -> str:
    return state.value.upper()


def _attr_key(path: BgpPath) -> tuple[object, ...]:
    return (path.origin, path.next_hop, path.med, path.local_pref, path.as_path)


def _rib(out: _Builder, model: WanModel, router: str, rib: Path) -> None:
    paths = model.paths(router)
    attr_index = {_attr_key(p): set_index("attr", *_attr_key(p)) for p in paths}
    community_index = {
        p.communities: set_index("community", *p.communities) for p in paths if p.communities
    }
    # Shared sets first: a route's reference arrives after what it refers to.
    for path in paths:
        index = attr_index[_attr_key(path)]
        entry = (*rib, Elem("attr-sets"), Elem("attr-set", (("index", str(index)),)))
        if entry in out.containers:
            continue
        out.leaves(entry, [("index", _u64(index))])
        out.leaves(
            (*entry, Elem("state")),
            [
                ("index", _u64(index)),
                ("origin", _enum(_ORIGIN[path.origin]) if path.origin else None),
                ("next-hop", _s(path.next_hop) if path.next_hop else None),
                ("med", _u(path.med) if path.med is not None else None),
                ("local-pref", _u(path.local_pref) if path.local_pref is not None else None),
            ],
        )
        if path.as_path:
            segment = (*entry, Elem("as-path"), Elem("as-segment", (("index", "0"),)))
            out.leaves(segment, [("index", _u(0))])
            out.leaves(
                (*segment, Elem("state")),
                [
                    ("index", _u(0)),
                    ("type", _enum("AS_SEQ")),
                    ("member", Value(Kind.UINT_LIST, path.as_path)),
                ],
            )
    for communities, index in community_index.items():
        entry = (*rib, Elem("communities"), Elem("community", (("index", str(index)),)))
        out.leaves(entry, [("index", _u64(index))])
        out.leaves(
            (*entry, Elem("state")),
            [("index", _u64(index)), ("community", Value(Kind.STRING_LIST, communities))],
        )

    lost = model.losing_steps(router)
    for version in (4, 6):
        afi_name = AFI_SAFI[version]
        afi = (*rib, Elem("afi-safis"), Elem("afi-safi", (("afi-safi-name", afi_name),)))
        afi_identity = [("afi-safi-name", _identity(f"openconfig-bgp-types:{afi_name}"))]
        out.leaves(afi, afi_identity)
        out.leaves((*afi, Elem("state")), afi_identity)
        table = (*afi, Elem(_UNICAST[version]))
        of_version = [p for p in paths if prefix_version(p.prefix) == version]
        for path in of_version:
            route = (
                *table,
                Elem("loc-rib"),
                Elem("routes"),
                Elem("route", (("origin", path.peer), ("path-id", "0"), ("prefix", path.prefix))),
            )
            keys = [("prefix", _s(path.prefix)), ("origin", _s(path.peer)), ("path-id", _u(0))]
            out.leaves(route, keys)
            step = lost.get((path.prefix, path.peer))
            reason = (
                None
                if step is None
                else _identity(f"openconfig-rib-bgp-types:{REJECT_REASONS[step]}")
            )
            out.leaves(
                (*route, Elem("state")),
                [
                    *_route_refs(keys, path, attr_index, community_index),
                    (Elem("reject-reason", module=RIB_EXT), reason),
                ],
            )
        for peer in dict.fromkeys(p.peer for p in of_version):
            neighbor = (
                *table,
                Elem("neighbors"),
                Elem("neighbor", (("neighbor-address", peer),)),
            )
            out.leaves(neighbor, [("neighbor-address", _s(peer))])
            out.leaves((*neighbor, Elem("state")), [("neighbor-address", _s(peer))])
            for path in (p for p in of_version if p.peer == peer):
                route = (
                    *neighbor,
                    Elem("adj-rib-in-post"),
                    Elem("routes"),
                    Elem("route", (("path-id", "0"), ("prefix", path.prefix))),
                )
                keys = [("prefix", _s(path.prefix)), ("path-id", _u(0))]
                out.leaves(route, keys)
                out.leaves(
                    (*route, Elem("state")),
                    [
                        *_route_refs(keys, path, attr_index, community_index),
                        ("best-path", Value(Kind.BOOL, path.best)),
                    ],
                )


def _route_refs(
    keys: list[tuple[str, Value]],
    path: BgpPath,
    attr_index: dict[tuple[object, ...], int],
    community_index: dict[tuple[str, ...], int],
) -> list[tuple[str | Elem, Value | None]]:
    return [
        *keys,
        ("attr-index", _u64(attr_index[_attr_key(path)])),
        (
            "community-index",
            _u64(community_index[path.communities]) if path.communities else None,
        ),
        ("valid-route", _TRUE),
    ]
