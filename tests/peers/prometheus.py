"""A real Prometheus server (Debian's ``prometheus`` package) for tests and benchmarks.

::

    config = prometheus_config([scrape_job("sprmon", f"127.0.0.1:{port}")], interval="1s")
    async with run_prometheus(tmp_path / "prom", config, rule_files={"r.yml": RULES}) as prom:
        value = await prom.wait_for_value('sprmon_paths{state="drift"}', 1.0)
        alerts = await prom.wait_for_alert("SprmonDrift", state="firing")

The caller writes the configuration (text in); rule files and any other files
the configuration names (CA certificates, password files) are written into the
work folder next to it, so relative names in the configuration find them.
Prometheus listens on 127.0.0.1 on a free port picked at start-up (retried if
another process takes it first), keeps its TSDB in the work folder, enables
``/-/reload``, and is stopped by its pid. Helpers query the HTTP API with the
standard library only: instant queries, waiting for a value or an alert,
targets, rules, alerts, reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sprmon.realpeers.process import log_tail, run_peer, start_logged

PROMETHEUS = "prometheus"

Sample = dict[str, Any]


class PrometheusError(RuntimeError):
    pass


def scrape_job(
    name: str,
    *targets: str,
    interval: str | None = None,
    metrics_path: str = "/metrics",
    scheme: str = "http",
    extra: str = "",
) -> str:
    """One ``scrape_configs`` entry (YAML text, indented for :func:`prometheus_config`).

    ``extra`` is more YAML for the job, e.g. ``tls_config:`` or ``basic_auth:``
    blocks, written with 4 spaces of indentation.
    """
    lines = [
        f"  - job_name: {json.dumps(name)}",
        f"    metrics_path: {json.dumps(metrics_path)}",
        f"    scheme: {scheme}",
    ]
    if interval is not None:
        lines += [f"    scrape_interval: {interval}", f"    scrape_timeout: {interval}"]
    lines.append(f"    static_configs: [{{targets: {json.dumps(list(targets))}}}]")
    text = "\n".join(lines) + "\n"
    return text + extra.rstrip("\n") + "\n" if extra else text


def prometheus_config(
    jobs: Sequence[str],
    *,
    interval: str = "1s",
    evaluation_interval: str | None = None,
    rule_files: Sequence[str] = (),
    alertmanagers: Sequence[str] = (),
) -> str:
    """A whole configuration: global intervals, rule files, Alertmanagers, the jobs."""
    lines = [
        "global:",
        f"  scrape_interval: {interval}",
        f"  scrape_timeout: {interval}",
        f"  evaluation_interval: {evaluation_interval or interval}",
    ]
    if rule_files:
        lines.append("rule_files:")
        lines += [f"  - {json.dumps(name)}" for name in rule_files]
    if alertmanagers:
        lines += [
            "alerting:",
            "  alertmanagers:",
            f"    - static_configs: [{{targets: {json.dumps(list(alertmanagers))}}}]",
        ]
    lines.append("scrape_configs:")
    return "\n".join(lines) + "\n" + "".join(jobs)


@dataclass(frozen=True)
class PromServer:
    """A server of the Prometheus family (Prometheus, Alertmanager) started by
    :func:`run_prom_server`: one binary, one configuration file, ``/-/ready``."""

    host: str
    port: int
    pid: int
    workdir: Path
    config_path: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log(self) -> str:
        return log_tail(self.log_path, chars=None)


@dataclass(frozen=True)
class Prometheus(PromServer):
    async def api(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET ``/api/v1/PATH``; the ``data`` member, or PrometheusError with the API's error."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        body = await http_request(f"{self.url}/api/v1/{path}{query}")
        reply = json.loads(body)
        if reply.get("status") != "success":
            raise PrometheusError(f"{path}: {reply.get('errorType')}: {reply.get('error')}")
        return reply["data"]

    async def query(self, expr: str, *, at: float | None = None) -> list[Sample]:
        """An instant query: the vector's samples (``metric`` labels, ``value`` [t, "v"])."""
        params = {"query": expr}
        if at is not None:
            params["time"] = repr(at)
        data = await self.api("query", params)
        if data["resultType"] != "vector":
            return [{"metric": {}, "value": data["result"]}]
        result: list[Sample] = data["result"]
        return result

    async def values(self, expr: str) -> list[float]:
        return [float(sample["value"][1]) for sample in await self.query(expr)]

    async def wait_until(
        self,
        expr: str,
        predicate: Callable[[list[Sample]], bool],
        *,
        timeout_s: float = 30.0,
        what: str = "",
    ) -> list[Sample]:
        """Query ``expr`` until ``predicate(samples)`` holds; fail with the last answer."""
        deadline = time.monotonic() + timeout_s
        samples: list[Sample] = []
        while time.monotonic() < deadline:
            samples = await self.query(expr)
            if predicate(samples):
                return samples
            await asyncio.sleep(0.25)
        raise PrometheusError(
            f"{what or expr}: not reached within {timeout_s} s; last answer {samples}"
        )

    async def wait_for_value(self, expr: str, value: float, *, timeout_s: float = 30.0) -> None:
        """Until ``expr`` returns exactly one sample, equal to ``value``."""
        await self.wait_until(
            expr,
            lambda samples: len(samples) == 1 and float(samples[0]["value"][1]) == value,
            timeout_s=timeout_s,
            what=f"{expr} == {value}",
        )

    async def wait_for_absent(self, expr: str, *, timeout_s: float = 30.0) -> None:
        await self.wait_until(expr, lambda samples: not samples, timeout_s=timeout_s)

    async def targets(self) -> list[Sample]:
        data = await self.api("targets", {"state": "active"})
        targets: list[Sample] = data["activeTargets"]
        return targets

    async def wait_for_targets_up(self, *, timeout_s: float = 30.0) -> list[Sample]:
        """Until every active target's last scrape succeeded; fail with their last errors."""
        deadline = time.monotonic() + timeout_s
        targets: list[Sample] = []
        while time.monotonic() < deadline:
            targets = await self.targets()
            if targets and all(target["health"] == "up" for target in targets):
                return targets
            await asyncio.sleep(0.25)
        errors = [(t["scrapeUrl"], t["health"], t["lastError"]) for t in targets]
        raise PrometheusError(f"targets not up within {timeout_s} s: {errors}")

    async def rules(self) -> list[Sample]:
        data = await self.api("rules")
        groups: list[Sample] = data["groups"]
        return groups

    async def alerts(self) -> list[Sample]:
        """Alerts of the rule files: ``labels``, ``annotations``, ``state`` (pending/firing)."""
        data = await self.api("alerts")
        alerts: list[Sample] = data["alerts"]
        return alerts

    async def wait_for_alert(
        self,
        name: str,
        *,
        state: str = "firing",
        labels: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
    ) -> Sample:
        deadline = time.monotonic() + timeout_s
        alerts: list[Sample] = []
        while time.monotonic() < deadline:
            alerts = await self.alerts()
            for alert in alerts:
                wanted = {"alertname": name, **(labels or {})}
                if alert["state"] == state and wanted.items() <= alert["labels"].items():
                    return alert
            await asyncio.sleep(0.25)
        raise PrometheusError(
            f"no {state} alert {name} {labels or ''} within {timeout_s} s: {alerts}"
        )

    async def reload(self, config: str | None = None) -> None:
        """Rewrite the configuration (if given) and ask Prometheus to load it again."""
        if config is not None:
            self.config_path.write_text(config)
        await http_request(f"{self.url}/-/reload", method="POST")


