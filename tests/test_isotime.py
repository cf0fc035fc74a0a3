"""ISO 8601 times as sprmon writes them (snapshots, reports): UTC, exact to the microsecond."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sprmon.isotime import format_time, parse_time

T0 = 1_795_635_130.0  # 2026-11-25T19:32:10Z
#: Microsecond resolution: what the format keeps (docs/snapshot-format.md).
times = st.integers(min_value=0, max_value=4_102_444_800 * 10**6).map(lambda us: us / 1_000_000)


@given(posix=times)
def test_time_round_trip_is_exact_at_microsecond_resolution(posix: float) -> None:
    text = format_time(posix)
    assert text.endswith("Z")
    assert parse_time(text) == posix


def test_times_are_written_as_utc_with_fraction_only_when_present() -> None:
    assert format_time(T0) == "2026-11-25T19:32:10Z"
    assert format_time(T0 + 0.25) == "2026-11-25T19:32:10.25Z"


def test_time_with_an_offset_is_read_as_the_same_instant() -> None:
    assert parse_time("2026-11-25T20:32:10+01:00") == T0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-11-25T19:32:10", "has no time zone (write it in UTC, e.g. 2026-11-25T19:32:10Z)"),
        ("yesterday", "'yesterday' is not an ISO 8601 time"),
    ],
)
def test_a_time_without_zone_or_not_iso_is_a_value_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_time(text)
