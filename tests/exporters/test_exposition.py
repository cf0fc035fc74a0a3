"""The fast exposition writer produces prometheus-client's bytes, for every negotiated format."""

from __future__ import annotations

import functools

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    StateSetMetricFamily,
    SummaryMetricFamily,
)

from sprmon.core.monitor import MonitorView
from sprmon.exporters.exposition import choose, encode
from sprmon.exporters.prometheus import build_registry
from tests.exporters.prom_support import fixed_view, without_site

#: Accept headers as scrapers send them, and what prometheus-client negotiates for each.
ACCEPT = [
    "",
    "text/plain;version=0.0.4;q=1,*/*;q=0.1",
    # Prometheus 2.42's scrape header: OpenMetrics 1.0.0 first.
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8",
    "text/plain;version=1.0.0;escaping=underscores",
    "text/plain;version=1.0.0;escaping=dots",
    "application/openmetrics-text",
]

VIEWS = {
    "fixed": fixed_view(),
    "site left": without_site(fixed_view(), "branch-02"),
}


@pytest.mark.parametrize("accept", ACCEPT)
@pytest.mark.parametrize("per_prefix", [False, True])
@pytest.mark.parametrize("view", VIEWS.values(), ids=VIEWS.keys())
def test_the_bytes_are_those_of_prometheus_client(
    accept: str, per_prefix: bool, view: MonitorView
) -> None:
    registry = build_registry(lambda: view, per_prefix=per_prefix)
    reference, reference_type = choose_encoder(accept)
    encoder, content_type = choose(accept)
    assert content_type == reference_type
    assert encoder(registry) == reference(registry)


@pytest.mark.parametrize(
    "accept",
    [ACCEPT[0], ACCEPT[2], ACCEPT[3], ACCEPT[4]],
    ids=["text", "prometheus", "openmetrics utf-8", "text 1.0.0"],
)
def test_the_common_formats_take_the_fast_path(accept: str) -> None:
    encoder, _ = choose(accept)
    assert isinstance(encoder, functools.partial)
    assert encoder.func is encode


def test_an_escaping_that_rewrites_names_is_left_to_prometheus_client() -> None:
    encoder, _ = choose("text/plain;version=1.0.0;escaping=dots")
    assert not (isinstance(encoder, functools.partial) and encoder.func is encode)


class Families:
    def __init__(self, *metrics: Metric) -> None:
        self.metrics = metrics

    def collect(self) -> tuple[Metric, ...]:
        return self.metrics


def awkward_families() -> Families:
    counter = CounterMetricFamily("jobs", "Jobs with \\ and\nnewline.", labels=["q"], created=5.0)
    counter.add_metric(['say "hi"\\\n'], 3, created=17.5)
    gauge = GaugeMetricFamily("odd", "Odd values", labels=["k"])
    for n, value in enumerate((-0.0, 1e22, 123456789.0, float("nan"), float("-inf"), True)):
        gauge.add_metric([str(n)], value)
    stamped = GaugeMetricFamily("stamped", "With a timestamp", labels=["k"])
    stamped.add_metric(["a"], 1, timestamp=1_700_000_000.5)
    summary = SummaryMetricFamily("latency_seconds", "A summary", count_value=2, sum_value=0.5)
    states = StateSetMetricFamily("mode", "A state set", value={"a": True, "b": False})
    utf8 = GaugeMetricFamily("name.with.dots", "Not a legacy name", value=1)
    return Families(counter, gauge, stamped, summary, states, utf8)


@pytest.mark.parametrize("accept", ACCEPT)
def test_families_off_the_fast_path_still_come_out_as_prometheus_client_writes_them(
    accept: str,
) -> None:
    registry = CollectorRegistry()
    registry.register(awkward_families())
    reference, _ = choose_encoder(accept)
    encoder, _ = choose(accept)
    assert encoder(registry) == reference(registry)
