"""The daemon's link rates against agents that cache their counters (as Net-SNMP and routers do).

The lab's routers here refresh their counters only every 2 s, each at its own
phase. Rates between two polls 5 s apart would then cover 4 s or 6 s of traffic
(up to 20 % off) if the daemon timed them by its polls; timed by the agent's
refresh they are right to within a few percent, at every phase.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sprmon.lab import Lab, run_lab
from tests.daemon.daemon_support import SLACK_S, Recorder, daemon_intent, watching

pytestmark = [pytest.mark.peer, pytest.mark.slow]

REFRESH_S = 2.0
INTERVAL_S = 5.0
SITES = ("site-001", "site-002", "site-003", "site-004")


@pytest.fixture
async def caching_lab(tmp_path: Path) -> AsyncIterator[Lab]:
    async with run_lab(
        sites=len(SITES),
        seed=11,
        intent_path=tmp_path / "lab" / "intent.yaml",
        control=False,
        tick=0.02,
        counter_refresh_s=REFRESH_S,
    ) as running:
        yield running


async def test_link_utilisation_is_true_to_5_percent_whatever_the_agents_refresh_phase(
    caching_lab: Lab,
) -> None:
    lab = caching_lab
    recorder = Recorder()
    intent = daemon_intent(lab, interval_s=INTERVAL_S, stale_s=4 * INTERVAL_S)

    def every_rate_known() -> bool:
        findings = [recorder.link(site, link) for site in SITES for link in ("mpls", "inet")]
        return all(f is not None and f.utilization_out is not None for f in findings)

    async with watching(intent, recorder):
        await recorder.until("a rate for every link", every_rate_known, 3 * INTERVAL_S + SLACK_S)
        assert recorder.view is not None
        findings = recorder.view.report.links

    phases = {lab.model.counter_refresh_phase(site) for site in SITES}
    assert len(phases) == len(SITES), "each router refreshes at its own phase"
    assert len(findings) == 2 * len(SITES)
    for finding in findings:
        plan = lab.model.site(finding.site).link(finding.link)
        truth = lab.model.rates(finding.site)[plan.if_index]
        assert finding.utilization_out == pytest.approx(
            truth.out_bps / finding.capacity_bps, rel=0.05
        ), finding
        assert finding.utilization_in == pytest.approx(
            truth.in_bps / finding.capacity_bps, rel=0.05
        ), finding
