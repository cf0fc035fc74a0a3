"""The lab's gNMI data in plain Python: paths, typed leaf values, matching, JSON subtrees.

A router's state is a flat dictionary, full leaf path -> :class:`Value`, in the
order a dump sends it. Paths are tuples of :class:`Elem`; an element keeps the
YANG module it belongs to when that differs from its parent's, which is what
RFC 7951 (JSON_IETF) needs to qualify member names; gNMI paths themselves carry
plain names.

Requests are :class:`Pattern`\\ s: names may be ``*``, key values may be ``*``,
an element without keys matches every entry of a list, and a trailing ``...``
means "and everything below" (which a path means anyway). No protobuf here:
:mod:`sprmon.lab.gnmi.codec` converts.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any, NamedTuple


class Kind(Enum):
    """How a leaf's value is encoded (RFC 7951 section 6; gNMI scalar TypedValue)."""

    STRING = "string"
    #: uint8 .. uint32: a JSON number.
    UINT = "uint"
    #: uint64, counter64, timeticks64: a JSON string (RFC 7951 6.1).
    UINT64 = "uint64"
    BOOL = "bool"
    #: An enumeration: its name.
    ENUM = "enum"
    #: An identityref: "module:NAME" (the module is always given).
    IDENTITY = "identity"
    UINT_LIST = "uint-list"
    STRING_LIST = "string-list"


class Value(NamedTuple):
    kind: Kind
    data: str | int | bool | tuple[int, ...] | tuple[str, ...]

    def json(self) -> Any:
        """The value as RFC 7951 puts it in a JSON document."""
        if self.kind is Kind.UINT64:
            return str(self.data)
        if isinstance(self.data, tuple):
            return list(self.data)
        return self.data


class Elem(NamedTuple):
    name: str
    keys: tuple[tuple[str, str], ...] = ()
    #: The YANG module, when it differs from the parent's (always set at the top).
    module: str | None = None

    def member(self) -> str:
        """The JSON_IETF member name: qualified where the module changes."""
        return f"{self.module}:{self.name}" if self.module else self.name


Path = tuple[Elem, ...]
#: Full leaf path -> value.
State = dict[Path, Value]
#: Container path -> its leaves (leaf element -> value), in dump order.
Containers = dict[Path, dict[Elem, Value]]

#: Keys whose values are identities: a request may give them with their module.
IDENTITY_KEYS = frozenset({"identifier", "afi-safi-name"})
#: Keys whose values are addresses or prefixes: compared in canonical form.
ADDRESS_KEYS = frozenset({"prefix", "origin", "neighbor-address"})
#: Containers OpenConfig marks ``telemetry-atomic``: sent whole, in one notification.
ATOMIC_CONTAINERS = frozenset({"as-path"})

WILDCARD = "*"
ANY_DEPTH = "..."


class Snapshot:
    """A router's leaves at one instant (``at``, simulated POSIX seconds), by container.

    Never changed once made: a container's dictionary may be shared by later
    snapshots while its values stay the same (see :class:`~.tree.RouterTree`).
    """

    __slots__ = ("_leaves", "at", "containers")

    def __init__(self, containers: Containers, at: float) -> None:
        self.containers = containers
        self.at = at
        self._leaves: State | None = None

    def leaves(self) -> State:
        """Every leaf, flat (made on first use)."""
        if self._leaves is None:
            self._leaves = {
                (*path, elem): value
                for path, leaves in self.containers.items()
                for elem, value in leaves.items()
            }
        return self._leaves


class PatternElem(NamedTuple):
    name: str
    #: Key -> value or ``*``; a key not given matches any value.
    keys: tuple[tuple[str, str], ...] = ()


Pattern = tuple[PatternElem, ...]


class PathError(ValueError):
    """A requested path the lab cannot serve (the message says why)."""


def _canonical_key(name: str, value: str) -> str:
    if value == WILDCARD:
        return value
    if name in IDENTITY_KEYS:
        return value.rpartition(":")[2]
    if name in ADDRESS_KEYS:
        try:
            if "/" in value:
                return str(ipaddress.ip_network(value))
            return str(ipaddress.ip_address(value))
        except ValueError:
            return value  # not an address: matches nothing, which is the answer
    return value


def pattern(elems: Iterable[tuple[str, Mapping[str, str]]]) -> Pattern:
    """A request path from (name, keys) pairs, normalised.

    Module prefixes on names (``openconfig-interfaces:interfaces``) and on
    identity key values are dropped; addresses and prefixes in keys are
    compared in canonical form; a trailing ``...`` is dropped (a path means
    its subtree anyway). Raises :class:`PathError` for ``...`` elsewhere.
    """
    result: list[PatternElem] = []
    items = list(elems)
    for i, (name, keys) in enumerate(items):
        plain = name.rpartition(":")[2]
        if plain == ANY_DEPTH:
            if i != len(items) - 1:
                raise PathError("the lab serves '...' only at the end of a path")
            break
        result.append(
            PatternElem(
                plain,
                tuple(sorted((k, _canonical_key(k, v)) for k, v in keys.items())),
            )
        )
    return tuple(result)


def concat(prefix: Pattern, path: Pattern) -> Pattern:
    return prefix + path


