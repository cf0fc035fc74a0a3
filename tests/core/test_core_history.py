"""A site's history in the daemon: what it keeps between polls and what it judges."""

from __future__ import annotations

from dataclasses import replace

from sprmon.core.evaluate import evaluate
from sprmon.core.findings import PathState, Severity
from sprmon.core.history import SiteHistory, judged_observations, record
from sprmon.core.observed import SiteObservation
from tests.factories import NOW, intent, observation, snapshot

STALE = 300.0
INTENT = intent(1)


def counters_only(at: float) -> SiteObservation:
    """A poll between two BGP polls: interfaces and peers, no BGP table."""
    return replace(observation(1, at=at), paths=None)


def failed(at: float) -> SiteObservation:
    return SiteObservation(site="branch-01", collected_at=at, error="no answer from 127.0.0.1:161")


def history_of(*observations: SiteObservation) -> SiteHistory:
    history = SiteHistory()
    for obs in observations:
        history = record(history, obs)
    return history


def judge(history: SiteHistory, now: float) -> set[PathState]:
    report = evaluate(INTENT, snapshot(*judged_observations(history, now, STALE)), now)
    return {f.state for f in report.paths}


def test_nothing_polled_yet_is_unknown() -> None:
    assert judged_observations(SiteHistory(), NOW, STALE) == ()
    assert judge(SiteHistory(), NOW) == {PathState.UNKNOWN}


def test_two_good_polls_are_judged_together_for_rates() -> None:
    first, second = observation(1, at=NOW - 60), observation(1, at=NOW)
    history = history_of(first, second)
    assert judged_observations(history, NOW, STALE) == (first, second)
    report = evaluate(INTENT, snapshot(first, second), NOW)
    assert all(f.in_bps is not None for f in report.links)


def test_a_poll_without_the_bgp_table_carries_the_newest_table_forward() -> None:
    bgp = observation(1, at=NOW - 60)
    history = history_of(bgp, counters_only(NOW))
    prior, current = judged_observations(history, NOW, STALE)
    assert prior is bgp
    assert current.collected_at == NOW
    assert current.paths == bgp.paths
    assert current.error is None
    assert judge(history, NOW) == {PathState.COMPLIANT}


def test_a_stale_bgp_table_is_not_carried_forward() -> None:
    history = history_of(observation(1, at=NOW - 400), counters_only(NOW))
    (_, current) = judged_observations(history, NOW, STALE)
    assert current.paths is None
    assert current.error == "newest BGP table is 400 s old (stale after 300 s)"
    report = evaluate(INTENT, snapshot(current), NOW)
    assert {f.state for f in report.paths} == {PathState.UNKNOWN}
    assert all("newest BGP table is 400 s old" in f.explanation for f in report.paths)
    # The links are still judged from the fresh interfaces and peers.
    assert {f.severity for f in report.links} == {Severity.OK}


def test_counters_before_any_bgp_table_leave_the_paths_unknown() -> None:
    (current,) = judged_observations(history_of(counters_only(NOW)), NOW, STALE)
    assert current.error == "BGP table not read yet"


def test_a_failed_poll_keeps_the_last_good_state_while_it_is_fresh() -> None:
    good = observation(1, at=NOW - 100)
    history = history_of(good, failed(NOW))
    assert history.newest is not None
    assert history.newest.error is not None
    assert judged_observations(history, NOW, STALE) == (good,)
    assert judge(history, NOW) == {PathState.COMPLIANT}


def test_once_the_last_good_state_is_stale_the_site_is_unknown_with_the_poll_error() -> None:
    history = history_of(observation(1, at=NOW - 400), failed(NOW - 10))
    (judged,) = judged_observations(history, NOW, STALE)
    assert judged.error == "no answer from 127.0.0.1:161"
    report = evaluate(INTENT, snapshot(judged), NOW)
    assert {f.state for f in report.paths} == {PathState.UNKNOWN}
    assert all("no answer from 127.0.0.1:161" in f.explanation for f in report.paths)


def test_a_site_that_never_answered_is_unknown_with_the_poll_error() -> None:
    history = history_of(failed(NOW - 20), failed(NOW))
    (judged,) = judged_observations(history, NOW, STALE)
    assert judged.collected_at == NOW
    assert judge(history, NOW) == {PathState.UNKNOWN}


def test_not_heard_from_within_the_stale_time_is_unknown_never_the_last_good_state() -> None:
    history = history_of(observation(1, at=NOW - 301))
    assert judge(history, NOW) == {PathState.UNKNOWN}


def test_a_good_poll_after_failures_forgets_them() -> None:
    history = history_of(failed(NOW - 60), observation(1, at=NOW))
    assert history.failed is None
    assert judge(history, NOW) == {PathState.COMPLIANT}


def test_rates_use_the_good_poll_with_counters_before_the_newest() -> None:
    first = observation(1, at=NOW - 120)
    history = history_of(first, failed(NOW - 60), counters_only(NOW))
    prior, _current = judged_observations(history, NOW, STALE)
    assert prior is first
