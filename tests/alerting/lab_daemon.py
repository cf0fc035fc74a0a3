"""The lab and ``sprmon run`` watching it, as a process serving /metrics on loopback.

::

    async with lab_and_daemon(tmp_path) as (lab, target):
        prometheus_config([scrape_job("sprmon", target)], ...)
        lab.inject("site-002", "med-drift")

The lab runs in this process (its agents answer SNMP on 127.0.0.1, free
ports); ``sprmon run`` runs as ``python -m sprmon`` on the lab's intent file
with a ``monitor:`` section of one-second polls, per-prefix metrics and a free
metrics port, and is stopped by its pid (SIGTERM, then SIGKILL if it hangs).
The convergence grace is scaled like the rules in the end-to-end test (90 s
in production, 2 s here), so that it stays shorter than the link alerts'
``keep_firing_for`` (3 minutes, 3 s here) as it is in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sys
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

from sprmon.lab import Lab, run_lab
from sprmon.realpeers.process import free_tcp_port, start_logged, stop_process, wait_ready

SITES = tuple(f"site-{n:03}" for n in range(1, 6))
MONITOR = (
    "monitor: {bgp_interval: 1s, counter_interval: 1s, convergence_grace: 2s, jitter: 10%}\n"
    "thresholds: {stale_after: 10s}\n"
)
#: Python's start-up and the first poll of every site on a busy two-core machine.
START_S = 30.0


class DaemonError(RuntimeError):
    pass


def _daemon_intent(lab: Lab, mqtt_port: int | None) -> Path:
    assert lab.intent_path is not None
    text = lab.intent_path.read_text(encoding="utf-8") + MONITOR
    if mqtt_port is not None:
        text += f"mqtt: {{host: 127.0.0.1, port: {mqtt_port}, client_id: sprmon-alerting}}\n"
    path = lab.intent_path.with_name("daemon.yaml")
    path.write_text(text, encoding="utf-8")
    return path


def _healthz(url: str) -> None:
    """Returns if /healthz answers 200: the daemon has published its first view."""
    with urllib.request.urlopen(url, timeout=2) as response:
        if response.status != 200:
            raise OSError(f"HTTP {response.status}")


@contextlib.asynccontextmanager
async def lab_and_daemon(
    workdir: Path, *, mqtt_port: int | None = None
) -> AsyncIterator[tuple[Lab, str]]:
    """The running lab and the HOST:PORT where ``sprmon run`` serves its metrics;
    with ``mqtt_port``, the daemon also publishes to the broker there."""
    async with run_lab(
        sites=len(SITES),
        seed=3,
        intent_path=workdir / "lab" / "intent.yaml",
        control=False,
        tick=0.1,
    ) as lab:
        intent = _daemon_intent(lab, mqtt_port)
        port = free_tcp_port()
        log = workdir / "sprmon-run.log"
        process = await start_logged(
            [
                sys.executable,
                "-m",
                "sprmon",
                "run",
                "--intent",
                str(intent),
                "--listen",
                f"127.0.0.1:{port}",
                "--per-prefix-metrics",
            ],
            log,
            env={**os.environ, "NO_COLOR": "1"},
        )
        url = f"http://127.0.0.1:{port}/healthz"
        healthy = False  # until /healthz answers 200 (TimeoutError: never did)
        try:
            with contextlib.suppress(TimeoutError):
                healthy = await wait_ready(
                    process,
                    functools.partial(asyncio.to_thread, _healthz, url),
                    not_yet=(OSError,),
                    timeout_s=START_S,
                    poll_s=0.25,
                )
            if not healthy:
                output = await asyncio.to_thread(log.read_text)
                raise DaemonError(f"sprmon run not healthy at {url} within {START_S} s:\n{output}")
            yield lab, f"127.0.0.1:{port}"
        finally:
            await stop_process(process, timeout_s=30)
