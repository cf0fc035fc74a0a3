"""Saved snapshots: the JSON file format for :class:`sprmon.core.observed.Snapshot`.

The schema (version 1) is documented in ``docs/snapshot-format.md``. Decoding is
strict: unknown keys, wrong types, bad prefixes and unknown versions are all
:class:`SnapshotError`, whose message is one line naming the file and the JSON
path of the first problem. Prefixes and addresses are canonicalised on load.

pydantic stays inside this module: callers see only core objects and
:class:`SnapshotError`. Reading and writing stay in one module (over the usual
size) so that a change of the format is one edit, next to its own checks.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import operator
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, NotRequired

import pydantic_core
from pydantic import (
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    with_config,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from sprmon.boundedfile import FileProblem, FileReadError, format_size, read_bounded
from sprmon.core.observed import (
    SNAPSHOT_SCHEMA_VERSION,
    BgpPath,
    BgpPeer,
    Interface,
    OperStatus,
    PeerState,
    SiteObservation,
    Snapshot,
)
from sprmon.core.prefixes import Address, Prefix, canonical_address, canonical_prefix
from sprmon.isotime import format_time, parse_time
from sprmon.jsonkeys import find_duplicate_key, strings_at_most
from sprmon.smi import COUNTER64_MAX, SPEED_BPS_MAX, UNSIGNED32_MAX

__all__ = [
    "SnapshotError",
    "dump_snapshot",
    "format_time",
    "load_snapshot",
    "parse_time",
    "snapshot_from_dict",
    "snapshot_to_dict",
]


class SnapshotError(Exception):
    """A snapshot file cannot be read, decoded or written.

    ``str(error)`` is one line: ``SOURCE: what is wrong``.
    """

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


# --- the file format, as pydantic validates it --------------------------------
# Strict throughout: "5" is not an integer, 1 is not true, and an unknown key is
# an error. The top level, observations, peers and interfaces are TypedDicts
# that mirror the core's dataclasses key for key (checked below) and add what
# the JSON needs: ranges and ISO times. Paths, the bulk of a large file, are
# validated straight into the core's BgpPath by pydantic's own dataclass support
# (which takes the strict config of the TypedDict around it): building a million
# intermediate dicts, or a million frozen dataclasses through their Python
# __init__, would make loading half as fast again (bench/bench_snapshot.py).
# What this leaves to _decode: the 32-bit range of a path's numbers, canonical
# prefixes and addresses, and building the rest from the validated dicts.


def _check_time(value: object) -> float:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "sprmon_time", "expected an ISO 8601 time string such as 2026-11-25T19:32:10Z"
        )
    try:
        return parse_time(value)
    except ValueError as exc:
        raise PydanticCustomError("sprmon_time", "{reason}", {"reason": str(exc)}) from None


# Each number holds what a collector can put in it, with the limits both
# collectors hold the wire to (sprmon.smi, RFC 2578): what a live check saves,
# a snapshot must read back, and nothing a router could not have sent.
# Counters and derived tick counts are 64 bits wide: gNMI's are uint64, and its
# uptime is counted from nanosecond timestamps.
_Uint32 = Annotated[int, Field(ge=0, le=UNSIGNED32_MAX)]
_Uint64 = Annotated[int, Field(ge=0, le=COUNTER64_MAX)]
_Speed = Annotated[int, Field(ge=0, le=SPEED_BPS_MAX)]
#: Seconds between two events a router reports (bgpPeerFsmEstablishedTime is a
#: Gauge32 of seconds): 136 years at most.
_Seconds = Annotated[float, Field(ge=0, le=UNSIGNED32_MAX, allow_inf_nan=False)]
_Time = Annotated[float, PlainValidator(_check_time)]
_STRICT = ConfigDict(strict=True, extra="forbid")


@with_config(_STRICT)
class _PeerDoc(TypedDict):
    address: Address
    state: PeerState
    remote_as: NotRequired[_Uint32 | None]
    established_for_s: NotRequired[_Seconds | None]
    established_transitions: NotRequired[_Uint64 | None]


@with_config(_STRICT)
class _InterfaceDoc(TypedDict):
    index: _Uint32
    name: str
    oper_status: OperStatus
    speed_bps: NotRequired[_Speed | None]
    # At most 2^32-1 as well when counter_bits is 32 (_check_interface_numbers).
    in_octets: NotRequired[_Uint64 | None]
    out_octets: NotRequired[_Uint64 | None]
    counter_bits: NotRequired[Literal[32, 64]]
    in_errors: NotRequired[_Uint64 | None]
    out_errors: NotRequired[_Uint64 | None]
    in_discards: NotRequired[_Uint64 | None]
    out_discards: NotRequired[_Uint64 | None]
    discontinuity_ticks: NotRequired[_Uint64 | None]
    counters_at: NotRequired[_Time | None]
    counters_uptime_ticks: NotRequired[_Uint32 | None]


@with_config(_STRICT)
class _ObservationDoc(TypedDict):
    site: str
    collected_at: _Time
    uptime_ticks: NotRequired[_Uint64 | None]
    paths: NotRequired[tuple[BgpPath, ...] | None]
    peers: NotRequired[tuple[_PeerDoc, ...] | None]
    interfaces: NotRequired[tuple[_InterfaceDoc, ...] | None]
    error: NotRequired[str | None]
    counter_watch_s: NotRequired[_Seconds | None]


@with_config(_STRICT)
class _SnapshotDoc(TypedDict):
    observations: tuple[_ObservationDoc, ...]
    taken_at: NotRequired[_Time | None]
    source: NotRequired[str]
    # The dataclass defaults it, but a file must say which format it is in.
    version: int


_DOCUMENT = TypeAdapter(_SnapshotDoc)

#: The dataclass at each JSON location (array indices left out), to list valid keys.
_CLASS_AT: dict[tuple[str, ...], type] = {
    (): Snapshot,
    ("observations",): SiteObservation,
    ("observations", "paths"): BgpPath,
    ("observations", "peers"): BgpPeer,
    ("observations", "interfaces"): Interface,
}


def _check_mirrors() -> None:
    """Import-time guard: a field added to the core must be added to the format too."""
    for doc, cls in (
        (_PeerDoc, BgpPeer),
        (_InterfaceDoc, Interface),
        (_ObservationDoc, SiteObservation),
        (_SnapshotDoc, Snapshot),
    ):
        if list(doc.__annotations__) != [f.name for f in dataclasses.fields(cls)]:
            raise TypeError(f"{doc.__name__} does not list the fields of {cls.__name__}")


_check_mirrors()


# --- decoding --------------------------------------------------------------


#: 3.6 times the million-path fleet of bench/bench_snapshot.py (141 MiB: 10,000
#: sites, 50 prefixes, two paths each); loading takes about 10 times the
#: file's size in memory. Past it, a file is refused before it is read.
MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


def load_snapshot(path: Path) -> Snapshot:
    """Read and decode a snapshot file; :class:`SnapshotError` says what is wrong."""
    source = str(path)
    try:
        raw = read_bounded(path, limit=MAX_SNAPSHOT_BYTES)
    except FileReadError as exc:
        raise SnapshotError(source, _unreadable(exc)) from exc
    # RFC 8259 lets a parser ignore a byte order mark; editors on Windows add one.
    raw = raw.removeprefix(_BOM)
    try:
        document = _DOCUMENT.validate_json(raw)
    except ValidationError as exc:
        # Only now parse the raw document: a version this sprmon does not know
        # explains any schema error better than the schema error itself.
        try:
            parsed = pydantic_core.from_json(raw)
        except ValueError as json_exc:
            raise SnapshotError(source, _json_problem(raw, str(json_exc))) from json_exc
        _check_version(parsed, source)
        raise SnapshotError(source, _describe_errors(exc)) from exc
    _check_duplicate_keys(raw, document, source)
    return _decode(document, source)


def _unreadable(exc: FileReadError) -> str:
    if exc.problem is FileProblem.TOO_LARGE:
        return (
            f"the file {exc.message}, the most sprmon reads as a snapshot "
            f"(a million paths take {format_size(141 << 20)})"
        )
    if exc.problem is FileProblem.NOT_REGULAR:
        return f"the file {exc.message}"
    if exc.problem is FileProblem.FOLDER:
        return "cannot read the file: it is a folder"
    return f"cannot read the file: {exc.message}"


def _check_duplicate_keys(raw: bytes, document: _SnapshotDoc, source: str) -> None:
    """A key given twice in one object is an error, as an unknown key is: pydantic,
    like most JSON parsers, silently keeps the last of the two.

    Parsing the file again to see every key would make loading about 40 %
    costlier. Instead, when the validated objects hold at least as many
    strings (distinct keys and string values) as the file can hold at most
    (:func:`strings_at_most`), no key can be there twice: true of every file
    sprmon writes, for 7 % of a load. Only a file where the two differ (written
    by hand with ``null`` values or escaped quotes, or with a duplicate) is
    parsed again, to find the duplicate if there is one.
    """
    if strings_at_most(raw) <= _strings_at_least(document):
        return
    duplicate = find_duplicate_key(raw)
    if duplicate is not None:
        where, key = duplicate
        raise SnapshotError(
            source,
            f"{_json_path(where)}: duplicate key {json.dumps(key)} (an object names each key once)",
        )


#: A path's optional keys, written (at least) when not at their default; the
#: values of next_hop and origin are strings as well. Grouped so that a million
#: paths cost a few C loops (about 1 µs a path in all, an eighth of its load).
_PATH_STRINGS = operator.attrgetter("next_hop", "origin")
_PATH_NUMBERS = operator.attrgetter("med", "local_pref")
_PATH_LISTS = operator.attrgetter("as_path", "communities")
_PATH_FLAGS = operator.attrgetter("best", "multipath")
_PATH_COMMUNITIES = operator.attrgetter("communities")


def _strings_at_least(document: _SnapshotDoc) -> int:
    """How many strings, distinct keys and string values, the document holds at least.

    The dicts keep every key they were given (``null`` included); their
    required strings are counted, and the optional ones that are not ``None``.
    A path is a BgpPath already: its two required keys with their strings,
    and each other key whose value is not the default (a default may also have
    been written, which only lowers the count).
    """
    observations = document["observations"]
    count = len(document) + (document.get("source") is not None)
    count += document.get("taken_at") is not None
    for observation in observations:
        # site and collected_at are strings; error is one unless null.
        count += len(observation) + 2 + (observation.get("error") is not None)
        peers = observation.get("peers") or ()
        # address and state.
        count += sum(map(len, peers)) + 2 * len(peers)
        interfaces = observation.get("interfaces") or ()
        # name, oper_status and counters_at unless null.
        count += sum(map(len, interfaces)) + 2 * len(interfaces)
        count += sum(i.get("counters_at") is not None for i in interfaces)
    flat = itertools.chain.from_iterable
    paths = list(flat(o.get("paths") or () for o in observations))
    # prefix and peer, keys and values.
    count += 4 * len(paths)
    count += 2 * (2 * len(paths) - operator.countOf(flat(map(_PATH_STRINGS, paths)), None))
    count += 2 * len(paths) - operator.countOf(flat(map(_PATH_NUMBERS, paths)), None)
    count += 2 * len(paths) - operator.countOf(flat(map(_PATH_LISTS, paths)), ())
    count += operator.countOf(flat(map(_PATH_FLAGS, paths)), True)
    count += sum(map(len, map(_PATH_COMMUNITIES, paths)))
    return count


def snapshot_from_dict(data: Mapping[str, Any], *, source: str = "<snapshot>") -> Snapshot:
    """Decode the JSON-shaped dict of a snapshot (as :func:`json.load` returns it).

    Exactly as strict as :func:`load_snapshot`: the dict goes through the same JSON
    validator, so ``"5"`` is no more an integer here than in a file.
    """
    try:
        raw = pydantic_core.to_json(data)
    except pydantic_core.PydanticSerializationError as exc:
        raise SnapshotError(source, f"not JSON-shaped data: {exc}") from exc
    try:
        document = _DOCUMENT.validate_json(raw)
    except ValidationError as exc:
        _check_version(data, source)
        raise SnapshotError(source, _describe_errors(exc)) from exc
    return _decode(document, source)


def _json_problem(raw: bytes, detail: str) -> str:
    if not raw.strip():
        return "the file is empty (expected a JSON snapshot object)"
    if "EOF while parsing" in detail:
        return f"not valid JSON, the file ends too early (truncated?): {detail}"
    return f"not valid JSON: {detail}"


def _check_version(document: object, source: str) -> None:
    if not isinstance(document, Mapping):
        raise SnapshotError(source, "expected a JSON object at the top level")
    if "version" not in document:
        raise SnapshotError(
            source,
            f'missing "version" (this sprmon reads snapshot version {SNAPSHOT_SCHEMA_VERSION})',
        )
    version = document["version"]
    if version != SNAPSHOT_SCHEMA_VERSION or isinstance(version, bool):
        raise SnapshotError(
            source,
            f"snapshot version {json.dumps(version)} is not supported by this sprmon "
            f"(supports {SNAPSHOT_SCHEMA_VERSION})",
        )


def _decode(document: _SnapshotDoc, source: str) -> Snapshot:
    """The core's Snapshot from a validated document, or a SnapshotError naming a bad value."""
    _check_version(document, source)
    observations = document["observations"]
    _check_path_numbers(observations, source)
    _check_counter_widths(observations, source)
    _canonicalise(observations, source)
    return _snapshot(document)


