"""A real Alertmanager (Debian's ``prometheus-alertmanager``) and the webhook it notifies.

::

    async with WebhookReceiver() as webhook:
        config = alertmanager_config_for(EXAMPLE, webhook.url, group_wait="1s")
        async with run_alertmanager(tmp_path / "am", config) as am:
            prometheus_config(..., alertmanagers=[am.address])
            note = await webhook.wait_for_alert("SprmonPathDrift", status="firing")
            inhibited = await am.wait_for_alert("SprmonPathFailover", inhibited=True)

Alertmanager listens on 127.0.0.1 on a free port picked at start-up (retried
if another process takes it first), with ``--cluster.listen-address=`` so that
it never binds the gossip port on every address, keeps its data in the work
folder and is stopped by its pid. The configuration is checked with ``amtool
check-config`` first, so that a mistake fails with amtool's message.

:class:`WebhookReceiver` is a minimal HTTP server on loopback that records
every notification Alertmanager POSTs (the webhook JSON, version 4) with the
path it was posted to, which the configuration uses to tell receivers apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ruamel.yaml import YAML

from tests.peers.prometheus import PromServer, check_config, http_request, run_prom_server

ALERTMANAGER = "prometheus-alertmanager"
AMTOOL = "amtool"

Alert = dict[str, Any]


class AlertmanagerError(RuntimeError):
    pass


@dataclass(frozen=True)
class Alertmanager(PromServer):
    @property
    def address(self) -> str:
        """HOST:PORT, as Prometheus's ``alerting.alertmanagers`` targets want it."""
        return f"{self.host}:{self.port}"

    async def alerts(
        self,
        *,
        active: bool = True,
        inhibited: bool = True,
        silenced: bool = True,
        filters: Sequence[str] = (),
    ) -> list[Alert]:
        """``GET /api/v2/alerts``: each with ``labels``, ``annotations`` and ``status``
        (``state`` active/suppressed, ``inhibitedBy``, ``silencedBy``)."""
        params: list[tuple[str, str]] = [
            ("active", str(active).lower()),
            ("inhibited", str(inhibited).lower()),
            ("silenced", str(silenced).lower()),
            *(("filter", f) for f in filters),
        ]
        body = await http_request(f"{self.url}/api/v2/alerts?{urllib.parse.urlencode(params)}")
        alerts: list[Alert] = json.loads(body)
        return alerts

    async def wait_for_alert(
        self,
        name: str,
        *,
        labels: Mapping[str, str] | None = None,
        inhibited: bool | None = None,
        timeout_s: float = 30.0,
    ) -> Alert:
        """Until Alertmanager holds an alert ``name`` with ``labels``; ``inhibited``
        True/False also asks that it is (not) muted by an inhibit rule."""
        wanted = {"alertname": name, **(labels or {})}
        deadline = time.monotonic() + timeout_s
        alerts: list[Alert] = []
        while time.monotonic() < deadline:
            alerts = await self.alerts()
            for alert in alerts:
                if not wanted.items() <= alert["labels"].items():
                    continue
                muted = bool(alert["status"]["inhibitedBy"])
                if inhibited is None or muted == inhibited:
                    return alert
            await asyncio.sleep(0.25)
        raise AlertmanagerError(
            f"no alert {wanted} (inhibited={inhibited}) within {timeout_s} s: "
            f"{[(a['labels'], a['status']) for a in alerts]}"
        )


def alertmanager_config_for(
    config_text: str,
    webhook_url: str,
    *,
    group_wait: str = "1s",
    group_interval: str = "1s",
    repeat_interval: str = "1h",
) -> str:
    """A configuration (e.g. the shipped example) pointed at a test webhook.

    Every receiver's webhook URLs become ``WEBHOOK/<receiver name>``, so the
    test sees which receiver each notification went to; the route's and its
    children's timings are shortened so that notifications come within
    seconds. Routes, matchers and inhibit rules are left exactly as written.
    """
    yaml = YAML()
    config = yaml.load(config_text)
    for receiver in config.get("receivers", []):
        for webhook in receiver.get("webhook_configs", []):
            webhook["url"] = f"{webhook_url.rstrip('/')}/{receiver['name']}"

    def shorten(route: dict[str, Any]) -> None:
        for key, value in (
            ("group_wait", group_wait),
            ("group_interval", group_interval),
            ("repeat_interval", repeat_interval),
        ):
            if key in route or route is config["route"]:
                route[key] = value
        for child in route.get("routes", []):
            shorten(child)

    shorten(config["route"])
    out = io.StringIO()
    yaml.dump(config, out)
    return out.getvalue()


