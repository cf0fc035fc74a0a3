"""Every rule and dashboard query against ``sprmon run`` itself, watching the lab.

The lab's five sites each get a different fault, the daemon publishes to a
real Mosquitto, a real Prometheus scrapes it every second and evaluates rules/.
Then every query must be valid PromQL that Prometheus evaluates without error
on the daemon's real series, every rule must evaluate cleanly and every alert's
annotations expand; and every alert and panel must return data, except the
few whose situation this run does not create (listed with the reason).
test_promql_validity.py covers those against the exporter in every situation.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.alerting.lab_daemon import SITES, lab_and_daemon
from tests.alerting.promql_check import query_problems, rule_problems
from tests.alerting.rules_support import rule_files
from tests.peers.mosquitto import run_mosquitto
from tests.peers.prometheus import prometheus_config, run_prometheus, scrape_job

pytestmark = [pytest.mark.peer, pytest.mark.slow]

#: Alerts and panels that rightly return nothing in this run, and why.
NOT_CREATED = {
    "SprmonDown": "sprmon is scraped",
    "SprmonNoEvaluation": "sprmon has evaluated",
    "SprmonEvaluationStale": "its evaluation is fresh",
    "SprmonBgpSessionFlapping": "no session comes back three times",
    "SprmonLinkSaturated": "the 5-minute average does not reach 80 % within the test",
    "SprmonLinkErrors": "the lab's interfaces count no errors",
    "SprmonLinkDiscards": "the 5-minute rate of the discards may stay below 1/s",
    "SprmonMqttDisconnected": "the broker is up",
    "SprmonMqttEventsDropped": "the broker takes every event",
}


async def test_every_query_is_valid_against_sprmon_run_on_the_lab(tmp_path: Path) -> None:
    async with (
        run_mosquitto(tmp_path / "mosquitto") as broker,
        lab_and_daemon(tmp_path / "lab", mqtt_port=broker.port) as (lab, target),
    ):
        files = rule_files()
        config = prometheus_config([scrape_job("sprmon", target)], rule_files=sorted(files))
        async with run_prometheus(tmp_path / "prometheus", config, rule_files=files) as prom:
            await prom.wait_for_targets_up()
            lab.inject("site-001", "session-down", "inet")
            lab.inject("site-002", "med-drift")
            for link in ("mpls", "inet"):  # no route: withdrawn over both links
                lab.inject("site-003", "withdraw", link, prefix="10.0.30.0/24")
            lab.inject("site-004", "link-down", "mpls")
            lab.inject("site-005", "mute")  # unknown once its data is stale (10 s)
            await prom.wait_until(
                'sprmon_paths{site="site-005",state="unknown"} > 0',
                bool,
                timeout_s=60,
            )
            deadline = time.monotonic() + 60
            while True:
                problems = await query_problems(
                    prom, SITES, may_be_empty=NOT_CREATED
                ) + await rule_problems(prom)
                if not problems or time.monotonic() > deadline:
                    break
                await asyncio.sleep(1)
            assert not problems, "\n".join(problems)
