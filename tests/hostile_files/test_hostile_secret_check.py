"""``sprmon check`` with a secret that cannot be read: only the sites that use
it are unknown, with the reason naming the file; the check never waits for it."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from sprmon.lab import Lab, run_lab
from sprmon.realpeers.process import free_udp_port

pytestmark = pytest.mark.peer

#: Well above the check's own deadline: only a hung process reaches it.
PROCESS_TIMEOUT_S = 120.0
HEALTHY = ("site-001", "site-002")
MPLS_PEER, INET_PEER = "198.51.100.1", "203.0.113.1"


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    async with run_lab(
        sites=len(HEALTHY),
        seed=3,
        intent_path=tmp_path / "lab" / "intent.yaml",
        control=False,
        tick=0.1,
    ) as running:
        yield running


def _with_piped_site(lab: Lab, secret: str) -> Path:
    """The lab's intent plus a site whose community is read from ``secret``."""
    assert lab.intent_path is not None
    text = lab.intent_path.read_text()
    assert text.count("credentials:\n") == 1
    text = text.replace(
        "credentials:\n",
        f"credentials:\n  piped: {{snmp: {{version: 2c, community: {{file: {secret}}}}}}}\n",
    )
    text += (
        f"  - {{name: piped, snmp: {{port: {free_udp_port()}, credentials: piped}}, links: "
        f"{{mpls: {{neighbors: [{MPLS_PEER}]}}, inet: {{neighbors: [{INET_PEER}]}}}}}}\n"
    )
    path = lab.intent_path.parent / "with-piped.yaml"
    path.write_text(text)
    return path


async def _check(tmp_path: Path, intent: Path, env: dict[str, str]) -> tuple[int, Any, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "sprmon", "check", "--intent", str(intent), "--format", "json"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1", **env},
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, json.loads(out), err.decode()


def _notes(document: dict[str, Any], site: str) -> str:
    return " ".join(n for link in document["links"] if link["site"] == site for n in link["notes"])


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
async def test_an_unreadable_secret_makes_only_its_site_unknown(
    lab: Lab, tmp_path: Path, kind: str
) -> None:
    # A FIFO hung the whole check (the read blocked the event loop); /dev/zero
    # grew to 1.36 GB in 3.6 s.
    assert lab.intent_path is not None
    env: dict[str, str] = {}
    if kind == "fifo":
        secret = lab.intent_path.parent / "piped.secret"
        os.mkfifo(secret)
        reason = f"secret file {secret} is a named pipe (FIFO), not a regular file"
    else:
        secret = Path("/dev/zero")
        env["SPRMON_SECRETS_DIR"] = "/dev"
        reason = "secret file /dev/zero is a character device, not a regular file"
    code, document, stderr = await _check(tmp_path, _with_piped_site(lab, str(secret)), env)

    assert "Traceback" not in stderr
    for site in HEALTHY:
        assert {p["state"] for p in document["paths"] if p["site"] == site} == {"compliant"}
    assert {p["state"] for p in document["paths"] if p["site"] == "piped"} == {"unknown"}
    assert reason in _notes(document, "piped")
    assert code == 3
