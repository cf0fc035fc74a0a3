"""Counter rates: every way two samples can disagree, and that no rate is ever invented."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sprmon.core.counters import (
    DECREASED_64,
    DISCONTINUITY,
    IMPLAUSIBLE,
    NOT_COLLECTED,
    NOT_IN_ORDER,
    OUT_OF_RANGE,
    WRAPPED_32,
    counter_delta,
    discontinuity,
    rate_and_note,
)
from sprmon.core.observed import Interface, SiteObservation
from tests.factories import interface, observation

W32 = 2**32


@pytest.mark.parametrize(
    ("before", "after", "seconds", "bits", "reset", "max_rate", "expected"),
    [
        pytest.param(1000, 4000, 60.0, 64, False, None, (50.0, None), id="plain delta"),
        pytest.param(7, 7, 60.0, 64, False, None, (0.0, None), id="idle counter is zero"),
        pytest.param(
            W32 - 1000, 2000, 10.0, 32, False, None, (300.0, WRAPPED_32),
            id="32-bit wrap counted once",
        ),
        pytest.param(
            W32 - 1, 0, 1.0, 32, False, None, (1.0, WRAPPED_32),
            id="32-bit wrap to exactly zero",
        ),
        pytest.param(
            5000, 1000, 60.0, 64, False, None, (None, DECREASED_64),
            id="64-bit decrease is a reset",
        ),
        pytest.param(
            1000, 5000, 60.0, 64, True, None, (None, DISCONTINUITY),
            id="caller saw a discontinuity",
        ),
        pytest.param(
            1000, 5000, 0.0, 64, False, None, (None, NOT_IN_ORDER),
            id="same timestamp",
        ),
        pytest.param(
            1000, 5000, -60.0, 64, False, None, (None, NOT_IN_ORDER),
            id="samples reversed",
        ),
        pytest.param(
            5000, 1000, 60.0, 32, False, 1e6, (None, IMPLAUSIBLE),
            id="32-bit reset disguised as a wrap is implausible",
        ),
        pytest.param(
            0, 10**12, 60.0, 64, False, 2.5e8, (None, IMPLAUSIBLE),
            id="faster than twice the line rate",
        ),
        pytest.param(
            0, 15 * 10**9, 60.0, 64, False, 2.5e8, (2.5e8, None), id="exactly the bound"
        ),
        pytest.param(
            2**32 + 1, 0, 1.0, 32, False, None, (None, OUT_OF_RANGE),
            id="value too wide for a 32-bit counter",
        ),
        pytest.param(
            -5, 10, 1.0, 64, False, None, (None, OUT_OF_RANGE), id="negative value",
        ),
        pytest.param(None, 5000, 60.0, 64, False, None, (None, NOT_COLLECTED),
                     id="first sample missing"),
        pytest.param(5000, None, 60.0, 64, False, None, (None, NOT_COLLECTED),
                     id="second sample missing"),
    ],
)  # fmt: skip
def test_rate_or_the_reason_there_is_none(
    *,
    before: int | None,
    after: int | None,
    seconds: float,
    bits: int,
    reset: bool,
    max_rate: float | None,
    expected: tuple[float | None, str | None],
) -> None:
    assert (
        rate_and_note(before, after, seconds, bits=bits, reset=reset, max_rate=max_rate) == expected
    )


@given(
    before=st.integers(-1, 2**64),
    after=st.integers(-1, 2**64),
    seconds=st.floats(-1e6, 1e6, allow_nan=False),
    bits=st.sampled_from([32, 64]),
    reset=st.booleans(),
    max_rate=st.none() | st.floats(0, 1e12, allow_nan=False),
)
def test_rate_is_never_negative_nor_above_the_bound(
    *, before: int, after: int, seconds: float, bits: int, reset: bool, max_rate: float | None
) -> None:
    rate, note = rate_and_note(before, after, seconds, bits=bits, reset=reset, max_rate=max_rate)
    if rate is None:
        assert note is not None
        return
    assert rate >= 0
    assert max_rate is None or rate <= max_rate
    assert not reset
    assert seconds > 0


@pytest.mark.parametrize(
    ("before", "after", "says"),
    [
        pytest.param(
            (observation(uptime_ticks=500), interface("mpls")),
            (observation(uptime_ticks=600), interface("mpls")),
            None,
            id="comparable",
        ),
        pytest.param(
            (observation(uptime_ticks=9000), interface("mpls")),
            (observation(uptime_ticks=100), interface("mpls")),
            "device rebooted",
            id="sysUpTime backwards",
        ),
        pytest.param(
            (observation(uptime_ticks=None), interface("mpls")),
            (observation(uptime_ticks=100), interface("mpls")),
            None,
            id="uptime unknown in one poll",
        ),
        pytest.param(
            (observation(), interface("mpls", discontinuity_ticks=10)),
            (observation(), interface("mpls", discontinuity_ticks=4000)),
            "ifCounterDiscontinuityTime changed",
            id="discontinuity time changed",
        ),
        pytest.param(
            (observation(), interface("mpls", discontinuity_ticks=None)),
            (observation(), interface("mpls", discontinuity_ticks=4000)),
            None,
            id="discontinuity time newly known",
        ),
        pytest.param(
            (observation(), interface("mpls", counter_bits=32)),
            (observation(), interface("mpls", counter_bits=64)),
            "counter width changed from 32 to 64 bits",
            id="counter width changed",
        ),
    ],
)
def test_discontinuity(
    before: tuple[SiteObservation, Interface],
    after: tuple[SiteObservation, Interface],
    says: str | None,
) -> None:
    reason = discontinuity(before[0], after[0], before[1], after[1])
    if says is None:
        assert reason is None
    else:
        assert reason is not None
        assert says in reason


def test_uptime_wrap_after_497_days_counts_as_a_discontinuity() -> None:
    before = observation(uptime_ticks=W32 - 100)
    after = replace(before, uptime_ticks=500)
    assert discontinuity(before, after, interface("mpls"), interface("mpls")) is not None


@given(
    before=st.one_of(st.none(), st.integers(min_value=-5, max_value=2**64)),
    after=st.one_of(st.none(), st.integers(min_value=-5, max_value=2**64)),
    seconds=st.floats(min_value=0.001, max_value=1e6),
    bits=st.sampled_from([32, 64]),
    reset=st.booleans(),
    max_rate=st.one_of(st.none(), st.floats(min_value=1, max_value=1e12)),
)
def test_a_rate_is_the_counter_delta_over_the_time(  # noqa: PLR0917 - hypothesis passes them
    before: int | None,
    after: int | None,
    seconds: float,
    bits: int,
    reset: bool,
    max_rate: float | None,
) -> None:
    rate, rate_note = rate_and_note(
        before, after, seconds, bits=bits, reset=reset, max_rate=max_rate
    )
    delta, note = counter_delta(
        before,
        after,
        bits=bits,
        reset=reset,
        max_delta=None if max_rate is None else max_rate * seconds,
    )
    assert rate_note == note
    assert rate == (None if delta is None else delta / seconds)
    assert delta is None or delta >= 0
