"""The snapshot JSON codec: round trips, canonical forms, and one clear line per error."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import stat
import sys
from pathlib import Path

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
from sprmon.snapshot import (
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
interfaces = st.builds(
    Interface,
    index=st.integers(0, 2**31),
    name=names,
    oper_status=st.sampled_from(OperStatus),
    speed_bps=optional_counter,
    in_octets=optional_counter,
    out_octets=optional_counter,
    counter_bits=st.sampled_from([32, 64]),
    in_errors=optional_counter,
    out_errors=optional_counter,
    in_discards=optional_counter,
    out_discards=optional_counter,
    discontinuity_ticks=optional_counter,
)
observations = st.builds(
    SiteObservation,
    site=names,
    collected_at=times,
    uptime_ticks=st.none() | counter,
    paths=st.none() | st.lists(paths, max_size=4).map(tuple),
    peers=st.none() | st.lists(peers, max_size=3).map(tuple),
    interfaces=st.none() | st.lists(interfaces, max_size=3).map(tuple),
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