def _snapshot(document: _SnapshotDoc) -> Snapshot:
    """The core's dataclasses from a validated document, whose paths are BgpPath already.

    Built by their own constructors: a second pydantic schema to build them was
    a check's start-up cost (bench/README.md), and the objects above the paths
    are few (an observation, its peers and interfaces per site and poll).
    """
    head: dict[str, Any] = {k: v for k, v in document.items() if k != "observations"}
    return Snapshot(observations=tuple(_observation(o) for o in document["observations"]), **head)


def _observation(document: _ObservationDoc) -> SiteObservation:
    fields: dict[str, Any] = dict(document)
    peers = document.get("peers")
    if peers is not None:
        fields["peers"] = tuple(BgpPeer(**peer) for peer in peers)
    interfaces = document.get("interfaces")
    if interfaces is not None:
        fields["interfaces"] = tuple(Interface(**interface) for interface in interfaces)
    return SiteObservation(**fields)


def _check_path_numbers(observations: Sequence[_ObservationDoc], source: str) -> None:
    """MED, local preference and AS numbers fit in 32 bits, or a SnapshotError names one."""
    # Each distinct value once: a fleet's paths repeat the same few numbers.
    values: set[int | None] = set()
    for observation in observations:
        paths = observation.get("paths") or ()
        values.update([p.med for p in paths])
        values.update([p.local_pref for p in paths])
        values.update([asn for p in paths for asn in p.as_path])
    if all(v is None or 0 <= v <= UNSIGNED32_MAX for v in values):
        return
    problems = []
    for i, observation in enumerate(observations):
        for j, path in enumerate(observation.get("paths") or ()):
            numbers = [("med", path.med), ("local_pref", path.local_pref)]
            numbers += [(f"as_path[{k}]", asn) for k, asn in enumerate(path.as_path)]
            for name, value in numbers:
                if value is not None and not 0 <= value <= UNSIGNED32_MAX:
                    bound = "at least 0" if value < 0 else f"at most {UNSIGNED32_MAX}"
                    problems.append(
                        f"observations[{i}].paths[{j}].{name}: "
                        f"expected an integer {bound}, got {value}"
                    )
    raise SnapshotError(source, problems[0] + _more(len(problems) - 1))


