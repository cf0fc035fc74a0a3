"""The daemon inside ``sprmon demo``: ``sprmon run`` on the lab, in the demo's event loop.

The demo runs the very runner ``sprmon run`` uses (:func:`run_daemon`, with
the same exporters), in its own process, so that one Ctrl-C ends the lab and
the daemon together and nothing is left running. What the demo shows of it
comes from where a user would look: the metric lines from the real
``/metrics`` endpoint over HTTP, and the state changes the daemon would log.

::

    async with DemoDaemon(intent_path, loaded, host="127.0.0.1", port=0) as daemon:
        lines = await daemon.wait_for(lambda m: m.value("sprmon_paths", ...) == 1, 20)
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from sprmon.cli.common import CliError
from sprmon.core.monitor import MonitorView, StateChange
from sprmon.daemon.exporters import MetricsOptions, build_exporters
from sprmon.daemon.runner import DaemonStartError, Exporter, RunOptions, run_daemon
from sprmon.daemon.shard import Shard
from sprmon.exporters.web import MetricsServer
from sprmon.intentfile import LoadedIntent

__all__ = ["DemoDaemon", "Metrics", "Sample", "add_daemon_sections", "default_port_or_free"]

#: One sample line of the text exposition: name, optional labels, value.
_SAMPLE = re.compile(r"(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)")
_LABEL = re.compile(r'(?P<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?P<value>(?:[^"\\]|\\.)*)"')
_SCRAPE_TIMEOUT_S = 5.0
MQTT_CLIENT_ID = "sprmon-demo"


def add_daemon_sections(
    intent_path: Path,
    *,
    interval_s: float,
    grace_s: float,
    mqtt: tuple[str, int] | None,
) -> None:
    """Append the daemon's sections to the intent the lab wrote.

    The lab writes no ``monitor:`` section, so ``sprmon run`` would poll every
    60 s: far too slow for a demo. JSON scalars are valid YAML and need no
    quoting rules of our own (an IPv6 broker address holds colons).
    """
    lines = [
        "# Added by `sprmon demo` for `sprmon run`: poll every "
        f"{interval_s:g} s (the default is 60 s).",
        f"monitor: {{bgp_interval: {interval_s:g}s, counter_interval: {interval_s:g}s,"
        f" convergence_grace: {grace_s:g}s}}",
    ]
    if mqtt is not None:
        host, port = mqtt
        lines.append(
            f"mqtt: {{host: {json.dumps(host)}, port: {port},"
            f" client_id: {json.dumps(MQTT_CLIENT_ID)}}}"
        )
    with intent_path.open("a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


def default_port_or_free(host: str, port: int) -> int:
    """``port``, or 0 (a free port) when something already listens there.

    Only for the demo's default address: a newcomer whose own ``sprmon run``
    holds port 10472 still gets a demo. asyncio's servers bind with
    SO_REUSEADDR, so this probe does too, and only a listening socket (not a
    closed one in TIME_WAIT) counts as taken.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return 0
            raise
    return port


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    labels: Mapping[str, str]
    value: float
    #: The line as /metrics served it.
    line: str


@dataclass(frozen=True, slots=True)
class Metrics:
    """One scrape of ``/metrics``, searchable by name and labels."""

    samples: tuple[Sample, ...]

    @classmethod
    def parse(cls, text: str) -> Metrics:
        samples = []
        for line in text.splitlines():
            match = _SAMPLE.fullmatch(line)
            if line.startswith("#") or match is None:
                continue
            labels = {m["key"]: m["value"] for m in _LABEL.finditer(match["labels"] or "")}
            with contextlib.suppress(ValueError):
                samples.append(Sample(match["name"], labels, float(match["value"]), line))
        return cls(tuple(samples))

    def find(self, name: str, **labels: str) -> list[Sample]:
        return [
            s
            for s in self.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        ]

    def value(self, name: str, **labels: str) -> float | None:
        """The value of the one sample with these labels; None if absent (or not one)."""
        found = self.find(name, **labels)
        return found[0].value if len(found) == 1 else None


class DemoDaemon:
    """``sprmon run --intent INTENT --listen HOST:PORT --per-prefix-metrics`` as a task.

    Entering starts it and waits until its metrics server listens (a port in
    use is a :class:`CliError`); leaving stops it as SIGTERM would. The
    daemon's own SIGINT/SIGTERM handlers are in force meanwhile: a Ctrl-C
    stops it, and :meth:`run_until_stopped` tells the demo so.
    """

    def __init__(self, intent_path: Path, loaded: LoadedIntent, *, host: str, port: int) -> None:
        self._intent_path = intent_path
        self._loaded = loaded
        self._metrics = MetricsOptions(host=host, port=port, per_prefix=True)
        self._servers: list[MetricsServer] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: Every state change the daemon judged, in order (what ``sprmon run`` logs).
        self.changes: list[StateChange] = []

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of ``/metrics`` and ``/healthz`` (the bound port)."""
        return self._servers[0].url

    @property
    def address(self) -> str:
        """``HOST:PORT`` as ``--listen`` and a Prometheus target write it."""
        return self.url.split("://", 1)[1]

    def _exporters(
        self, loaded: LoadedIntent, view: Callable[[], MonitorView | None]
    ) -> Sequence[Exporter]:
        # The exporters `sprmon run` builds, so the demo shows the real ones,
        # plus a listener that keeps the changes for the story.
        exporters = build_exporters(Shard(), self._metrics)(loaded, view)
        self._servers.extend(e.context for e in exporters if isinstance(e.context, MetricsServer))
        recorder = Exporter(
            name="demo", context=contextlib.nullcontext(), on_changes=self.changes.extend
        )
        return [*exporters, recorder]

    async def __aenter__(self) -> Self:
        options = RunOptions(intent_path=self._intent_path, exporters=self._exporters)
        started = asyncio.Event()
        self._task = asyncio.create_task(
            run_daemon(options, self._loaded, started=lambda _: started.set(), stop=self._stop)
        )
        waiter = asyncio.create_task(started.wait())
        await asyncio.wait({self._task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if self._task.done():
            try:
                self._task.result()
            except DaemonStartError as exc:
                raise CliError(f"{exc} (choose another with --listen HOST:PORT)") from exc
            raise CliError("the daemon stopped before it started")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def run_until_stopped(self, work: Awaitable[None]) -> bool:
        """Run ``work`` while the daemon runs: True if it finished, False if Ctrl-C came first."""
        assert self._task is not None
        task = asyncio.ensure_future(work)
        await asyncio.wait({self._task, task}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
            return True
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False

    async def stopped(self) -> None:
        """Until SIGINT or SIGTERM stops the daemon."""
        assert self._task is not None
        await self._task

    async def scrape(self) -> Metrics:
        """``GET /metrics``, over HTTP as Prometheus would."""
        url = f"{self.url}/metrics"

        def fetch() -> str:
            with urllib.request.urlopen(url, timeout=_SCRAPE_TIMEOUT_S) as response:
                body: bytes = response.read()
                return body.decode("utf-8")

        try:
            return Metrics.parse(await asyncio.to_thread(fetch))
        except (OSError, urllib.error.URLError) as exc:
            raise CliError(f"cannot read {url}: {exc}") from exc

    async def wait_for(
        self, condition: Callable[[Metrics], bool], timeout_s: float
    ) -> tuple[Metrics, bool]:
        """Scrape until ``condition`` holds: (the last scrape, whether it held in time)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            metrics = await self.scrape()
            if condition(metrics):
                return metrics, True
            if loop.time() >= deadline:
                return metrics, False
            await asyncio.sleep(0.25)
