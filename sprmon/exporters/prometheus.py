"""Prometheus metrics built at scrape time from the daemon's current :class:`MonitorView`.

A custom collector in the style of prometheus/client_python's own
(``process_collector.py``): :meth:`SprmonMetrics.collect` asks the injected
``view`` callable for the newest immutable view and turns it into metric
families. Nothing is kept between scrapes except a cache of the families built
for the last view object, so a site, link or prefix that leaves the view leaves
the output at the next scrape; there are no global gauges to forget to clear,
and the default registry is never touched.

Cardinality is the design constraint. The aggregates (path counts per site,
application and state; link health; target health) cost about 44 series for a
typical site, so 10,000 sites stay under half a million series. The per-prefix
series (state, redundancy, marking, which link was expected and which is used)
multiply that by the number of prefixes and are emitted only with
``per_prefix=True``: docs/metrics.md gives the formula.

Labels carry only names from the intent (site, application, link, prefix) and
short machine-readable words (state, direction, protocol, error reason): never
a secret, never an explanation text.

``view`` may be called from a worker thread (the HTTP server renders there so
that a large exposition does not hold the event loop): it must only read a
reference, as returning the daemon's current immutable view does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import cast

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from sprmon import __version__
from sprmon.core.findings import LinkFinding, PathFinding, PathState, Report
from sprmon.core.monitor import (
    DurationHistogram,
    EventQueueStatus,
    LinkTotals,
    MonitorView,
    Protocol,
    TargetHealth,
)

#: Every path state, in the order the state-set series are written.
PATH_STATES: tuple[str, ...] = tuple(state.value for state in PathState)

ViewSource = Callable[[], MonitorView | None]
#: Bucket bounds written as Go writes floats, as prometheus_client's own histograms are.
_le = cast(Callable[[float], str], floatToGoString)


#: Every family appears (the MQTT ones need ``events``), none has a sample from it.
_EMPTY_VIEW = MonitorView(
    built_at=0.0,
    report=Report(evaluated_at=0.0, paths=(), links=()),
    events=EventQueueStatus(connected=False, queued=0, published_total=0, dropped_total=0),
)


def _bool(value: bool) -> float:
    return 1.0 if value else 0.0


class SprmonMetrics(Collector):
    """Collector of sprmon's metrics from the view ``view()`` returns at scrape time.

    ``view()`` returns None while the daemon is starting: only ``sprmon_build_info``
    is exported then, so that nothing reads as "every path compliant" before the
    first poll. ``per_prefix=True`` adds the per-(site, prefix) series (see the
    module docstring for why they are off by default).
    """

    def __init__(self, view: ViewSource, *, per_prefix: bool = False) -> None:
        self._view = view
        self._per_prefix = per_prefix
        # (view, families): scrapes of an unchanged view (HA Prometheus pairs,
        # federation) reuse the families instead of walking every finding again.
        self._cache: tuple[MonitorView, tuple[Metric, ...]] | None = None

    @property
    def per_prefix(self) -> bool:
        return self._per_prefix

    def describe(self) -> Iterable[Metric]:
        # The names, from an empty view: the registry calls this at registration
        # (duplicate check, ``name[]`` filters), when the daemon may have no view yet.
        yield _build_info()
        yield from self._families(_EMPTY_VIEW)

    def collect(self) -> Iterator[Metric]:
        yield _build_info()
        view = self._view()
        if view is None:
            return
        cached = self._cache
        if cached is not None and cached[0] is view:
            families = cached[1]
        else:
            families = tuple(self._families(view))
            self._cache = (view, families)
        yield from families

    def _families(self, view: MonitorView) -> Iterator[Metric]:
        shard = InfoMetricFamily(
            "sprmon_shard",
            "This process's share of the fleet (sprmon run --shard INDEX/COUNT); "
            "index 0 of count 1 owns every site.",
            value={"index": str(view.shard_index), "count": str(view.shard_count)},
        )
        yield shard
        evaluated = GaugeMetricFamily(
            "sprmon_evaluation_timestamp_seconds",
            "POSIX time of the newest evaluation behind these metrics; alert when "
            "time() - this grows past a few poll intervals (the daemon is stuck).",
            value=view.report.evaluated_at,
            unit="seconds",
        )
        yield evaluated
        yield from _path_families(view.report.paths)
        if self._per_prefix:
            yield from _per_prefix_families(view.report.paths)
        yield from _link_families(view.report.links)
        yield from _link_totals_families(view.links)
        yield from _target_families(view.targets)
        yield _poll_duration_family(view.poll_durations)
        if view.events is not None:
            yield from _event_families(view.events)


def build_registry(view: ViewSource, *, per_prefix: bool = False) -> CollectorRegistry:
    """A fresh registry holding only :class:`SprmonMetrics` (no process or GC metrics)."""
    registry = CollectorRegistry()
    registry.register(SprmonMetrics(view, per_prefix=per_prefix))
    return registry


def _build_info() -> InfoMetricFamily:
    return InfoMetricFamily(
        "sprmon_build",
        "The sprmon version serving these metrics; always 1.",
        value={"version": __version__},
    )


# The path families hold most of the samples (5 per finding and state): they append
# Sample tuples directly, half the cost of add_metric's dict(zip(...)) per sample.


def _path_families(paths: Iterable[PathFinding]) -> Iterator[Metric]:
    by_state: dict[tuple[str, str], Counter[str]] = {}
    not_redundant: Counter[tuple[str, str]] = Counter()
    marking_wrong: Counter[tuple[str, str]] = Counter()
    for finding in paths:
        key = (finding.site, finding.app)
        counts = by_state.get(key)
        if counts is None:
            counts = by_state[key] = Counter()
        counts[finding.state.value] += 1
        not_redundant[key] += finding.redundant is False
        marking_wrong[key] += finding.marking_ok is False
    state_family = GaugeMetricFamily(
        "sprmon_paths",
        "Application prefixes of a site per path state (compliant, failover, drift, "
        "no_route, unknown); every state is present, 0 when no prefix is in it. "
        'Alert on sprmon_paths{state="drift"} > 0: the path avoids a usable preferred link.',
        labels=("site", "app", "state"),
    )
    redundancy_family = GaugeMetricFamily(
        "sprmon_paths_not_redundant",
        "Application prefixes of a site with no usable backup path over another allowed "
        "link: losing the current link loses the prefix. Unknown redundancy is not counted.",
        labels=("site", "app"),
    )
    marking_family = GaugeMetricFamily(
        "sprmon_paths_marking_wrong",
        "Application prefixes of a site whose BGP attributes differ from the intent's "
        "marking (e.g. MED not 100 on mpls): a drift waiting to happen.",
        labels=("site", "app"),
    )
    states, redundancy, marking = (
        state_family.samples,
        redundancy_family.samples,
        marking_family.samples,
    )
    for (site, app), counts in by_state.items():
        for state in PATH_STATES:
            states.append(
                Sample("sprmon_paths", {"site": site, "app": app, "state": state}, counts[state])
            )
        key = (site, app)
        labels = {"site": site, "app": app}
        redundancy.append(Sample("sprmon_paths_not_redundant", labels, not_redundant[key]))
        marking.append(Sample("sprmon_paths_marking_wrong", labels, marking_wrong[key]))
    yield state_family
    yield redundancy_family
    yield marking_family


def _per_prefix_families(paths: Iterable[PathFinding]) -> Iterator[Metric]:
    state_family = GaugeMetricFamily(
        "sprmon_path_state",
        "1 for the current state of the path of an application prefix at a site, 0 for the "
        "other states (compliant, failover, drift, no_route, unknown). Only with per-prefix "
        "metrics enabled.",
        labels=("site", "app", "prefix", "state"),
    )
    redundant_family = GaugeMetricFamily(
        "sprmon_path_redundant",
        "1 when a usable backup path over another allowed link exists, 0 when not; absent "
        "when unknown. Only with per-prefix metrics enabled.",
        labels=("site", "app", "prefix"),
    )
    marking_family = GaugeMetricFamily(
        "sprmon_path_marking_ok",
        "1 when the paths carry the BGP attributes the intent expects, 0 when not; absent "
        "when the intent states no marking or it cannot be checked. Only with per-prefix "
        "metrics enabled.",
        labels=("site", "app", "prefix"),
    )
    info_family = InfoMetricFamily(
        "sprmon_path",
        "Which link the intent expects for an application prefix (first usable link of the "
        "application's list; empty when none is usable) and which link(s) the best path uses "
        "(comma-separated under ECMP, '?' for a path over no known link, empty without a "
        "route); always 1. Join on (site, app, prefix) to name the links in an alert.",
        labels=("site", "app", "prefix"),
    )
    states, redundant, marking, info = (
        state_family.samples,
        redundant_family.samples,
        marking_family.samples,
        info_family.samples,
    )
    for finding in paths:
        site, app, prefix = finding.site, finding.app, finding.prefix
        current = finding.state.value
        for state in PATH_STATES:
            labels = {"site": site, "app": app, "prefix": prefix, "state": state}
            states.append(Sample("sprmon_path_state", labels, _bool(state == current)))
        labels = {"site": site, "app": app, "prefix": prefix}
        if finding.redundant is not None:
            redundant.append(Sample("sprmon_path_redundant", labels, _bool(finding.redundant)))
        if finding.marking_ok is not None:
            marking.append(Sample("sprmon_path_marking_ok", labels, _bool(finding.marking_ok)))
        links = {
            **labels,
            "expected_link": finding.expected_link or "",
            "actual_link": ",".join(finding.actual_links),
        }
        info.append(Sample("sprmon_path_info", links, 1.0))
    yield state_family
    yield redundant_family
    yield marking_family
    yield info_family


def _link_families(links: Iterable[LinkFinding]) -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "sprmon_link_up",
        "1 when the link's interface is operationally up, 0 when down; absent when the "
        "interface was not observed.",
        labels=("site", "link"),
    )
    session = GaugeMetricFamily(
        "sprmon_bgp_session_up",
        "1 when the BGP session over the link is established, 0 when not; absent when the "
        "BGP peers were not observed.",
        labels=("site", "link"),
    )
    since = GaugeMetricFamily(
        "sprmon_bgp_session_established_timestamp_seconds",
        "POSIX time the BGP session over the link came up, when established and known: "
        "a recent value means a recent flap.",
        labels=("site", "link"),
        unit="seconds",
    )
    capacity = GaugeMetricFamily(
        "sprmon_link_capacity_bytes_per_second",
        "The link's capacity as the intent states it (bits/s divided by 8), so that "
        "rate(sprmon_link_octets_total[5m]) / this is the utilisation.",
        labels=("site", "link"),
        unit="bytes_per_second",
    )
    utilization = GaugeMetricFamily(
        "sprmon_link_utilization_ratio",
        "Share of the link's capacity used in one direction (in, out) between the daemon's "
        "last two polls, 0 to 1 (above 1 when the intent understates the capacity); absent "
        "when the rate is unknown (first poll, counter reset).",
        labels=("site", "link", "direction"),
        unit="ratio",
    )
    severity = GaugeMetricFamily(
        "sprmon_link_severity",
        "The link's verdict as a monitoring-plugin code: 0 ok, 1 warning (utilisation or "
        "error rate above the warning threshold), 2 critical (link or BGP session down, "
        "above the critical threshold), 3 unknown (not observed). Compare with ==, not >: "
        "unknown is 3 but ranks below critical.",
        labels=("site", "link"),
    )
    for finding in links:
        labels = (finding.site, finding.link)
        if finding.oper_up is not None:
            up.add_metric(labels, _bool(finding.oper_up))
        if finding.bgp_established is not None:
            session.add_metric(labels, _bool(finding.bgp_established))
        if finding.established_since is not None:
            since.add_metric(labels, finding.established_since)
        capacity.add_metric(labels, finding.capacity_bps / 8)
        for direction, ratio in (("in", finding.utilization_in), ("out", finding.utilization_out)):
            if ratio is not None:
                utilization.add_metric((*labels, direction), ratio)
        severity.add_metric(labels, finding.severity.exit_code)
    yield from (up, session, since, capacity, utilization, severity)


def _link_totals_families(totals: Iterable[LinkTotals]) -> Iterator[Metric]:
    octets = CounterMetricFamily(
        "sprmon_link_octets_total",
        "Octets (bytes) through the link's interface per direction, accumulated by the "
        "daemon so that it never goes backwards across 32-bit counter wraps and router "
        "reboots: use rate().",
        labels=("site", "link", "direction"),
    )
    errors = CounterMetricFamily(
        "sprmon_link_errors_total",
        "Packets with errors on the link's interface per direction (ifInErrors, ifOutErrors), "
        "accumulated by the daemon across wraps and reboots.",
        labels=("site", "link", "direction"),
    )
    discards = CounterMetricFamily(
        "sprmon_link_discards_total",
        "Packets discarded on the link's interface per direction (ifInDiscards, "
        "ifOutDiscards; often queue drops of a saturated link), accumulated by the daemon.",
        labels=("site", "link", "direction"),
    )
    flaps = CounterMetricFamily(
        "sprmon_bgp_session_flaps_total",
        "Times the BGP session over the link came up again after it had been seen "
        "established, since the daemon started: increase() > 0 means it flapped.",
        labels=("site", "link"),
    )
    for item in totals:
        labels = (item.site, item.link)
        for family, pair in (
            (octets, (item.in_octets, item.out_octets)),
            (errors, (item.in_errors, item.out_errors)),
            (discards, (item.in_discards, item.out_discards)),
        ):
            for direction, value in zip(("in", "out"), pair, strict=True):
                if value is not None:
                    family.add_metric((*labels, direction), value)
        if item.session_flaps is not None:
            flaps.add_metric(labels, item.session_flaps)
    yield from (octets, errors, discards, flaps)


def _target_families(targets: Iterable[TargetHealth]) -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "sprmon_target_up",
        "1 when the newest poll of the site's router over the protocol succeeded and is not "
        "stale, else 0: the site's paths and links are unknown while it is 0.",
        labels=("site", "protocol"),
    )
    last = GaugeMetricFamily(
        "sprmon_last_success_timestamp_seconds",
        "POSIX time of the newest successful poll of the site's router over the protocol; "
        "absent before the first success.",
        labels=("site", "protocol"),
        unit="seconds",
    )
    errors = CounterMetricFamily(
        "sprmon_poll_errors_total",
        "Failed polls of the site's router since the daemon started, by reason (timeout, "
        "unreachable, auth, malformed, other).",
        labels=("site", "protocol", "reason"),
    )
    bad_input = CounterMetricFamily(
        "sprmon_bad_input_total",
        "Pieces of what the site's router sent that sprmon could not use, since the daemon "
        "started, by kind (gNMI: unknown_path, malformed_value, bad_prefix, bad_address, "
        "too_many, dangling_reference, unexpected_message); the rest of its data is used.",
        labels=("site", "protocol", "kind"),
    )
    for target in targets:
        labels = (target.site, target.protocol.value)
        up.add_metric(labels, _bool(target.up))
        if target.last_success_at is not None:
            last.add_metric(labels, target.last_success_at)
        for reason, count in target.errors_total:
            errors.add_metric((*labels, reason), count)
        for kind, count in target.bad_input_total:
            bad_input.add_metric((*labels, kind), count)
    yield from (up, last, errors, bad_input)


def _poll_duration_family(
    histograms: Iterable[tuple[Protocol, DurationHistogram]],
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(
        "sprmon_poll_duration_seconds",
        "Time one poll of one site's router took, per protocol, failed polls included "
        "(a timeout shows as the poll deadline).",
        labels=("protocol",),
        unit="seconds",
    )
    for protocol, histogram in histograms:
        buckets: list[tuple[str, float]] = [
            (_le(bound), count)
            for bound, count in zip(histogram.bounds, histogram.bucket_counts, strict=True)
        ]
        buckets.append(("+Inf", histogram.count))
        family.add_metric((protocol.value,), buckets, histogram.sum_s)
    return family


def _event_families(events: EventQueueStatus) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "sprmon_mqtt_connected",
        "1 while the MQTT event exporter is connected to its broker, else 0.",
        value=_bool(events.connected),
    )
    yield GaugeMetricFamily(
        "sprmon_mqtt_events_queued",
        "State-change events waiting for the MQTT broker (the queue is bounded: see "
        "sprmon_mqtt_events_dropped_total).",
        value=events.queued,
    )
    yield CounterMetricFamily(
        "sprmon_mqtt_events_published_total",
        "State-change events the MQTT broker acknowledged since the daemon started.",
        value=events.published_total,
    )
    yield CounterMetricFamily(
        "sprmon_mqtt_events_dropped_total",
        "State-change events dropped because the queue was full while the broker was away: "
        "subscribers missed them.",
        value=events.dropped_total,
    )