def _check_counter_widths(observations: Sequence[_ObservationDoc], source: str) -> None:
    """Octet counters of a 32-bit interface (ifTable's Counter32) fit in 32 bits."""
    for i, observation in enumerate(observations):
        for j, interface in enumerate(observation.get("interfaces") or ()):
            if interface.get("counter_bits", 64) != 32:
                continue
            for name, value in (
                ("in_octets", interface.get("in_octets")),
                ("out_octets", interface.get("out_octets")),
            ):
                if value is not None and value > UNSIGNED32_MAX:
                    raise SnapshotError(
                        source,
                        f"observations[{i}].interfaces[{j}].{name}: expected an integer at most "
                        f"{UNSIGNED32_MAX} (counter_bits is 32), got {value}",
                    )


def _canonicalise(observations: Sequence[_ObservationDoc], source: str) -> None:
    """Canonical prefixes and addresses, in place, or a SnapshotError naming the first bad one.

    Routers repeat the same few prefixes and peers across thousands of paths, so
    each distinct value is checked once and, in the usual case where all are
    canonical already, nothing is rewritten.
    """
    prefixes: set[str] = set()
    addresses: set[str] = set()
    for observation in observations:
        found = observation.get("paths") or ()
        prefixes.update([p.prefix for p in found])
        addresses.update([p.peer for p in found])
        addresses.update([p.next_hop for p in found if p.next_hop is not None])
        addresses.update([p["address"] for p in observation.get("peers") or ()])
    prefix_map = _canonical_map(prefixes, canonical_prefix)
    address_map = _canonical_map(addresses, canonical_address)
    if all(k == v for k, v in prefix_map.items()) and all(k == v for k, v in address_map.items()):
        return

    def canon(mapping: Mapping[str, str | ValueError], value: str, where: str) -> str:
        result = mapping[value]
        if isinstance(result, ValueError):
            raise SnapshotError(source, f"{where}: {result}")
        return result

    def canonical_path(path: BgpPath, where: str) -> BgpPath:
        hop = path.next_hop
        return dataclasses.replace(
            path,
            prefix=Prefix(canon(prefix_map, path.prefix, f"{where}.prefix")),
            peer=Address(canon(address_map, path.peer, f"{where}.peer")),
            next_hop=None if hop is None else Address(canon(address_map, hop, f"{where}.next_hop")),
        )

    for i, observation in enumerate(observations):
        at = f"observations[{i}]"
        paths = observation.get("paths")
        if paths is not None:
            observation["paths"] = tuple(
                canonical_path(path, f"{at}.paths[{j}]") for j, path in enumerate(paths)
            )
        for j, peer in enumerate(observation.get("peers") or ()):
            peer["address"] = Address(
                canon(address_map, peer["address"], f"{at}.peers[{j}].address")
            )


