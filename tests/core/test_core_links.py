"""Link findings: state, rates from two polls, and every counter pitfall."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sprmon.core.counters import DECREASED_64, DISCONTINUITY, IMPLAUSIBLE, WRAPPED_32
from sprmon.core.evaluate import evaluate
from sprmon.core.findings import LinkFinding, Severity
from sprmon.core.intent import Site, SiteLink
from sprmon.core.observed import Interface, OperStatus, PeerState, SiteObservation
from sprmon.core.prefixes import canonical_address
from tests.factories import (
    MPLS_CAPACITY,
    NOW,
    intent,
    interface,
    observation,
    peers,
    site,
    snapshot,
)

W32 = 2**32
INTERVAL = 60.0


def mpls_finding(*observations: SiteObservation, the_site: Site | None = None) -> LinkFinding:
    the_intent = intent([the_site or site(1)])
    report = evaluate(the_intent, snapshot(*observations), NOW)
    [finding] = [f for f in report.links if f.link == "mpls"]
    return finding


def polls(
    before: Interface, after: Interface, *, uptime: tuple[int, int] = (1000, 7000)
) -> tuple[SiteObservation, SiteObservation]:
    """Two polls INTERVAL apart in which only the mpls interface's counters differ."""
    inet = interface("inet")
    return (
        observation(at=NOW - INTERVAL, interfaces_=(before, inet), uptime_ticks=uptime[0]),
        observation(at=NOW, interfaces_=(after, inet), uptime_ticks=uptime[1]),
    )


def octets_for(utilization: float) -> int:
    """Octets an mpls interface moves in INTERVAL at ``utilization`` of its capacity."""
    return round(utilization * MPLS_CAPACITY * INTERVAL / 8)


def test_rates_from_two_polls_use_the_intent_capacity_not_if_speed() -> None:
    finding = mpls_finding(
        *polls(
            interface("mpls", in_octets=10_000, out_octets=0),
            interface("mpls", in_octets=10_000 + octets_for(0.5), out_octets=octets_for(0.1)),
        )
    )
    assert finding.in_bps == pytest.approx(5_000_000)
    assert finding.out_bps == pytest.approx(1_000_000)
    assert finding.utilization_in == pytest.approx(0.5)
    assert finding.utilization_out == pytest.approx(0.1)
    assert (finding.error_rate, finding.discard_rate) == (0.0, 0.0)
    assert finding.severity is Severity.OK
    assert finding.notes == ()
    assert (finding.oper_up, finding.bgp_established) == (True, True)
    assert finding.established_since == NOW - 3600
    assert finding.capacity_bps == MPLS_CAPACITY


@pytest.mark.parametrize(
    ("in_util", "out_util", "severity"),
    [
        (0.79, 0.0, Severity.OK),
        (0.80, 0.0, Severity.WARNING),
        (0.0, 0.85, Severity.WARNING),
        (0.95, 0.0, Severity.CRITICAL),
        (0.5, 1.2, Severity.CRITICAL),
    ],
)
def test_utilisation_thresholds_either_direction(
    in_util: float, out_util: float, severity: Severity
) -> None:
    finding = mpls_finding(
        *polls(
            interface("mpls"),
            interface("mpls", in_octets=octets_for(in_util), out_octets=octets_for(out_util)),
        )
    )
    assert finding.severity is severity


@pytest.mark.parametrize(
    ("errors", "discards", "severity"),
    [
        ((0, 59), (0, 0), Severity.OK),
        ((60, 0), (0, 0), Severity.WARNING),
        ((30, 30), (0, 0), Severity.WARNING),
        ((0, 0), (0, 60), Severity.WARNING),
        ((3000, 3000), (0, 0), Severity.CRITICAL),
        ((0, 0), (6000, 0), Severity.WARNING),
    ],
    ids=[
        "under one per second",
        "in errors one per second",
        "in plus out errors",
        "discards warn",
        "errors critical at 100 per second",
        "discards never critical",
    ],
)
def test_error_and_discard_rates(
    errors: tuple[int, int], discards: tuple[int, int], severity: Severity
) -> None:
    finding = mpls_finding(
        *polls(interface("mpls"), interface("mpls", errors=errors, discards=discards))
    )
    assert finding.error_rate == pytest.approx(sum(errors) / INTERVAL)
    assert finding.discard_rate == pytest.approx(sum(discards) / INTERVAL)
    assert finding.severity is severity


