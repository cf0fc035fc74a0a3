"""Rates timed by when the agent refreshed its counters, not by when they were polled."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sprmon.core.intent import SiteLink
from sprmon.core.link_evaluation import link_rates
from sprmon.core.observed import SiteObservation
from tests.factories import interface, observation

LINK = SiteLink("mpls", 10_000_000, interface_name="Gi0/0/0")
NOW = 1_767_225_600.0
#: 125,000 octets/s = 1 Mbit/s.
RATE = 125_000


def poll(
    at: float,
    octets: int,
    *,
    counters_at: float | None = None,
    watched: float | None = None,
    uptime_at: float | None = None,
) -> SiteObservation:
    """A poll at ``at`` of counters current at ``counters_at`` (untimed if None)."""
    boot = NOW - 10_000
    mpls = interface("mpls", in_octets=octets, out_octets=octets)
    if counters_at is not None:
        ticks = round((counters_at - boot) * 100) if uptime_at is None else None
        mpls = replace(mpls, counters_at=counters_at, counters_uptime_ticks=ticks)
    return replace(
        observation(at=at, interfaces_=[mpls], uptime_ticks=round((at - boot) * 100)),
        counter_watch_s=watched,
    )


def out_bps(*samples: SiteObservation) -> float | None:
    return link_rates(LINK, samples).out_bps


def notes(*samples: SiteObservation) -> tuple[str, ...]:
    return link_rates(LINK, samples).notes


def test_timed_counters_give_the_rate_over_the_refreshes_not_over_the_polls() -> None:
    # Polled 5 s apart, but the agent's refreshes 6 s apart carried 6 s of traffic.
    first = poll(NOW, 0, counters_at=NOW - 0.4, watched=4.0)
    second = poll(NOW + 5, 6 * RATE, counters_at=NOW + 5.6, watched=4.0)

    assert out_bps(first, second) == pytest.approx(8 * RATE)
    assert notes(first, second) == ()


def test_untimed_counters_are_timed_by_the_polls_as_before() -> None:
    first, second = poll(NOW, 0), poll(NOW + 5, 6 * RATE)

    assert out_bps(first, second) == pytest.approx(8 * RATE * 6 / 5)


def test_one_timed_end_is_used_with_the_other_ends_poll_time() -> None:
    first = poll(NOW, 0, counters_at=NOW + 1.0, watched=4.0)
    second = poll(NOW + 5, 4 * RATE)

    assert out_bps(first, second) == pytest.approx(8 * RATE)


def test_the_collector_clock_times_counters_without_the_agents_uptime() -> None:
    first = poll(NOW, 0, counters_at=NOW - 0.4, watched=4.0, uptime_at=0)
    second = poll(NOW + 5, 3 * RATE, counters_at=NOW + 2.6, watched=4.0, uptime_at=0)

    assert out_bps(first, second) == pytest.approx(8 * RATE)


def test_the_agents_clock_wins_when_it_agrees_with_the_collectors() -> None:
    # The collector's clock is 50 ms late on the second refresh (a busy event loop);
    # sysUpTime, read in the same answers, is not.
    first = poll(NOW, 0, counters_at=NOW + 1.0, watched=4.0)
    second = poll(NOW + 5, 3 * RATE, counters_at=NOW + 4.0, watched=4.0)
    late = replace(
        second,
        interfaces=tuple(replace(i, counters_at=NOW + 4.05) for i in second.interfaces or ()),
    )

    assert out_bps(first, late) == pytest.approx(8 * RATE)


def test_a_refresh_not_seen_while_watched_is_noted_when_the_counters_moved() -> None:
    first = poll(NOW, 0, watched=4.0)
    second = poll(NOW + 5, 5 * RATE, counters_at=NOW + 5.5, watched=4.0)

    (note,) = notes(first, second)
    assert note.startswith("counter refresh not seen within the 4 s watched")


def test_an_idle_link_that_was_watched_has_no_note() -> None:
    first, second = poll(NOW, 7, watched=4.0), poll(NOW + 5, 7, watched=4.0)

    assert out_bps(first, second) == 0
    assert notes(first, second) == ()


def test_counters_from_a_collector_that_did_not_watch_have_no_note() -> None:
    first, second = poll(NOW, 0), poll(NOW + 5, 5 * RATE)

    assert notes(first, second) == ()
