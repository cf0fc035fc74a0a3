"""``sprmon run`` as an operator runs it: a process, its log, its signals, its shard.

The lab runs in the test's event loop; ``python -m sprmon run`` runs in its
own process with ``--log-format json``, and the test reads its stderr line
by line.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sprmon.daemon.shard import shard_of
from sprmon.lab import Lab, run_lab
from tests.daemon.daemon_support import SLACK_S, WITHIN_TWO_INTERVALS_S, daemon_intent
from tests.daemon.process_support import START_S, change, message, start

pytestmark = pytest.mark.peer


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    async with run_lab(
        sites=4, seed=6, intent_path=tmp_path / "lab" / "intent.yaml", control=False, tick=0.1
    ) as running:
        yield running


async def test_sighup_puts_a_good_intent_in_force_and_keeps_the_old_one_over_a_bad_one(
    lab: Lab, tmp_path: Path
) -> None:
    intent = daemon_intent(lab)
    full = intent.read_text(encoding="utf-8")
    daemon = await start(tmp_path, "-vv", "run", "--intent", intent, "--log-format", "json")
    try:
        await daemon.until("started", message("watching 4 site(s)"), START_S)
        # -vv logs healthy subjects as they appear: every site has been judged once.
        for site in sorted(lab.site_ports):
            await daemon.until(f"{site} judged", change(site, "compliant", None), START_S)
        lab.inject("site-004", "med-drift")
        await daemon.until("site-004 drifts", change("site-004", "drift", "compliant"), START_S)

        # A good intent without site-004: it leaves at once, every subject with it.
        daemon_intent(lab, drop=["site-004"], path=intent)
        daemon.process.send_signal(signal.SIGHUP)
        await daemon.until(
            "reloaded", message("reloaded: 3 site(s) watched, 0 added, 1 removed"), 10.0
        )
        left = [e for e in daemon.events() if e["site"] == "site-004" and e["new_state"] is None]
        assert {e["subject"] for e in left} == {"path", "link"}
        assert any(e.get("prefix") == "10.0.21.0/24" and e["old_state"] == "drift" for e in left)

        # A bad intent: rejected with its problems, and the daemon goes on watching.
        intent.write_text(full.replace("version: 1", "version: 1\nbogus: 2"), encoding="utf-8")
        daemon.process.send_signal(signal.SIGHUP)
        rejected = await daemon.until("rejected", message("intent reload rejected"), 10.0)
        assert rejected["level"] == "error"
        problem = await daemon.until("problem logged", message("bogus: unknown key 'bogus'"), 1.0)
        assert problem["message"].startswith(f"{intent}:5: ")
        lab.inject("site-001", "med-drift")
        await daemon.until(
            "site-001 drifts under the intent in force",
            change("site-001", "drift", "compliant"),
            WITHIN_TWO_INTERVALS_S + SLACK_S,
        )
        # The intent in force is the good one: site-004 stays out.
        later = daemon.records[daemon.records.index(rejected) :]
        assert not [r for r in later if r.get("event", {}).get("site") == "site-004"]
        code = await daemon.stop()
    finally:
        if daemon.process.returncode is None:
            daemon.process.kill()
            await daemon.wait()
    assert code == 0
    assert daemon.other == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_a_stop_signal_during_polls_cancels_them_and_exits_0(
    lab: Lab, tmp_path: Path, sig: signal.Signals
) -> None:
    # A mute site keeps a poll in flight for its whole deadline (1 s x 2 tries x requests).
    lab.inject("site-002", "mute")
    daemon = await start(tmp_path, "run", "-i", daemon_intent(lab), "--log-format", "json")
    try:
        await daemon.until("started", message("watching 4 site(s)"), START_S)
        await daemon.until("the mute site failed once", change("site-002", "unknown"), START_S)
        # Retried one interval later, and each try lasts seconds: a poll is in flight now.
        await asyncio.sleep(1.0)
        code = await daemon.stop(sig)
    finally:
        if daemon.process.returncode is None:
            daemon.process.kill()
            await daemon.wait()
    assert code == 0
    messages = [r["message"] for r in daemon.records]
    assert "stopping: cancelling polls and closing the exporters" in messages
    assert messages[-1] == "stopped"
    assert not [r for r in daemon.records if r["level"] == "error"]
    assert daemon.other == []


async def test_two_shards_cover_every_site_exactly_once(lab: Lab, tmp_path: Path) -> None:
    intent = daemon_intent(lab)
    sites = sorted(lab.site_ports)
    shards = [
        await start(
            tmp_path, "-vv", "run", "-i", intent, "--shard", f"{i}/2", "--log-format", "json"
        )
        for i in range(2)
    ]
    try:
        for index, daemon in enumerate(shards):
            mine = [s for s in sites if shard_of(s, 2) == index]
            await daemon.until(
                f"shard {index} started",
                message(f"watching {len(mine)} site(s) (shard {index}/2)"),
                START_S,
            )
        for index, daemon in enumerate(shards):
            mine = [s for s in sites if shard_of(s, 2) == index]
            for site in mine:
                await daemon.until(f"{site} judged", change(site, "compliant", None), START_S)
        codes = [await daemon.stop() for daemon in shards]
    finally:
        for daemon in shards:
            if daemon.process.returncode is None:
                daemon.process.kill()
                await daemon.wait()
    assert codes == [0, 0]
    seen = [{e["site"] for e in daemon.events()} for daemon in shards]
    assert seen[0].isdisjoint(seen[1])
    assert seen[0] | seen[1] == set(sites)
