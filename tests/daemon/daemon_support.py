"""Running the daemon's engine against the lab, and watching what it publishes."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from sprmon.core.findings import LinkFinding, PathFinding
from sprmon.core.monitor import MonitorView, StateChange, Subject
from sprmon.daemon.engine import Monitor
from sprmon.daemon.snmp import SnmpCollector
from sprmon.intentfile import load_config
from sprmon.lab import Lab

LEGACY = "10.0.21.0/24"
#: Short enough that a test takes seconds, long enough for a lab poll on a busy machine.
INTERVAL_S = 0.5
GRACE_S = 3.0
STALE_S = 4.0
#: What a poll of a lab site and a loaded two-core machine may add to an interval.
SLACK_S = 2.0
WITHIN_TWO_INTERVALS_S = 2 * INTERVAL_S + SLACK_S


def daemon_intent(
    lab: Lab,
    *,
    interval_s: float = INTERVAL_S,
    grace_s: float = GRACE_S,
    stale_s: float = STALE_S,
    ports: dict[str, int] | None = None,
    drop: Sequence[str] = (),
    path: Path | None = None,
) -> Path:
    """The lab's intent with a monitor section (and site ports or sites changed), as a file."""
    assert lab.intent_path is not None
    text = lab.intent_path.read_text(encoding="utf-8")
    for site, port in (ports or {}).items():
        text = re.sub(rf"(name: {site}, snmp: {{port: )\d+", rf"\g<1>{port}", text)
    lines = [line for line in text.splitlines() if not any(f"name: {s}," in line for s in drop)]
    text = "\n".join(lines) + "\n"
    text += (
        f"monitor: {{bgp_interval: {interval_s}s, counter_interval: {interval_s}s, "
        f"convergence_grace: {grace_s}s, jitter: 10%}}\n"
        f"thresholds: {{stale_after: {stale_s}s}}\n"
    )
    target = path or lab.intent_path.with_name("daemon.yaml")
    target.write_text(text, encoding="utf-8")
    return target


def closed_udp_port() -> int:
    """A loopback UDP port nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Recorder:
    """The engine's hooks: keeps every change and the newest view, and wakes waiters."""

    def __init__(self) -> None:
        self.view: MonitorView | None = None
        self.views = 0
        self.changes: list[StateChange] = []
        self._updated = asyncio.Event()

    def on_view(self, view: MonitorView) -> None:
        self.view = view
        self.views += 1
        self._updated.set()

    def on_changes(self, changes: Sequence[StateChange]) -> None:
        self.changes.extend(changes)
        self._updated.set()

    async def until(self, what: str, predicate: Callable[[], bool], timeout_s: float) -> float:
        """Wait until ``predicate()`` holds; return the seconds it took, or fail saying ``what``."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(timeout_s):
                while not predicate():
                    self._updated.clear()
                    await self._updated.wait()
        except TimeoutError:
            raise AssertionError(
                f"not within {timeout_s:g} s: {what}; last changes: {self.changes[-5:]}"
            ) from None
        return loop.time() - started

    def path(self, site: str, prefix: str = LEGACY) -> PathFinding | None:
        if self.view is None:
            return None
        for finding in self.view.report.paths:
            if finding.site == site and finding.prefix == prefix:
                return finding
        return None

    def state(self, site: str, prefix: str = LEGACY) -> str | None:
        finding = self.path(site, prefix)
        return None if finding is None else finding.state.value

    def link(self, site: str, link: str) -> LinkFinding | None:
        if self.view is None:
            return None
        for finding in self.view.report.links:
            if finding.site == site and finding.link == link:
                return finding
        return None

    def path_changes(self, site: str, prefix: str = LEGACY) -> list[StateChange]:
        return [
            c
            for c in self.changes
            if c.subject is Subject.PATH and c.site == site and c.prefix == prefix
        ]

    def all_compliant(self, sites: Sequence[str]) -> bool:
        return all(self.state(site) == "compliant" for site in sites)


@asynccontextmanager
async def watching(intent_path: Path, recorder: Recorder) -> AsyncIterator[Monitor]:
    """The engine with the SNMP collector on ``intent_path``, publishing into ``recorder``."""
    loaded = load_config(intent_path)
    async with (
        SnmpCollector() as snmp,
        Monitor(
            loaded,
            [snmp],
            on_view=recorder.on_view,
            on_changes=recorder.on_changes,
            publish_every_s=0.05,
        ) as monitor,
    ):
        yield monitor