def _elem_matches(want: PatternElem, elem: Elem) -> bool:
    if want.name not in (WILDCARD, elem.name):
        return False
    if not want.keys:
        return True
    have = dict(elem.keys)
    return all(key in have and (value in (WILDCARD, have[key])) for key, value in want.keys)


def matches(want: Pattern, path: Path) -> bool:
    """True if leaf ``path`` is ``want`` or below it."""
    if len(want) > len(path):
        return False
    return all(_elem_matches(w, e) for w, e in zip(want, path, strict=False))


def select(state: Mapping[Path, Value], wanted: Iterable[Pattern]) -> State:
    """The leaves of ``state`` under any of ``wanted``, in ``state``'s order."""
    patterns = list(wanted)
    return {p: v for p, v in state.items() if any(matches(w, p) for w in patterns)}


def anchors(state: Mapping[Path, Value], want: Pattern) -> dict[Path, State]:
    """The nodes ``want`` names, each with the leaves below it (what a Get answers).

    Wildcards and list elements without keys expand to one node per entry.
    The anchor of a leaf is the leaf itself.
    """
    result: dict[Path, State] = {}
    depth = len(want)
    for path, value in state.items():
        if matches(want, path):
            result.setdefault(path[:depth], {})[path] = value
    return result


def subtree_json(anchor: Path, leaves: Mapping[Path, Value]) -> Any:
    """The JSON_IETF value of the node at ``anchor`` (a dict, or a leaf's value).

    Member names are qualified where the YANG module changes (RFC 7951 4), so
    the children of the root (an empty anchor) always are; list entries carry
    their key leaves, which the state holds as leaves of the entry.
    """
    depth = len(anchor)
    if len(leaves) == 1:
        ((path, value),) = leaves.items()
        if len(path) == depth:
            return value.json()
    root: dict[str, Any] = {}
    entries: dict[tuple[int, tuple[tuple[str, str], ...]], dict[str, Any]] = {}
    for path, value in leaves.items():
        node = root
        for elem in path[depth:-1]:
            name = elem.member()
            if elem.keys:
                entry_list = node.setdefault(name, [])
                entry = entries.get((id(entry_list), elem.keys))
                if entry is None:
                    entry = {}
                    entries[(id(entry_list), elem.keys)] = entry
                    entry_list.append(entry)
                node = entry
            else:
                node = node.setdefault(name, {})
        node[path[-1].member()] = value.json()
    return root


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def deletions(removed: Iterable[Path], present: Iterable[Path], floor: int) -> list[Path]:
    """The paths a DELETE names for leaves that are gone.

    ``present``: the paths of what is left (containers or leaves). For each
    removed leaf, the shortest of its ancestors (at least ``floor`` elements
    long: never above what the client subscribed to) of which nothing is
    left, preferring a list entry: a withdrawn route is deleted as
    ``.../route[prefix=..][origin=..][path-id=0]``, not leaf by leaf.
    """
    existing: set[Path] = set()
    for path in present:
        for n in range(1, len(path) + 1):
            existing.add(path[:n])
    result: dict[Path, None] = {}
    for path in removed:
        gone = [path[:n] for n in range(max(1, floor), len(path) + 1) if path[:n] not in existing]
        entry = next((p for p in gone if p[-1].keys), None)
        chosen = entry if entry is not None else (gone[0] if gone else path)
        result[chosen] = None
    # A path inside another deleted path says nothing more.
    kept: list[Path] = []
    for path in sorted(result, key=len):
        if not any(path[: len(k)] == k for k in kept):
            kept.append(path)
    return kept


_NONE, _WHOLE, _SOME = 0, 1, 2


def select_containers(
    snapshot: Snapshot, want: Pattern, seen: dict[Path, int] | None = None
) -> Containers:
    """The containers (or, for a pattern naming a leaf, the leaves) under ``want``.

    A container wholly under ``want`` is the snapshot's own dictionary (the
    same object while its values stay the same). ``seen`` remembers, across
    calls with the same ``want``, which container paths matched: a session
    asks every tick, and hashing a path is cheaper than matching it.
    """
    depth = len(want)
    result: Containers = {}
    if seen is not None and len(seen) > 4 * len(snapshot.containers) + 64:
        seen.clear()  # paths of routes long withdrawn: forget them
    for path, leaves in snapshot.containers.items():
        verdict = None if seen is None else seen.get(path)
        if verdict is None:
            if len(path) >= depth:
                verdict = _WHOLE if matches(want, path) else _NONE
            elif len(path) == depth - 1 and matches(want[:-1], path):
                verdict = _SOME
            else:
                verdict = _NONE
            if seen is not None:
                seen[path] = verdict
        if verdict == _WHOLE:
            result[path] = leaves
        elif verdict == _SOME:
            last = want[-1]
            chosen = {e: v for e, v in leaves.items() if _elem_matches(last, e)}
            if chosen:
                result[path] = chosen
    return result


def atomic_prefix(path: Path) -> Path | None:
    """The ``telemetry-atomic`` container ``path`` lies in, if any."""
    for i, elem in enumerate(path[:-1]):
        if elem.name in ATOMIC_CONTAINERS:
            return path[: i + 1]
    return None


def render_path(path: Iterable[Elem | PatternElem]) -> str:
    """``/a/b[k=v]/c``: how the lab names a path in messages and docs."""
    return "/" + "/".join(e.name + "".join(f"[{k}={v}]" for k, v in e.keys) for e in path)