def test_error_rate_counts_only_the_direction_that_was_collected() -> None:
    finding = mpls_finding(
        *polls(
            interface("mpls", errors=(0, None)),
            interface("mpls", errors=(120, None)),
        )
    )
    assert finding.error_rate == pytest.approx(2.0)


def test_32_bit_counter_wrap_is_corrected_and_noted() -> None:
    finding = mpls_finding(
        *polls(
            interface("mpls", counter_bits=32, in_octets=W32 - 1_000),
            interface("mpls", counter_bits=32, in_octets=octets_for(0.5) - 1_000),
        )
    )
    assert finding.utilization_in == pytest.approx(0.5)
    assert WRAPPED_32 in finding.notes


def test_64_bit_counter_decrease_gives_no_rate_and_no_alarm() -> None:
    finding = mpls_finding(
        *polls(interface("mpls", in_octets=5_000_000), interface("mpls", in_octets=1_000))
    )
    assert (finding.in_bps, finding.utilization_in) == (None, None)
    assert finding.out_bps == 0.0
    assert DECREASED_64 in finding.notes
    assert finding.severity is Severity.OK


def test_reboot_makes_every_rate_unknown_until_the_next_poll() -> None:
    finding = mpls_finding(
        *polls(
            interface("mpls", in_octets=10**12, errors=(10**6, 0)),
            interface("mpls", in_octets=10**12 + octets_for(0.5), errors=(10**6 + 100, 0)),
            uptime=(10**9, 6000),
        )
    )
    assert (finding.in_bps, finding.out_bps, finding.error_rate, finding.discard_rate) == (
        None,
        None,
        None,
        None,
    )
    assert finding.notes[0] == "sysUpTime went backwards: device rebooted"
    assert DISCONTINUITY in finding.notes


def test_changed_counter_discontinuity_time_makes_rates_unknown() -> None:
    finding = mpls_finding(
        *polls(
            interface("mpls", discontinuity_ticks=100, in_octets=500),
            interface("mpls", discontinuity_ticks=900, in_octets=600),
        )
    )
    assert finding.in_bps is None
    assert "ifCounterDiscontinuityTime changed: counters were reset" in finding.notes


def test_32_bit_reset_that_looks_like_a_wrap_is_implausible_not_a_spike() -> None:
    finding = mpls_finding(
        *polls(
            interface("mpls", counter_bits=32, in_octets=900_000, speed_bps=10_000_000),
            interface("mpls", counter_bits=32, in_octets=1_000, speed_bps=10_000_000),
        )
    )
    assert finding.in_bps is None
    assert IMPLAUSIBLE in finding.notes
    assert finding.severity is Severity.OK


def test_first_poll_has_no_rate_but_says_why() -> None:
    finding = mpls_finding(observation())
    assert (finding.in_bps, finding.error_rate) == (None, None)
    assert finding.severity is Severity.OK
    assert finding.notes == ("fewer than two recent polls of the interfaces: no rate yet",)


def test_rates_come_from_the_two_newest_polls_with_interfaces() -> None:
    oldest, older = polls(interface("mpls"), interface("mpls", in_octets=octets_for(0.99)))
    newest = observation(at=NOW + 30, interfaces_=(interface("mpls", in_octets=octets_for(0.99)),))
    no_counters = replace(observation(at=NOW + 60), interfaces=None)
    finding = evaluate(intent(1), snapshot(oldest, older, newest, no_counters), NOW + 60).links[0]
    # Interfaces were not collected in the newest poll: state unknown, rate from the two before.
    assert finding.oper_up is None
    assert finding.utilization_in == pytest.approx(0.0)
    assert "interfaces not collected" in finding.notes


@pytest.mark.parametrize(
    ("obs", "oper_up", "bgp", "severity"),
    [
        (observation(interfaces_=(interface("mpls", oper=OperStatus.DOWN),)),
         False, True, Severity.CRITICAL),
        (observation(peers_=peers(mpls=PeerState.ACTIVE)), True, False, Severity.CRITICAL),
        (observation(interfaces_=(interface("mpls", oper=OperStatus.DORMANT),)),
         False, True, Severity.CRITICAL),
        (replace(observation(), peers=None), True, None, Severity.UNKNOWN),
        (replace(observation(), interfaces=None), None, True, Severity.UNKNOWN),
        (replace(observation(), peers=None, interfaces=None), None, None, Severity.UNKNOWN),
        (replace(observation(), paths=None, error="timeout"), True, True, Severity.OK),
        (observation(at=NOW - 900), None, None, Severity.UNKNOWN),
    ],
    ids=["oper down", "session down", "dormant is down", "peers not collected",
         "interfaces not collected", "nothing collected", "paths failed, link state known",
         "stale"],
)  # fmt: skip
def test_link_state_and_severity(
    obs: SiteObservation, oper_up: bool | None, bgp: bool | None, severity: Severity
) -> None:
    finding = mpls_finding(obs)
    assert (finding.oper_up, finding.bgp_established, finding.severity) == (
        oper_up,
        bgp,
        severity,
    )


