"""``sprmon check`` in its own process beside a two-site lab, as a monitoring system
runs it: what the hostile-agent and hostile-secret tests share."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sprmon.lab import Lab, run_lab

#: Well above any check's own deadline: only a hung process reaches it.
PROCESS_TIMEOUT_S = 120.0
#: The lab's sites, which answer as they should.
HEALTHY = ("site-001", "site-002")
MPLS_PEER, INET_PEER = "198.51.100.1", "203.0.113.1"


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str
    elapsed_s: float

    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.stdout)
        return document


async def sprmon(
    tmp_path: Path, *args: str | Path, env: Mapping[str, str] | None = None
) -> Completed:
    """``python -m sprmon ARGS`` with stdout and stderr on pipes (and ``env`` set)."""
    inherited = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sprmon",
        *(str(a) for a in args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={
            **inherited,
            "NO_COLOR": "1",
            "SPRMON_LAB_STATE_DIR": str(tmp_path / "state"),
            **(env or {}),
        },
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return Completed(process.returncode, out.decode(), err.decode(), time.monotonic() - started)


@contextlib.asynccontextmanager
async def healthy_lab(tmp_path: Path) -> AsyncIterator[Lab]:
    """A lab of the :data:`HEALTHY` sites, its intent written under ``tmp_path``."""
    async with run_lab(
        sites=len(HEALTHY),
        seed=3,
        intent_path=tmp_path / "lab" / "intent.yaml",
        control=False,
        tick=0.1,
    ) as running:
        yield running


def with_site(lab: Lab, name: str, port: int, *, snmp: str = "", credentials: str = "") -> Path:
    """The lab's intent plus a site ``name`` whose agent listens on ``port``, with
    ``snmp`` settings added to its snmp section and ``credentials`` (a YAML entry)
    to the intent's credentials."""
    assert lab.intent_path is not None
    text = lab.intent_path.read_text()
    if credentials:
        assert text.count("credentials:\n") == 1
        text = text.replace("credentials:\n", f"credentials:\n  {credentials}\n")
    extra = f", {snmp}" if snmp else ""
    site = (
        f"  - {{name: {name}, snmp: {{port: {port}{extra}}}, links: "
        f"{{mpls: {{neighbors: [{MPLS_PEER}]}}, inet: {{neighbors: [{INET_PEER}]}}}}}}\n"
    )
    path = lab.intent_path.parent / f"with-{name}.yaml"
    path.write_text(text + site)
    return path
