"""The snapshot JSON codec: round trips, canonical forms, and one clear line per error."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sprmon.core.observed import (
    BgpPath,
    BgpPeer,
    Interface,
    OperStatus,
    Origin,
    PeerState,
    SiteObservation,
    Snapshot,
)
from sprmon.core.prefixes import Prefix, canonical_address, canonical_prefix
from sprmon.isotime import parse_time
from sprmon.smi import COUNTER64_MAX, SPEED_BPS_MAX, UNSIGNED32_MAX
from sprmon.snapshot import (
    MAX_SNAPSHOT_BYTES,
    SnapshotError,
    dump_snapshot,
    load_snapshot,
    snapshot_from_dict,
    snapshot_to_dict,
)

T0 = parse_time("2026-11-25T19:32:10Z")

# --- strategies ----------------------------------------------------------------

uint32 = st.integers(min_value=0, max_value=2**32 - 1)
counter = st.integers(min_value=0, max_value=2**64 - 1)
#: Microsecond resolution: what the format keeps (docs/snapshot-format.md).
times = st.integers(min_value=0, max_value=4_102_444_800 * 10**6).map(lambda us: us / 1_000_000)
names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


@st.composite
def prefixes(draw: st.DrawFn) -> Prefix:
    if draw(st.booleans()):
        length = draw(st.integers(0, 32))
        value = draw(st.integers(0, 2**32 - 1)) >> (32 - length) << (32 - length)
        return canonical_prefix(
            f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}/{length}"
        )
    length = draw(st.integers(0, 128))
    value = draw(st.integers(0, 2**128 - 1)) >> (128 - length) << (128 - length)
    groups = ":".join(f"{value >> (112 - 16 * i) & 0xFFFF:x}" for i in range(8))
    return canonical_prefix(f"{groups}/{length}")


addresses = st.one_of(
    st.ip_addresses(v=4).map(lambda a: canonical_address(str(a))),
    st.ip_addresses(v=6).map(lambda a: canonical_address(str(a))),
)

paths = st.builds(
    BgpPath,
    prefix=prefixes(),
    peer=addresses,
    next_hop=st.none() | addresses,
    med=st.none() | uint32,
    local_pref=st.none() | uint32,
    as_path=st.lists(uint32, max_size=4).map(tuple),
    communities=st.lists(names, max_size=3).map(tuple),
    origin=st.none() | st.sampled_from(Origin),
    best=st.booleans(),
    multipath=st.booleans(),
)
peers = st.builds(
    BgpPeer,
    address=addresses,
    state=st.sampled_from(PeerState),
    remote_as=st.none() | uint32,
    established_for_s=st.none() | st.floats(min_value=0, max_value=1e9),
)
optional_counter = st.none() | counter


@st.composite
def interfaces(draw: st.DrawFn) -> Interface:
    """Any interface a collector can report: octet counters as wide as counter_bits."""
    bits = draw(st.sampled_from([32, 64]))
    octets = st.none() | st.integers(0, UNSIGNED32_MAX if bits == 32 else COUNTER64_MAX)
    return Interface(
        index=draw(st.integers(0, 2**31)),
        name=draw(names),
        oper_status=draw(st.sampled_from(OperStatus)),
        speed_bps=draw(st.none() | st.integers(0, SPEED_BPS_MAX)),
        in_octets=draw(octets),
        out_octets=draw(octets),
        counter_bits=bits,
        in_errors=draw(optional_counter),
        out_errors=draw(optional_counter),
        in_discards=draw(optional_counter),
        out_discards=draw(optional_counter),
        discontinuity_ticks=draw(optional_counter),
    )


observations = st.builds(
    SiteObservation,
    site=names,
    collected_at=times,
    uptime_ticks=st.none() | counter,
    paths=st.none() | st.lists(paths, max_size=4).map(tuple),
    peers=st.none() | st.lists(peers, max_size=3).map(tuple),
    interfaces=st.none() | st.lists(interfaces(), max_size=3).map(tuple),
    error=st.none() | names,
)
snapshots = st.builds(
    Snapshot,
    observations=st.lists(observations, max_size=4).map(tuple),
    taken_at=st.none() | times,
    source=names,
)


# --- round trips --------------------------------------------------------------------


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(snapshot=snapshots)
def test_file_round_trip_gives_an_equal_snapshot(snapshot: Snapshot, tmp_path: Path) -> None:
    target = tmp_path / "snap.json"
    dump_snapshot(snapshot, target)
    assert load_snapshot(target) == snapshot


@given(snapshot=snapshots)
def test_dict_round_trip_through_json_gives_an_equal_snapshot(snapshot: Snapshot) -> None:
    document = json.loads(json.dumps(snapshot_to_dict(snapshot)))
    assert snapshot_from_dict(document) == snapshot


def test_fields_at_their_default_are_left_out_but_collected_empty_lists_are_kept() -> None:
    observation = SiteObservation(site="branch-01", collected_at=T0, paths=(), peers=None)
    document = snapshot_to_dict(Snapshot(observations=(observation,)))
    assert document == {
        "version": 1,
        "observations": [
            {"site": "branch-01", "collected_at": "2026-11-25T19:32:10Z", "paths": []}
        ],
    }


def test_dump_writes_one_line_per_path(tmp_path: Path) -> None:
    prefix = canonical_prefix("10.0.21.0/24")
    peer = canonical_address("198.51.100.1")
    observation = SiteObservation(
        site="branch-01",
        collected_at=T0,
        paths=(BgpPath(prefix, peer, med=100, best=True), BgpPath(prefix, peer, med=300)),
    )
    target = tmp_path / "snap.json"
    dump_snapshot(Snapshot(observations=(observation,)), target)
    lines = target.read_text().splitlines()
    assert sum('"prefix":"10.0.21.0/24"' in line for line in lines) == 2
    assert json.loads(target.read_text())["observations"][0]["paths"][1]["med"] == 300


def test_dump_replaces_the_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "snap.json"
    target.write_text("old")
    dump_snapshot(Snapshot(observations=()), target)
    assert load_snapshot(target) == Snapshot(observations=())
    assert [p.name for p in tmp_path.iterdir()] == ["snap.json"]


def test_dump_creates_a_world_readable_file_under_umask_022(tmp_path: Path) -> None:
    target = tmp_path / "snap.json"
    previous = os.umask(0o022)
    try:
        dump_snapshot(Snapshot(observations=()), target)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_dump_into_a_missing_folder_is_a_snapshot_error(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="cannot write the file"):
        dump_snapshot(Snapshot(observations=()), tmp_path / "no" / "snap.json")


def test_load_canonicalises_prefixes_and_addresses(tmp_path: Path) -> None:
    document = {
        "version": 1,
        "observations": [
            {
                "site": "branch-01",
                "collected_at": "2026-11-25T19:32:10Z",
                "paths": [
                    {
                        "prefix": "2001:DB8:21:0::/48",
                        "peer": "2001:0db8:0100::1",
                        "next_hop": " 198.51.100.1",
                    }
                ],
                "peers": [{"address": "2001:DB8:100::1", "state": "established"}],
            }
        ],
    }
    target = tmp_path / "snap.json"
    target.write_text(json.dumps(document))
    observation = load_snapshot(target).observations[0]
    assert observation.paths is not None and observation.peers is not None
    assert observation.paths[0].prefix == "2001:db8:21::/48"
    assert observation.paths[0].peer == "2001:db8:100::1"
    assert observation.paths[0].next_hop == "198.51.100.1"
    assert observation.peers[0].address == "2001:db8:100::1"


def test_version_defaults_in_the_core_but_is_required_in_a_file() -> None:
    assert Snapshot(observations=()).version == 1
    with pytest.raises(SnapshotError, match='missing "version"'):
        snapshot_from_dict({"observations": []})


# --- errors ------------------------------------------------------------------------


def _observation(**fields: object) -> dict[str, object]:
    return {"site": "branch-01", "collected_at": "2026-11-25T19:32:10Z", **fields}


def _document(*observations: dict[str, object], **top: object) -> str:
    return json.dumps({"version": 1, "observations": list(observations), **top})


_PATH = {"prefix": "10.0.21.0/24", "peer": "198.51.100.1"}

ERRORS = [
    pytest.param("", "the file is empty", id="empty"),
    pytest.param(
        _document(_observation(paths=[_PATH]))[:-20],
        "the file ends too early (truncated?): EOF while parsing",
        id="truncated",
    ),
    pytest.param("{'version': 1}", "not valid JSON: key must be a string at line 1", id="not-json"),
    pytest.param("[1, 2]", "expected a JSON object at the top level", id="array"),
    pytest.param(
        '{"version": 2, "observations": [{"whatever": "the new format holds"}]}',
        "snapshot version 2 is not supported by this sprmon (supports 1)",
        id="future-version",
    ),
    pytest.param(
        '{"version": "1", "observations": []}',
        'snapshot version "1" is not supported',
        id="version-string",
    ),
    pytest.param('{"observations": []}', 'missing "version"', id="no-version"),
    pytest.param(
        _document(
            _observation(),
            _observation(),
            _observation(),
            _observation(paths=[{**_PATH, "med": "100"}]),
        ),
        'observations[3].paths[0].med: expected an integer, got "100"',
        id="wrong-type",
    ),
    pytest.param(
        _document(_observation(paths=[{**_PATH, "med": 100.5}])),
        "observations[0].paths[0].med: expected an integer, got 100.5",
        id="float-for-integer",
    ),
    pytest.param(
        _document(_observation(paths=[{**_PATH, "best": "yes"}])),
        'observations[0].paths[0].best: expected true or false, got "yes"',
        id="wrong-bool",
    ),
    pytest.param(
        _document(_observation(paths=[{**_PATH, "colour": "blue"}])),
        "observations[0].paths[0].colour: unknown key (allowed here: prefix, peer, next_hop,",
        id="unknown-key",
    ),
    pytest.param(
        _document(_observation(), extra=1),
        "extra: unknown key (allowed here: observations, taken_at, source, version)",
        id="unknown-top-level-key",
    ),
    pytest.param(
        _document(_observation(paths=[{**_PATH, "med": 2**32}])),
        "observations[0].paths[0].med: expected an integer at most 4294967295, got 4294967296",
        id="med-over-32-bits",
    ),
    pytest.param(
        _document(_observation(), _observation(paths=[_PATH, {**_PATH, "as_path": [65000, -1]}])),
        "observations[1].paths[1].as_path[1]: expected an integer at least 0, got -1",
        id="negative-as-number",
    ),
    pytest.param(
        _document(_observation(paths=[{**_PATH, "local_pref": -1, "med": -1}])),
        "observations[0].paths[0].med: expected an integer at least 0, got -1 (and 1 more problem)",
        id="two-numbers-out-of-range",
    ),
    pytest.param(
        _document(
            _observation(peers=[{"address": "198.51.100.1", "state": "idle", "remote_as": 2**32}])
        ),
        "observations[0].peers[0].remote_as: expected an integer at most 4294967295",
        id="remote-as-over-32-bits",
    ),
    pytest.param(
        _document(_observation(paths=[5])),
        "observations[0].paths[0]: expected an object, got 5",
        id="number-for-path",
    ),
    pytest.param(
        _document(_observation(paths=[{"peer": "198.51.100.1"}])),
        "observations[0].paths[0].prefix: missing required key",
        id="missing-key",
    ),
    pytest.param(
        _document(_observation(paths=[{**_PATH, "prefix": "10.0.21.1/24"}])),
        "observations[0].paths[0].prefix: 10.0.21.1/24 has host bits set",
        id="prefix-host-bits",
    ),
    pytest.param(
        _document(
            _observation(paths=[_PATH]),
            _observation(paths=[_PATH, {**_PATH, "prefix": "10.0.300.0/24"}]),
        ),
        "observations[1].paths[1].prefix: '10.0.300.0/24' does not appear to be an IPv4 or IPv6",
        id="bad-prefix",
    ),
    pytest.param(
        _document(_observation(peers=[{"address": "core-mpls", "state": "established"}])),
        "observations[0].peers[0].address: 'core-mpls' does not appear to be an IPv4 or IPv6",
        id="bad-address",
    ),
    pytest.param(
        _document(_observation(peers=[{"address": "198.51.100.1", "state": "up"}])),
        "observations[0].peers[0].state: expected one of 'idle', 'connect', 'active',",
        id="bad-enum",
    ),
    pytest.param(
        _document({"site": "branch-01", "collected_at": "2026-11-25T19:32:10"}),
        "observations[0].collected_at: '2026-11-25T19:32:10' has no time zone",
        id="naive-time",
    ),
    pytest.param(
        _document({"site": "branch-01", "collected_at": 1795635130}),
        "observations[0].collected_at: expected an ISO 8601 time string",
        id="number-for-time",
    ),
    pytest.param(
        _document(
            _observation(
                interfaces=[{"index": 2, "name": "eth1", "oper_status": "up", "in_octets": -5}]
            )
        ),
        "observations[0].interfaces[0].in_octets: expected an integer at least 0, got -5",
        id="negative-counter",
    ),
    pytest.param(
        _document(
            _observation(
                interfaces=[{"index": 2, "name": "eth1", "oper_status": "up", "counter_bits": 16}]
            )
        ),
        "observations[0].interfaces[0].counter_bits: expected one of 32 or 64, got 16",
        id="counter-bits",
    ),
    pytest.param(
        _document(_observation(paths={"prefix": "10.0.21.0/24"})),
        "observations[0].paths: expected an array, got an object",
        id="object-for-array",
    ),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_bad_file_gives_one_line_naming_file_and_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    target = tmp_path / "snap.json"
    target.write_text(text)
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(target)
    assert str(caught.value).startswith(f"{target}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_several_problems_are_counted_after_the_first(tmp_path: Path) -> None:
    target = tmp_path / "snap.json"
    target.write_text(_document(_observation(paths=[{**_PATH, "med": "1", "best": 1}])))
    with pytest.raises(SnapshotError, match=r"med: expected an integer.*\(and 1 more problem\)$"):
        load_snapshot(target)


def test_missing_file_is_a_snapshot_error(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="cannot read the file: No such file or directory"):
        load_snapshot(tmp_path / "absent.json")


def test_from_dict_is_as_strict_as_a_file() -> None:
    document = json.loads(_document(_observation(paths=[{**_PATH, "med": "100"}])))
    with pytest.raises(SnapshotError, match=r"<snapshot>: observations\[0\]\.paths\[0\]\.med"):
        snapshot_from_dict(document)


def test_example_snapshots_load(tmp_path: Path) -> None:
    folder = Path(__file__).parent.parent / "examples" / "scenario" / "snapshots"
    loaded = {p.name: load_snapshot(p) for p in sorted(folder.glob("*.json"))}
    assert set(loaded) == {"after.json", "before.json", "compliant.json", "mixed.json"}
    assert all(len(s.observations) == 10 for s in loaded.values())


def test_shipped_example_snapshots_are_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path(__file__).parent.parent / "examples" / "scenario" / "snapshots"
    spec = importlib.util.spec_from_file_location("make_snapshots", folder / "make_snapshots.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is created.
    monkeypatch.setitem(sys.modules, "make_snapshots", generator)
    spec.loader.exec_module(generator)
    written = generator.write_all(tmp_path)
    assert [p.name for p in written] == [
        "compliant.json",
        "mixed.json",
        "before.json",
        "after.json",
    ]
    for fresh in written:
        assert fresh.read_bytes() == (folder / fresh.name).read_bytes(), (
            f"{fresh.name} is stale: run python {folder / 'make_snapshots.py'}"
        )


def test_example_in_the_format_documentation_is_a_valid_snapshot() -> None:
    doc = Path(__file__).parent.parent / "docs" / "snapshot-format.md"
    (block,) = re.findall(r"```json\n(.*?)```", doc.read_text(), flags=re.DOTALL)
    snapshot = snapshot_from_dict(json.loads(block), source="docs/snapshot-format.md")
    (observation,) = snapshot.observations
    assert observation.paths is not None
    assert [p.best for p in observation.paths] == [True, False]


# --- files that are not what they should be --------------------------------------------------


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    target = tmp_path / "snap.json"
    target.write_bytes(b"\xef\xbb\xbf" + _document(_observation(paths=[_PATH])).encode())
    (observation,) = load_snapshot(target).observations
    assert observation.paths is not None and len(observation.paths) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            '{"version": 1, "observations": [], "version": 1}',
            'version: duplicate key "version"',
            id="top-level",
        ),
        pytest.param(
            _document(_observation(), _observation(paths=[_PATH, {**_PATH}])).replace(
                '"peer": "198.51.100.1"}]', '"peer": "198.51.100.1", "med": 100, "med": 300}]'
            ),
            'observations[1].paths[1].med: duplicate key "med"',
            id="in-a-path",
        ),
    ],
)
def test_a_key_given_twice_in_one_object_is_refused_with_its_path(
    tmp_path: Path, text: str, message: str
) -> None:
    # Silently, the last one was kept: {"med": 100, "med": 300} read as MED 300.
    target = tmp_path / "snap.json"
    target.write_text(text)
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(target)
    assert str(caught.value) == f"{target}: {message} (an object names each key once)"


def test_a_key_given_twice_is_refused_even_when_its_last_value_is_null(tmp_path: Path) -> None:
    target = tmp_path / "snap.json"
    text = _document(_observation(paths=[{**_PATH, "med": 100}]))
    target.write_text(text.replace('"med": 100', '"med": 100, "med": null'))
    with pytest.raises(SnapshotError, match=r'paths\[0\]\.med: duplicate key "med"'):
        load_snapshot(target)


def test_nulls_defaults_escaped_quotes_and_blanks_without_a_key_twice_load(
    tmp_path: Path,
) -> None:
    # What a hand-written file holds, and sprmon never writes: each makes the
    # quick count inconclusive, and the file is then read again for duplicates.
    path: dict[str, object] = {**_PATH, "med": None, "as_path": [], "best": False, "next_hop": None}
    observation = _observation(paths=[path], error='agent said "no" : twice', peers=None)
    target = tmp_path / "snap.json"
    target.write_text(_document(observation).replace('"site":', '"site"  :'))
    (loaded,) = load_snapshot(target).observations
    assert loaded.error == 'agent said "no" : twice'
    assert loaded.paths is not None and loaded.paths[0].med is None


def test_a_named_pipe_as_a_snapshot_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "snap.json"
    os.mkfifo(fifo)
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(fifo)
    assert str(caught.value) == f"{fifo}: the file is a named pipe (FIFO), not a regular file"


def test_dev_zero_as_a_snapshot_is_refused_without_reading_it() -> None:
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(Path("/dev/zero"))
    assert str(caught.value) == "/dev/zero: the file is a character device, not a regular file"


def test_a_snapshot_past_its_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    target = tmp_path / "snap.json"
    with target.open("wb") as handle:
        handle.truncate(MAX_SNAPSHOT_BYTES + 1)
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(target)
    assert str(caught.value) == (
        f"{target}: the file is larger than 512 MiB ({MAX_SNAPSHOT_BYTES + 1:,} bytes), the "
        "most sprmon reads as a snapshot (a million paths take 141 MiB)"
    )


# --- the collectors' limits (sprmon.smi), one definition -------------------------------------

_IF = {"index": 2, "name": "eth1", "oper_status": "up"}
_PEER = {"address": "198.51.100.1", "state": "established"}

#: (where, the observation with the value, the largest value a collector can report).
LIMITS = [
    ("uptime_ticks", lambda v: _observation(uptime_ticks=v), COUNTER64_MAX),
    (
        "interfaces[0].index",
        lambda v: _observation(interfaces=[{**_IF, "index": v}]),
        UNSIGNED32_MAX,
    ),
    (
        "interfaces[0].speed_bps",
        lambda v: _observation(interfaces=[{**_IF, "speed_bps": v}]),
        SPEED_BPS_MAX,
    ),
    *(
        (
            f"interfaces[0].{name}",
            lambda v, name=name: _observation(interfaces=[{**_IF, name: v}]),
            COUNTER64_MAX,
        )
        for name in (
            "in_octets",
            "out_octets",
            "in_errors",
            "out_errors",
            "in_discards",
            "out_discards",
            "discontinuity_ticks",
        )
    ),
    (
        "interfaces[0].counters_uptime_ticks",
        lambda v: _observation(interfaces=[{**_IF, "counters_uptime_ticks": v}]),
        UNSIGNED32_MAX,
    ),
    (
        "peers[0].remote_as",
        lambda v: _observation(peers=[{**_PEER, "remote_as": v}]),
        UNSIGNED32_MAX,
    ),
    (
        "peers[0].established_transitions",
        lambda v: _observation(peers=[{**_PEER, "established_transitions": v}]),
        COUNTER64_MAX,
    ),
    ("paths[0].med", lambda v: _observation(paths=[{**_PATH, "med": v}]), UNSIGNED32_MAX),
    (
        "paths[0].local_pref",
        lambda v: _observation(paths=[{**_PATH, "local_pref": v}]),
        UNSIGNED32_MAX,
    ),
]


@pytest.mark.parametrize(("where", "observation", "limit"), LIMITS, ids=[w for w, _, _ in LIMITS])
def test_numbers_up_to_the_collectors_limit_are_read_and_past_it_refused(
    tmp_path: Path, where: str, observation: Any, limit: int
) -> None:
    target = tmp_path / "snap.json"
    target.write_text(_document(observation(limit)))
    assert load_snapshot(target).observations
    target.write_text(_document(observation(limit + 1)))
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(target)
    assert str(caught.value) == (
        f"{target}: observations[0].{where}: expected an integer at most {limit}, got {limit + 1}"
    )


@pytest.mark.parametrize("name", ["in_octets", "out_octets"])
def test_octets_of_a_32_bit_interface_fit_in_32_bits(tmp_path: Path, name: str) -> None:
    target = tmp_path / "snap.json"
    interface = {**_IF, "counter_bits": 32, name: UNSIGNED32_MAX + 1}
    target.write_text(_document(_observation(), _observation(interfaces=[interface])))
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(target)
    assert str(caught.value) == (
        f"{target}: observations[1].interfaces[0].{name}: expected an integer at most "
        f"{UNSIGNED32_MAX} (counter_bits is 32), got {UNSIGNED32_MAX + 1}"
    )


@pytest.mark.parametrize("key", ["established_for_s", "counter_watch_s"])
def test_seconds_are_bounded_like_a_gauge32(tmp_path: Path, key: str) -> None:
    target = tmp_path / "snap.json"
    if key == "established_for_s":
        observation = _observation(peers=[{**_PEER, key: 1e308}])
        where = "peers[0].established_for_s"
    else:
        observation = _observation(**{key: 1e308})
        where = key
    target.write_text(_document(observation))
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(target)
    assert str(caught.value) == (
        f"{target}: observations[0].{where}: expected a number at most {UNSIGNED32_MAX}, got 1e+308"
    )
