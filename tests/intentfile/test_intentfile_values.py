"""Capacities, durations, ratios, addresses and communities as an intent file writes them."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sprmon.intentfile.values import (
    parse_address,
    parse_capacity,
    parse_community,
    parse_duration,
    parse_ratio,
)


@pytest.mark.parametrize(
    ("text", "bps"),
    [
        ("10Mbps", 10_000_000),
        ("100 Mbps", 100_000_000),
        ("1Gbps", 1_000_000_000),
        ("1.5Gbps", 1_500_000_000),
        ("512kbps", 512_000),
        ("512Kbps", 512_000),
        ("2Tbps", 2_000_000_000_000),
        ("64000bps", 64_000),
    ],
)
def test_capacity_is_decimal_si_bits_per_second(text: str, bps: int) -> None:
    assert parse_capacity(text) == bps


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10, "capacity needs a unit, e.g. 10Mbps"),
        ("10", "capacity needs a unit, e.g. 10Mbps"),
        ("10MB", "unknown capacity unit 'MB' (use bps, kbps, Kbps, Mbps, Gbps or Tbps)"),
        ("10mbps", "unknown capacity unit 'mbps' (did you mean 'Mbps'?)"),
        ("0Mbps", "capacity must be greater than 0"),
        ("1.5bps", "capacity 1.5bps is not a whole number of bits per second"),
        ("fast", "expected a capacity such as 10Mbps, got 'fast'"),
        (True, "expected a capacity such as 10Mbps, got true"),
    ],
)
def test_capacity_without_a_known_unit_is_refused(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_capacity(value)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("300s", 300.0), ("5m", 300.0), ("1h", 3600.0), ("500ms", 0.5), (30, 30.0), ("2", 2.0)],
)
def test_duration_takes_a_unit_or_seconds(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["0s", 0, -1, "5 weeks", "soon", float("nan"), None])
def test_duration_that_is_not_positive_or_not_a_duration_is_refused(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "ratio"), [("80%", 0.8), (0.8, 0.8), ("0.25", 0.25), (1, 1.0), ("0%", 0.0)]
)
def test_ratio_is_a_percentage_or_a_fraction(value: object, ratio: float) -> None:
    assert parse_ratio(value) == pytest.approx(ratio)


@pytest.mark.parametrize("value", ["120%", 80, -0.1, "lots", float("inf")])
def test_ratio_outside_zero_to_one_is_refused(value: object) -> None:
    with pytest.raises(ValueError):
        parse_ratio(value)


@given(st.ip_addresses(v=4))
def test_ipv4_fast_path_gives_the_same_canonical_text_as_ipaddress(
    address: ipaddress.IPv4Address,
) -> None:
    assert parse_address(str(address)) == address.compressed


@given(
    st.lists(
        st.one_of(st.integers(0, 300).map(str), st.from_regex(r"0[0-9]{1,2}", fullmatch=True)),
        min_size=3,
        max_size=5,
    ).map(".".join)
)
def test_dotted_text_is_accepted_exactly_when_ipaddress_accepts_it(text: str) -> None:
    try:
        expected: str | None = ipaddress.ip_address(text).compressed
    except ValueError:
        expected = None
    try:
        got: str | None = parse_address(text)
    except ValueError:
        got = None
    assert got == expected


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("65000:100", "65000:100"),
        ("065000:0100", "65000:100"),
        ("4200000000:1:2", "4200000000:1:2"),
    ],
)
def test_communities_are_standard_or_large_and_canonical(text: str, canonical: str) -> None:
    assert parse_community(text) == canonical


@pytest.mark.parametrize("text", ["65536:1", "65000", "a:b", "1:2:3:4", "4294967296:1:1"])
def test_community_out_of_range_or_malformed_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_community(text)