async def amtool_check_config(config_path: Path) -> None:
    await check_config([AMTOOL, "check-config", str(config_path)], AlertmanagerError)


@contextlib.asynccontextmanager
async def run_alertmanager(
    workdir: Path,
    config: str,
    *,
    host: str = "127.0.0.1",
    ready_timeout_s: float = 30.0,
) -> AsyncIterator[Alertmanager]:
    """Start Alertmanager with ``config``, wait until ready, stop it (by pid) on exit."""
    config_path = _write_config(workdir, config)
    await amtool_check_config(config_path)
    async with run_prom_server(
        Alertmanager,
        ALERTMANAGER,
        lambda attempt: [
            f"--storage.path={workdir / f'data-{attempt}'}",
            # Empty: no cluster, so nothing binds the gossip port on every address.
            "--cluster.listen-address=",
        ],
        config_path=config_path,
        host=host,
        ready_timeout_s=ready_timeout_s,
        error=AlertmanagerError,
    ) as server:
        yield server


def _write_config(workdir: Path, config: str) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "alertmanager.yml"
    config_path.write_text(config)
    return config_path


# --- the webhook ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notification:
    """One POST from Alertmanager: the receiver (from the URL path) and the payload."""

    receiver: str
    payload: dict[str, Any]
    received_at: float

    @property
    def status(self) -> str:
        """``firing`` or ``resolved`` (the group's)."""
        status: str = self.payload["status"]
        return status

    @property
    def alerts(self) -> list[Alert]:
        alerts: list[Alert] = self.payload["alerts"]
        return alerts


@dataclass
class WebhookReceiver:
    """An HTTP server on 127.0.0.1 (free port) that records Alertmanager's notifications."""

    host: str = "127.0.0.1"
    notifications: list[Notification] = field(default_factory=list)
    _server: asyncio.Server | None = field(default=None, repr=False)
    _changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the webhook receiver is not running")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def alerts(
        self, name: str, *, status: str | None = None, labels: Mapping[str, str] | None = None
    ) -> list[tuple[Notification, Alert]]:
        """Every alert ``name`` (with ``labels``, in ``status``) notified so far, in order."""
        wanted = {"alertname": name, **(labels or {})}
        return [
            (note, alert)
            for note in self.notifications
            for alert in note.alerts
            if wanted.items() <= alert["labels"].items()
            and (status is None or alert["status"] == status)
        ]

    async def wait_for(
        self,
        predicate: Callable[[list[Notification]], bool],
        *,
        timeout_s: float = 30.0,
        what: str = "a notification",
    ) -> None:
        deadline = time.monotonic() + timeout_s
        while not predicate(self.notifications):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                summary = [
                    (n.receiver, n.status, [a["labels"].get("alertname") for a in n.alerts])
                    for n in self.notifications
                ]
                raise AlertmanagerError(f"{what}: not received within {timeout_s} s: {summary}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, 1.0)):
                    await self._changed.wait()

    async def wait_for_alert(
        self,
        name: str,
        *,
        status: str = "firing",
        labels: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
    ) -> tuple[Notification, Alert]:
        await self.wait_for(
            lambda _: bool(self.alerts(name, status=status, labels=labels)),
            timeout_s=timeout_s,
            what=f"{status} {name} {dict(labels or {})}",
        )
        return self.alerts(name, status=status, labels=labels)[0]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                method, target, _ = request_line.split(" ", 2)
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in header_lines if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if method == "POST":
                    self.notifications.append(
                        Notification(
                            receiver=urllib.parse.urlsplit(target).path.strip("/"),
                            payload=json.loads(body),
                            received_at=time.monotonic(),
                        )
                    )
                    self._changed.set()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
