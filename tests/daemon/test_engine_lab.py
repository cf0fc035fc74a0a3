"""The daemon's engine against the lab's real SNMP agents, with short intervals.

Each test runs a lab of three sites in the test's event loop and the engine
(with the real SNMP collector) beside it, and watches the views and state
changes it publishes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sprmon.core.monitor import Protocol, Subject
from sprmon.intentfile import load_config
from sprmon.lab import Lab, run_lab
from tests.daemon.daemon_support import (
    GRACE_S,
    INTERVAL_S,
    LEGACY,
    SLACK_S,
    STALE_S,
    WITHIN_TWO_INTERVALS_S,
    Recorder,
    closed_udp_port,
    daemon_intent,
    watching,
)

pytestmark = pytest.mark.peer

SITES = ("site-001", "site-002", "site-003")
#: From start-up to every site polled once and judged.
START_S = INTERVAL_S + SLACK_S + 3.0


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    # A tick well below the interval keeps rates near the simulated traffic
    # (with the default 1 s tick, a 0.5 s interval sees twice or none of it).
    async with run_lab(
        sites=len(SITES),
        seed=5,
        intent_path=tmp_path / "lab" / "intent.yaml",
        control=False,
        tick=0.1,
    ) as running:
        yield running


async def test_med_drift_shows_as_drift_within_two_intervals_and_clears(lab: Lab) -> None:
    recorder = Recorder()
    async with watching(daemon_intent(lab), recorder):
        await recorder.until("every site compliant", lambda: recorder.all_compliant(SITES), START_S)
        lab.inject("site-002", "med-drift")
        await recorder.until(
            "site-002 drifts",
            lambda: recorder.state("site-002") == "drift",
            WITHIN_TWO_INTERVALS_S,
        )
        drift = recorder.path("site-002")
        assert drift is not None
        assert "MED 300" in drift.explanation
        lab.clear("site-002")
        await recorder.until(
            "site-002 compliant again",
            lambda: recorder.state("site-002") == "compliant",
            WITHIN_TWO_INTERVALS_S,
        )
    states = [(c.old_state, c.new_state) for c in recorder.path_changes("site-002")]
    assert states == [(None, "compliant"), ("compliant", "drift"), ("drift", "compliant")]
    # The other sites never changed after they appeared.
    for site in ("site-001", "site-003"):
        assert [c.old_state for c in recorder.path_changes(site)] == [None]


async def test_link_down_is_failover_and_no_drift_appears_within_the_grace_after_it_returns(
    lab: Lab,
) -> None:
    recorder = Recorder()
    async with watching(daemon_intent(lab), recorder):
        await recorder.until("every site compliant", lambda: recorder.all_compliant(SITES), START_S)
        lab.inject("site-003", "link-down", "mpls")
        await recorder.until(
            "site-003 fails over with its mpls interface down",
            # A poll that straddles the fault may read the interface before it
            # and the session after: the next poll sees both down.
            lambda: (
                recorder.state("site-003") == "failover"
                and (mpls := recorder.link("site-003", "mpls")) is not None
                and mpls.oper_up is False
            ),
            WITHIN_TWO_INTERVALS_S,
        )
        lab.clear("site-003")
        await recorder.until(
            "site-003 back on mpls",
            lambda: recorder.state("site-003") == "compliant",
            WITHIN_TWO_INTERVALS_S,
        )
        # Watch through the whole grace: the path stays where it is.
        seen = len(recorder.path_changes("site-003"))
        await asyncio.sleep(GRACE_S)
    assert not [c for c in recorder.changes if c.new_state == "drift"]
    link_states = [
        (c.old_state, c.new_state)
        for c in recorder.changes
        if c.subject is Subject.LINK and c.site == "site-003" and c.link == "mpls"
    ]
    # The lab's traffic is bursty: a poll may see the link busy (degraded), still usable.
    usable = ["up" if new == "degraded" else new for _, new in link_states]
    assert [state for i, state in enumerate(usable) if i == 0 or usable[i - 1] != state] == [
        "up",
        "down",
        "up",
    ]
    assert recorder.path_changes("site-003")[seen:] == []


async def test_a_path_left_on_the_fallback_after_the_link_returns_is_converging_then_drift(
    lab: Lab,
) -> None:
    recorder = Recorder()
    async with watching(daemon_intent(lab), recorder):
        await recorder.until("every site compliant", lambda: recorder.all_compliant(SITES), START_S)
        lab.inject("site-001", "link-down", "mpls")
        await recorder.until(
            "site-001 fails over",
            lambda: recorder.state("site-001") == "failover",
            WITHIN_TWO_INTERVALS_S,
        )
        # mpls comes back, but the core still sends the legacy prefix with a
        # losing MED: one instant looks like a drift; BGP converging is the
        # daemon's verdict until the grace is over.
        lab.clear("site-001")
        lab.inject("site-001", "med-drift")
        await recorder.until(
            "mpls usable again",
            lambda: (
                (link := recorder.link("site-001", "mpls")) is not None and link.oper_up is True
            ),
            WITHIN_TWO_INTERVALS_S,
        )
        converging = recorder.path("site-001")
        assert converging is not None
        assert converging.state.value == "failover"
        assert "while BGP converges: mpls usable again since " in converging.explanation
        await recorder.until(
            "site-001 drifts once the grace is over",
            lambda: recorder.state("site-001") == "drift",
            GRACE_S + WITHIN_TWO_INTERVALS_S,
        )
    states = [(c.old_state, c.new_state) for c in recorder.path_changes("site-001")]
    assert states == [(None, "compliant"), ("compliant", "failover"), ("failover", "drift")]


async def test_a_site_that_never_answers_is_unknown_and_does_not_stall_the_others(
    lab: Lab,
) -> None:
    recorder = Recorder()
    intent = daemon_intent(lab, ports={"site-001": closed_udp_port()})
    async with watching(intent, recorder):
        await recorder.until(
            "site-001 unknown, the others compliant",
            lambda: recorder.state("site-001") == "unknown" and recorder.all_compliant(SITES[1:]),
            START_S,
        )
        first = _successes(recorder)
        await recorder.until(
            "the others polled several times more",
            lambda: all(
                (_successes(recorder).get(site) or 0) > (first.get(site) or 0) + 2 * INTERVAL_S
                for site in SITES[1:]
            ),
            4 * INTERVAL_S + SLACK_S,
        )
    unknown = recorder.path("site-001")
    assert unknown is not None
    assert "127.0.0.1" in unknown.explanation
    assert recorder.view is not None
    (health,) = [t for t in recorder.view.targets if t.site == "site-001"]
    assert (health.up, health.last_success_at, health.protocol) == (False, None, Protocol.SNMP)
    assert dict(health.errors_total).keys() == {"unreachable"}
    assert all(t.up for t in recorder.view.targets if t.site != "site-001")


def _successes(recorder: Recorder) -> dict[str, float | None]:
    assert recorder.view is not None
    return {t.site: t.last_success_at for t in recorder.view.targets}


@pytest.mark.slow
async def test_a_site_not_heard_from_within_the_stale_time_turns_unknown_never_stays_good(
    lab: Lab,
) -> None:
    recorder = Recorder()
    async with watching(daemon_intent(lab), recorder):
        await recorder.until("every site compliant", lambda: recorder.all_compliant(SITES), START_S)
        lab.inject("site-002", "mute")
        await recorder.until(
            "site-002's target down",
            lambda: (
                recorder.view is not None
                and any(t.site == "site-002" and not t.up for t in recorder.view.targets)
            ),
            WITHIN_TWO_INTERVALS_S + 2.0,
        )
        # A lost poll does not flap the paths: the last good state holds while fresh.
        assert recorder.state("site-002") == "compliant"
        await recorder.until(
            "site-002 unknown once stale",
            lambda: recorder.state("site-002") == "unknown",
            STALE_S + SLACK_S,
        )
        stale = recorder.path("site-002")
        assert stale is not None
        assert "no answer from 127.0.0.1" in stale.explanation
        lab.clear("site-002")
        await recorder.until(
            "site-002 back",
            lambda: recorder.state("site-002") == "compliant",
            10 * INTERVAL_S + SLACK_S,  # backoff: the dead target was retried less often
        )
    states = [(c.old_state, c.new_state) for c in recorder.path_changes("site-002")]
    assert states == [(None, "compliant"), ("compliant", "unknown"), ("unknown", "compliant")]


async def test_reload_removes_and_adds_sites_at_once(lab: Lab) -> None:
    recorder = Recorder()
    full = daemon_intent(lab)
    assert lab.intent_path is not None
    without = daemon_intent(lab, drop=["site-003"], path=lab.intent_path.with_name("less.yaml"))
    async with watching(full, recorder) as monitor:
        await recorder.until("every site compliant", lambda: recorder.all_compliant(SITES), START_S)
        before = len(recorder.changes)
        monitor.reload(load_config(without))
        left = recorder.changes[before:]
        assert left
        assert {(c.site, c.new_state) for c in left} == {("site-003", None)}
        await recorder.until(
            "site-003 out of the view", lambda: recorder.state("site-003") is None, 1.0
        )
        assert recorder.view is not None
        assert "site-003" not in {t.site for t in recorder.view.targets}
        assert "site-003" not in {x.site for x in recorder.view.links}
        monitor.reload(load_config(full))
        await recorder.until(
            "site-003 back in the view",
            lambda: recorder.state("site-003") == "compliant",
            WITHIN_TWO_INTERVALS_S,
        )


async def test_the_view_carries_poll_durations_and_growing_link_totals(lab: Lab) -> None:
    recorder = Recorder()
    async with watching(daemon_intent(lab), recorder):
        await recorder.until("every site compliant", lambda: recorder.all_compliant(SITES), START_S)

        def octets() -> int:
            assert recorder.view is not None
            (totals,) = [x for x in recorder.view.links if (x.site, x.link) == ("site-001", "inet")]
            return totals.in_octets or 0

        first = octets()
        await recorder.until("inet traffic counted", lambda: octets() > first, 4 * INTERVAL_S)
    assert recorder.view is not None
    ((protocol, histogram),) = recorder.view.poll_durations
    assert protocol is Protocol.SNMP
    assert histogram.count >= len(SITES)
    assert histogram.bucket_counts[-1] <= histogram.count
    assert (recorder.view.shard_index, recorder.view.shard_count) == (0, 1)
    assert recorder.view.events is None
    assert LEGACY in {f.prefix for f in recorder.view.report.paths}
