"""The FRR network leaves nothing behind: not from a failed test, not from scripts/frr-wan."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sprmon.realpeers.frr import FrrWan, frr_wan
from sprmon.realpeers.netns import ip

pytestmark = [pytest.mark.root, pytest.mark.slow, pytest.mark.peer]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "frr-wan"
#: Building one branch takes a few seconds; only a hung script reaches this.
SCRIPT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Traces:
    """What a network puts on the machine, recorded while it runs."""

    namespaces: frozenset[str]
    devices: frozenset[str]
    pids: frozenset[int]
    workdir: Path

    @classmethod
    def of(cls, wan: FrrWan) -> Traces:
        return cls(
            frozenset(wan.namespaces.values()),
            frozenset(wan.root_devices),
            frozenset(daemon.pid for daemon in wan.daemons),
            wan.workdir,
        )

    async def left(self) -> list[str]:
        """What is still there; [] when everything is gone."""
        present = {n["name"] for n in json.loads(await ip("-j", "netns", "list") or "[]")}
        devices = {d["ifname"] for d in json.loads(await ip("-j", "link", "show"))}
        left = [f"namespace {name}" for name in sorted(self.namespaces & present)]
        left += [f"device {name}" for name in sorted(self.devices & devices)]
        for pid in sorted(self.pids):
            # A pid the kernel has reused since is not ours: ours mention the workdir.
            with_marker = _cmdline(pid)
            if with_marker is not None and str(self.workdir) in with_marker:
                left.append(f"process {pid}: {with_marker}")
        return left


def _remaining(folder: Path) -> list[str] | None:
    """The folder's entries, or None when the folder itself is gone."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else None


def _cmdline(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None


async def test_network_is_removed_when_the_test_using_it_fails() -> None:
    traces: Traces | None = None

    with pytest.raises(RuntimeError, match="the test failed"):
        async with frr_wan(sites=1) as wan:
            traces = Traces.of(wan)
            assert len(traces.namespaces) == 3 and len(traces.pids) == 7
            assert await wan.bgp_sessions("branch-01") == {
                "198.51.100.1": "Established",
                "203.0.113.1": "Established",
            }
            raise RuntimeError("the test failed")

    assert traces is not None
    assert await traces.left() == []
    assert _remaining(traces.workdir) is None


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def _run(*command: str | Path) -> Ran:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
    process = await asyncio.create_subprocess_exec(
        *(str(part) for part in command),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**env, "NO_COLOR": "1"},
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), SCRIPT_TIMEOUT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


@pytest.fixture
def script_dir() -> Iterator[Path]:
    # Under /tmp, not pytest's tmp_path: the frr user must reach the files.
    folder = Path(tempfile.mkdtemp(prefix="sprmon-frr-wan-test-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


async def test_frr_wan_script_builds_a_network_that_sprmon_checks_and_removes_it(
    script_dir: Path,
) -> None:
    script = (sys.executable, SCRIPT, "--dir", script_dir)
    up = await _run(*script, "up", "--sites", "1")
    try:
        assert up.returncode == 0, up.stderr + up.stdout
        traces = Traces.of(FrrWan.from_json((script_dir / "state.json").read_text()))
        intent = script_dir / "intent.yaml"
        assert f"sprmon check --intent {intent}" in up.stdout

        status = await _run(*script, "status")
        check = await _run(
            sys.executable, "-m", "sprmon", "check", "--intent", intent, "--interval", "0"
        )
    finally:
        # Also when an assertion above failed: the network must not outlive the test.
        down = await _run(*script, "down")

    assert status.returncode == 0, status.stdout + status.stderr
    assert "branch-01 10.0.21.0/24: 2 path(s), best via mpls (MED 100)" in status.stdout
    assert check.returncode == 0, check.stdout + check.stderr
    assert "3 paths at 1 site: 3 compliant" in check.stdout
    assert down.returncode == 0, down.stderr
    assert await traces.left() == []
    # Only what 'up' wrote is removed, then the folder if that left it empty.
    assert _remaining(script_dir) is None
