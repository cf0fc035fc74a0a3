"""Numbers no router sends, but a snapshot file may hold: the evaluation never
overflows on them, and one site's absurd numbers leave the others' findings alone."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sprmon.core.counters import OUT_OF_RANGE, as_float, counter_delta, rate_and_note
from sprmon.core.evaluate import evaluate
from sprmon.core.findings import PathState, Severity
from sprmon.core.observed import SiteObservation
from tests.factories import NOW, intent, interface, observation, peers, site, site_name, snapshot

HUGE = 10**400
INTERVAL = 60.0


def _two_polls(
    n: int, *, in_octets: int = 0, after_in_octets: int = 0, speed_bps: int | None = None
) -> tuple[SiteObservation, SiteObservation]:
    before = interface("mpls", in_octets=in_octets, speed_bps=speed_bps)
    after = interface("mpls", in_octets=after_in_octets, speed_bps=speed_bps)
    return (
        observation(n, at=NOW - INTERVAL, interfaces_=(before,)),
        observation(n, at=NOW, interfaces_=(after,)),
    )


def test_as_float_turns_an_integer_too_large_for_a_float_into_infinity() -> None:
    assert as_float(HUGE) == float("inf")
    assert as_float(-HUGE) == float("-inf")
    assert as_float(2**64) == 2.0**64


@pytest.mark.parametrize("bits", [32, 64])
@pytest.mark.parametrize(("before", "after"), [(0, 2**64), (2**64, 5), (0, HUGE), (HUGE, HUGE)])
def test_a_counter_past_its_width_gives_no_rate_and_says_why(
    bits: int, before: int, after: int
) -> None:
    assert counter_delta(before, after, bits=bits, reset=False, max_delta=None) == (
        None,
        OUT_OF_RANGE,
    )
    assert rate_and_note(before, after, 60.0, bits=bits, reset=False, max_rate=None) == (
        None,
        OUT_OF_RANGE,
    )


def test_the_largest_64_bit_counter_still_gives_a_rate() -> None:
    rate, note = rate_and_note(0, 2**64 - 1, 1e-300, bits=64, reset=False, max_rate=None)

    assert (rate, note) == (float("inf"), None)


def test_a_speed_too_large_for_a_float_bounds_nothing_and_rates_are_still_made() -> None:
    finding = evaluate(
        intent([site(1)]), snapshot(*_two_polls(1, speed_bps=HUGE, after_in_octets=750)), NOW
    ).links[0]

    assert finding.link == "mpls"
    assert finding.in_bps == pytest.approx(100.0)


def test_uptime_ticks_too_large_for_a_float_fall_back_to_the_collectors_clock() -> None:
    before, after = _two_polls(1, after_in_octets=750)
    before = replace(before, uptime_ticks=0)
    after = replace(after, uptime_ticks=HUGE)

    finding = evaluate(intent([site(1)]), snapshot(before, after), NOW).links[0]

    assert finding.in_bps == pytest.approx(100.0)


def test_a_session_established_before_1970_has_no_established_since() -> None:
    obs = observation(1, peers_=peers(1, established_for_s=1e300))

    finding = evaluate(intent([site(1)]), snapshot(obs), NOW).links[0]

    assert finding.bgp_established is True
    assert finding.established_since is None


def test_one_sites_absurd_numbers_leave_the_other_sites_findings_alone() -> None:
    hostile = [
        replace(o, uptime_ticks=HUGE)
        for o in _two_polls(1, speed_bps=HUGE, in_octets=HUGE, after_in_octets=HUGE * 2)
    ]
    healthy = _two_polls(2, after_in_octets=750)

    report = evaluate(intent([site(1), site(2)]), snapshot(*hostile, *healthy), NOW)

    hostile_mpls = next(f for f in report.links if f.site == site_name(1) and f.link == "mpls")
    assert hostile_mpls.in_bps is None
    assert OUT_OF_RANGE in hostile_mpls.notes
    healthy_mpls = next(f for f in report.links if f.site == site_name(2) and f.link == "mpls")
    assert healthy_mpls.in_bps == pytest.approx(100.0)
    assert healthy_mpls.severity is Severity.OK
    assert {p.state for p in report.paths if p.site == site_name(2)} == {PathState.COMPLIANT}
