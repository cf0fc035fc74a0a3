"""When sites are polled: a spread start, jittered intervals, exponential backoff."""

from __future__ import annotations

from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sprmon.daemon.schedule import MAX_BACKOFF_FACTOR, MAX_BACKOFF_S, first_delay, next_delay


def test_first_polls_of_many_sites_spread_over_the_whole_interval() -> None:
    rng = Random(1)
    delays = [first_delay(60.0, rng) for _ in range(1000)]
    assert all(0 <= d <= 60 for d in delays)
    # Every tenth of the interval gets some sites: no lock-step start.
    assert {int(d // 6) for d in delays} == set(range(10))


@given(
    interval=st.floats(min_value=0.1, max_value=3600),
    jitter=st.floats(min_value=0, max_value=0.5),
    seed=st.integers(0, 1000),
)
def test_a_healthy_interval_varies_by_at_most_the_jitter(
    interval: float, jitter: float, seed: int
) -> None:
    delay = next_delay(interval, jitter=jitter, failures=0, rng=Random(seed))
    assert interval * (1 - jitter) - 1e-9 <= delay <= interval * (1 + jitter) + 1e-9


def test_jitter_desynchronises_sites_that_started_together() -> None:
    rng = Random(2)
    delays = {round(next_delay(60.0, jitter=0.1, failures=0, rng=rng), 3) for _ in range(100)}
    assert len(delays) > 90


def test_without_jitter_the_interval_is_exact() -> None:
    assert next_delay(30.0, jitter=0.0, failures=0, rng=Random(0)) == 30.0


@pytest.mark.parametrize(
    ("failures", "expected"),
    [(0, 10.0), (1, 10.0), (2, 20.0), (3, 40.0), (4, 80.0), (5, 80.0), (50, 80.0)],
)
def test_a_failing_target_backs_off_exponentially_up_to_a_cap(
    failures: int, expected: float
) -> None:
    assert next_delay(10.0, jitter=0.0, failures=failures, rng=Random(0)) == expected
    assert expected <= 10.0 * MAX_BACKOFF_FACTOR


def test_backoff_never_exceeds_ten_minutes_for_long_intervals() -> None:
    assert next_delay(300.0, jitter=0.0, failures=9, rng=Random(0)) == MAX_BACKOFF_S


def test_backoff_is_never_shorter_than_the_interval() -> None:
    assert next_delay(3600.0, jitter=0.0, failures=9, rng=Random(0)) == 3600.0