async def http_request(url: str, *, method: str = "GET", timeout_s: float = 10.0) -> bytes:
    def fetch() -> bytes:
        request = urllib.request.Request(url, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as exc:
            # The API answers errors (bad query...) with JSON in the body.
            body = exc.read()
            if body.startswith(b"{"):
                return body
            raise PrometheusError(f"{method} {url}: HTTP {exc.code}: {body[:500]!r}") from exc

    return await asyncio.to_thread(fetch)


@contextlib.asynccontextmanager
async def run_prometheus(
    workdir: Path,
    config: str,
    *,
    files: Mapping[str, str | bytes] | None = None,
    rule_files: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    host: str = "127.0.0.1",
    ready_timeout_s: float = 60.0,
) -> AsyncIterator[Prometheus]:
    """Start Prometheus with ``config``, wait until ready, stop it (by pid) on exit.

    ``rule_files`` and ``files`` are written into ``workdir`` under their names
    before the start. The configuration is checked with ``promtool check config``
    first, so that a mistake in it fails with promtool's message rather than a
    timeout.
    """
    config_path = _write_files(workdir, config, {**(files or {}), **(rule_files or {})})
    await check_config(["promtool", "check", "config", str(config_path)], PrometheusError)
    async with run_prom_server(
        Prometheus,
        PROMETHEUS,
        lambda attempt: [
            f"--storage.tsdb.path={workdir / f'data-{attempt}'}",
            "--web.enable-lifecycle",
            *extra_args,
        ],
        config_path=config_path,
        host=host,
        ready_timeout_s=ready_timeout_s,
        error=PrometheusError,
    ) as server:
        yield server


S = TypeVar("S", bound=PromServer)


@contextlib.asynccontextmanager
async def run_prom_server(
    kind: type[S],
    binary: str,
    flags: Callable[[int], Sequence[str]],
    *,
    config_path: Path,
    host: str,
    ready_timeout_s: float,
    error: Callable[[str], Exception],
) -> AsyncIterator[S]:
    """Start ``binary`` with ``config_path`` (in its folder, the work folder), listening
    on a free port, and the ``flags(attempt)`` of each attempt; yield it once ready."""
    workdir = config_path.parent
    name = kind.__name__.lower()
    log_path = workdir / f"{name}.log"

    async def spawn(port: int, attempt: int) -> tuple[asyncio.subprocess.Process, S]:
        command = [
            binary,
            f"--config.file={config_path}",
            f"--web.listen-address={host}:{port}",
            *flags(attempt),
        ]
        process = await start_logged(command, log_path, cwd=workdir)
        return process, kind(host, port, process.pid, workdir, config_path, log_path)

    async with run_peer(
        name,
        spawn,
        lambda server: http_request(f"{server.url}/-/ready", timeout_s=2),
        host=host,
        not_yet=(OSError, PrometheusError),
        ready_timeout_s=ready_timeout_s,
        error=error,
    ) as server:
        yield server


async def check_config(command: Sequence[str], error: Callable[[str], Exception]) -> None:
    """Run a configuration checker (promtool, amtool): ``error`` with its output if it refuses."""
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise error(f"{' '.join(command)}:\n{out.decode()}")


def _write_files(workdir: Path, config: str, files: Mapping[str, str | bytes]) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = workdir / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    config_path = workdir / "prometheus.yml"
    config_path.write_text(config)
    return config_path
