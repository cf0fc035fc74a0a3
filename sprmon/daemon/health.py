"""The daemon's own bookkeeping of its polls: per-target health and duration histograms.

Mutable accumulators that the daemon updates after each poll and freezes into
the immutable :class:`~sprmon.core.monitor.TargetHealth` and
:class:`~sprmon.core.monitor.DurationHistogram` of each published view.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter

from sprmon.core.monitor import DurationHistogram, Protocol, TargetHealth
from sprmon.daemon.collector import FailureReason

__all__ = ["DEFAULT_BUCKETS_S", "DurationRecorder", "TargetTracker"]

#: Poll durations: a healthy SNMP site takes tens of milliseconds, a dead one
#: its whole deadline (timeout x tries x requests, up to minutes).
DEFAULT_BUCKETS_S = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class DurationRecorder:
    """A cumulative histogram being filled."""

    def __init__(self, bounds: tuple[float, ...] = DEFAULT_BUCKETS_S) -> None:
        self._bounds = bounds
        self._counts = [0] * len(bounds)
        self._count = 0
        self._sum = 0.0

    def observe(self, seconds: float) -> None:
        self._count += 1
        self._sum += seconds
        # Counts are per bucket here and made cumulative in snapshot().
        index = bisect_left(self._bounds, seconds)
        if index < len(self._counts):
            self._counts[index] += 1

    def snapshot(self) -> DurationHistogram:
        cumulative: list[int] = []
        running = 0
        for count in self._counts:
            running += count
            cumulative.append(running)
        return DurationHistogram(self._bounds, tuple(cumulative), self._count, self._sum)


class TargetTracker:
    """One site's target over one protocol: its last success, last error, errors by reason."""

    def __init__(self, site: str, protocol: Protocol) -> None:
        self.site = site
        self.protocol = protocol
        self.last_success_at: float | None = None
        self.last_error: str | None = None
        #: Consecutive failed polls (0 after a success): the backoff's input.
        self.failures = 0
        self._errors: Counter[str] = Counter()
        self._bad_input: tuple[tuple[str, int], ...] = ()
        # Every published view (once a second) asks every site's health, and polls
        # are a minute apart: the frozen answer is reused until something changes.
        self._health: TargetHealth | None = None

    def succeeded(self, at: float) -> None:
        self.last_success_at = at
        self.last_error = None
        self.failures = 0
        self._health = None

    def failed(self, reason: FailureReason, message: str) -> None:
        self.last_error = message
        self.failures += 1
        self._errors[reason.value] += 1
        self._health = None

    def bad_input(self, counts: tuple[tuple[str, int], ...]) -> None:
        """The collector's running counts of unusable input from this target."""
        if counts != self._bad_input:
            self._bad_input = counts
            self._health = None

    def health(self, now: float, stale_after_s: float) -> TargetHealth:
        up = (
            self.last_error is None
            and self.last_success_at is not None
            and now - self.last_success_at <= stale_after_s
        )
        health = self._health
        if health is None or health.up != up:
            health = self._health = TargetHealth(
                site=self.site,
                protocol=self.protocol,
                up=up,
                last_success_at=self.last_success_at,
                last_error=self.last_error,
                errors_total=tuple(sorted(self._errors.items())),
                bad_input_total=self._bad_input,
            )
        return health
