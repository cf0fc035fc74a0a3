"""``--shard INDEX/COUNT``: every site owned by exactly one process, stably."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sprmon.daemon.shard import Shard, ShardError, shard_of

NAMES = st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=50, unique=True)


@given(names=NAMES, count=st.integers(1, 8))
def test_the_shards_of_a_count_cover_every_site_exactly_once(names: list[str], count: int) -> None:
    for name in names:
        owners = [index for index in range(count) if Shard(index, count).owns(name)]
        assert len(owners) == 1


@given(names=NAMES, added=NAMES, count=st.integers(2, 8))
def test_adding_sites_moves_none_of_the_others(
    names: list[str], added: list[str], count: int
) -> None:
    before = {name: shard_of(name, count) for name in names}
    after = {name: shard_of(name, count) for name in [*names, *added]}
    assert {name: after[name] for name in names} == before


def test_the_hash_is_the_same_in_another_process() -> None:
    # Python's own str hash is salted per process; the shard must not be.
    names = [f"site-{n:03d}" for n in range(20)]
    here = [shard_of(name, 7) for name in names]
    code = f"from sprmon.daemon.shard import shard_of\nprint([shard_of(n, 7) for n in {names!r}])"
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert there == str(here)


def test_a_thousand_sites_split_evenly_enough() -> None:
    counts = [0, 0, 0, 0]
    for n in range(1000):
        counts[shard_of(f"site-{n:04d}", 4)] += 1
    assert min(counts) > 200


@pytest.mark.parametrize(("text", "shard"), [("0/1", Shard()), (" 1 / 2 ", Shard(1, 2))])
def test_parse(text: str, shard: Shard) -> None:
    assert Shard.parse(text) == shard
    assert str(Shard.parse(text)) == f"{shard.index}/{shard.count}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2/2", "shard 2/2: the index must be 0 to count-1 (e.g. 0/2 and 1/2 for two processes)"),
        ("0/0", "shard 0/0: the index must be 0 to count-1"),
        ("1", "'1' is not INDEX/COUNT, e.g. 0/2"),
        ("-1/2", "'-1/2' is not INDEX/COUNT, e.g. 0/2"),
    ],
)
def test_bad_shards_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(ShardError) as info:
        Shard.parse(text)
    assert str(info.value).startswith(message)
