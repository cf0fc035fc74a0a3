"""The lab's gNMI values and paths as the protobuf messages of gNMI 0.8 (pygnmi's stubs).

Notifications group leaves by the list entry they belong to (an interface, a
neighbour, a route): the prefix is the entry's path (with the request's
``target``), each update names one leaf relative to it. A ``telemetry-atomic``
container (the AS path) goes whole, in one notification marked ``atomic``.
Values are JSON_IETF (RFC 7951: uint64 as strings, identities with their
module) or, for PROTO, scalar TypedValues.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pygnmi.spec.v080 import gnmi_pb2

from sprmon.lab.gnmi.paths import (
    Elem,
    Kind,
    Path,
    PathError,
    Pattern,
    Value,
    atomic_prefix,
    json_bytes,
    pattern,
)

JSON_IETF: int = gnmi_pb2.JSON_IETF
PROTO: int = gnmi_pb2.PROTO
SUPPORTED_ENCODINGS = (JSON_IETF, PROTO)
ENCODING_NAMES: dict[int, str] = {
    gnmi_pb2.JSON: "JSON",
    gnmi_pb2.BYTES: "BYTES",
    gnmi_pb2.PROTO: "PROTO",
    gnmi_pb2.ASCII: "ASCII",
    gnmi_pb2.JSON_IETF: "JSON_IETF",
}
#: The origins a request may name: none, OpenConfig's, or a top module's name
#: (pygnmi turns ``openconfig-interfaces:interfaces/...`` into that origin).
ORIGINS = frozenset(
    {
        "",
        "openconfig",
        "openconfig-interfaces",
        "openconfig-network-instance",
        "openconfig-system",
    }
)
#: What a ``garbage`` target sends instead of every value: not JSON.
GARBAGE_VALUE = b'{"sprmon-lab": garbage'


def check_encoding(encoding: int) -> None:
    if encoding not in SUPPORTED_ENCODINGS:
        name = ENCODING_NAMES.get(encoding, str(encoding))
        raise PathError(f"encoding {name} is not supported: use JSON_IETF or PROTO")


def pb_path(path: Iterable[Elem], target: str = "") -> Any:
    return gnmi_pb2.Path(
        elem=[gnmi_pb2.PathElem(name=e.name, key=dict(e.keys)) for e in path], target=target
    )


def request_pattern(prefix: Any, path: Any) -> Pattern:
    """The leaves a request's prefix and path name (see :func:`~.paths.pattern`)."""
    elems: list[tuple[str, dict[str, str]]] = []
    for part in (prefix, path):
        if part is None:
            continue
        if part.origin not in ORIGINS:
            raise PathError(
                f"origin {part.origin!r} is not served: the lab serves OpenConfig paths "
                "(no origin, or 'openconfig')"
            )
        if part.element and not part.elem:
            # gNMI < 0.4's string elements: each one a plain name.
            elems += [(name, {}) for name in part.element]
        else:
            elems += [(e.name, dict(e.key)) for e in part.elem]
    return pattern(elems)


def typed_value(value: Value, encoding: int, garbage: bool = False) -> Any:
    if garbage:
        return gnmi_pb2.TypedValue(json_ietf_val=GARBAGE_VALUE)
    if encoding == JSON_IETF:
        return gnmi_pb2.TypedValue(json_ietf_val=json_bytes(value.json()))
    kind, data = value.kind, value.data
    if kind in (Kind.UINT, Kind.UINT64):
        return gnmi_pb2.TypedValue(uint_val=data)
    if kind is Kind.BOOL:
        return gnmi_pb2.TypedValue(bool_val=data)
    if kind is Kind.UINT_LIST:
        assert isinstance(data, tuple)
        elements = [gnmi_pb2.TypedValue(uint_val=n) for n in data]
        return gnmi_pb2.TypedValue(leaflist_val=gnmi_pb2.ScalarArray(element=elements))
    if kind is Kind.STRING_LIST:
        assert isinstance(data, tuple)
        elements = [gnmi_pb2.TypedValue(string_val=str(s)) for s in data]
        return gnmi_pb2.TypedValue(leaflist_val=gnmi_pb2.ScalarArray(element=elements))
    return gnmi_pb2.TypedValue(string_val=str(data))


def _group(path: Path) -> tuple[Path, bool]:
    """The prefix a leaf is sent under, and whether that group is atomic.

    Leaves go out by list entry (an interface, a neighbour, a route, an
    attribute set: one notification each), or by container outside lists; a
    ``telemetry-atomic`` container (the AS path) goes whole, marked atomic.
    """
    whole = atomic_prefix(path)
    if whole is not None:
        return whole, True
    for i in range(len(path) - 2, -1, -1):
        if path[i].keys:
            return path[: i + 1], False
    return path[:-1], False


def notifications(
    leaves: Mapping[Path, Value],
    *,
    timestamp: int,
    encoding: int,
    target: str = "",
    garbage: bool = False,
) -> list[Any]:
    """Update notifications for ``leaves``, one per list entry, in the leaves' order."""
    groups: dict[tuple[Path, bool], list[tuple[Path, Value]]] = {}
    for path, value in leaves.items():
        groups.setdefault(_group(path), []).append((path, value))
    result = []
    for (prefix, atomic), members in groups.items():
        depth = len(prefix)
        result.append(
            gnmi_pb2.Notification(
                timestamp=timestamp,
                prefix=pb_path(prefix, target),
                atomic=atomic,
                update=[
                    gnmi_pb2.Update(
                        path=pb_path(path[depth:]), val=typed_value(value, encoding, garbage)
                    )
                    for path, value in members
                ],
            )
        )
    return result


def delete_notification(paths: Iterable[Path], *, timestamp: int, target: str = "") -> Any:
    return gnmi_pb2.Notification(
        timestamp=timestamp,
        prefix=gnmi_pb2.Path(target=target) if target else None,
        delete=[pb_path(path) for path in paths],
    )
