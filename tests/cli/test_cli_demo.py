"""``sprmon demo``: the newcomer's first command (``make demo``), against the real lab."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path

import pytest
from cli_support import Run

pytestmark = pytest.mark.peer

#: Well above a whole demo: only a hung process reaches it.
PROCESS_TIMEOUT_S = 120.0


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
    return {**env, "NO_COLOR": "1", "SPRMON_LAB_STATE_DIR": str(tmp_path / "state")}


def _intent_path(stdout: str) -> Path:
    found = re.search(r"^The intent file that says so: (.+)$", stdout, re.MULTILINE)
    assert found is not None, stdout
    return Path(found.group(1))


def test_demo_shows_a_drift_and_a_failover_and_exits_0(run: Run, tmp_path: Path) -> None:
    result = run("demo", "--interval", "0", env={"SPRMON_LAB_STATE_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    out = result.stdout
    assert "site-002 legacy 10.0.21.0/24: drift, critical" in out
    assert "site-004 legacy 10.0.21.0/24: failover, warning" in out
    assert "site-004 link mpls: critical" in out
    assert "compliant -> drift" in out
    assert "  $ sprmon lab --write-intent lab.yaml" in out
    assert "  $ sprmon lab inject site-003 med-drift" in out
    assert "  $ sprmon check --intent lab.yaml" in out
    # The lab and its temporary folder are gone, and it was never registered
    # where `sprmon lab inject` would find it.
    assert not _intent_path(out).parent.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
async def test_make_demo_runs_the_default_demo_in_a_real_process(tmp_path: Path) -> None:
    code, stdout, err = await _sprmon(tmp_path, "demo")
    assert code == 0, err
    assert err == ""
    assert "drift" in stdout
    assert "failover" in stdout
    # The default polls twice, so the healthy report shows utilisation.
    assert re.search(r"site-001 +mpls +ok +up +up +\d+\.\d%", stdout), stdout
    assert stdout.rstrip().endswith("The demo lab is stopped.")


async def _sprmon(tmp_path: Path, *args: str | Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sprmon",
        *(str(a) for a in args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(tmp_path),
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.slow
async def test_keep_running_leaves_the_lab_up_for_other_terminals_until_ctrl_c(
    tmp_path: Path,
) -> None:
    demo = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sprmon",
        "demo",
        "--keep-running",
        "--interval",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(tmp_path),
    )
    try:
        assert demo.stdout is not None
        lines: list[str] = []
        async with asyncio.timeout(PROCESS_TIMEOUT_S):
            while not lines or "sprmon lab --name demo clear" not in lines[-1]:
                line = await demo.stdout.readline()
                assert line, "".join(lines)
                lines.append(line.decode())
        shown = "".join(lines)
        intent = _intent_path(shown)
        assert f"  $ sprmon check --intent {intent}\n" in shown
        assert "  $ sprmon lab --name demo inject site-003 med-drift\n" in shown

        # What the demo tells the user to type, from another process.
        code, out, err = await _sprmon(
            tmp_path, "lab", "--name", "demo", "inject", "site-003", "med-drift"
        )
        assert code == 0, err
        assert out.startswith("site-003: injected med-drift")
        code, out, _ = await _sprmon(
            tmp_path, "check", "--intent", intent, "--interval", "0", "--format", "json"
        )
        assert code == 2
        states = {(p["site"], p["prefix"]): p["state"] for p in json.loads(out)["paths"]}
        assert states.pop(("site-003", "10.0.21.0/24")) == "drift"
        # The demo's own faults were cleared before it handed the lab over.
        assert set(states.values()) == {"compliant"}

        demo.send_signal(signal.SIGINT)
        rest, err = await asyncio.wait_for(demo.communicate(), PROCESS_TIMEOUT_S)
    finally:
        if demo.returncode is None:
            demo.kill()
            await demo.wait()
    assert demo.returncode == 0, err.decode()
    assert rest.decode().rstrip().endswith("The demo lab is stopped.")
    assert not intent.parent.exists()
    assert list((tmp_path / "state").glob("demo.*")) == []
