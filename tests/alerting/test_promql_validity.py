"""Every rule and every dashboard query is valid PromQL that returns data from sprmon's exporter.

A real Prometheus scrapes sprmon's real exporter serving a fleet in every
situation at once (tests/alerting/every_situation.py), with per-prefix
metrics, next to a sprmon that has not evaluated yet and a port where no sprmon
answers, and evaluates rules/ every second. Then every alert and recording
expression and every panel query of grafana/dashboards/ must parse, evaluate
and return samples, every rule must evaluate without error inside Prometheus,
and every alert's annotation templates (which run queries of their own) must
expand.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from sprmon.exporters.prometheus import build_registry
from sprmon.exporters.web import MetricsServer
from sprmon.realpeers.process import free_tcp_port
from tests.alerting.every_situation import SITES, every_situation
from tests.alerting.promql_check import query_problems, rule_problems
from tests.alerting.rules_support import rule_files
from tests.peers.prometheus import prometheus_config, run_prometheus, scrape_job

pytestmark = [pytest.mark.peer, pytest.mark.slow]


async def test_every_rule_and_panel_query_parses_and_returns_data(tmp_path: Path) -> None:
    started = time.time()
    live = build_registry(
        lambda: every_situation(time.time(), time.time() - started), per_prefix=True
    )
    starting = build_registry(lambda: None)
    async with (
        MetricsServer(live, port=0) as server,
        MetricsServer(starting, port=0) as not_ready,
    ):
        targets = [f"127.0.0.1:{port}" for port in (server.port, not_ready.port, free_tcp_port())]
        files = rule_files()
        config = prometheus_config([scrape_job("sprmon", *targets)], rule_files=sorted(files))
        async with run_prometheus(tmp_path / "prometheus", config, rule_files=files) as prom:
            await prom.wait_for_value('count(up{job="sprmon"} == 1)', 2)
            # Rates need two scrapes, rules an evaluation after them: retry until
            # every query answers, then report what still does not.
            deadline = time.monotonic() + 45
            while True:
                problems = await query_problems(prom, SITES) + await rule_problems(prom)
                if not problems or time.monotonic() > deadline:
                    break
                await asyncio.sleep(1)
            assert not problems, "\n".join(problems)
