"""What the daemon knows at one instant, as immutable data the exporters read.

``sprmon run`` polls sites on a schedule and, after every poll, publishes a new
:class:`MonitorView`: the newest evaluation of every site plus the health of
each collector target and the monotonic totals that it accumulated from the
devices' counters. Exporters never see the daemon's mutable state: the
Prometheus collector builds its metric families from the view current at scrape
time, and the MQTT exporter publishes the :class:`StateChange` events that the
daemon derives from two successive views.

Pure data, no I/O: times are POSIX seconds supplied by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sprmon.core.findings import Report
from sprmon.core.prefixes import Prefix


class Protocol(StrEnum):
    """How a collector reaches a router."""

    SNMP = "snmp"
    GNMI = "gnmi"


@dataclass(frozen=True, slots=True)
class DurationHistogram:
    """A cumulative histogram of poll durations, Prometheus style.

    ``bucket_counts[i]`` counts observations <= ``bounds[i]``; ``count`` is
    every observation (the ``+Inf`` bucket).
    """

    bounds: tuple[float, ...]
    bucket_counts: tuple[int, ...]
    count: int = 0
    sum_s: float = 0.0

    def __post_init__(self) -> None:
        if len(self.bounds) != len(self.bucket_counts):
            raise ValueError("a histogram needs one count per bucket bound")


@dataclass(frozen=True, slots=True)
class TargetHealth:
    """One collector target (a site router over one protocol) as the daemon sees it."""

    site: str
    protocol: Protocol
    #: The newest poll succeeded and is not older than the intent's stale time.
    up: bool
    #: POSIX time of the newest successful poll; None if there was none yet.
    last_success_at: float | None
    #: Why the newest poll failed (safe to show: never a secret); None when it succeeded.
    last_error: str | None = None
    #: Failed polls since the daemon started, by short machine-readable reason
    #: (``timeout``, ``unreachable``, ``auth``, ``malformed``, ``other``), sorted by reason.
    errors_total: tuple[tuple[str, int], ...] = ()
    #: What the target sent that could not be used (gNMI: ``unknown_path``,
    #: ``malformed_value``, ...), counted by kind since the daemon started, sorted.
    bad_input_total: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class LinkTotals:
    """Monotonic totals for one link of one site, accumulated by the daemon.

    Device counters wrap (32-bit) and restart at reboots; these never go
    backwards, so Prometheus ``rate()`` over them is right. ``None``: never
    observed.
    """

    site: str
    link: str
    in_octets: int | None = None
    out_octets: int | None = None
    in_errors: int | None = None
    out_errors: int | None = None
    in_discards: int | None = None
    out_discards: int | None = None
    #: Times the link's BGP session came up again after it had been seen established
    #: (increases of bgpPeerFsmEstablishedTransitions), since the daemon started.
    session_flaps: int | None = None


@dataclass(frozen=True, slots=True)
class EventQueueStatus:
    """The MQTT event exporter's delivery state, for its own metrics."""

    connected: bool
    #: Events waiting for the broker (bounded).
    queued: int
    published_total: int
    #: Events dropped because the queue was full while the broker was away.
    dropped_total: int


@dataclass(frozen=True, slots=True)
class MonitorView:
    """Everything the exporters publish, as of ``built_at``."""

    built_at: float
    #: The newest evaluation of every site the daemon owns, merged into one report.
    report: Report
    targets: tuple[TargetHealth, ...] = ()
    links: tuple[LinkTotals, ...] = ()
    poll_durations: tuple[tuple[Protocol, DurationHistogram], ...] = ()
    #: None when no MQTT broker is configured.
    events: EventQueueStatus | None = None
    #: This process's share of the fleet (``--shard INDEX/COUNT``); 0/1 owns every site.
    shard_index: int = 0
    shard_count: int = 1


class Subject(StrEnum):
    PATH = "path"
    LINK = "link"


@dataclass(frozen=True, slots=True)
class StateChange:
    """A path's or a link's state changed between two evaluations.

    For a path, ``app`` and ``prefix`` are set and the states are
    :class:`~sprmon.core.findings.PathState` values; for a link, ``link`` is set
    and the states are ``up``, ``down``, ``degraded`` or ``unknown``. ``old_state``
    is None the first time the daemon sees the subject; ``new_state`` is None when
    it left the intent (its retained MQTT message is then cleared).
    """

    at: float
    site: str
    subject: Subject
    old_state: str | None
    new_state: str | None
    explanation: str = ""
    app: str | None = None
    prefix: Prefix | None = None
    link: str | None = None
    #: For paths: the link expected and the links actually used, for the reader of the event.
    expected_link: str | None = None
    actual_links: tuple[str, ...] = ()
