"""``sprmon run`` scraped by a real Prometheus while the lab breaks and heals.

What an operator's dashboard would show: a MED drift appears as
``sprmon_path_state{state="drift"} == 1`` for that prefix within two poll
intervals and goes away after the fault is cleared; a link-down is
``failover``, and no drift shows while the link comes back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sprmon.lab import Lab, run_lab
from sprmon.realpeers.process import free_tcp_port
from tests.daemon.daemon_support import GRACE_S, SLACK_S, WITHIN_TWO_INTERVALS_S, daemon_intent
from tests.daemon.process_support import START_S, message, start
from tests.peers.prometheus import prometheus_config, run_prometheus, scrape_job

pytestmark = pytest.mark.peer

#: Prometheus scrapes every second: one more second before a change can show.
SCRAPE_S = 1.0
DRIFTING = 'sprmon_path_state{state="drift"} == 1'
LEGACY = 'prefix="10.0.21.0/24"'


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    async with run_lab(
        sites=3, seed=9, intent_path=tmp_path / "lab" / "intent.yaml", control=False, tick=0.1
    ) as running:
        yield running


async def test_prometheus_sees_a_drift_come_and_go_and_a_failover_without_drift(
    lab: Lab, tmp_path: Path
) -> None:
    port = free_tcp_port()
    intent = daemon_intent(lab)
    daemon = await start(
        tmp_path,
        "run",
        "-i",
        intent,
        "--listen",
        f"127.0.0.1:{port}",
        "--per-prefix-metrics",
        "--log-format",
        "json",
    )
    try:
        await daemon.until(
            "serving", message(f"serving metrics on http://127.0.0.1:{port}/metrics"), START_S
        )
        config = prometheus_config([scrape_job("sprmon", f"127.0.0.1:{port}")], interval="1s")
        async with run_prometheus(tmp_path / "prometheus", config) as prom:
            await prom.wait_for_targets_up(timeout_s=START_S)
            await prom.wait_for_value('sum(sprmon_paths{state="compliant"})', 9, timeout_s=START_S)

            lab.inject("site-002", "med-drift")
            samples = await prom.wait_until(
                DRIFTING,
                lambda s: len(s) == 1,
                timeout_s=WITHIN_TWO_INTERVALS_S + SCRAPE_S + SLACK_S,
            )
            assert samples[0]["metric"]["site"] == "site-002"
            assert samples[0]["metric"]["prefix"] == "10.0.21.0/24"
            lab.clear("site-002")
            await prom.wait_for_absent(
                DRIFTING, timeout_s=WITHIN_TWO_INTERVALS_S + SCRAPE_S + SLACK_S
            )

            lab.inject("site-003", "link-down", "mpls")
            await prom.wait_for_value(
                f'sprmon_path_state{{site="site-003",{LEGACY},state="failover"}}',
                1,
                timeout_s=WITHIN_TWO_INTERVALS_S + SCRAPE_S + SLACK_S,
            )
            assert await prom.values("sprmon_link_up{site='site-003',link='mpls'}") == [0.0]
            lab.clear("site-003")
            await prom.wait_for_value(
                f'sprmon_path_state{{site="site-003",{LEGACY},state="compliant"}}',
                1,
                timeout_s=WITHIN_TWO_INTERVALS_S + SCRAPE_S + SLACK_S,
            )
            await asyncio.sleep(GRACE_S)
            # Over everything Prometheus stored since the start: never a drift at site-003.
            ever = await prom.query(
                'max_over_time(sprmon_path_state{site="site-003",state="drift"}[5m])'
            )
            assert ever
            assert {float(s["value"][1]) for s in ever} == {0.0}
        code = await daemon.stop()
    finally:
        if daemon.process.returncode is None:
            daemon.process.kill()
            await daemon.wait()
    assert code == 0
