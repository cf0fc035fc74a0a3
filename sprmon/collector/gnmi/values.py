"""gNMI values into Python values: TypedValues, JSON_IETF subtrees, and typed leaves.

:func:`typed_value` decodes one ``TypedValue`` (JSON_IETF as sprmon asks for it,
and the scalar PROTO forms some targets send anyway). A JSON value may be a
subtree rather than a leaf (some routers send a container in one update):
:func:`flatten` turns it into leaves, list entries keyed by the key leaves
OpenConfig gives those lists. The ``as_*`` functions read a decoded leaf as
the type its OpenConfig leaf has (RFC 7951: 64-bit numbers are strings).

Everything raises :class:`Malformed` with a short, bounded description of what
was wrong; the caller counts it (:mod:`~sprmon.collector.gnmi.badinput`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from sprmon.collector.gnmi.paths import Elem

__all__ = [
    "Malformed",
    "as_bool",
    "as_name",
    "as_str",
    "as_str_list",
    "as_uint",
    "as_uint_list",
    "flatten",
    "typed_value",
]

_UINT64_MAX = 2**64 - 1

#: The key leaves of the OpenConfig lists sprmon reads (a subtree's entries carry them).
LIST_KEYS: Mapping[str, tuple[str, ...]] = {
    "interface": ("name",),
    "network-instance": ("name",),
    "protocol": ("identifier", "name"),
    "neighbor": ("neighbor-address",),
    "attr-set": ("index",),
    "as-segment": ("index",),
    "community": ("index",),
    "afi-safi": ("afi-safi-name",),
    "route": ("prefix", "origin", "path-id"),
}


class Malformed(ValueError):
    """A value that is not what its leaf must hold."""


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def typed_value(val: Any) -> object:
    """The Python value of a gNMI ``TypedValue`` (JSON decoded)."""
    raw = val.json_ietf_val
    if raw:
        # Most leaves are a plain string, a number or a boolean: read without the JSON
        # parser, which costs several times more per leaf (a string with an escape,
        # or anything else, still goes through it).
        first, last = raw[0], raw[-1]
        if first == 0x22 and last == 0x22 and len(raw) > 1 and 0x5C not in raw:
            try:
                return raw[1:-1].decode()
            except UnicodeDecodeError as exc:
                raise Malformed(f"not UTF-8: {_shown(bytes(raw[:40]))}") from exc
        if (raw.isdigit() and first != 0x30) or raw == b"0":
            return int(raw)
        if raw == b"true":
            return True
        if raw == b"false":
            return False
    which = val.WhichOneof("value")
    if which in ("json_ietf_val", "json_val"):
        raw = val.json_ietf_val if which == "json_ietf_val" else val.json_val
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Malformed(f"not JSON: {_shown(bytes(raw[:40]))}") from exc
    if which in ("string_val", "ascii_val"):
        return str(getattr(val, which))
    if which in ("uint_val", "int_val", "bool_val"):
        return getattr(val, which)
    if which in ("double_val", "float_val"):
        return float(getattr(val, which))
    if which == "leaflist_val":
        return [typed_value(element) for element in val.leaflist_val.element]
    if which is None:
        raise Malformed("an update without a value")
    raise Malformed(f"{which} values are not read (ask for JSON_IETF)")


def flatten(value: object, elems: list[Elem]) -> Iterator[tuple[list[Elem], object]]:
    """The leaves of ``value`` sent at ``elems``: ``(path, leaf value)`` pairs.

    A scalar or a leaf-list is one leaf at ``elems`` itself. Members' module
    prefixes are removed, as in paths; list entries get their keys from their key
    leaves. Raises :class:`Malformed` for an entry of an unknown list or one
    without its keys (the leaves before it have been yielded).
    """
    if not isinstance(value, dict):
        yield elems, value
        return
    for member, child in value.items():
        name = member.rpartition(":")[2] if ":" in member else member
        if isinstance(child, dict):
            yield from flatten(child, [*elems, (name, {})])
        elif isinstance(child, list) and child and isinstance(child[0], dict):
            for entry in child:
                yield from flatten(entry, [*elems, (name, _entry_keys(name, entry))])
        else:
            yield [*elems, (name, {})], child


def _entry_keys(name: str, entry: object) -> dict[str, str]:
    if not isinstance(entry, dict):
        raise Malformed(f"an entry of list {name} that is not an object")
    candidates = LIST_KEYS.get(name)
    if candidates is None:
        raise Malformed(f"entries of list {name}, which sprmon does not read")
    keys = {}
    for key in candidates:
        for member, value in entry.items():
            if member.rpartition(":")[2] == key and isinstance(value, str | int):
                keys[key] = str(value)
    if not keys:
        raise Malformed(f"an entry of list {name} without its key {candidates[0]}")
    return keys


def as_uint(value: object, maximum: int = _UINT64_MAX) -> int:
    """An unsigned integer: a JSON number, or a string of digits (RFC 7951 64-bit types)."""
    if isinstance(value, bool):
        raise Malformed(f"expected a number, got {_shown(value)}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isdigit() and len(value) <= 20:
        number = int(value)
    else:
        raise Malformed(f"expected an unsigned number, got {_shown(value)}")
    if not 0 <= number <= maximum:
        raise Malformed(f"{number} is out of range (0..{maximum})")
    return number


def as_str(value: object) -> str:
    if not isinstance(value, str):
        raise Malformed(f"expected a string, got {_shown(value)}")
    return value


def as_name(value: object) -> str:
    """An enumeration's name or an identity's (its module prefix removed)."""
    text = as_str(value)
    name = text.rpartition(":")[2]
    if not name:
        raise Malformed(f"expected a name, got {_shown(value)}")
    return name


def as_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise Malformed(f"expected true or false, got {_shown(value)}")


def as_uint_list(value: object) -> tuple[int, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(as_uint(item, 0xFFFF_FFFF) for item in items)


def as_str_list(value: object) -> tuple[str, ...]:
    """A leaf-list of strings; numbers are accepted (a community may be sent as one)."""
    items = value if isinstance(value, list) else [value]
    result = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise Malformed(f"expected strings, got {_shown(item)}")
        result.append(str(item))
    return tuple(result)
