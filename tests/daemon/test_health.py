"""Poll-duration histograms and per-target health, as the exporters read them."""

from __future__ import annotations

from sprmon.core.monitor import DurationHistogram, Protocol, TargetHealth
from sprmon.daemon.collector import FailureReason
from sprmon.daemon.health import DurationRecorder, TargetTracker


def test_the_histogram_is_cumulative_with_le_buckets_and_an_inf_count() -> None:
    recorder = DurationRecorder(bounds=(0.1, 1.0, 10.0))
    for seconds in (0.05, 0.1, 0.5, 1.0, 3.0, 99.0):
        recorder.observe(seconds)
    assert recorder.snapshot() == DurationHistogram(
        bounds=(0.1, 1.0, 10.0), bucket_counts=(2, 4, 5), count=6, sum_s=103.65
    )


def test_an_empty_histogram_has_zero_counts() -> None:
    assert DurationRecorder(bounds=(1.0,)).snapshot() == DurationHistogram((1.0,), (0,), 0, 0.0)


def test_a_target_is_up_after_a_success_within_the_stale_time() -> None:
    tracker = TargetTracker("site-001", Protocol.SNMP)
    assert not tracker.health(100.0, 300.0).up
    tracker.succeeded(90.0)
    assert tracker.health(100.0, 300.0) == TargetHealth(
        site="site-001", protocol=Protocol.SNMP, up=True, last_success_at=90.0
    )
    assert not tracker.health(391.0, 300.0).up


def test_failures_count_by_reason_and_the_last_error_is_kept_until_a_success() -> None:
    tracker = TargetTracker("site-001", Protocol.SNMP)
    tracker.succeeded(10.0)
    tracker.failed(FailureReason.TIMEOUT, "no answer")
    tracker.failed(FailureReason.TIMEOUT, "no answer")
    tracker.failed(FailureReason.AUTH, "wrong key")
    health = tracker.health(20.0, 300.0)
    assert not health.up
    assert health.last_success_at == 10.0
    assert health.last_error == "wrong key"
    assert health.errors_total == (("auth", 1), ("timeout", 2))
    assert tracker.failures == 3
    tracker.succeeded(30.0)
    assert tracker.failures == 0
    health = tracker.health(30.0, 300.0)
    assert health.up
    assert health.last_error is None
    # Totals are since the daemon started: a success does not reset them.
    assert health.errors_total == (("auth", 1), ("timeout", 2))


def test_the_health_is_reused_between_views_until_a_poll_or_the_stale_time_changes_it() -> None:
    tracker = TargetTracker("site-001", Protocol.SNMP)
    tracker.succeeded(90.0)
    first = tracker.health(100.0, 300.0)
    assert tracker.health(101.0, 300.0) is first
    tracker.succeeded(150.0)
    assert tracker.health(160.0, 300.0).last_success_at == 150.0
    assert not tracker.health(451.0, 300.0).up
    tracker.failed(FailureReason.TIMEOUT, "no answer")
    assert tracker.health(452.0, 300.0).errors_total == (("timeout", 1),)


def test_new_counts_of_unusable_input_reach_the_next_health() -> None:
    tracker = TargetTracker("site-001", Protocol.GNMI)
    tracker.succeeded(90.0)
    assert tracker.health(100.0, 300.0).bad_input_total == ()
    tracker.bad_input((("unknown_path", 3),))
    assert tracker.health(101.0, 300.0).bad_input_total == (("unknown_path", 3),)
