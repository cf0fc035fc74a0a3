"""``sprmon check`` with a secret that cannot be read: only the sites that use
it are unknown, with the reason naming the file; the check never waits for it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from sprmon.lab import Lab
from sprmon.realpeers.process import free_udp_port
from tests.cli.check_process import HEALTHY, healthy_lab, sprmon, with_site

pytestmark = pytest.mark.peer


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    async with healthy_lab(tmp_path) as running:
        yield running


def _with_piped_site(lab: Lab, secret: str) -> Path:
    """The lab's intent plus a site whose community is read from ``secret``."""
    return with_site(
        lab,
        "piped",
        free_udp_port(),
        snmp="credentials: piped",
        credentials=f"piped: {{snmp: {{version: 2c, community: {{file: {secret}}}}}}}",
    )


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
    intent = _with_piped_site(lab, str(secret))
    result = await sprmon(tmp_path, "check", "--intent", intent, "--format", "json", env=env)
    document = result.json()

    assert "Traceback" not in result.stderr
    for site in HEALTHY:
        assert {p["state"] for p in document["paths"] if p["site"] == site} == {"compliant"}
    assert {p["state"] for p in document["paths"] if p["site"] == "piped"} == {"unknown"}
    assert reason in _notes(document, "piped")
    assert result.returncode == 3
