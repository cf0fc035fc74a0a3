"""``sprmon check`` without ``--snapshot``: a live SNMP poll of the lab's real agents.

The lab runs in the test's event loop; sprmon runs in its own process, as a
monitoring system would start it, and polls the lab over UDP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import stat
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sprmon.intentfile import load_config
from sprmon.lab import Lab, run_lab
from sprmon.service import collect
from sprmon.snapshot import load_snapshot
from tests.cli.cli_support import INTENT, SNAPSHOTS, Run

pytestmark = pytest.mark.peer

LEGACY = "10.0.21.0/24"
SITES = ("site-001", "site-002", "site-003", "site-004")
#: Well above any poll of a handful of lab sites: only a hung process reaches it.
PROCESS_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.stdout)
        return document


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
    return {**env, "NO_COLOR": "1", "SPRMON_LAB_STATE_DIR": str(tmp_path / "state")}


async def _finish(process: asyncio.subprocess.Process) -> tuple[bytes, bytes]:
    try:
        return await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def sprmon(tmp_path: Path, *args: str | Path) -> Completed:
    """``python -m sprmon ARGS`` with stdout and stderr on pipes (not terminals)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sprmon",
        *(str(a) for a in args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(tmp_path),
    )
    out, err = await _finish(process)
    assert process.returncode is not None
    return Completed(process.returncode, out.decode(), err.decode())


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    # Rates come from the collector's clock and the lab's counters move once
    # per tick: a tick well below the intervals used here keeps rates near
    # the simulated traffic.
    async with run_lab(
        sites=len(SITES),
        seed=3,
        intent_path=tmp_path / "lab" / "intent.yaml",
        control=False,
        tick=0.1,
    ) as running:
        yield running


def _intent(lab: Lab) -> Path:
    assert lab.intent_path is not None
    return lab.intent_path


def _states(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(p["site"], p["prefix"]): p["state"] for p in document["paths"]}


def _link(document: dict[str, Any], site: str, link: str) -> dict[str, Any]:
    links: list[dict[str, Any]] = document["links"]
    (found,) = [x for x in links if x["site"] == site and x["link"] == link]
    return found


