"""Monotonic link totals: right across wraps, reboots and resets, and never a spike."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sprmon.core.monitor import LinkTotals
from sprmon.core.observed import BgpPeer, Interface, PeerState, SiteObservation
from sprmon.core.totals import LinkCounters, advance_totals
from tests.factories import NOW, interface, observation, peer_address, peers, site

W32 = 2**32
#: The mpls interface of the factories runs at 1 Gbit/s: at most 2 x 125 MB/s counts.
MAX_OCTETS_PER_S = 2 * 1_000_000_000 / 8
MPLS = site(1).links[0]


def poll(
    at: float,
    octets: int | None = 0,
    *,
    uptime_s: float = 10_000.0,
    bits: int = 64,
    discontinuity_ticks: int | None = None,
    errors: int | None = 0,
    transitions: int | None = None,
    iface: Interface | None = None,
) -> SiteObservation:
    mpls = iface or interface(
        "mpls",
        in_octets=octets,
        out_octets=None if octets is None else 2 * octets % (W32 if bits == 32 else 2**64),
        counter_bits=bits,
        errors=(errors, 0),
        discontinuity_ticks=discontinuity_ticks,
    )
    session = tuple(replace(p, established_transitions=transitions) for p in peers(1))
    return observation(
        1,
        at=at,
        interfaces_=(mpls, interface("inet")),
        peers_=session,
        uptime_ticks=round(uptime_s * 100),
    )


def run(*polls: SiteObservation) -> LinkTotals:
    state: LinkCounters | None = None
    for obs in polls:
        state = advance_totals(state, "branch-01", MPLS, obs)
    assert state is not None
    return state.totals


def test_first_poll_starts_every_read_counter_at_zero() -> None:
    totals = run(poll(NOW, 123_456, errors=None, transitions=3))
    assert totals == LinkTotals(
        site="branch-01",
        link="mpls",
        in_octets=0,
        out_octets=0,
        in_errors=None,
        out_errors=0,
        in_discards=0,
        out_discards=0,
        session_flaps=0,
    )


def test_nothing_read_stays_none() -> None:
    failed = SiteObservation(site="branch-01", collected_at=NOW, error="timeout")
    assert run(failed) == LinkTotals(site="branch-01", link="mpls")


def test_deltas_add_up() -> None:
    totals = run(poll(NOW, 1000), poll(NOW + 60, 5000), poll(NOW + 120, 9000, errors=4))
    assert (totals.in_octets, totals.out_octets, totals.in_errors) == (8000, 16000, 4)


def test_a_32_bit_wrap_is_counted_once() -> None:
    totals = run(poll(NOW, W32 - 1000, bits=32), poll(NOW + 10, 2000, bits=32))
    assert totals.in_octets == 3000


def test_a_reboot_counts_the_new_value_when_it_fits_the_time_since_boot() -> None:
    totals = run(
        poll(NOW, 50_000, uptime_s=10_000),
        poll(NOW + 60, 70_000, uptime_s=10_060),
        poll(NOW + 120, 4_000, uptime_s=30),
    )
    assert totals.in_octets == 20_000 + 4_000


def test_a_reboot_whose_new_value_is_more_than_the_link_could_carry_adds_nothing() -> None:
    too_much = round(MAX_OCTETS_PER_S * 30) + 1
    totals = run(poll(NOW, 50_000), poll(NOW + 60, too_much, uptime_s=30))
    assert totals.in_octets == 0


def test_after_a_reboot_a_32_bit_counter_that_may_have_wrapped_adds_nothing() -> None:
    # 2**32 octets take 34 s at 125 MB/s: after 60 s of uptime a wrap was possible.
    totals = run(poll(NOW, 50_000, bits=32), poll(NOW + 60, 4_000, bits=32, uptime_s=60))
    assert totals.in_octets == 0
    totals = run(poll(NOW, 50_000, bits=32), poll(NOW + 60, 4_000, bits=32, uptime_s=5))
    assert totals.in_octets == 4_000


def test_a_counter_reset_counts_from_its_discontinuity_time_when_safe() -> None:
    before = poll(NOW, 90_000, discontinuity_ticks=100)
    after = poll(NOW + 60, 3_000, uptime_s=10_060, discontinuity_ticks=1_000_000)
    assert run(before, after).in_octets == 3_000
    # Uptime unknown: the time since the reset is unknown, so nothing is added.
    unknown = replace(after, uptime_ticks=None)
    assert run(replace(before, uptime_ticks=None), unknown).in_octets == 0


def test_speed_unknown_after_a_reset_adds_nothing() -> None:
    slow = interface("mpls", in_octets=10, speed_bps=0)
    totals = run(
        poll(NOW, iface=replace(slow, in_octets=500)),
        poll(NOW + 60, iface=slow, uptime_s=5),
    )
    assert totals.in_octets == 0


def test_implausible_jump_adds_nothing_and_the_next_delta_counts_from_it() -> None:
    jump = round(MAX_OCTETS_PER_S * 60) * 3
    totals = run(poll(NOW, 0), poll(NOW + 60, jump), poll(NOW + 120, jump + 700))
    assert totals.in_octets == 700


def test_a_64_bit_counter_that_goes_down_without_reboot_adds_nothing() -> None:
    assert run(poll(NOW, 9000), poll(NOW + 60, 100), poll(NOW + 120, 400)).in_octets == 300


def test_a_changed_counter_width_adds_nothing_then_counts_again() -> None:
    totals = run(poll(NOW, 5000, bits=32), poll(NOW + 60, 9_000_000), poll(NOW + 120, 9_000_500))
    assert totals.in_octets == 500


def test_another_interface_behind_the_link_adds_nothing() -> None:
    other = Interface(index=9, name="Gi0/0/9", oper_status=interface("mpls").oper_status)
    moved = poll(NOW + 60, iface=replace(other, in_octets=10**9, counter_bits=64))
    totals = run(poll(NOW, 100), moved)
    assert totals.in_octets == 0


def test_a_failed_poll_breaks_no_delta() -> None:
    failed = SiteObservation(site="branch-01", collected_at=NOW + 60, error="timeout")
    assert run(poll(NOW, 1000), failed, poll(NOW + 120, 4000)).in_octets == 3000


def test_an_older_poll_changes_nothing() -> None:
    state = advance_totals(None, "branch-01", MPLS, poll(NOW, 1000))
    state = advance_totals(state, "branch-01", MPLS, poll(NOW + 60, 2000))
    assert advance_totals(state, "branch-01", MPLS, poll(NOW + 30, 1500)) is state


def test_session_flaps_are_increases_of_established_transitions() -> None:
    totals = run(
        poll(NOW, transitions=4),
        poll(NOW + 60, transitions=4),
        poll(NOW + 120, transitions=6),
    )
    assert totals.session_flaps == 2


def test_after_a_router_restart_every_establishment_counts() -> None:
    totals = run(poll(NOW, transitions=9), poll(NOW + 60, transitions=1, uptime_s=40))
    assert totals.session_flaps == 1


def test_flaps_unknown_while_the_router_does_not_report_transitions() -> None:
    assert run(poll(NOW), poll(NOW + 60)).session_flaps is None


def test_flaps_restart_from_the_new_value_when_the_neighbours_change() -> None:
    other = BgpPeer(peer_address("lte"), PeerState.ESTABLISHED, established_transitions=50)
    first = poll(NOW, transitions=2)
    second = replace(
        poll(NOW + 60, transitions=3),
        peers=(*(poll(NOW + 60, transitions=3).peers or ()), other),
    )
    relinked = replace(MPLS, neighbors=(*MPLS.neighbors, other.address))
    state = advance_totals(None, "branch-01", MPLS, first)
    state = advance_totals(state, "branch-01", relinked, second)
    assert state.totals.session_flaps == 0


_STEP = st.tuples(
    st.floats(min_value=0.5, max_value=120),
    st.integers(min_value=0, max_value=2**64 - 1),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.sampled_from([32, 64]),
    st.booleans(),
)


@given(st.lists(_STEP, min_size=1, max_size=8))
def test_totals_never_go_backwards_whatever_the_device_says(
    steps: list[tuple[float, int, int, int, bool]],
) -> None:
    state: LinkCounters | None = None
    at = NOW
    previous = LinkTotals(site="branch-01", link="mpls")
    for gap, value, uptime, bits, reset in steps:
        at += gap
        octets = value % W32 if bits == 32 else value
        obs = poll(at, octets, bits=bits, uptime_s=uptime / 100, transitions=uptime % 7)
        if reset:
            obs = replace(obs, uptime_ticks=0)
        state = advance_totals(state, "branch-01", MPLS, obs)
        totals = state.totals
        for name in ("in_octets", "out_octets", "in_errors", "session_flaps"):
            assert (getattr(totals, name) or 0) >= (getattr(previous, name) or 0)
        previous = totals


@given(
    st.integers(min_value=0, max_value=W32 - 1),
    st.lists(st.integers(min_value=0, max_value=round(MAX_OCTETS_PER_S * 10)), max_size=10),
)
def test_a_wrapping_32_bit_counter_adds_up_to_the_true_traffic(
    start: int, increments: list[int]
) -> None:
    polls = [poll(NOW, start, bits=32)]
    value = start
    for i, increment in enumerate(increments, start=1):
        value += increment
        polls.append(poll(NOW + 10 * i, value % W32, bits=32, uptime_s=10_000 + 10 * i))
    assert run(*polls).in_octets == sum(increments)


@pytest.mark.parametrize("gap", [0.0, -5.0])
def test_same_or_earlier_time_is_ignored(gap: float) -> None:
    state = advance_totals(None, "branch-01", MPLS, poll(NOW, 100))
    assert advance_totals(state, "branch-01", MPLS, poll(NOW + gap, 900)) is state