def test_stale_observation_gives_unknown_link_with_age_note() -> None:
    finding = mpls_finding(observation(at=NOW - 900))
    assert finding.notes[0] == "observation is 900 s old (stale after 300 s)"
    assert finding.in_bps is None


def test_no_observation_gives_unknown_link() -> None:
    finding = mpls_finding()
    assert finding.severity is Severity.UNKNOWN
    assert finding.notes[0] == "no observation of site"


def test_interface_found_by_index_when_its_name_differs() -> None:
    renamed = replace(interface("mpls", oper=OperStatus.DOWN), name="GigabitEthernet0/0/0")
    assert mpls_finding(observation(interfaces_=(renamed,))).oper_up is False


def test_interface_name_wins_over_a_renumbered_index() -> None:
    moved = replace(interface("mpls"), index=7)
    other = replace(interface("inet", oper=OperStatus.DOWN), index=1)
    assert mpls_finding(observation(interfaces_=(moved, other))).oper_up is True


def test_link_without_interface_reports_session_only() -> None:
    bare = site(1)
    bare = replace(bare, links=(replace(bare.links[0], interface_name=None, interface_index=None),))
    finding = mpls_finding(observation(), the_site=bare)
    assert (finding.oper_up, finding.bgp_established) == (None, True)
    assert finding.severity is Severity.OK
    assert finding.notes == ("no interface configured for the link",)


def test_interface_missing_from_one_poll_gives_no_rate() -> None:
    finding = mpls_finding(
        observation(at=NOW - INTERVAL, interfaces_=(interface("inet"),)),
        observation(),
    )
    assert finding.in_bps is None
    assert "interface Gi0/0/0 not in both of the last two polls" in finding.notes


def test_established_since_uses_the_longest_established_neighbour() -> None:
    two = site(1)
    mpls = replace(two.links[0], neighbors=("10.100.1.1", "10.100.1.2"))
    two = replace(two, links=(mpls, *two.links[1:]))
    extra = replace(peers(established_for_s=100.0)[0], address=canonical_address("10.100.1.2"))
    obs = observation(peers_=(*peers(established_for_s=50.0), extra))
    assert mpls_finding(obs, the_site=two).established_since == NOW - 100.0


def test_zero_capacity_gives_no_utilisation_instead_of_dividing_by_zero() -> None:
    zero = site(1)
    zero = replace(zero, links=(SiteLink("mpls", 0, ("10.100.1.1",), (), "Gi0/0/0", 1),))
    finding = mpls_finding(
        *polls(interface("mpls"), interface("mpls", in_octets=1000)), the_site=zero
    )
    assert finding.in_bps is not None
    assert finding.utilization_in is None


def test_rate_interval_comes_from_the_device_clock_when_it_agrees_with_the_collector() -> None:
    moved = octets_for(0.5)
    # The collector saw 60 s between its polls; the router's sysUpTime says 58 s.
    finding = mpls_finding(
        *polls(
            interface("mpls", in_octets=0),
            interface("mpls", in_octets=moved),
            uptime=(1000, 1000 + 5800),
        )
    )
    assert finding.in_bps == pytest.approx(8 * moved / 58.0)


def test_rate_interval_falls_back_to_the_collector_clock_when_the_device_clock_disagrees() -> None:
    moved = octets_for(0.5)
    finding = mpls_finding(
        *polls(
            interface("mpls", in_octets=0),
            interface("mpls", in_octets=moved),
            uptime=(1000, 1000 + 3000),
        )
    )
    assert finding.in_bps == pytest.approx(8 * moved / INTERVAL)


def test_failed_poll_gives_unknown_link_with_the_poll_error_in_its_notes() -> None:
    failed = SiteObservation(
        site="branch-01", collected_at=NOW, error="no answer from 127.0.0.1:16101"
    )
    finding = mpls_finding(failed)
    assert finding.severity is Severity.UNKNOWN
    assert any("no answer from 127.0.0.1:16101" in note for note in finding.notes)