async def test_healthy_lab_is_compliant_everywhere_and_exits_0(lab: Lab, tmp_path: Path) -> None:
    result = await sprmon(
        tmp_path, "check", "--intent", _intent(lab), "--interval", "0", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    document = result.json()
    assert document["exit_code"] == 0
    # Three IPv4 application prefixes per site, every one over its intended link.
    assert len(document["paths"]) == 3 * len(SITES)
    assert {p["site"] for p in document["paths"]} == set(SITES)
    assert {p["state"] for p in document["paths"]} == {"compliant"}
    assert {link["severity"] for link in document["links"]} == {"ok"}


async def test_progress_is_silent_and_stdout_holds_only_the_report_when_piped(
    lab: Lab, tmp_path: Path
) -> None:
    result = await sprmon(tmp_path, "check", "-i", _intent(lab), "--interval", "0.3")
    assert result.stderr == ""
    assert result.stdout.startswith("sprmon check, evaluated at ")
    assert result.stdout.rstrip().endswith(f"(exit {result.returncode})")
    assert "\x1b[" not in result.stdout


async def test_progress_is_drawn_on_stderr_when_it_is_a_terminal(lab: Lab, tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    received = bytearray()
    loop = asyncio.get_running_loop()

    def drain() -> None:
        try:
            received.extend(os.read(leader, 65536))
        except OSError:  # the child closed its end: EIO on Linux
            loop.remove_reader(leader)

    loop.add_reader(leader, drain)
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sprmon",
            "check",
            "-i",
            str(_intent(lab)),
            "--interval",
            "0.3",
            stdout=asyncio.subprocess.PIPE,
            stderr=follower,
            env={**_env(tmp_path), "TERM": "xterm"},
        )
        os.close(follower)
        out, _ = await _finish(process)
        await asyncio.sleep(0)  # let the reader take what is left in the terminal
        drain()
    finally:
        loop.remove_reader(leader)
        os.close(leader)

    terminal = received.decode(errors="replace")
    assert "poll 1 of 2" in terminal
    assert f"polled {len(SITES)} sites twice" in terminal
    report = out.decode()
    assert report.startswith("sprmon check, evaluated at ")
    assert report.rstrip().endswith(f"(exit {process.returncode})")
    assert "poll" not in report
    assert "\x1b[" not in report


async def test_med_drift_makes_the_legacy_prefix_drift_and_exits_2(
    lab: Lab, tmp_path: Path
) -> None:
    lab.inject("site-002", "med-drift")
    result = await sprmon(
        tmp_path, "check", "-i", _intent(lab), "--interval", "0", "--format", "json"
    )
    assert result.returncode == 2
    document = result.json()
    assert document["exit_code"] == 2
    states = _states(document)
    assert states.pop(("site-002", LEGACY)) == "drift"
    assert set(states.values()) == {"compliant"}
    (drift,) = [p for p in document["paths"] if p["state"] == "drift"]
    assert "MED 300" in drift["explanation"]
    assert _link(document, "site-002", "mpls")["severity"] == "ok"


async def test_link_down_gives_failover_and_a_critical_link(lab: Lab, tmp_path: Path) -> None:
    lab.inject("site-003", "link-down", "mpls")
    result = await sprmon(
        tmp_path, "check", "-i", _intent(lab), "--interval", "0", "--format", "json"
    )
    assert result.returncode == 2
    document = result.json()
    assert _states(document)[("site-003", LEGACY)] == "failover"
    mpls = _link(document, "site-003", "mpls")
    assert mpls["severity"] == "critical"
    assert mpls["oper_up"] is False
    assert _link(document, "site-003", "inet")["severity"] == "ok"


@pytest.mark.slow
async def test_a_mute_site_is_unknown_with_the_poll_error_and_the_rest_is_judged(
    lab: Lab, tmp_path: Path
) -> None:
    lab.inject("site-001", "mute")
    lab.inject("site-004", "med-drift")
    result = await sprmon(
        tmp_path, "check", "-i", _intent(lab), "--interval", "0", "--format", "json"
    )
    # A drift is critical and outranks the unknown site.
    assert result.returncode == 2
    document = result.json()
    states = _states(document)
    assert {p["site"] for p in document["paths"]} == set(SITES)
    mute = [p for p in document["paths"] if p["site"] == "site-001"]
    port = lab.site_ports["site-001"]
    for path in mute:
        assert path["state"] == "unknown"
        assert f"no answer from 127.0.0.1:{port}" in path["explanation"]
    assert states[("site-004", LEGACY)] == "drift"
    others = {k: v for k, v in states.items() if k[0] in ("site-002", "site-003")}
    assert set(others.values()) == {"compliant"}
    assert {_link(document, "site-001", name)["severity"] for name in ("mpls", "inet")} == {
        "unknown"
    }


@pytest.mark.slow
async def test_a_mute_site_does_not_hold_up_the_other_sites(lab: Lab) -> None:
    lab.inject("site-001", "mute")
    loaded = load_config(_intent(lab))
    intent = loaded.intent
    finished: list[tuple[str, bool]] = []
    snapshot = await collect(
        intent,
        loaded.inventory,
        intent.sites,
        interval_s=0,
        on_site_done=lambda site, ok, done, total: finished.append((site, ok)),
    )
    # The mute site is first in the intent yet finishes last: the others did
    # not wait for its timeouts.
    assert finished[-1] == ("site-001", False)
    assert sorted(finished[:-1]) == [(site, True) for site in SITES[1:]]
    assert [o.site for o in snapshot.observations if o.error is not None] == ["site-001"]


async def test_saved_snapshot_judges_to_the_same_states_as_the_live_check(
    lab: Lab, tmp_path: Path
) -> None:
    lab.inject("site-001", "med-drift")
    lab.inject("site-002", "link-down", "mpls")
    saved = tmp_path / "collected.json"
    live = await sprmon(
        tmp_path,
        "check",
        "-i",
        _intent(lab),
        "--interval",
        "0.3",
        "--save-snapshot",
        saved,
        "--format",
        "json",
    )
    replay = await sprmon(tmp_path, "check", "-i", _intent(lab), "-s", saved, "--format", "json")

    assert live.returncode == replay.returncode == 2
    assert live.stderr == replay.stderr == ""
    before, after = live.json(), replay.json()
    assert _states(before) == _states(after)
    assert _states(after)[("site-001", LEGACY)] == "drift"
    assert _states(after)[("site-002", LEGACY)] == "failover"
    severities = {(x["site"], x["link"]): x["severity"] for x in before["links"]}
    assert severities == {(x["site"], x["link"]): x["severity"] for x in after["links"]}
    # Both polls are in the file, so that rates can be computed again from it.
    observations = load_snapshot(saved).observations
    assert sorted(o.site for o in observations) == sorted(SITES * 2)


async def test_two_polls_give_link_rates_and_one_poll_leaves_them_unknown(
    lab: Lab, tmp_path: Path
) -> None:
    twice = await sprmon(
        tmp_path, "check", "-i", _intent(lab), "--interval", "0.5", "--format", "json"
    )
    once = await sprmon(
        tmp_path, "check", "-i", _intent(lab), "--interval", "0", "--format", "json"
    )
    assert all(x["in_bps"] is not None for x in twice.json()["links"])
    assert all(x["in_bps"] is None for x in once.json()["links"])
    assert once.returncode == 0


async def test_site_option_polls_only_the_named_sites(lab: Lab, tmp_path: Path) -> None:
    saved = tmp_path / "one.json"
    result = await sprmon(
        tmp_path,
        "check",
        "-i",
        _intent(lab),
        "--site",
        "site-003",
        "--interval",
        "0",
        "--save-snapshot",
        saved,
        "--format",
        "json",
    )
    assert result.returncode == 0
    assert {p["site"] for p in result.json()["paths"]} == {"site-003"}
    assert [o.site for o in load_snapshot(saved).observations] == ["site-003"]


async def test_under_umask_077_the_saved_snapshot_is_as_private_as_the_report(
    lab: Lab, tmp_path: Path
) -> None:
    saved, report = tmp_path / "snap.json", tmp_path / "report.txt"
    previous = os.umask(0o077)  # inherited by the sprmon process
    try:
        result = await sprmon(
            tmp_path, "check", "-i", _intent(lab), "--interval", "0",
            "--save-snapshot", saved, "-o", report,
        )  # fmt: skip
    finally:
        os.umask(previous)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(saved.stat().st_mode) == stat.S_IMODE(report.stat().st_mode) == 0o600


async def test_snmp_v3_lab_is_checked_live(tmp_path: Path) -> None:
    async with run_lab(
        sites=2,
        seed=4,
        intent_path=tmp_path / "v3" / "intent.yaml",
        control=False,
        snmp_version="3",
    ) as v3:
        v3.inject("site-001", "med-drift")
        result = await sprmon(
            tmp_path, "check", "-i", _intent(v3), "--interval", "0", "--format", "json"
        )
    assert result.returncode == 2, result.stderr
    states = _states(result.json())
    assert states[("site-001", LEGACY)] == "drift"
    assert states[("site-002", LEGACY)] == "compliant"


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--save-snapshot", "out.json"], "--save-snapshot is for live collection"),
        (["--interval", "2"], "--interval is for live collection"),
        (
            ["--concurrency", "8", "--save-snapshot", "out.json"],
            "--concurrency and --save-snapshot are for live collection",
        ),
    ],
)
def test_live_options_with_a_snapshot_are_a_usage_error(
    run: Run, options: list[str], named: str
) -> None:
    result = run("check", "-i", INTENT, "-s", SNAPSHOTS / "mixed.json", *options)
    assert result.exit_code == 3
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"sprmon: usage error: {named}, not with --snapshot")


def test_save_snapshot_into_a_missing_folder_fails_before_polling(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "snap.json"
    result = run("check", "-i", INTENT, "--save-snapshot", target)
    assert result.exit_code == 3
    (line,) = result.stderr.splitlines()
    assert f"the folder {target.parent} does not exist" in line
