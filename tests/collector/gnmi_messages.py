"""gNMI notifications written out by hand, for the decoding tests.

Built from pygnmi's protobuf classes directly (no sprmon code), shaped as the
OpenConfig paths and JSON_IETF values an OpenConfig router sends: a prefix per
list entry and one update per leaf, 64-bit numbers as strings.
"""

from __future__ import annotations

import json
from typing import Any

from pygnmi.spec.v080 import gnmi_pb2

Elems = tuple[tuple[str, dict[str, str]], ...]

BGP: Elems = (
    ("network-instances", {}),
    ("network-instance", {"name": "default"}),
    ("protocols", {}),
    ("protocol", {"identifier": "openconfig-policy-types:BGP", "name": "BGP"}),
    ("bgp", {}),
)
RIB: Elems = (*BGP, ("rib", {}))


def path(*elems: tuple[str, dict[str, str]] | str) -> Any:
    """Elements as (name, keys) pairs, or as text: ``"as-segment[index=0]"``."""
    result = []
    for elem in elems:
        if isinstance(elem, str):
            name, _, rest = elem.partition("[")
            keys = dict(item.split("=", 1) for item in rest.rstrip("]").split("][") if item)
            result.append(gnmi_pb2.PathElem(name=name, key=keys))
        else:
            result.append(gnmi_pb2.PathElem(name=elem[0], key=elem[1]))
    return gnmi_pb2.Path(elem=result)


def json_value(value: object) -> Any:
    return gnmi_pb2.TypedValue(json_ietf_val=json.dumps(value).encode())


def notification(
    prefix: Elems, leaves: dict[str, object], *, timestamp: int = 0, atomic: bool = False
) -> Any:
    """Leaves given as ``"state/med": 100`` below ``prefix``."""
    return gnmi_pb2.Notification(
        timestamp=timestamp,
        prefix=path(*prefix),
        atomic=atomic,
        update=[
            gnmi_pb2.Update(path=path(*name.split("/")), val=json_value(value))
            for name, value in leaves.items()
        ],
    )


def delete(*paths: Elems, timestamp: int = 0) -> Any:
    return gnmi_pb2.Notification(timestamp=timestamp, delete=[path(*p) for p in paths])


def attr_set(
    index: int, *, med: int, next_hop: str, as_path: tuple[int, ...] = (65000,)
) -> list[Any]:
    entry: Elems = (*RIB, ("attr-sets", {}), ("attr-set", {"index": str(index)}))
    return [
        notification(
            entry,
            {
                "state/index": str(index),
                "state/origin": "IGP",
                "state/next-hop": next_hop,
                "state/med": med,
                "state/local-pref": 100,
            },
        ),
        notification(
            (*entry, ("as-path", {})),
            {
                "as-segment[index=0]/state/type": "AS_SEQ",
                "as-segment[index=0]/state/member": list(as_path),
            },
            atomic=True,
        ),
    ]


def route_entry(prefix: str, origin: str, family: str = "4") -> Elems:
    afi = "IPV4_UNICAST" if family == "4" else "IPV6_UNICAST"
    table = "ipv4-unicast" if family == "4" else "ipv6-unicast"
    return (
        *RIB,
        ("afi-safis", {}),
        ("afi-safi", {"afi-safi-name": f"openconfig-bgp-types:{afi}"}),
        (table, {}),
        ("loc-rib", {}),
        ("routes", {}),
        ("route", {"prefix": prefix, "origin": origin, "path-id": "0"}),
    )


def route(
    prefix: str,
    origin: str,
    attr_index: int,
    *,
    reject: str | None = None,
    community_index: int | None = None,
    timestamp: int = 0,
) -> Any:
    family = "6" if ":" in prefix else "4"
    leaves: dict[str, object] = {
        "state/prefix": prefix,
        "state/origin": origin,
        "state/path-id": 0,
        "state/attr-index": str(attr_index),
        "state/valid-route": True,
    }
    if community_index is not None:
        leaves["state/community-index"] = str(community_index)
    if reject is not None:
        leaves["state/openconfig-rib-bgp-ext:reject-reason"] = f"openconfig-rib-bgp-types:{reject}"
    return notification(route_entry(prefix, origin, family), leaves, timestamp=timestamp)


def community_set(index: int, *communities: str) -> Any:
    entry: Elems = (*RIB, ("communities", {}), ("community", {"index": str(index)}))
    return notification(entry, {"state/index": str(index), "state/community": list(communities)})


def neighbor(address: str, state: str = "ESTABLISHED", **leaves: object) -> Any:
    entry: Elems = (*BGP, ("neighbors", {}), ("neighbor", {"neighbor-address": address}))
    values: dict[str, object] = {"state/neighbor-address": address, "state/session-state": state}
    values.update({f"state/{k.replace('_', '-')}": v for k, v in leaves.items()})
    return notification(entry, values)


def interface(name: str, *, timestamp: int = 0, **leaves: object) -> Any:
    """``oper_status="UP"``, ``in_octets="123"`` (state/counters), ``port_speed=...``."""
    values: dict[str, object] = {}
    for key, value in leaves.items():
        leaf = key.replace("_", "-")
        if leaf in ("oper-status", "ifindex"):
            values[f"state/{leaf}"] = value
        elif leaf == "port-speed":
            values["openconfig-if-ethernet:ethernet/state/port-speed"] = value
        else:
            values[f"state/counters/{leaf}"] = value
    return notification(
        (("openconfig-interfaces:interfaces", {}), ("interface", {"name": name})),
        values,
        timestamp=timestamp,
    )


def boot_time(nanoseconds: int, *, timestamp: int = 0) -> Any:
    return notification(
        (("openconfig-system:system", {}), ("state", {})),
        {"boot-time": str(nanoseconds)},
        timestamp=timestamp,
    )