def _canonical_map(values: set[str], canon: Callable[[str], str]) -> dict[str, str | ValueError]:
    result: dict[str, str | ValueError] = {}
    for value in values:
        try:
            result[value] = canon(value)
        except ValueError as exc:
            result[value] = exc
    return result


# --- error messages ---------------------------------------------------------

_TYPE_WORDS = {
    "int_type": "expected an integer",
    "int_from_float": "expected an integer",
    "float_type": "expected a number",
    "finite_number": "expected a finite number",
    "string_type": "expected a string",
    "bool_type": "expected true or false",
    "tuple_type": "expected an array",
    "dict_type": "expected an object",
    "dataclass_type": "expected an object",
    "dataclass_args_type": "expected an object",
    "missing": "missing required key",
}


def _describe_errors(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = _json_path(first["loc"])
    text = _describe(first)
    suffix = _more(len(errors) - 1)
    return f"{where}: {text}{suffix}" if where else f"{text}{suffix}"


def _more(count: int) -> str:
    return f" (and {count} more problem{'s' if count > 1 else ''})" if count else ""


def _describe(error: Mapping[str, Any]) -> str:
    kind = str(error["type"])
    ctx = error.get("ctx") or {}
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        return f"unknown key (allowed here: {', '.join(_allowed_keys(error['loc'][:-1]))})"
    if kind == "missing":
        return _TYPE_WORDS[kind]
    if kind.startswith("sprmon_"):
        return str(error["msg"])
    if kind in ("enum", "literal_error"):
        return f"expected one of {ctx.get('expected', '?')}{_got(error)}"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound, limit = ("at least", ctx.get("ge")) if "ge" in ctx else ("at most", ctx.get("le"))
        what = "an integer" if isinstance(error.get("input"), int) else "a number"
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        return f"expected {what} {bound} {limit}{_got(error)}"
    if kind in _TYPE_WORDS:
        return _TYPE_WORDS[kind] + _got(error)
    return f"{error['msg']}{_got(error)}"


def _got(error: Mapping[str, Any]) -> str:
    value = error.get("input")
    if isinstance(value, dict | list):
        return f", got {'an object' if isinstance(value, dict) else 'an array'}"
    shown = json.dumps(value, ensure_ascii=False, default=str)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f", got {shown}"


def _json_path(loc: Sequence[int | str]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(f".{item}" if parts else item)
    return "".join(parts)


def _allowed_keys(parent: Sequence[int | str]) -> list[str]:
    cls = _CLASS_AT.get(tuple(p for p in parent if isinstance(p, str)))
    return [f.name for f in dataclasses.fields(cls)] if cls is not None else []


# --- encoding ----------------------------------------------------------------


def snapshot_to_dict(snapshot: Snapshot) -> dict[str, Any]:
    """The JSON-shaped dict of a snapshot; fields at their default value are left out."""
    document = _head_to_dict(snapshot)
    document["observations"] = [_observation_to_dict(o) for o in snapshot.observations]
    return document


def _head_to_dict(snapshot: Snapshot) -> dict[str, Any]:
    """Every top-level key but the observations."""
    document: dict[str, Any] = {"version": SNAPSHOT_SCHEMA_VERSION}
    if snapshot.taken_at is not None:
        document["taken_at"] = format_time(snapshot.taken_at)
    if snapshot.source:
        document["source"] = snapshot.source
    return document


def _observation_to_dict(observation: SiteObservation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "site": observation.site,
        "collected_at": format_time(observation.collected_at),
    }
    if observation.uptime_ticks is not None:
        out["uptime_ticks"] = observation.uptime_ticks
    if observation.error is not None:
        out["error"] = observation.error
    if observation.counter_watch_s is not None:
        out["counter_watch_s"] = observation.counter_watch_s
    if observation.paths is not None:
        out["paths"] = [_path_to_dict(p) for p in observation.paths]
    if observation.peers is not None:
        out["peers"] = [_peer_to_dict(p) for p in observation.peers]
    if observation.interfaces is not None:
        out["interfaces"] = [_interface_to_dict(i) for i in observation.interfaces]
    return out


def _path_to_dict(path: BgpPath) -> dict[str, Any]:
    out: dict[str, Any] = {"prefix": path.prefix, "peer": path.peer}
    if path.next_hop is not None:
        out["next_hop"] = path.next_hop
    if path.med is not None:
        out["med"] = path.med
    if path.local_pref is not None:
        out["local_pref"] = path.local_pref
    if path.as_path:
        out["as_path"] = list(path.as_path)
    if path.communities:
        out["communities"] = list(path.communities)
    if path.origin is not None:
        out["origin"] = path.origin.value
    if path.best:
        out["best"] = True
    if path.multipath:
        out["multipath"] = True
    return out


def _peer_to_dict(peer: BgpPeer) -> dict[str, Any]:
    out: dict[str, Any] = {"address": peer.address, "state": peer.state.value}
    if peer.remote_as is not None:
        out["remote_as"] = peer.remote_as
    if peer.established_for_s is not None:
        out["established_for_s"] = peer.established_for_s
    if peer.established_transitions is not None:
        out["established_transitions"] = peer.established_transitions
    return out


_INTERFACE_OPTIONAL = (
    "speed_bps",
    "in_octets",
    "out_octets",
    "in_errors",
    "out_errors",
    "in_discards",
    "out_discards",
    "discontinuity_ticks",
    "counters_uptime_ticks",
)


def _interface_to_dict(interface: Interface) -> dict[str, Any]:
    out: dict[str, Any] = {
        "index": interface.index,
        "name": interface.name,
        "oper_status": interface.oper_status.value,
    }
    if interface.counter_bits != 64:
        out["counter_bits"] = interface.counter_bits
    for name in _INTERFACE_OPTIONAL:
        value = getattr(interface, name)
        if value is not None:
            out[name] = value
    if interface.counters_at is not None:
        out["counters_at"] = format_time(interface.counters_at)
    return out


def dump_snapshot(snapshot: Snapshot, path: Path) -> None:
    """Write a snapshot file atomically: a reader never sees half a file.

    Layout: indented down to each observation, then one line per path, peer and
    interface, so that files stay readable and diffable and a million paths stay
    compact.
    """
    target = path.resolve()
    mode: int | None
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise SnapshotError(str(path), f"cannot write the file: {exc.strerror or exc}") from exc
    try:
        fd, tmp = _create_temporary(target, mode)
    except OSError as exc:
        raise SnapshotError(str(path), f"cannot write the file: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as stream:
            if mode is not None:
                os.fchmod(stream.fileno(), mode)
            stream.writelines(_encode_lines(snapshot))
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SnapshotError(str(path), f"cannot write the file: {exc.strerror or exc}") from exc


def _create_temporary(target: Path, mode: int | None) -> tuple[int, Path]:
    """A new file next to ``target``, open for writing, and its path.

    A replaced file keeps its mode (set by the caller). A new one is created
    0666 less the umask, as ``-o`` and a shell's ``>`` create theirs: a
    snapshot holds a network's inventory, and ``umask 077`` must keep it
    private (mkstemp's 0600, widened to a fixed 0644, did not).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{os.urandom(6).hex()}")
        try:
            return os.open(tmp, flags, 0o600 if mode is not None else 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {target}")


def _json(value: object) -> bytes:
    # pydantic-core's encoder: four times faster than json.dumps on small dicts.
    return pydantic_core.to_json(value)


def _encode_lines(snapshot: Snapshot) -> Iterator[bytes]:
    """The file, one observation's dicts at a time.

    They die young, so that the garbage collector never walks a million of them
    (building them all first made writing a large file twice as slow).
    """
    yield b"{\n"
    for key, value in _head_to_dict(snapshot).items():
        yield b"  " + _json(key) + b": " + _json(value) + b",\n"
    observations = snapshot.observations
    if not observations:
        yield b'  "observations": []\n'
    else:
        yield b'  "observations": [\n'
        last = len(observations) - 1
        for j, observation in enumerate(observations):
            yield from _encode_observation(_observation_to_dict(observation), last=j == last)
        yield b"  ]\n"
    yield b"}\n"


def _encode_observation(observation: Mapping[str, Any], *, last: bool) -> Iterator[bytes]:
    yield b"    {\n"
    keys = list(observation)
    for i, key in enumerate(keys):
        comma = b"," if i < len(keys) - 1 else b""
        value = observation[key]
        if isinstance(value, list) and value:
            yield b"      " + _json(key) + b": [\n"
            yield b",\n".join([b"        " + _json(item) for item in value]) + b"\n"
            yield b"      ]" + comma + b"\n"
        else:
            yield b"      " + _json(key) + b": " + _json(value) + comma + b"\n"
    yield b"    }\n" if last else b"    },\n"
